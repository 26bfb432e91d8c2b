"""Kernels wider than the image: folded taps, exact for every border rule."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from napari_masked_blur._engines import (
    BORDER_MODES,
    folded_taps,
    gaussian_smooth,
    gaussian_smooth_scaled,
    kernel_radius,
)
from napari_masked_blur._engines._kernel import (
    _listed_sums,
    _progression_sums,
    _tail_sums,
    hermite,
)
from napari_masked_blur._engines._wide import wide_axes


def scipy_matrix(n, sigma, truncate, mode):
    """Column ``s``: scipy's response to a unit sample at ``s``."""
    columns = [
        ndi.gaussian_filter1d(np.eye(n)[s], sigma, mode=mode, truncate=truncate)
        for s in range(n)
    ]
    return np.stack(columns, axis=1)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 24),
    mode=st.sampled_from(BORDER_MODES),
    sigma=st.floats(0.2, 400),
    truncate=st.floats(0.5, 12),
)
def test_folded_taps_are_scipys_filter_as_a_matrix(n, mode, sigma, truncate):
    # Where scipy can still list the kernel, folded == scipy, including
    # kernels many times wider than the line (folded many times over).
    matrix, exponent = folded_taps(n, sigma, truncate, mode)
    expected = scipy_matrix(n, sigma, truncate, mode)
    np.testing.assert_allclose(
        np.ldexp(matrix, -exponent), expected, rtol=0, atol=1e-13 * expected.max()
    )


@pytest.mark.parametrize("mode", BORDER_MODES)
def test_folded_taps_of_some_rows_are_those_rows(mode):
    whole, _ = folded_taps(9, 37.0, 4.0, mode)
    some, _ = folded_taps(9, 37.0, 4.0, mode, slice(3, 5))
    np.testing.assert_array_equal(some, whole[3:5])


@pytest.mark.parametrize(
    ("mode", "limit"),
    [
        # Nothing beyond the line: every sample alike.
        ("constant", [1, 1, 1]),
        # Folded by periods 3 and 6: every sample alike.
        ("wrap", [1, 1, 1]),
        ("reflect", [1, 1, 1]),
        # Period 4 (d c b | a b c d | c b a): the middle sample is read twice.
        ("mirror", [1, 2, 1]),
        # Half the kernel lies beyond each edge and lands on the edge sample.
        ("nearest", [1, 0, 1]),
    ],
)
def test_sigma_1e300_gives_the_limit_of_each_border_rule(mode, limit):
    matrix, exponent = folded_taps(3, 1e300, 4.0, mode)
    rows = matrix / matrix.sum(axis=1, keepdims=True)
    expected = np.tile(np.array(limit, float) / sum(limit), (3, 1))
    np.testing.assert_allclose(rows, expected, rtol=0, atol=1e-15)
    assert np.isfinite(matrix).all()
    assert (exponent > 900) == (mode == "constant")


def test_constant_taps_keep_their_true_scale_in_the_exponent():
    # sigma 1e300, line of 16: each tap is 1 / Z, Z = sigma sqrt(2 pi) erf(4/sqrt 2)
    # (the taps within the line are exp(-tiny) = 1).
    matrix, exponent = folded_taps(16, 1e300, 4.0, "constant")
    z = 1e300 * math.sqrt(2 * math.pi) * math.erf(4 / math.sqrt(2))
    np.testing.assert_allclose(np.ldexp(matrix, -exponent), 1 / z, rtol=1e-14)


@pytest.mark.parametrize("step", [0.01, 0.05, 0.0999])
@pytest.mark.parametrize("truncate", [0.3, 4.0, 9.0])
@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_euler_maclaurin_sums_are_the_listed_sums(step, truncate, order):
    # Just on the closed-form side of the switch, where it is least accurate.
    # Derivative taps sum to nearly 0 over a residue: measured against the
    # sum of |taps| (for order 0, the sum itself).
    period = 12
    sigma = period / step
    radius = kernel_radius([sigma], truncate)[0]
    closed = _progression_sums(period, sigma, radius, order)
    listed = _listed_sums(period, sigma, radius, order)
    u = np.arange(-radius, radius + 1) / sigma
    size = math.fsum(np.abs(hermite(u, order)) * np.exp(-0.5 * u**2)) / sigma
    atol = 1e-14 * size / period if order else 0.0
    np.testing.assert_allclose(closed, listed, rtol=1e-14, atol=atol)
    starts = np.arange(0, radius + 5)
    tails = _tail_sums(starts.size, sigma, radius, order)
    exact = []
    for a in starts:
        u = np.arange(a, radius + 1) / sigma
        exact.append(math.fsum(hermite(u, order) * np.exp(-0.5 * u**2)))
    np.testing.assert_allclose(
        tails,
        np.array(exact) / sigma,
        rtol=1e-13,
        atol=1e-14 * size if order else 1e-17,
    )


def test_truncate_counts_up_to_40_sigma_where_scipys_taps_are_exactly_zero():
    assert kernel_radius([1.5], 1e12) == kernel_radius([1.5], 40.0) == (60,)
    line = np.random.default_rng(1).random(301)
    ours = gaussian_smooth(
        [line.copy()], [1.5], mode="reflect", truncate=1e12, method="scipy"
    )[0]
    theirs = ndi.gaussian_filter1d(line, 1.5, mode="reflect", truncate=90.0)
    # Equal but for the rounding of the kernel's sum, which numpy adds
    # pairwise, in blocks that depend on the kernel's length.
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)


def test_kernel_radius_is_exact_where_truncate_times_sigma_overflows():
    radius = kernel_radius([1e308], 10.0)[0]
    assert radius == math.floor(Fraction(10.0) * Fraction(1e308) + Fraction(1, 2))


def test_wide_axes_are_those_the_radius_reaches_across():
    assert wide_axes((5, 100, 3), (2.0, 2.0, 0.0), 4.0) == [0]
    assert wide_axes((5, 100), (1e6, 1e6), 4.0) == [0, 1]


@pytest.mark.parametrize("mode", BORDER_MODES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wide_and_narrow_axes_together_are_scipys_gaussian(mode, dtype):
    array = np.random.default_rng(2).random((9, 40, 6))
    sigma = (30.0, 3.0, 2.5)  # axes 0 and 2 wide, axis 1 by the usual engines
    ours = gaussian_smooth([array.astype(dtype)], sigma, mode=mode, truncate=4.0)[0]
    theirs = ndi.gaussian_filter(array, sigma, mode=mode, truncate=4.0)
    tolerance = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance * theirs.max())


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    widths=st.tuples(st.floats(0.3, 60), st.floats(0.3, 60)),
    mode=st.sampled_from(BORDER_MODES),
    truncate=st.floats(1, 8),
    seed=st.integers(0, 2**16),
)
def test_gaussian_smooth_with_wide_axes_is_scipys(shape, widths, mode, truncate, seed):
    # Sigma up to 60 on axes of at most 12: kernels up to 80 times as wide
    # as the image, which scipy still lists tap by tap.
    array = np.random.default_rng(seed).random(shape)
    ours = gaussian_smooth([array.copy()], widths, mode=mode, truncate=truncate)[0]
    theirs = ndi.gaussian_filter(array, widths, mode=mode, truncate=truncate)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-13)


def test_wide_kernel_keeps_exact_zeros_where_no_input_is_in_reach():
    array = np.zeros((8, 50))
    array[2, 0] = 1.0
    out = gaussian_smooth([array], (1e6, 3.0), mode="constant", truncate=4.0)[0]
    assert (out[:, 13:] == 0).all()  # beyond the narrow axis' radius of 12
    assert (out[:, :13] > 0).all()  # the wide axis reaches every row


def test_scaled_smoothing_keeps_a_ratio_where_true_values_underflow():
    array = np.ones((4, 4))
    true = gaussian_smooth([array.copy()], (1e300, 1e300), mode="constant", truncate=4)
    assert (true[0] == 0).all()  # 16 / (2.5e300)**2 is no float64
    (scaled,), exponent = gaussian_smooth_scaled(
        [array.copy()], (1e300, 1e300), "constant", 4.0
    )
    assert exponent > 1900
    np.testing.assert_allclose(scaled, scaled[0, 0], rtol=1e-15)
