"""Absurd but legal input: huge sigma, numpy scalars, any weight scale, absent ids."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from napari_masked_blur import masked_gaussian, normalized_convolution
from napari_masked_blur._math.region import filter_region
from napari_masked_blur._math.settings import check_options
from napari_masked_blur._math.taps import quotient_taps

MODES = ("missing", "reflect", "nearest", "mirror", "wrap")

# --- kernels wider than the image -------------------------------------------


@pytest.mark.parametrize(
    ("mask", "mode", "expected"),
    [
        # Line [1, 2, 6] at sigma 1e300: the limit of each border rule.
        ([1, 1, 1], "missing", 3.0),  # the mean
        ([1, 1, 1], "wrap", 3.0),  # folded by 3: every sample alike
        ([1, 1, 1], "reflect", 3.0),  # folded by 6: every sample alike
        ([1, 1, 1], "mirror", 2.75),  # the middle read twice: (1 + 4 + 6) / 4
        ([1, 1, 1], "nearest", 3.5),  # half the kernel on each edge
        ([1, 0, 1], "missing", 3.5),  # the masked mean
        ([1, 1, 0], "missing", 1.5),
        ([1, 1, 0], "mirror", 5 / 3),  # (1 + 2 * 2) / 3
        ([1, 1, 0], "nearest", 1.0),  # only the left edge has weight
    ],
)
def test_sigma_1e300_gives_the_limit_by_hand(mask, mode, expected):
    image = np.array([1.0, 2.0, 6.0])
    inside = np.array(mask, bool)
    out = masked_gaussian(image, inside, 1e300, mode=mode)
    np.testing.assert_allclose(out[inside], expected, rtol=1e-14)
    np.testing.assert_array_equal(out[~inside], image[~inside])


@pytest.mark.parametrize(
    ("arguments", "rtol"),
    [
        ({"sigma": 1e300}, 1e-6),
        ({"sigma": 2.0, "spacing": 1e-300}, 1e-6),
        ({"sigma": 1e6}, 1e-6),  # taps within the image differ by 1e-9
        ({"sigma": 1e7, "truncate": 1e12}, 1e-6),
    ],
)
def test_sigma_far_beyond_the_image_gives_the_masked_mean(arguments, rtol):
    rng = np.random.default_rng(3)
    image = rng.random((128, 128)).astype(np.float32)
    mask = rng.random((128, 128)) > 0.5
    arguments = {"sigma": 1.0, **arguments}
    out = masked_gaussian(image, mask, arguments.pop("sigma"), **arguments)
    mean = image[mask].astype(np.float64).mean()
    np.testing.assert_allclose(out[mask], mean, rtol=rtol)


@pytest.mark.parametrize("mode", MODES)
def test_a_region_of_a_huge_kernel_is_the_whole_result_there(mode):
    rng = np.random.default_rng(4)
    volume = rng.random((12, 20, 30)).astype(np.float32)
    mask = rng.random(volume.shape) > 0.3
    options = check_options(volume, mask, (1e300, 2.0, 1e6), mode=mode)
    whole = masked_gaussian(volume, mask, (1e300, 2.0, 1e6), mode=mode)
    plane = filter_region(
        volume, mask, (slice(5, 6), slice(None), slice(None)), options
    )
    np.testing.assert_allclose(plane, whole[5:6], rtol=2e-6)


def test_taps_of_sigma_1e300_cost_the_line_not_the_kernel():
    taps, exponent = quotient_taps(5, slice(1, 3), 1e300, 4.0, "wrap")
    np.testing.assert_allclose(np.ldexp(taps, -exponent), 0.2, rtol=1e-15)
    assert taps.shape == (2, 5)


def test_lazy_results_of_a_huge_kernel_are_the_in_memory_one():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(5)
    image = rng.random((40, 60)).astype(np.float32)
    mask = rng.random(image.shape) > 0.5
    expected = masked_gaussian(image, mask, 1e300)
    out = masked_gaussian(da.from_array(image, chunks=16), mask, 1e300).compute()
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_certainty_of_a_huge_kernel_has_its_true_scale():
    # Line of 16 with weight 1: G*w = 16 / Z, Z = sigma sqrt(2 pi) erf(4 / sqrt 2).
    image, weights = np.arange(16.0), np.ones(16)
    out, certainty = normalized_convolution(
        image, weights, 1e300, return_certainty=True
    )
    z = 1e300 * math.sqrt(2 * math.pi) * math.erf(4 / math.sqrt(2))
    np.testing.assert_allclose(certainty, 16 / z, rtol=1e-13)
    np.testing.assert_allclose(out, 7.5, rtol=1e-14)


# --- numpy scalars and channel_axis -------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        {"truncate": np.float32(3)},
        {"truncate": np.int64(3)},
        {"truncate": np.array(3.0)},
        {"sigma": np.float32(1.5)},
        {"sigma": [np.float32(1.5), np.float64(1.5)]},
        {"spacing": np.float32(1.0)},
        {"labels": np.int64(2)},
        {"labels": [np.uint8(2), np.int32(2)]},
        {"channel_axis": np.int64(2)},
    ],
)
def test_numpy_scalars_are_numbers(arguments):
    rng = np.random.default_rng(6)
    image = rng.random((9, 10, 2))
    mask = rng.integers(0, 3, (9, 10))
    plain = {"sigma": 1.5, "truncate": 3, "channel_axis": 2}
    if "labels" in arguments:
        plain["labels"] = 2
    expected = masked_gaussian(image, mask, **plain)
    out = masked_gaussian(image, mask, **{**plain, **arguments})
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("axis", [1.0, "x", True, np.float64(1), None])
def test_channel_axis_must_be_an_integer(axis):
    image, mask = np.ones((4, 3)), np.ones(4, bool)
    if axis is None:  # the one accepted value here besides integers
        masked_gaussian(np.ones((4,)), mask, 1, channel_axis=axis)
        return
    with pytest.raises(
        ValueError, match=re.escape(f"channel_axis must be an integer, got {axis!r}")
    ):
        masked_gaussian(image, mask, 1, channel_axis=axis)


@pytest.mark.parametrize("sigma", ["2", [1, "2"], True])
def test_sigma_that_is_not_a_number_is_named(sigma):
    with pytest.raises(ValueError, match="sigma must be a number"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4), bool), sigma)


def test_sigma_over_spacing_beyond_floats_is_named():
    with pytest.raises(ValueError, match="too large a number of pixels"):
        masked_gaussian(np.ones((4, 4)), np.ones((4, 4), bool), 1e10, spacing=1e-300)


# --- weights of any scale -----------------------------------------------------


def _weights_and_image(seed):
    rng = np.random.default_rng(seed)
    weights = rng.choice([0.0, 0.25, 0.5, 1.0], (24, 20))
    return rng.random((24, 20)).astype(np.float32), weights


@settings(max_examples=40, deadline=None)
@given(power=st.integers(-147, 125), seed=st.integers(0, 3))
def test_float32_weights_scaled_by_a_power_of_two_give_the_same_bits(power, seed):
    # 0.25 * 2**-147 is float32's smallest subnormal: still exact.
    image, weights = _weights_and_image(seed)
    one = normalized_convolution(image, weights.astype(np.float32), 2.0)
    scaled = np.ldexp(weights, power).astype(np.float32)
    np.testing.assert_array_equal(normalized_convolution(image, scaled, 2.0), one)


@settings(max_examples=40, deadline=None)
@given(scale=st.floats(1e-300, 1e300), seed=st.integers(0, 3))
def test_weights_of_any_scale_give_the_result_of_scale_one(scale, seed):
    image, weights = _weights_and_image(seed)
    one = masked_gaussian(image, weights, 2.0)
    # Scaled weights are brought back near 1 by a power of two, not exactly
    # to 1: the float32 sums round differently, within the engines' contract
    # of 1e-6 of the largest value (a relative 1e-6 fails on small values).
    np.testing.assert_allclose(
        masked_gaussian(image, weights * scale, 2.0),
        one,
        rtol=0,
        atol=1e-6 * float(np.nanmax(np.abs(one))),
    )


@pytest.mark.parametrize("scale", [1e36, 1e-45])
def test_float32_weights_at_the_ends_of_the_range_are_not_nan(scale):
    image = 1000 * _weights_and_image(0)[0]  # x w beyond float32 at 1e36
    weights = np.ones(image.shape, np.float32)
    out = normalized_convolution(image, weights * np.float32(scale), 2.0)
    np.testing.assert_allclose(
        out, normalized_convolution(image, weights, 2.0), rtol=1e-6
    )


def test_certainty_keeps_the_weights_scale():
    image, weights = _weights_and_image(1)
    _, one = normalized_convolution(image, weights, 2.0, return_certainty=True)
    _, big = normalized_convolution(
        image, weights * 2.0**100, 2.0, return_certainty=True
    )
    np.testing.assert_array_equal(big, np.ldexp(one, 100))


def test_thin_region_with_tiny_certainty_weights_is_the_whole_result_there():
    rng = np.random.default_rng(7)
    volume = rng.random((10, 16, 16)).astype(np.float32)
    weights = (rng.random(volume.shape) * 1e-42).astype(np.float32)
    options = check_options(volume, weights, 2.0)
    whole = masked_gaussian(volume, weights, 2.0)
    plane = filter_region(
        volume, weights, (slice(4, 5), slice(None), slice(None)), options
    )
    assert not np.isnan(plane).any()
    np.testing.assert_allclose(plane, whole[4:5], rtol=1e-5)


# --- label ids the mask lacks -------------------------------------------------


def test_a_label_id_absent_from_the_mask_is_named_in_a_warning():
    image, mask = np.arange(16.0).reshape(4, 4), np.array([[1, 2] * 2] * 4)
    with pytest.warns(UserWarning, match=r"not in the mask: 7 "):
        out = masked_gaussian(image, mask, 1.0, labels=[2, 7])
    np.testing.assert_array_equal(out, masked_gaussian(image, mask, 1.0, labels=2))


def test_no_label_id_present_says_nothing_is_blurred():
    image, mask = np.arange(16.0).reshape(4, 4), np.ones((4, 4), np.uint16)
    with pytest.warns(UserWarning, match=r"none of the label ids 5, 6 .*nothing is"):
        out = masked_gaussian(image, mask, 1.0, labels=[5, 6])
    np.testing.assert_array_equal(out, image)


def test_many_label_ids_are_checked_at_once():
    mask = np.arange(20).reshape(4, 5)
    with pytest.warns(UserWarning, match=r"not in the mask: 40, 41 "):
        masked_gaussian(np.ones((4, 5)), mask, 1.0, labels=[*range(1, 15), 40, 41])


def test_labels_that_are_all_present_give_no_warning():
    mask = np.arange(20).reshape(4, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        masked_gaussian(np.ones((4, 5)), mask, 1.0, labels=[3, 19])
        masked_gaussian(np.ones((4, 5)), mask, 1.0, labels=list(range(1, 20)))


# --- work sized by the radius stops at the image ------------------------------


def test_boxes_and_windows_of_a_huge_radius_are_the_image():
    from napari_masked_blur._math.boxes import grow_box, region_window

    box, shape, radius = (slice(2, 3), slice(4, 6)), (9, 10), (10**300, 4 * 10**301)
    assert grow_box(box, radius, shape) == (slice(0, 9), slice(0, 10))
    window, inner = region_window(box, shape, radius, "reflect")
    assert window == (slice(0, 9), slice(0, 10))
    assert inner == box


def test_live_chunks_of_a_huge_radius_are_sized_by_the_image():
    from napari_masked_blur._live.chunks import chunk_steps

    shape, axes = (3, 5, 64, 64), (0, 1)
    steps = chunk_steps(shape, axes, (10**300,) * 4)
    assert steps == chunk_steps(shape, axes, (10**6,) * 4)
    assert steps[-1] > 1  # the window is 3 planes deep, not 2e300


@pytest.mark.parametrize("scale", [2.0**120, 2.0**-120])
def test_weights_far_from_one_give_masked_gaussian_the_result_of_scale_one(scale):
    # Large enough for the fused pass, whose loops are made ready first: it
    # must hand weights far from 1 to the route that rescales them.
    from napari_masked_blur._engines import fused_ready

    rng = np.random.default_rng(3)
    image = (1000 * rng.random((300, 300))).astype(np.float32)
    weights = rng.random(image.shape).astype(np.float32)
    assert fused_ready((image.dtype, weights.dtype, image.dtype), wait=True)
    one = masked_gaussian(image, weights, 2.0)
    scaled = masked_gaussian(image, weights * np.float32(scale), 2.0)
    np.testing.assert_allclose(scaled, one, rtol=1e-5, atol=1e-3)
