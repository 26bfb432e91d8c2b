"""Masked Gaussian derivatives against a float64 reference from their formulas."""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur import (
    masked_difference_of_gaussians,
    masked_gaussian,
    masked_gaussian_gradient_magnitude,
    masked_gaussian_laplace,
    masked_hessian_eigenvalues,
    masked_structure_tensor_eigenvalues,
)
from napari_masked_blur._math.options import MODES
from tests.math import derivative_reference as ref


def cell(shape, offset, dtype, rng, nan=False):
    """A textured image at ``offset`` and a ball-shaped mask with a hole."""
    grids = np.indices(shape, sparse=True)
    r2 = sum(
        ((g - (s - 1) / 2) / (0.4 * s)) ** 2 for g, s in zip(grids, shape, strict=True)
    )
    mask = r2 < 1
    mask[tuple(s // 2 for s in shape)] = False
    smooth = sum(np.sin(g / (2.0 + a)) * 40 for a, g in enumerate(grids))
    image = offset + smooth + rng.normal(0, 5, shape)
    image[~mask] += 5000  # bright background: what must not leak in
    image = image.astype(dtype)
    if nan:
        image.flat[rng.choice(image.size, 5, replace=False)] = np.nan
    return image, mask


CASES = [
    ((28, 33), 2.0, None),
    ((28, 33), (1.5, 2.5), (0.5, 1.0)),
    ((12, 16, 14), (1.0, 1.5, 1.2), None),
    ((12, 16, 14), 1.3, (2.0, 1.0, 1.0)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, sigma, spacing", CASES)
@pytest.mark.parametrize("dtype, offset", [(np.uint16, 30000), (np.float32, 1e4)])
def test_gradient_laplace_hessian_match_the_formulas(
    mode, shape, sigma, spacing, dtype, offset, rng
):
    image, mask = cell(shape, offset, dtype, rng)
    kw = {"mode": mode, "spacing": spacing}
    # With spacing, sigma is in its units: the reference takes pixels.
    pixels = np.asarray(sigma) / (1 if spacing is None else np.asarray(spacing))
    args = (image, mask, tuple(np.broadcast_to(pixels, len(shape))), mode)
    rkw = {"spacing": spacing}
    ref.assert_close_inside(
        masked_gaussian_gradient_magnitude(image, mask, sigma, **kw),
        ref.gradient_magnitude(*args, **rkw),
        mask,
    )
    ref.assert_close_inside(
        masked_gaussian_laplace(image, mask, sigma, **kw),
        ref.laplace(*args, **rkw),
        mask,
    )
    ref.assert_close_inside(
        masked_hessian_eigenvalues(image, mask, sigma, **kw),
        ref.hessian_eigenvalues(*args, **rkw),
        mask,
    )


@pytest.mark.parametrize("shape, sigma, spacing", CASES)
def test_every_order_of_masked_gaussian_matches_the_formulas(
    shape, sigma, spacing, rng
):
    image, mask = cell(shape, 30000, np.uint16, rng)
    n = len(shape)
    pixels = np.asarray(sigma) / (1 if spacing is None else np.asarray(spacing))
    _, first, second = ref.derivatives(
        image, mask, tuple(np.broadcast_to(pixels, n)), spacing=spacing
    )
    for i, expected in first.items():
        out = masked_gaussian(image, mask, sigma, order=ref.unit(n, i), spacing=spacing)
        ref.assert_close_inside(out, expected, mask)
    for (i, j), expected in second.items():
        order = ref.unit(n, i, j)
        out = masked_gaussian(image, mask, sigma, order=order, spacing=spacing)
        ref.assert_close_inside(out, expected, mask)


def test_nan_pixels_are_missing_data_for_derivatives(rng):
    image, mask = cell((30, 30), 1e4, np.float32, rng, nan=True)
    ref.assert_close_inside(
        masked_gaussian_laplace(image, mask, 2.0),
        ref.laplace(image, mask, (2.0, 2.0)),
        mask,
    )
    ref.assert_close_inside(
        masked_hessian_eigenvalues(image, mask, 2.0),
        ref.hessian_eigenvalues(image, mask, (2.0, 2.0)),
        mask,
    )


@pytest.mark.parametrize("mode", ["missing", "reflect"])
def test_difference_of_gaussians_is_the_difference_of_masked_blurs(mode, rng):
    image, mask = cell((12, 30, 28), 30000, np.uint16, rng)
    expected = ref.masked_blur(image, mask, 1.5, mode) - ref.masked_blur(
        image, mask, 1.5 * 1.6, mode
    )
    out = masked_difference_of_gaussians(image, mask, 1.5, mode=mode)
    ref.assert_close_inside(out, expected, mask)
    wider = ref.masked_blur(image, mask, (1.5, 3.0, 4.0), mode)
    out = masked_difference_of_gaussians(image, mask, 1.5, (1.5, 3.0, 4.0), mode=mode)
    ref.assert_close_inside(out, ref.masked_blur(image, mask, 1.5, mode) - wider, mask)


@pytest.mark.parametrize("shape", [(34, 30), (14, 18, 16)])
def test_structure_tensor_eigenvalues_match_the_formula(shape, rng):
    image, mask = cell(shape, 30000, np.uint16, rng)
    out = masked_structure_tensor_eigenvalues(image, mask, 1.2, 2.0)
    expected = ref.structure_tensor_eigenvalues(image, mask, 1.2, 2.0)
    ref.assert_close_inside(out, expected, mask)
    assert out.shape == (len(shape), *shape)


def test_float64_images_agree_to_rounding(rng):
    image, mask = cell((25, 27), 1e6, np.float64, rng)
    out = masked_gaussian_laplace(image, mask, 1.7)
    ref.assert_close_inside(out, ref.laplace(image, mask, (1.7, 1.7)), mask, 1e-9)
