"""The outside policy, written once: what each policy writes where."""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur._math.outside import (
    OUTSIDE_POLICIES,
    apply_outside,
    fill_around,
    place_region,
)

IMAGE = np.array([[1, 2, 3], [4, 5, 6]], np.uint16)
INSIDE = np.array([[True, False, True], [False, True, False]])
RESULT = np.full((2, 3), 9.0, np.float32)


@pytest.mark.parametrize(
    ("outside", "expected"),
    [
        ("keep", [[9, 2, 9], [4, 9, 6]]),
        ("zero", [[9, 0, 9], [0, 9, 0]]),
        ("nan", [[9, np.nan, 9], [np.nan, 9, np.nan]]),
        ("fill", [[9, 9, 9], [9, 9, 9]]),
    ],
)
def test_each_policy_writes_only_outside_the_mask(outside, expected):
    out = apply_outside(IMAGE, RESULT.copy(), INSIDE, outside, None)
    np.testing.assert_array_equal(out, np.array(expected, np.float32))


@pytest.mark.parametrize("outside", OUTSIDE_POLICIES)
def test_nothing_inside_gives_the_policy_everywhere_and_nan_for_fill(outside):
    out = apply_outside(IMAGE, None, np.zeros((2, 3), bool), outside, None)
    expected = {"keep": IMAGE, "zero": 0, "nan": np.nan, "fill": np.nan}[outside]
    np.testing.assert_array_equal(out, np.broadcast_to(expected, (2, 3)))


def test_place_region_writes_the_result_in_the_box_and_nan_beyond_for_fill():
    region = (slice(0, 2), slice(1, 3))
    out = place_region(IMAGE, RESULT[region], region, INSIDE, "fill", None)
    np.testing.assert_array_equal(out, [[np.nan, 9, 9], [np.nan, 9, 9]])
    out = place_region(IMAGE, RESULT[region], region, INSIDE, "keep", None)
    np.testing.assert_array_equal(out, [[1, 2, 9], [4, 9, 6]])


@pytest.mark.parametrize("outside", OUTSIDE_POLICIES)
def test_fill_around_leaves_the_box_alone(outside):
    out = np.full((2, 3), 7.0, np.float32)
    fill_around(out, IMAGE, (slice(1, 2), slice(1, 2)), outside)
    assert out[1, 1] == 7
    beyond = {"keep": IMAGE, "zero": 0, "nan": np.nan, "fill": np.nan}[outside]
    expected = np.broadcast_to(beyond, (2, 3)).astype(np.float32).copy()
    expected[1, 1] = 7
    np.testing.assert_array_equal(out, expected)


def test_a_channel_axis_takes_the_mask_of_its_pixel():
    rgb = np.stack([IMAGE, IMAGE + 10], axis=-1)
    result = np.full((2, 3, 2), 9.0, np.float32)
    out = apply_outside(rgb, result, INSIDE, "zero", channel_axis=-1)
    np.testing.assert_array_equal(out[..., 0], [[9, 0, 9], [0, 9, 0]])
    np.testing.assert_array_equal(out[..., 1], [[9, 0, 9], [0, 9, 0]])
