"""Kernel taps: the Gaussian of a line at a few rows, and where they pay."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from napari_masked_blur._blur.options import MODES
from napari_masked_blur._blur.taps import tap_matrix, tapped_axes

SCIPY_MODE = {"missing": "constant"}
HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@HYPOTHESIS
@given(
    n=st.integers(1, 30),
    sigma=st.floats(0.3, 6),
    mode=st.sampled_from(MODES),
    data=st.data(),
)
def test_tap_matrix_rows_are_scipy_gaussian_filter1d(n, sigma, mode, data):
    start = data.draw(st.integers(0, n - 1))
    stop = data.draw(st.integers(start + 1, n))
    line = np.random.default_rng(n).normal(size=n)
    expected = ndi.gaussian_filter1d(line, sigma, mode=SCIPY_MODE.get(mode, mode))
    taps = tap_matrix(n, slice(start, stop), sigma, 4.0, mode)
    np.testing.assert_allclose(taps @ line, expected[start:stop], atol=1e-12)


def test_tap_matrix_keeps_a_constant_line_constant_except_missing():
    for mode in ("reflect", "nearest", "mirror", "wrap"):
        np.testing.assert_allclose(tap_matrix(5, slice(0, 5), 4.0, 4.0, mode).sum(1), 1)
    # "missing" loses the weight beyond the border: the edge row sums below 1.
    assert tap_matrix(5, slice(0, 1), 4.0, 4.0, "missing").sum() < 1


def test_tap_matrix_of_sigma_zero_is_the_identity_at_the_rows():
    np.testing.assert_array_equal(
        tap_matrix(4, slice(1, 3), 0.0, 4.0, "missing"),
        [[0, 1, 0, 0], [0, 0, 1, 0]],
    )


def test_taps_reduce_the_axes_where_the_region_is_at_most_radius_plus_one_thin():
    # Radius 4: one plane of 9 is tapped, a whole axis never is.
    inner = (slice(4, 5), slice(0, 10))
    assert tapped_axes(inner, (9, 10), (4, 4)) == [0]
    # Five rows (r + 1) still pay; six do not; no smoothing, no taps.
    assert tapped_axes((slice(2, 7), slice(0, 3)), (12, 10), (4, 4)) == [0, 1]
    assert tapped_axes((slice(2, 8), slice(0, 3)), (12, 10), (4, 0)) == []
