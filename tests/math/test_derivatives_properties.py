"""Invariants of the masked derivatives over random shapes, sigmas and masks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from napari_masked_blur import (
    masked_gaussian_gradient_magnitude,
    masked_gaussian_laplace,
    masked_hessian_eigenvalues,
)
from tests.math import derivative_reference as ref

MODES = ["missing", "reflect", "nearest", "mirror", "wrap"]


@st.composite
def problems(draw):
    """A float64 image at an offset, a random mask, a sigma per axis, a mode."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=11))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image = 1e4 + rng.normal(0, 30, shape)
    mask = rng.random(shape) < draw(st.floats(0.2, 1.0))
    sigma = tuple(draw(st.sampled_from([0.6, 1.0, 1.7, 3.0])) for _ in shape)
    return image, mask, sigma, draw(st.sampled_from(MODES))


@settings(max_examples=60, deadline=None)
@given(problems())
def test_float64_derivatives_are_the_formulas_wherever_weight_reaches(problem):
    image, mask, sigma, mode = problem
    kw = {"mode": mode, "outside": "fill"}
    expected = ref.gradient_magnitude(image, mask, sigma, mode)
    out = masked_gaussian_gradient_magnitude(image, mask, sigma, **kw)
    np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-7, equal_nan=True)
    expected = ref.laplace(image, mask, sigma, mode)
    out = masked_gaussian_laplace(image, mask, sigma, **kw)
    np.testing.assert_allclose(out, expected, rtol=1e-7, atol=1e-7, equal_nan=True)
    expected = ref.hessian_eigenvalues(image, mask, sigma, mode)
    out = masked_hessian_eigenvalues(image, mask, sigma, **kw)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(problems(), st.floats(-1e5, 1e5), st.floats(0.1, 10))
def test_an_offset_changes_no_derivative_and_a_gain_scales_them(problem, offset, gain):
    image, mask, sigma, mode = problem
    out = masked_gaussian_laplace(image, mask, sigma, mode=mode, outside="nan")
    moved = masked_gaussian_laplace(
        gain * image + offset, mask, sigma, mode=mode, outside="nan"
    )
    span = np.nanmax(np.abs(out)) if np.isfinite(out).any() else 0.0
    np.testing.assert_allclose(moved, gain * out, atol=1e-6 * gain * (1 + span) + 1e-9)
