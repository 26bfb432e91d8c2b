"""Boxes of pixels and the reach of a kernel: where an output depends on what.

A box is a tuple of slices with explicit starts and stops, one per spatial
axis.  The output at a pixel depends only on the input within the kernel
radius ``r`` of it (and, at the image border, on the border rule), so:

- a change of the input inside a box ``B`` reaches the output over ``B``
  grown by ``r`` (:func:`grow_box`);
- the output over a box is determined by the input over the box grown by
  ``r`` (:func:`region_window`).

Numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Box = tuple[slice, ...]


def bounding_box(inside: np.ndarray) -> Box | None:
    """Smallest box holding every True pixel of ``inside``; None if there is none."""
    box = []
    for axis in range(inside.ndim):
        others = tuple(a for a in range(inside.ndim) if a != axis)
        hits = np.flatnonzero(inside.any(axis=others))
        if hits.size == 0:
            return None
        box.append(slice(int(hits[0]), int(hits[-1]) + 1))
    return tuple(box)


def box_union(a: Box | None, b: Box | None) -> Box | None:
    """Smallest box holding both; None stands for "nothing"."""
    if a is None:
        return b
    if b is None:
        return a
    return tuple(
        slice(min(x.start, y.start), max(x.stop, y.stop))
        for x, y in zip(a, b, strict=True)
    )


def grow_box(
    box: Box, radius: Sequence[int], shape: Sequence[int], *, wrap: bool = False
) -> Box:
    """``box`` grown by ``radius`` per axis, clipped to ``shape``.

    With ``wrap`` the image is periodic: an axis where the grown box would
    cross the border is taken whole, since the far side is within reach.
    """
    grown = []
    for s, r, n in zip(box, radius, shape, strict=True):
        lo, hi = s.start - r, s.stop + r
        if wrap and r > 0 and (lo < 0 or hi > n):
            lo, hi = 0, n
        grown.append(slice(max(lo, 0), min(hi, n)))
    return tuple(grown)


def clip_box(box: Box, shape: Sequence[int]) -> Box | None:
    """``box`` cut to ``shape``; None when nothing of it is left."""
    clipped = tuple(
        slice(max(s.start, 0), min(s.stop, n)) for s, n in zip(box, shape, strict=True)
    )
    return None if any(s.start >= s.stop for s in clipped) else clipped


def checked_region(region: Sequence[slice], shape: Sequence[int]) -> Box:
    """``region`` with explicit bounds in ``shape``; ``ValueError`` if it does not fit.

    Slices may be open (``slice(None)``) or negative, as in numpy indexing.
    """
    if len(region) != len(shape):
        raise ValueError(
            f"region {tuple(region)} has {len(region)} axes, the mask {len(shape)}"
        )
    box = tuple(slice(*s.indices(n)[:2]) for s, n in zip(region, shape, strict=True))
    if any(s.start >= s.stop for s in box):
        raise ValueError(f"region {tuple(region)} is empty in shape {tuple(shape)}")
    return box


def box_pixels(box: Box) -> int:
    """Number of pixels in ``box``."""
    return int(np.prod([s.stop - s.start for s in box]))


def region_window(
    region: Box, shape: Sequence[int], radius: Sequence[int], mode: str
) -> tuple[Box, Box]:
    """Input window that determines the output over ``region`` exactly.

    The output at a pixel depends on input within ``radius`` of it, plus, at
    the image border, on the border rule.  Growing ``region`` by ``radius``
    (clipped to the image) covers the first; a window that reaches the image
    border carries the border rule with it for every mode but "wrap", which
    needs the far side too, so there the window spans the whole axis.

    Parameters
    ----------
    region : tuple of slice
        Output region, one slice with explicit start/stop per axis.
    shape : tuple of int
        Full (spatial) shape.
    radius : tuple of int
        Kernel radius per axis, see :func:`kernel_radius`.
    mode : str
        Border mode.

    Returns
    -------
    window : tuple of slice
        Where to read the input.
    inner : tuple of slice
        Where ``region`` sits inside the window.
    """
    window, inner = [], []
    for sl, size, r in zip(region, shape, radius, strict=True):
        start, stop, _ = sl.indices(size)
        lo, hi = max(start - r, 0), min(stop + r, size)
        if mode == "wrap" and (lo == 0 or hi == size) and r > 0:
            lo, hi = 0, size
        window.append(slice(lo, hi))
        inner.append(slice(start - lo, stop - lo))
    return tuple(window), tuple(inner)


def with_channel(index: Box, channel_axis: int | None) -> Box:
    """A spatial index extended by the whole channel axis.

    ``channel_axis`` counts in the full array, which has one more axis than
    ``index``.
    """
    if channel_axis is None:
        return index
    axis = channel_axis % (len(index) + 1)
    return (*index[:axis], slice(None), *index[axis:])
