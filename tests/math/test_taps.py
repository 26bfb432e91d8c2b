"""Kernel taps: the Gaussian of a line at a few rows, and where they pay."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian
from napari_masked_blur._math import taps as taps_module
from napari_masked_blur._math.options import MODES
from napari_masked_blur._math.region import filter_region
from napari_masked_blur._math.settings import check_options
from napari_masked_blur._math.taps import quotient_taps, tapped_axes, window_shift

EPS32 = float(np.finfo(np.float32).eps)
SCIPY_MODE = {"missing": "constant"}
HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def filter_at(n, rows, sigma, mode):
    """The Gaussian filter of a length-``n`` line at ``rows``, as a matrix."""
    taps, exponent = quotient_taps(n, rows, sigma, 4.0, mode)
    return np.ldexp(taps, -exponent)


@HYPOTHESIS
@given(
    n=st.integers(1, 30),
    sigma=st.floats(0.3, 6),
    mode=st.sampled_from(MODES),
    data=st.data(),
)
def test_the_taps_at_some_rows_are_scipy_gaussian_filter1d_there(n, sigma, mode, data):
    start = data.draw(st.integers(0, n - 1))
    stop = data.draw(st.integers(start + 1, n))
    line = np.random.default_rng(n).normal(size=n)
    expected = ndi.gaussian_filter1d(line, sigma, mode=SCIPY_MODE.get(mode, mode))
    taps = filter_at(n, slice(start, stop), sigma, mode)
    np.testing.assert_allclose(taps @ line, expected[start:stop], atol=1e-12)


def test_the_taps_keep_a_constant_line_constant_except_missing():
    for mode in ("reflect", "nearest", "mirror", "wrap"):
        np.testing.assert_allclose(filter_at(5, slice(0, 5), 4.0, mode).sum(1), 1)
    # "missing" loses the weight beyond the border: the edge row sums below 1.
    assert filter_at(5, slice(0, 1), 4.0, "missing").sum() < 1


def test_the_taps_of_sigma_zero_are_the_identity_at_the_rows():
    np.testing.assert_array_equal(
        filter_at(4, slice(1, 3), 0.0, "missing"),
        [[0, 1, 0, 0], [0, 0, 1, 0]],
    )


def test_taps_reduce_the_axes_where_the_region_is_at_most_radius_plus_one_thin():
    # Radius 4: one plane of 9 is tapped, a whole axis never is.
    inner = (slice(4, 5), slice(0, 10))
    assert tapped_axes(inner, (9, 10), (4, 4)) == [0]
    # Five rows (r + 1) still pay; six do not; no smoothing, no taps.
    assert tapped_axes((slice(2, 7), slice(0, 3)), (12, 10), (4, 4)) == [0, 1]
    assert tapped_axes((slice(2, 8), slice(0, 3)), (12, 10), (4, 0)) == []


def test_the_shift_is_the_first_weighted_finite_pixel_and_only_in_float32():
    image = np.array([[np.nan, 5.0, 7.0], [9.0, 11.0, 13.0]], np.float32)
    mask = np.array([[True, False, True], [True, True, True]])
    before = mask.copy()
    # (0, 0) is inside but missing, (0, 1) is outside: (0, 2) is the first.
    assert window_shift(image, mask, None, np.dtype(np.float32)) == 7.0
    np.testing.assert_array_equal(mask, before)  # the mask is only read
    labels = np.array([[1, 2, 2], [3, 2, 2]], np.uint8)
    assert window_shift(image, labels, (3,), np.dtype(np.float32)) == 9.0
    certainty = np.array([[0, 0, 0], [0, 0.5, 1]], np.float32)
    assert window_shift(image, certainty, None, np.dtype(np.float32)) == 11.0
    assert window_shift(image, ~mask, None, np.dtype(np.float32)) == 5.0
    assert window_shift(image, mask * False, None, np.dtype(np.float32)) == 0.0
    assert window_shift(image, mask, None, np.dtype(np.float64)) == 0.0
    # Deeper in a volume: found past the first rows, in the planes' blocks.
    volume = np.arange(9 * 4 * 5, dtype=np.uint16).reshape(9, 4, 5)
    inside = np.zeros(volume.shape, bool)
    inside[6, 2, 3] = inside[7, 0, 0] = True
    assert window_shift(volume, inside, None, np.dtype(np.float32)) == 6 * 20 + 13
    assert window_shift(volume, inside * 0, None, np.dtype(np.float32)) == 0.0


def narrow_band(kind):
    """A narrow band far from zero (17 x 40 x 48), half a ulp of it is
    13.7 ε of a range of 600 (uint16) or ~500 ε of ~8 (float32)."""
    rng = np.random.default_rng(3)
    shape = (17, 40, 48)
    mask = rng.random(shape) > 0.25
    if kind == "uint16":
        return rng.integers(29700, 30300, shape, dtype=np.uint16), mask
    return (1e4 + rng.normal(size=shape)).astype(np.float32), mask


@pytest.mark.parametrize("kind", ["uint16", "float32"])
@pytest.mark.parametrize(
    ("route", "region"),
    [  # one plane: the compiled plane loop; one row: numpy's taps (in blocks)
        ("numba", (slice(8, 9), slice(None), slice(None))),
        ("numba", (slice(0, 1), slice(None), slice(None))),
        ("numpy", (slice(None), slice(20, 21), slice(None))),
    ],
)
def test_a_thin_region_of_narrow_band_data_is_float32_rounding_from_float64(
    kind, route, region, monkeypatch
):
    image, mask = narrow_band(kind)
    exact = masked_gaussian(image.astype(np.float64), mask, 2.0)[region]
    calls = []
    real = taps_module.reduce_planes
    monkeypatch.setattr(
        taps_module, "reduce_planes", lambda *a: calls.append(a) or real(*a)
    )
    got = filter_region(image, mask, region, check_options(image, mask, 2.0))
    assert got.dtype == np.float32 and len(calls) == (route == "numba")
    inside = mask[region]
    error = np.abs(got.astype(np.float64) - exact)[inside]
    # Shifted by c, the sums see |x - c| <= span only: three passes of 17 taps
    # round sums of random sign, about sqrt(3 * 17) ε/2 ≈ 4 ε of the span at
    # worst-typical (0.2 ε measured); then q + c rounds to half a ulp of the
    # result.  Unshifted, the sums round at the band's magnitude: 110-150 ε
    # of the span beyond the half ulp for uint16, 3500+ for float32.
    values = image[mask].astype(np.float64)
    span = float(np.ptp(values))
    half_ulp = 0.5 * np.spacing(np.abs(exact[inside]).astype(np.float32))
    assert np.all(error <= half_ulp + 4 * EPS32 * span)
