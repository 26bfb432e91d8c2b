"""Which axes of an image the live view smooths, from its axis labels: no napari.

The rule is :mod:`napari_masked_blur._math.frames`, shared with the batch
command: axes labelled like time or channel are frames; with no labels a
2D or 3D image is smoothed along every axis and a 4D+ one along its last
three (TZYX).  Here: what "smooth over" offers for an image.

Axes are counted in the image's data axes; an RGB(A) layer's colour axis
(the last of its data) is no axis of the layer's labels and is never
smoothed.
"""

from __future__ import annotations

from collections.abc import Sequence

from napari_masked_blur._math.frames import axis_names, default_axes


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
