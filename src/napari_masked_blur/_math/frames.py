"""Which axes are smoothed by default: the rule the widget and the CLI share.

From axis labels (napari >= 0.9 layers carry ``axis_labels``; files carry a
dimension order such as OME's ``TCZYX``, turned into labels by the caller):

- an axis labelled like time or channel (``t``, ``time``, ``c``, ``ch``,
  ``channel``; any case) is a *frame* axis: never smoothed, each frame
  blurred on its own;
- with no labels (napari's defaults are ``"-3", "-2", "-1"``; a file with
  no dimension order), a 2D or 3D image is smoothed along every axis (an
  image, a volume) and a 4D or larger image along its last three (frames of
  3D volumes: TZYX, the OME order);
- every other labelled axis is smoothed.

A channel axis (RGB's colours, a file's ``C`` axis) is no axis of the rule:
it is taken out first and never smoothed.  Numpy-free, napari-free.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FRAME_LABELS = frozenset({"t", "time", "c", "ch", "channel"})
# Names given to unlabelled axes, from the last one back.
_DEFAULT_NAMES = ("x", "y", "z", "t")


def is_frame_label(label: str) -> bool:
    """Whether an axis label names time or channels (a frame axis)."""
    return label.strip().lower() in FRAME_LABELS


def is_unlabelled(labels: Sequence[str]) -> bool:
    """Whether ``labels`` are napari's defaults ("-3", "-2", "-1") or empty."""
    return all(re.fullmatch(r"\s*-?\d*\s*", str(label)) for label in labels)


def default_axes(labels: Sequence[str]) -> tuple[int, ...]:
    """The axes smoothed by default for an image with these axis labels."""
    ndim = len(labels)
    if is_unlabelled(labels):
        return tuple(range(max(ndim - 3, 0), ndim)) if ndim >= 4 else tuple(range(ndim))
    smoothed = tuple(a for a, label in enumerate(labels) if not is_frame_label(label))
    # Every axis labelled as frames leaves nothing to blur: the last two then.
    return smoothed or tuple(range(max(ndim - 2, 0), ndim))


def axis_names(labels: Sequence[str]) -> tuple[str, ...]:
    """A short name per axis: its label, or z, y, x, t from the end if unlabelled.

    Unlabelled axes beyond four are named by their index ("axis 0").
    """
    if not is_unlabelled(labels):
        return tuple(str(label) for label in labels)
    ndim = len(labels)
    names = []
    for axis in range(ndim):
        back = ndim - 1 - axis
        names.append(_DEFAULT_NAMES[back] if back < 4 else f"axis {axis}")
    return tuple(names)


def rule_axes(
    labels: Sequence[str], channel_axis: int | None = None
) -> tuple[tuple[int, ...], str]:
    """The axes the rule smooths, counted in the image's axes, and a line saying so.

    Parameters
    ----------
    labels : sequence of str
        One label per axis of the image, the channel axis included
        (``""`` for an axis without one; all empty: unlabelled).
    channel_axis : int, optional
        The image's channel axis (negative counts from the end), left out of
        the rule and never smoothed.

    Returns
    -------
    axes : tuple of int
        The smoothed axes, ascending.
    line : str
        E.g. ``"smoothing axes: z, y, x (t is frames)"``.
    """
    ndim = len(labels)
    channel = None if channel_axis is None else channel_axis % ndim
    rest = [a for a in range(ndim) if a != channel]
    names = axis_names([labels[a] for a in rest])
    chosen = default_axes([labels[a] for a in rest])
    axes = tuple(rest[i] for i in chosen)
    line = "smoothing axes: " + ", ".join(names[i] for i in chosen)
    notes = []
    frames = [names[i] for i in range(len(rest)) if i not in chosen]
    if frames:
        verb = "is" if len(frames) == 1 else "are"
        notes.append(f"{', '.join(frames)} {verb} frames")
    if channel is not None:
        notes.append(f"axis {channel} is channels")
    return axes, line + (f" ({'; '.join(notes)})" if notes else "")
