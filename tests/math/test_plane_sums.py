"""summed_planes: the planes of a window reduced by taps in a few numpy calls.

The route of the live widget's planes while numba's plane loop is being got
ready; held to the same float64 definition as the loop (test_plane_taps).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import napari_masked_blur._math.plane_sums as plane_sums_module
from napari_masked_blur._math.plane_sums import summed_planes
from napari_masked_blur._math.steps import Superseded, checkpoint, stoppable

HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def reference(image, weights, taps, shift=0.0):
    """sum over k of taps[j, k] (image[k] - shift) w[k], and of w, in float64."""
    image = image.astype(np.float64)
    missing = ~np.isfinite(image)
    weights = np.where(missing, 0.0, weights.astype(np.float64))
    products = np.where(missing, 0.0, image - shift) * weights
    taps = taps.astype(np.float64)
    return np.tensordot(taps, products, axes=1), np.tensordot(taps, weights, axes=1)


def test_three_planes_worked_by_hand():
    image = np.array([[[1, 2]], [[3, 4]], [[5, 6]]], np.uint16)
    mask = np.array([[[1, 0]], [[1, 7]], [[0, 1]]], np.uint8)
    taps = np.array([[0.25, 0.5, 0.25]])
    numerator, weights = summed_planes(image, mask, taps, np.dtype(np.float32))
    # pixel 0: 0.25*1 + 0.5*3 (the third plane is outside); pixel 1: 0.5*4 + 0.25*6
    np.testing.assert_array_equal(numerator, [[[1.75, 3.5]]])
    np.testing.assert_array_equal(weights, [[[0.75, 0.75]]])
    assert numerator.dtype == weights.dtype == np.float32


def test_the_shift_is_taken_from_each_weighed_pixel_without_rounding_it_away():
    # 30000 + small differences: in float32 the sum of x w alone would round
    # them off; the sums are made in float64 and the shift taken there.
    image = np.array([[[30001, 30003]], [[29999, 30000]]], np.uint16)
    mask = np.array([[[1, 1]], [[1, 0]]], np.uint8)
    taps = np.array([[0.5, 0.5]])
    numerator, weights = summed_planes(image, mask, taps, np.dtype(np.float32), 30000.0)
    np.testing.assert_array_equal(numerator, [[[0.0, 1.5]]])
    np.testing.assert_array_equal(weights, [[[1.0, 0.5]]])


def test_missing_pixels_of_a_float_image_weigh_nothing():
    image = np.array([[[np.nan, 2.0]], [[3.0, np.inf]]])
    mask = np.ones(image.shape, bool)
    numerator, weights = summed_planes(
        image, mask, np.array([[1.0, 1.0]]), np.dtype(np.float64)
    )
    np.testing.assert_array_equal(numerator, [[[3.0, 2.0]]])
    np.testing.assert_array_equal(weights, [[[1.0, 1.0]]])


@HYPOTHESIS
@given(
    planes=st.integers(1, 7),
    rows=st.integers(1, 9),
    outputs=st.integers(1, 3),
    kind=st.sampled_from(["uint16", "float32", "int8"]),
    mask_kind=st.sampled_from(["uint8", "bool", "float32", "int16"]),
    seed=st.integers(0, 2**16),
)
def test_equal_to_the_float64_definition(planes, rows, outputs, kind, mask_kind, seed):
    rng = np.random.default_rng(seed)
    image = (rng.random((planes, rows, 5)) * 100 + 30000 * (kind == "uint16")).astype(
        kind
    )
    if kind == "float32":
        image[rng.random(image.shape) < 0.1] = np.nan
    mask = rng.integers(0, 3, image.shape).astype(mask_kind)
    taps = rng.random((outputs, planes))
    shift = float(np.nan_to_num(image.flat[0]))
    weights = mask.astype(np.float64) if mask_kind == "float32" else mask != 0
    expected = reference(image, weights, taps, shift)
    got = summed_planes(image, mask, taps, np.dtype(np.float64), shift)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-9)


def test_a_two_axis_window_is_one_row_of_planes():
    image = np.array([[1, 2], [3, 4]], np.uint8)
    mask = np.array([[1, 1], [0, 1]], np.uint8)
    numerator, weights = summed_planes(
        image, mask, np.array([[1.0, 2.0]]), np.dtype(np.float32)
    )
    np.testing.assert_array_equal(numerator, [[1.0, 10.0]])
    np.testing.assert_array_equal(weights, [[1.0, 3.0]])


def test_a_sum_no_longer_wanted_stops_between_blocks(monkeypatch):
    monkeypatch.setattr(plane_sums_module, "_BLOCK_PIXELS", 2 * 3 * 4)
    image = np.ones((2, 6, 4), np.uint16)  # three blocks of two rows
    asked = []

    def wanted():
        asked.append(1)
        return len(asked) < 2  # wanted for the first block only

    with pytest.raises(Superseded), stoppable(wanted):
        summed_planes(image, image, np.ones((1, 2)), np.dtype(np.float32))
    assert len(asked) == 2


def test_a_checkpoint_outside_a_stoppable_block_does_nothing():
    checkpoint()
    with stoppable(lambda: True):
        checkpoint()
    with pytest.raises(Superseded), stoppable(lambda: False):
        checkpoint()
    checkpoint()  # the question is gone with its block
