"""A filter is its description: terms, finish, reach, outside policies.

A filter made here, in the test alone (the Gaussian-weighted variance of the
weighted pixels, ``S2/S0 - (S1/S0)**2``), is computed by every path (whole,
region, per label, dask) without any of them knowing it, and agrees with a
float64 reference written from the formula with explicit weighted sums.
"""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur._api.route import run, run_piece
from napari_masked_blur._engines import gaussian_kernel1d
from napari_masked_blur._math import filters
from napari_masked_blur._math.filter import Filter, Term
from napari_masked_blur._math.gaussian import GAUSSIAN
from napari_masked_blur._math.settings import BlurSettings


def _finish_variance(smoothed, shift):
    second, first, weight = smoothed
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = first / weight
        return np.maximum(second / weight - mean * mean, 0)


SPREAD = Filter(
    name="spread",
    title="local variance (test)",
    terms=(Term(2), Term(1), Term(0)),
    finish=_finish_variance,
    outside=("nan", "zero"),
    default_outside="nan",
)


@pytest.fixture
def spread(monkeypatch):
    monkeypatch.setattr(filters, "DESCRIPTIONS", (GAUSSIAN, SPREAD))
    return SPREAD


def reference_variance(image, weights, sigma, truncate=4.0):
    """Explicit weighted sums over the kernel, float64, zeros beyond the border."""
    image = np.asarray(image, np.float64)
    kernels = [gaussian_kernel1d(s, int(truncate * s + 0.5)) for s in sigma]
    radii = [len(k) // 2 for k in kernels]
    out = np.full(image.shape, np.nan)
    for index in np.ndindex(image.shape):
        total = first = second = 0.0
        for offset in np.ndindex(*(len(k) for k in kernels)):
            at = tuple(i + o - r for i, o, r in zip(index, offset, radii, strict=True))
            if any(a < 0 or a >= n for a, n in zip(at, image.shape, strict=True)):
                continue
            g = np.prod([k[o] for k, o in zip(kernels, offset, strict=True)])
            w = g * weights[at]
            total, first, second = (
                total + w,
                first + w * image[at],
                second + w * image[at] ** 2,
            )
        if total > 0:
            out[index] = second / total - (first / total) ** 2
    return out


def image_and_mask(shape=(9, 11), offset=30000.0):
    rng = np.random.default_rng(4)
    image = (offset + rng.integers(-10, 11, shape)).astype(np.uint16)
    mask = rng.random(shape) > 0.35
    return image, mask


def test_a_filter_added_by_its_description_alone_agrees_with_the_formula(spread):
    image, mask = image_and_mask()
    settings = BlurSettings(sigma=(1.2, 0.8), filter="spread", outside="nan")
    out = run(image, mask, settings.check(image, mask))
    expected = reference_variance(image, mask.astype(float), (1.2, 0.8))
    expected[~mask] = np.nan
    # uint16 at 30,000 in float32: the moments are taken about a pixel's
    # value, so the variance of values spread by ±10 keeps its digits.
    np.testing.assert_allclose(out, expected, rtol=2e-3, atol=1e-3)


def test_a_region_of_a_described_filter_is_its_whole_result_cropped(spread):
    image, mask = image_and_mask((8, 10, 12), offset=100.0)
    options = BlurSettings(sigma=1.0, filter="spread", outside="zero").check(
        image, mask
    )
    whole = run_piece(image, mask, options, None)
    region = (slice(3, 4), slice(2, 9), slice(0, 12))  # a plane, as the live view asks
    np.testing.assert_allclose(
        run_piece(image, mask, options, region), whole[region], rtol=1e-5, atol=1e-5
    )


def test_a_described_filter_is_lazy_for_dask_input_and_equal_to_in_memory(spread):
    da = pytest.importorskip("dask.array")
    image, mask = image_and_mask((20, 24), offset=50.0)
    options = BlurSettings(sigma=1.5, filter="spread", outside="nan").check(image, mask)
    lazy = run(da.from_array(image, chunks=(7, 9)), mask, options)
    np.testing.assert_allclose(
        lazy.compute(), run(image, mask, options), rtol=1e-5, atol=1e-5
    )


def test_a_filter_refuses_outside_policies_it_does_not_allow(spread):
    with pytest.raises(ValueError, match="outside 'keep' does not apply to the spread"):
        BlurSettings(sigma=1, filter="spread", outside="keep")


def test_the_reach_of_the_gaussian_is_its_kernel_radius():
    assert GAUSSIAN.reach((1.0, 2.5, 0.0), 4.0) == (4, 10, 0)
    assert GAUSSIAN.is_quotient and not SPREAD.is_quotient
