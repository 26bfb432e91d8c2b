"""The default-axes rule shared by the widget and the batch command."""

from __future__ import annotations

import pytest

from napari_masked_blur._blur.frames import rule_axes


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
