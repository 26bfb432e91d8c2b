"""Invariants of the local statistics over random shapes, sigmas, masks, borders
and offsets: what the formulas promise whatever the data."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from napari_masked_blur import (
    masked_local_correlation,
    masked_local_std,
    masked_local_variance,
    masked_local_zscore,
)
from tests.math.test_statistics_reference import reference

MODES = ["missing", "reflect", "nearest", "mirror", "wrap"]
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=10)
common = settings(max_examples=50, deadline=None)


@st.composite
def problems(draw):
    """An image at an offset (uint16 or float32), a second one, a mask, options."""
    shape = draw(shapes)
    dtype = draw(st.sampled_from([np.uint16, np.float32]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    offset = draw(st.sampled_from([0, 1000, 30000]))
    spread = draw(st.sampled_from([1, 10, 300]))
    image = (offset + rng.integers(0, spread + 1, shape)).astype(dtype)
    other = (offset + rng.integers(0, spread + 1, shape)).astype(dtype)
    mask = rng.random(shape) < draw(st.sampled_from([0.3, 0.7, 1.0]))
    sigma = tuple(draw(st.sampled_from([0.0, 0.6, 1.0, 2.5])) for _ in shape)
    mode = draw(st.sampled_from(MODES))
    return image, other, mask, sigma, mode


@common
@given(problems())
def test_variance_is_never_negative_and_is_the_formulas(problem):
    image, _, mask, sigma, mode = problem
    out = masked_local_variance(image, mask, sigma, mode=mode, outside="fill")
    want = reference("local_variance", image, mask.astype(float), sigma, mode=mode)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(want))
    assert (out[~np.isnan(out)] >= 0).all()
    spread = max(float(np.ptp(image.astype(float))), 1.0)
    # float32 about a pixel's value: rounding of the spread squared.
    np.testing.assert_allclose(out, want, rtol=1e-3, atol=1e-4 * spread**2)


@common
@given(problems())
def test_correlation_stays_in_minus_1_to_1(problem):
    image, other, mask, sigma, mode = problem
    r = masked_local_correlation(image, other, mask, sigma, mode=mode)
    finite = r[~np.isnan(r)]
    assert ((finite >= -1) & (finite <= 1)).all()
    assert np.isnan(r[~mask]).all()  # the default outside: NaN


@common
@given(problems(), st.sampled_from([0.5, 3.0, -2.0]), st.sampled_from([0.0, 500.0]))
def test_std_follows_scale_and_ignores_offset_and_zscore_follows_sign(
    problem, scale, shift
):
    image, _, mask, sigma, mode = problem
    image = image.astype(np.float64)
    moved = scale * image + shift
    std = masked_local_std(image, mask, sigma, mode=mode)
    np.testing.assert_allclose(
        masked_local_std(moved, mask, sigma, mode=mode),
        abs(scale) * std,
        rtol=1e-6,
        atol=1e-6 * abs(scale) * max(float(np.ptp(image)), 1.0),
    )
    z = masked_local_zscore(image, mask, sigma, mode=mode)
    z_moved = masked_local_zscore(moved, mask, sigma, mode=mode)
    relevant = std > 1e-6 * max(float(np.ptp(image)), 1.0)  # not at the floor
    np.testing.assert_allclose(
        z_moved[relevant], np.sign(scale) * z[relevant], rtol=1e-5, atol=1e-6
    )


@common
@given(problems())
def test_a_pixel_alone_in_its_reach_has_std_0_and_zscore_0(problem):
    image, _, _, sigma, mode = problem
    mask = np.zeros(image.shape, bool)
    mask.flat[image.size // 2] = True
    std = masked_local_std(image, mask, sigma, mode=mode, outside="nan")
    z = masked_local_zscore(image, mask, sigma, mode=mode, outside="nan")
    at = np.unravel_index(image.size // 2, image.shape)
    # Whatever the border rule brings in reach is copies of that pixel.
    assert std[at] == 0 and z[at] == 0
    assert np.isnan(np.delete(std.ravel(), image.size // 2)).all()
