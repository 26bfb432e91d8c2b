"""The default-axes rule shared by the widget and the batch command."""

from __future__ import annotations

import pytest

from napari_masked_blur._math.frames import (
    axis_names,
    default_axes,
    is_frame_label,
    rule_axes,
)


@pytest.mark.parametrize(
    ("labels", "channel_axis", "axes", "line"),
    [
        (("t", "y", "x"), None, (1, 2), "smoothing axes: y, x (t is frames)"),
        ("tzyx", None, (1, 2, 3), "smoothing axes: z, y, x (t is frames)"),
        (("", "", ""), None, (0, 1, 2), "smoothing axes: z, y, x"),
        (("",) * 4, None, (1, 2, 3), "smoothing axes: z, y, x (t is frames)"),
        (("", "", ""), -1, (0, 1), "smoothing axes: y, x (axis 2 is channels)"),
        # A file's C axis is the channel axis: out of the rule, never smoothed.
        (
            ("t", "c", "y", "x"),
            1,
            (2, 3),
            "smoothing axes: y, x (t is frames; axis 1 is channels)",
        ),
        # Unlabelled 4D with a channel axis: a volume of channels, no frames.
        (("",) * 4, 0, (1, 2, 3), "smoothing axes: z, y, x (axis 0 is channels)"),
        (("t", "c", "y", "x"), None, (2, 3), "smoothing axes: y, x (t, c are frames)"),
    ],
)
def test_rule_axes_counts_in_the_image_axes(labels, channel_axis, axes, line):
    assert rule_axes(labels, channel_axis) == (axes, line)


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
