"""Derivative orders: every engine is scipy's ``gaussian_filter(order=...)``."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from napari_masked_blur._engines import (
    BORDER_MODES,
    METHODS,
    _refusal,
    choose_engine,
    derivative_orders,
    folded_taps,
    gaussian_kernel1d,
    gaussian_smooth,
    kernel_radius,
)
from napari_masked_blur._engines._wide import wide_axes

ENGINES = [m for m in METHODS if m != "auto"]

# (shape, sigma): narrow kernels, then kernels wider than the image on some
# axes (the folded-matrix path) beside narrow ones (the engine).
NARROW = {
    1: ((37,), (1.5,)),
    2: ((19, 23), (1.2, 2.5)),
    3: ((7, 9, 11), (1.0, 1.6, 0.8)),
}
WIDE = {
    1: ((13,), (40.0,)),
    2: ((9, 23), (30.0, 2.0)),
    3: ((6, 9, 5), (20.0, 1.0, 25.0)),
}
ORDERS = {
    1: [0, 1, 2],
    2: [0, 1, 2, (1, 0), (0, 2)],
    3: [1, 2, (2, 1, 0)],
}
CASES = [
    (ndim, width, order)
    for ndim, orders in ORDERS.items()
    for width in ("narrow", "wide")
    for order in orders
]


def per_axis(order, ndim):
    return (order,) * ndim if isinstance(order, int) else tuple(order)


def taps_l1(sigma, order, truncate=4.0):
    """The product over axes of sum |taps|: the scale of the result per max|input|."""
    radii = kernel_radius(sigma, truncate)
    return math.prod(
        np.abs(gaussian_kernel1d(s, r, o)).sum() if r else 1.0
        for s, r, o in zip(sigma, radii, order, strict=True)
    )


def expected_refusal(method, array, sigma, mode, order):
    """What the forced engine is asked to take: the axes the folded matrix leaves."""
    wide = wide_axes(array.shape, sigma, 4.0)
    left = tuple(0.0 if a in wide else s for a, s in enumerate(sigma))
    if not any(s > 0 for s in left):
        return None
    return _refusal(method, array.shape, left, mode, array.dtype, 4.0, order)


@pytest.mark.parametrize("method", ENGINES)
@pytest.mark.parametrize("mode", BORDER_MODES)
@pytest.mark.parametrize(("ndim", "width", "order"), CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_engine_takes_orders_as_scipy_or_says_why_not(
    method, mode, ndim, width, order, dtype
):
    shape, sigma = (NARROW if width == "narrow" else WIDE)[ndim]
    array = np.random.default_rng(ndim).normal(size=shape)
    orders = per_axis(order, ndim)
    typed = array.astype(dtype)
    refusal = expected_refusal(method, typed, sigma, mode, orders)
    if refusal is not None:
        message = f"method {method!r} cannot take this input: {refusal}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            gaussian_smooth(
                [typed], sigma, mode=mode, truncate=4.0, method=method, order=order
            )
        return
    ours = gaussian_smooth(
        [typed], sigma, mode=mode, truncate=4.0, method=method, order=order
    )[0]
    theirs = ndi.gaussian_filter(array, sigma, order=orders, mode=mode, truncate=4.0)
    assert ours.dtype == dtype
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    scale = np.abs(array).max() * taps_l1(sigma, orders)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance * scale)


def test_opencv_refuses_a_derivative_on_a_wrap_border_for_the_border():
    with pytest.raises(ValueError, match="OpenCV has no 'wrap' border"):
        gaussian_smooth(
            [np.ones((9, 9))], (1.0, 1.0), mode="wrap", truncate=4.0,
            method="opencv", order=1,
        )  # fmt: skip


@pytest.mark.parametrize("order", [(1, 0), (2, 2), (0, 1)])
def test_auto_chooses_as_for_smoothing_since_every_engine_takes_orders(order):
    f32 = np.dtype(np.float32)
    for sigma in [(2.0, 2.0), (10.0, 10.0), (60.0, 60.0)]:
        for mode in BORDER_MODES:
            args = ((512, 512), sigma, mode, f32, 4.0)
            assert choose_engine(*args, order) == choose_engine(*args)


# --- worked by hand ---------------------------------------------------------

# truncate 10: the kernel's tails beyond (1e-22 of it) and the sampling of a
# Gaussian of sigma 2 (e^(-2 pi**2 sigma**2)) change no moment in float64, so
# the discrete derivatives of polynomials are the continuous ones.
HAND = {"truncate": 10.0, "mode": "nearest"}


@pytest.mark.parametrize("method", ENGINES)
def test_first_derivative_of_a_ramp_is_its_slope(method):
    ramp = 3.0 * np.arange(80.0) + 1.0
    out = gaussian_smooth([ramp], [2.0], method=method, order=1, **HAND)[0]
    np.testing.assert_allclose(out[20:60], 3.0, rtol=1e-12)


@pytest.mark.parametrize("method", ENGINES)
def test_second_derivative_of_a_ramp_is_zero(method):
    ramp = 3.0 * np.arange(80.0) + 1.0
    out = gaussian_smooth([ramp], [2.0], method=method, order=2, **HAND)[0]
    np.testing.assert_allclose(out[20:60], 0.0, atol=1e-12 * ramp.max())


@pytest.mark.parametrize("method", ENGINES)
def test_second_derivative_of_a_parabola_is_two(method):
    x = np.arange(80.0) - 40.0
    out = gaussian_smooth([x**2], [2.0], method=method, order=2, **HAND)[0]
    np.testing.assert_allclose(out[20:60], 2.0, rtol=1e-10)


@pytest.mark.parametrize("method", ENGINES)
def test_mixed_derivative_of_a_saddle_is_its_coefficient(method):
    rows, cols = np.meshgrid(np.arange(60.0), np.arange(70.0), indexing="ij")
    saddle = 0.5 * rows * cols + rows
    out = gaussian_smooth([saddle], [2.0, 1.5], method=method, order=(1, 1), **HAND)[0]
    np.testing.assert_allclose(out[20:40, 20:50], 0.5, rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_a_kernel_of_one_tap_multiplies_as_scipy_does(order):
    # sigma 0.1, truncate 4: radius 0, the one tap He_o(0) / sigma**o.
    line = np.arange(5.0)
    ours = gaussian_smooth(
        [line.copy()], [0.1], mode="reflect", truncate=4.0, order=order
    )[0]
    theirs = ndi.gaussian_filter(line, 0.1, order=order, truncate=4.0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# --- exact zeros ------------------------------------------------------------


@pytest.mark.parametrize("method", ENGINES)
@pytest.mark.parametrize("mode", BORDER_MODES)
@pytest.mark.parametrize("order", [1, 2, (2, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_derivatives_are_exactly_zero_where_no_input_is_in_reach(
    method, mode, order, dtype
):
    array = np.zeros((64, 64), dtype)
    array[28:36, 28:36] = np.random.default_rng(3).random((8, 8)) + 0.5
    refusal = _refusal(method, array.shape, (2.0, 2.0), mode, array.dtype, 4.0)
    if refusal is not None:  # the refusal itself is pinned above
        pytest.skip(refusal)
    out = gaussian_smooth(
        [array], (2.0, 2.0), mode=mode, truncate=4.0, method=method, order=order
    )[0]
    # radius 8: rows and columns more than 8 from the data see none of it.
    far = np.ones(64, bool)
    far[20:44] = False
    assert (out[far] == 0).all()
    assert (out[:, far] == 0).all()
    assert np.count_nonzero(out[24:40, 24:40])


def test_wide_derivatives_are_exactly_zero_where_no_input_is_in_reach():
    array = np.zeros((8, 50))
    array[2, 0] = 1.0
    for order in [(1, 1), (2, 1), (0, 2)]:
        out = gaussian_smooth(
            [array.copy()], (1e6, 3.0), mode="constant", truncate=4.0, order=order
        )[0]
        assert (out[:, 13:] == 0).all()  # beyond the narrow axis' radius of 12


# --- folded taps ------------------------------------------------------------


def scipy_matrix(n, sigma, truncate, mode, order):
    """Column ``s``: scipy's response to a unit sample at ``s``."""
    columns = [
        ndi.gaussian_filter1d(
            np.eye(n)[s], sigma, mode=mode, truncate=truncate, order=order
        )
        for s in range(n)
    ]
    return np.stack(columns, axis=1)


@settings(max_examples=120, deadline=None)
@given(
    n=st.integers(1, 20),
    mode=st.sampled_from(BORDER_MODES),
    sigma=st.floats(0.3, 300),
    truncate=st.floats(0.5, 10),
    order=st.integers(1, 3),
)
def test_folded_derivative_taps_are_scipys_filter_as_a_matrix(
    n, mode, sigma, truncate, order
):
    # Kernels up to hundreds of times wider than the line: folded by the
    # Euler-Maclaurin series wherever the period is under sigma / 10.
    matrix, exponent = folded_taps(n, sigma, truncate, mode, order=order)
    expected = scipy_matrix(n, sigma, truncate, mode, order)
    scale = taps_l1((sigma,), (order,), truncate)
    np.testing.assert_allclose(
        np.ldexp(matrix, -exponent), expected, rtol=0, atol=1e-13 * scale
    )


def test_kernel_taps_are_scipys_correlation_weights():
    # scipy correlates with its kernel reversed; ours are given as correlated.
    impulse = np.zeros(41)
    impulse[20] = 1.0
    for order in range(5):
        response = ndi.gaussian_filter1d(impulse, 2.0, order=order, mode="constant")
        # A unit at 20 reaches output 20 - j through tap j.
        np.testing.assert_allclose(
            gaussian_kernel1d(2.0, 8, order)[::-1], response[12:29], atol=1e-17
        )


# --- the orders themselves --------------------------------------------------


def test_one_order_stands_for_every_axis():
    assert derivative_orders(2, (1.0, 2.0, 3.0)) == (2, 2, 2)
    assert derivative_orders(np.int64(1), (1.0,)) == (1,)
    assert derivative_orders(np.array([1, 0]), (1.0, 0.0)) == (1, 0)


@pytest.mark.parametrize(
    ("order", "sigma", "message"),
    [
        (-1, (1.0,), "order -1 is -1 on axis 0; a derivative order is an integer >= 0"),
        ((0, -2), (1.0, 1.0), "order (0, -2) is -2 on axis 1; a derivative order"),
        ((1, 1.5), (1.0, 1.0), "order (1, 1.5) is 1.5 on axis 1"),
        (1.0, (1.0,), "order must be an integer or one integer per axis, got 1.0"),
        (True, (1.0,), "order must be an integer or one integer per axis, got True"),
        ("1", (1.0,), "order must be an integer or one integer per axis, got '1'"),
        ((1, 0, 0), (1.0, 1.0), "order (1, 0, 0) has 3 values for 2 axes"),
        (
            (0, 1),
            (2.0, 0.0),
            "order (0, 1) is 1 on axis 1, where sigma is 0; a derivative needs "
            "sigma > 0 on its axis (or order 0 there)",
        ),
        (2, (2.0, 0.0), "order 2 is 2 on axis 1, where sigma is 0"),
    ],
)
def test_bad_orders_are_named(order, sigma, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        derivative_orders(order, sigma)
    with pytest.raises(ValueError, match=re.escape(message)):
        gaussian_smooth(
            [np.ones((4,) * len(sigma))], sigma, mode="reflect", truncate=4.0,
            order=order,
        )  # fmt: skip


def test_order_zero_on_an_unsmoothed_axis_is_fine():
    array = np.random.default_rng(4).random((5, 30))
    ours = gaussian_smooth(
        [array.copy()], (0.0, 2.0), mode="mirror", truncate=4.0, order=(0, 1)
    )[0]
    theirs = ndi.gaussian_filter(array, (0.0, 2.0), order=(0, 1), mode="mirror")
    np.testing.assert_allclose(ours, theirs, atol=1e-13)
