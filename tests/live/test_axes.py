"""Which axes the widget smooths, from a layer's axis labels (no napari)."""

from __future__ import annotations

import pytest

from napari_masked_blur._live.axes import (
    axis_names,
    default_axes,
    is_frame_label,
    smooth_over_choices,
)


@pytest.mark.parametrize("label", ["t", "T", "time", "Time", " c ", "ch", "CHANNEL"])
def test_time_and_channel_labels_are_frames(label):
    assert is_frame_label(label)


@pytest.mark.parametrize("label", ["z", "y", "x", "tz", "-1", "cell"])
def test_other_labels_are_space(label):
    assert not is_frame_label(label)


@pytest.mark.parametrize(
    ("labels", "smoothed"),
    [
        (("t", "y", "x"), (1, 2)),
        (("t", "z", "y", "x"), (1, 2, 3)),
        (("c", "t", "z", "y", "x"), (2, 3, 4)),
        (("z", "y", "x"), (0, 1, 2)),
        (("y", "Time", "x"), (0, 2)),
        (("-2", "-1"), (0, 1)),  # napari's defaults: no labels
        (("-3", "-2", "-1"), (0, 1, 2)),  # a volume
        (("-4", "-3", "-2", "-1"), (1, 2, 3)),  # frames of volumes (TZYX)
        (("-5", "-4", "-3", "-2", "-1"), (2, 3, 4)),
        (("t", "c"), (0, 1)),  # nothing left: the last two
    ],
)
def test_default_axes(labels, smoothed):
    assert default_axes(labels) == smoothed


def test_unlabelled_axes_are_named_from_the_end():
    assert axis_names(("-4", "-3", "-2", "-1")) == ("t", "z", "y", "x")
    assert axis_names(("-5", "-4", "-3", "-2", "-1"))[0] == "axis 0"
    assert axis_names(("time", "y", "x")) == ("time", "y", "x")


def test_smooth_over_offers_the_default_first_and_each_choice_once():
    assert smooth_over_choices(("t", "y", "x")) == [
        ("y, x", (1, 2)),
        ("t, y, x", (0, 1, 2)),
    ]
    assert smooth_over_choices(("-4", "-3", "-2", "-1")) == [
        ("z, y, x", (1, 2, 3)),
        ("y, x", (2, 3)),
        ("t, z, y, x", (0, 1, 2, 3)),
    ]
    assert smooth_over_choices(("-2", "-1")) == [("y, x", (0, 1))]
