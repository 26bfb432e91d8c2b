"""Which axes of an image the live view smooths, from its axis labels: no napari.

The rule (napari >= 0.9 layers carry ``axis_labels``, from files and xarray
too):

- an axis labelled like time or channel (``t``, ``time``, ``c``, ``ch``,
  ``channel``; any case) is a *frame* axis: never smoothed, each frame
  blurred on its own;
- with no labels (napari's defaults are ``"-3", "-2", "-1"``), a 2D or 3D
  image is smoothed along every axis (an image, a volume) and a 4D or larger
  image along its last three (frames of 3D volumes: TZYX, the OME order);
- every other labelled axis is smoothed.

Axes are counted in the image's data axes; an RGB(A) layer's colour axis
(the last of its data) is no axis of the layer's labels and is never
smoothed.
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


def smooth_over_choices(labels: Sequence[str]) -> list[tuple[str, tuple[int, ...]]]:
    """What "smooth over" offers: ``(text, axes)``, the default first.

    The default of :func:`default_axes`, then the last two, the last three
    and every axis, each once, named by :func:`axis_names`.
    """
    ndim, names = len(labels), axis_names(labels)
    options = [default_axes(labels)]
    for count in (2, 3, ndim):
        options.append(tuple(range(max(ndim - count, 0), ndim)))
    choices, seen = [], set()
    for axes in options:
        if axes and axes not in seen:
            seen.add(axes)
            choices.append((", ".join(names[a] for a in axes), axes))
    return choices
