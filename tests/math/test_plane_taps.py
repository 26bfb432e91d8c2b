"""reduce_planes: a window of planes reduced by kernel taps in one compiled pass.

The loop is compiled in the engines room (``_engines._plane_loops``) and
handed out by the loader; the math room checks the mask and asks for it.
"""

from __future__ import annotations

import numba.core.event as numba_event
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from napari_masked_blur import masked_gaussian
from napari_masked_blur._engines import (
    compiled_loops,
    fused_masked_blur,
    loop_key,
    wait_for_loops,
)
from napari_masked_blur._math.region import filter_region
from napari_masked_blur._math.settings import check_options
from napari_masked_blur._math.taps import plane_loop_key, reduce_planes

HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def reference(image, weights, taps):
    """The definition in float64: sum over k of taps[j, k] image[k] w[k], and of w."""
    image = image.astype(np.float64)
    missing = ~np.isfinite(image)
    weights = np.where(missing, 0.0, weights.astype(np.float64))
    products = np.where(missing, 0.0, image) * weights
    return (
        np.tensordot(taps.astype(np.float64), products, axes=1),
        np.tensordot(taps.astype(np.float64), weights, axes=1),
    )


def test_three_planes_worked_by_hand():
    image = np.array([[[1, 2]], [[3, 4]], [[5, 6]]], np.uint16)
    mask = np.array([[[1, 0]], [[1, 7]], [[0, 1]]], np.uint8)
    taps = np.array([[0.25, 0.5, 0.25]])
    numerator, weights = reduce_planes(image, mask, None, taps, np.float32)
    # pixel 0: 0.25*1 + 0.5*3 (the third plane is outside); pixel 1: 0.5*4 + 0.25*6
    np.testing.assert_array_equal(numerator, [[[1.75, 3.5]]])
    np.testing.assert_array_equal(weights, [[[0.75, 0.75]]])
    assert numerator.dtype == weights.dtype == np.float32


def test_the_shift_is_subtracted_from_each_weighed_pixel_in_the_loop():
    image = np.array([[[30001, 30003]], [[29999, 30000]]], np.uint16)
    mask = np.array([[[1, 1]], [[1, 0]]], np.uint8)
    taps = np.array([[0.5, 0.5]])
    numerator, weights = reduce_planes(image, mask, None, taps, np.float32, 30000.0)
    # pixel 0: 0.5*1 + 0.5*(-1); pixel 1: 0.5*3 (the second plane is outside)
    np.testing.assert_array_equal(numerator, [[[0.0, 1.5]]])
    np.testing.assert_array_equal(weights, [[[1.0, 0.5]]])
    certainty = np.array([[[0.25, 0]], [[1, 1]]], np.float32)
    floats = np.array([[[1e4 + 0.5, np.nan]], [[1e4 - 1, 1e4]]], np.float32)
    numerator, weights = reduce_planes(floats, certainty, None, taps, "f4", 1e4)
    np.testing.assert_array_equal(numerator, [[[0.0625 - 0.5, 0.0]]])
    np.testing.assert_array_equal(weights, [[[0.625, 0.5]]])


def test_only_the_chosen_labels_are_inside():
    image = np.array([[10, 20, 30]], np.uint8)
    mask = np.array([[1, 2, 3]], np.int32)
    numerator, weights = reduce_planes(image, mask, (1, 3), np.ones((1, 1)), "f8")
    np.testing.assert_array_equal(numerator, [[10, 0, 30]])
    np.testing.assert_array_equal(weights, [[1, 0, 1]])


def test_missing_pixels_weigh_nothing_and_certainty_is_the_weight():
    image = np.array([[1.0, np.nan, np.inf, 4.0]], np.float32)
    certainty = np.array([[0.5, 1.0, 1.0, 0.25]], np.float32)
    numerator, weights = reduce_planes(image, certainty, None, np.ones((1, 1)), "f4")
    np.testing.assert_array_equal(numerator, [[0.5, 0, 0, 1.0]])
    np.testing.assert_array_equal(weights, [[0.5, 0, 0, 0.25]])


def test_a_bad_certainty_is_refused_naming_the_value():
    image = np.ones((2, 3), np.float32)
    certainty = np.ones((2, 3), np.float32)
    certainty[1, 2] = -0.5
    with pytest.raises(ValueError, match=r"-0\.5"):
        reduce_planes(image, certainty, None, np.ones((1, 2)), "f4")
    certainty[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"nan.*\(1, 2\)"):
        reduce_planes(image, certainty, None, np.ones((1, 2)), "f4")


def test_labels_with_certainty_or_a_complex_mask_are_refused_where_they_enter():
    # The plane loop trusts its caller; the edge refuses these once, for a
    # volume exactly as for an image.
    image = np.ones((2, 3, 4), np.float32)
    certainty = np.ones((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match="labels"):
        masked_gaussian(image, certainty, 1, labels=1)
    with pytest.raises(ValueError, match="labels"):
        check_options(image, certainty, 1, labels=1)
    with pytest.raises(ValueError, match="complex128"):
        masked_gaussian(image, certainty.astype(complex), 1)
    with pytest.raises(ValueError, match="complex128"):
        check_options(image, certainty.astype(complex), 1)


@st.composite
def windows(draw):
    """A window of planes (2 or 3 axes, maybe not contiguous), its mask and taps."""
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    planes, count = draw(st.integers(1, 9)), draw(st.integers(1, 4))
    rest = draw(st.sampled_from([(7,), (5, 9), (1, 4), (6, 1)]))
    step = draw(st.sampled_from([1, 2]))
    dtype = draw(st.sampled_from(["u1", "u2", "i2", "f4", "f8"]))
    shape = (planes, *(n * step for n in rest))
    if np.dtype(dtype).kind == "f":
        image = (rng.normal(size=shape) * 100).astype(dtype)
        image[rng.random(shape) < 0.1] = np.nan
    else:
        info = np.iinfo(dtype)
        image = rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)
    kind = draw(st.sampled_from(["bool", "labels", "chosen", "certainty"]))
    if kind == "certainty":
        mask = rng.random(shape).astype(np.float32)
        mask[rng.random(shape) < 0.3] = 0
    else:
        mask = rng.integers(0, 4, shape).astype(bool if kind == "bool" else np.uint16)
    labels = (2, 3) if kind == "chosen" else None
    view = (slice(None),) + (slice(None, None, step),) * len(rest)
    taps = rng.random((count, planes)) * (rng.random((count, planes)) < 0.7)
    return image[view], mask[view], labels, taps


@HYPOTHESIS
@given(window=windows(), dtype=st.sampled_from([np.float32, np.float64]))
def test_equals_the_definition(window, dtype):
    image, mask, labels, taps = window
    if mask.dtype.kind == "f":
        weights = mask
    elif labels is None:
        weights = mask != 0
    else:
        weights = np.isin(mask, labels)
    numerator, total = reduce_planes(image, mask, labels, taps, dtype)
    expected_numerator, expected_total = reference(image, weights, taps)
    assert numerator.dtype == total.dtype == dtype
    assert numerator.shape == expected_numerator.shape
    tolerance = 1e-6 if dtype == np.float32 else 1e-13
    scale = np.nanmax(np.abs(np.where(np.isfinite(image), image, 0)), initial=1)
    np.testing.assert_allclose(
        numerator, expected_numerator, rtol=0, atol=tolerance * scale * taps.size
    )
    np.testing.assert_allclose(total, expected_total, rtol=0, atol=tolerance * 10)


@pytest.mark.parametrize("mode", ["missing", "reflect", "nearest", "wrap"])
def test_a_plane_of_a_float_volume_with_certainty_and_holes(mode):
    rng = np.random.default_rng(8)
    image = rng.normal(size=(9, 12, 10)).astype(np.float32)
    image[rng.random(image.shape) < 0.05] = np.nan
    certainty = rng.random(image.shape).astype(np.float32)
    full = masked_gaussian(image, certainty, 1.5, mode=mode, outside="fill")
    options = check_options(image, certainty, 1.5, mode=mode, outside="fill")
    for plane in (0, 4, 8):
        box = (slice(plane, plane + 1), slice(0, 12), slice(0, 10))
        got = filter_region(image, certainty, box, options)
        np.testing.assert_allclose(got, full[box], rtol=0, atol=1e-5)


class Compiles(numba_event.Listener):
    """Every compile, and every load from numba's disk cache, while installed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_start(self, event) -> None:
        self.seen.append(event.kind)

    def on_end(self, event) -> None:
        pass


def test_asking_for_loops_that_are_ready_compiles_nothing():
    rng = np.random.default_rng(9)
    volume = rng.integers(0, 900, (9, 40, 48)).astype(np.uint16)
    labels = rng.integers(0, 3, volume.shape).astype(np.uint8)
    image = rng.integers(0, 900, (300, 280)).astype(np.uint16)
    plane = (slice(4, 5), slice(None), slice(None))
    keys = [
        plane_loop_key(np.uint16, np.uint8),
        loop_key("fused", np.uint16, np.uint8, np.float32),
    ]
    for key in keys:  # as a warm-up would, before the user asks
        assert compiled_loops(key, now=True) is not None
    assert wait_for_loops(60)  # nothing else compiles while we listen
    listener = Compiles()
    with (
        numba_event.install_listener("numba:compile", listener),
        numba_event.install_listener("numba:compiler_lock", listener),
    ):
        assert all(compiled_loops(key, now=True) is not None for key in keys)
        for mask in (labels, labels[0]):  # a whole mask, one broadcast
            options = check_options(volume, mask, 2.0)
            filter_region(volume, mask, plane, options)
        mask = (image % 3).astype(np.uint8)
        masked_gaussian(image, mask, 2.0)
        out = np.empty(image.shape, np.float32)
        box = (slice(0, 300), slice(0, 280))
        assert fused_masked_blur(
            image, mask, out, box, (2.0, 2.0), mode="reflect", truncate=4.0,
            shift=0.0, certainty=False, outside="fill", start=False,
        )  # fmt: skip
    assert listener.seen == []
