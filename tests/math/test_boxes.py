"""Boxes of pixels and the kernel's reach: where an output depends on what."""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur import masked_gaussian
from napari_masked_blur._math.boxes import (
    bounding_box,
    box_pixels,
    box_union,
    checked_region,
    clip_box,
    grow_box,
    region_window,
    with_channel,
)


@pytest.fixture
def rng():
    return np.random.default_rng(1)


# --------------------------------------------------------------- box algebra


def test_union_with_nothing_is_the_other_box():
    box = (slice(1, 2),)
    assert box_union(None, box) == box
    assert box_union(box, None) == box


def test_union_is_the_smallest_box_holding_both():
    a = (slice(2, 3), slice(5, 7))
    b = (slice(10, 11), slice(1, 2))
    assert box_union(a, b) == (slice(2, 11), slice(1, 7))


def test_grow_box_is_clipped_to_the_image():
    box = (slice(1, 3), slice(6, 8))
    assert grow_box(box, (2, 3), (10, 9)) == (slice(0, 5), slice(3, 9))


def test_grow_box_with_wrap_takes_an_axis_whole_where_it_crosses_the_border():
    box = (slice(1, 2), slice(10, 11))
    # Axis 0 reaches below 0 (the far side is in reach); axis 1 stays inside.
    assert grow_box(box, (4, 4), (20, 30), wrap=True) == (slice(0, 20), slice(6, 15))
    # A zero radius reaches nothing, whatever the border.
    assert grow_box(box, (0, 0), (20, 30), wrap=True) == box


def test_bounding_box_holds_every_true_pixel():
    inside = np.zeros((5, 6), bool)
    inside[1, 4] = inside[3, 2] = True
    assert bounding_box(inside) == (slice(1, 4), slice(2, 5))
    assert bounding_box(np.zeros((5, 6), bool)) is None


def test_box_pixels_counts_the_pixels_of_a_box():
    assert box_pixels((slice(1, 3), slice(2, 7))) == 10
    assert box_pixels((slice(0, 4), slice(0, 5), slice(3, 4))) == 20
    assert box_pixels((slice(2, 2), slice(0, 5))) == 0


def test_clip_box_cuts_a_box_to_the_shape():
    assert clip_box((slice(-2, 3), slice(4, 12)), (10, 8)) == (
        slice(0, 3),
        slice(4, 8),
    )
    assert clip_box((slice(1, 2), slice(0, 8)), (10, 8)) == (slice(1, 2), slice(0, 8))


def test_clip_box_of_a_box_outside_the_shape_is_none():
    assert clip_box((slice(12, 15), slice(0, 3)), (10, 8)) is None
    assert clip_box((slice(-5, 0), slice(0, 3)), (10, 8)) is None


# ------------------------------------------------------------ checked_region


def test_checked_region_makes_open_slices_explicit():
    assert checked_region((slice(None), slice(None)), (4, 6)) == (
        slice(0, 4),
        slice(0, 6),
    )
    assert checked_region((slice(1, None), slice(None, 3)), (4, 6)) == (
        slice(1, 4),
        slice(0, 3),
    )


def test_checked_region_reads_negative_slices_as_numpy_does():
    assert checked_region((slice(-2, None), slice(1, -1)), (4, 6)) == (
        slice(2, 4),
        slice(1, 5),
    )
    # A stop beyond the shape is cut to it, as numpy indexing does.
    assert checked_region((slice(2, 100), slice(-100, 2)), (4, 6)) == (
        slice(2, 4),
        slice(0, 2),
    )


def test_checked_region_with_the_wrong_number_of_axes_is_refused():
    with pytest.raises(ValueError, match=r"has 1 axes, the mask 2"):
        checked_region((slice(0, 2),), (4, 6))
    with pytest.raises(ValueError, match=r"has 3 axes, the mask 2"):
        checked_region((slice(0, 2),) * 3, (4, 6))


@pytest.mark.parametrize(
    "region",
    [
        (slice(3, 3), slice(0, 6)),  # no rows
        (slice(0, 4), slice(5, 1)),  # stop before start
        (slice(0, 4), slice(6, None)),  # starts past the end
        (slice(-1, -1), slice(None)),
    ],
)
def test_an_empty_checked_region_is_refused(region):
    with pytest.raises(ValueError, match=r"is empty in shape \(4, 6\)"):
        checked_region(region, (4, 6))


# ---------------------------------------------------------- the kernel's reach


def test_region_window_is_the_region_grown_by_the_radius_and_clipped():
    window, inner = region_window(
        (slice(2, 4), slice(5, 6)), (10, 8), (3, 1), "reflect"
    )
    assert window == (slice(0, 7), slice(4, 7))
    assert inner == (slice(2, 4), slice(1, 2))


def test_region_window_with_wrap_takes_an_axis_whole_where_it_meets_the_border():
    window, inner = region_window((slice(1, 2), slice(4, 5)), (10, 12), (3, 2), "wrap")
    assert window == (slice(0, 10), slice(2, 7))
    assert inner == (slice(1, 2), slice(2, 3))


@pytest.mark.parametrize("mode", ["missing", "reflect", "nearest", "mirror", "wrap"])
def test_region_window_crop_gives_the_exact_result(rng, mode):
    image = rng.random((30, 40))
    mask = rng.random((30, 40)) > 0.3
    full = masked_gaussian(image, mask, 2, mode=mode)
    for region in [(slice(0, 5), slice(35, 40)), (slice(12, 18), slice(10, 30))]:
        window, inner = region_window(region, image.shape, (8, 8), mode)
        part = masked_gaussian(image[window], mask[window], 2, mode=mode)
        np.testing.assert_allclose(part[inner], full[region], atol=1e-12)


def test_with_channel_adds_the_whole_channel_axis_where_it_is():
    index = (slice(1, 2), slice(3, 5))
    assert with_channel(index, None) == index
    assert with_channel(index, 0) == (slice(None), slice(1, 2), slice(3, 5))
    assert with_channel(index, 2) == (slice(1, 2), slice(3, 5), slice(None))
    assert with_channel(index, -1) == (slice(1, 2), slice(3, 5), slice(None))
