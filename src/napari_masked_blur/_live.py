"""Which region a paint or a plane change needs.

The output at a pixel depends on the image and mask within the kernel radius
``r`` of it (and, at the image border, on the border rule).  So when a paint
changes the mask inside a box ``B``, only the output over ``B`` grown by
``r`` can change (:func:`grow_box`); computing it exactly is
:mod:`napari_masked_blur._region`'s job.  Here: the boxes themselves, read
from napari's paint events (duck-typed, no napari import), from an undo seen
as a difference, from the displayed plane of a volume, and the chunks a
whole volume is computed in.  Numpy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

Box = tuple[slice, ...]

# Default working set of one whole-volume chunk, in bytes.
CHUNK_BUDGET = 512 * 2**20

# Bytes of scratch per pixel of an input window: the image and weights as
# float32, the numerator, the quotient and a boolean mask (see masked_gaussian).
_SCRATCH_BYTES_PER_PIXEL = 20

# --------------------------------------------------------------------- boxes


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


def _clip(box: Box, shape: Sequence[int]) -> Box | None:
    clipped = tuple(
        slice(max(s.start, 0), min(s.stop, n)) for s, n in zip(box, shape, strict=True)
    )
    return None if any(s.start >= s.stop for s in clipped) else clipped


def atom_box(atom: Any, shape: Sequence[int]) -> Box | None:
    """Bounding box of one paint-history atom, clipped to ``shape``.

    napari >= 0.8 records brush, fill and polygon edits as objects with a
    ``slice_key`` (the edit's bounding box as slices); ``data_setitem`` and
    older napari record ``(indices, old_values, new_values)`` with one index
    array per axis.  Both are read by duck typing.
    """
    key = getattr(atom, "slice_key", None)
    if key is not None:
        box = tuple(
            slice(*s.indices(n)[:2]) if isinstance(s, slice) else slice(s, s + 1)
            for s, n in zip(key, shape, strict=True)
        )
        return _clip(box, shape)
    indices = atom[0]
    if len(indices) == 0 or np.size(indices[0]) == 0:
        return None
    box = tuple(slice(int(np.min(i)), int(np.max(i)) + 1) for i in indices)
    return _clip(box, shape)


def paint_box(atoms: Iterable[Any], shape: Sequence[int]) -> Box | None:
    """Box holding every edit of a paint event (``events.paint``'s ``value``)."""
    box = None
    for atom in atoms:
        box = box_union(box, atom_box(atom, shape))
    return box


def update_box(
    offset: Sequence[int],
    block_shape: Sequence[int],
    displayed: Sequence[int],
    position: Sequence[int],
) -> Box:
    """Data box of a ``labels_update`` block sent while the user drags.

    Parameters
    ----------
    offset, block_shape : sequence of int
        Start and size of the updated block along the displayed axes, in the
        order napari displays them.
    displayed : sequence of int
        The data axes on display, in display order.
    position : sequence of int
        Current data index on every axis; the hidden axes sit at the
        displayed plane.
    """
    box = [slice(int(p), int(p) + 1) for p in position]
    for axis, start, size in zip(displayed, offset, block_shape, strict=True):
        box[axis] = slice(int(start), int(start) + int(size))
    return tuple(box)


def changed_box(before: np.ndarray, after: np.ndarray) -> Box | None:
    """Bounding box of the pixels where two same-shaped arrays differ.

    Used for undo and redo, which napari announces only by a refresh.
    """
    differ = before != after
    if not differ.any():
        return None
    box = []
    for axis in range(differ.ndim):
        others = tuple(a for a in range(differ.ndim) if a != axis)
        hit = np.flatnonzero(differ.any(axis=others))
        box.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return tuple(box)


def plane_box(
    shape: Sequence[int], displayed: Sequence[int], position: Sequence[int]
) -> Box:
    """The displayed plane: whole along ``displayed``, one index elsewhere."""
    return tuple(
        slice(0, n) if axis in displayed else slice(int(p), int(p) + 1)
        for axis, (n, p) in enumerate(zip(shape, position, strict=True))
    )


# -------------------------------------------------------------- whole volume


def chunk_boxes(
    shape: Sequence[int],
    axes: Sequence[int],
    steps: Sequence[int],
    start: Sequence[int],
) -> list[Box]:
    """Boxes tiling ``shape`` along ``axes``, nearest to ``start`` first.

    Each box spans the other axes whole and ``steps[i]`` pixels along
    ``axes[i]``.  Ordered by distance (in chunks) from the chunk holding
    index ``start`` (one per axis in ``axes``), so the planes around the one
    on display are finished first.
    """
    ranges = [range(0, shape[a], s) for a, s in zip(axes, steps, strict=True)]
    home = [p // s for p, s in zip(start, steps, strict=True)]

    def distance(corner: tuple[int, ...]) -> int:
        return sum(abs(c // s - h) for c, s, h in zip(corner, steps, home, strict=True))

    boxes = []
    for corner in sorted(itertools.product(*ranges), key=distance):
        box = [slice(0, n) for n in shape]
        for axis, c, s in zip(axes, corner, steps, strict=True):
            box[axis] = slice(c, min(c + s, shape[axis]))
        boxes.append(tuple(box))
    return boxes


def chunk_steps(
    shape: Sequence[int],
    axes: Sequence[int],
    radius: Sequence[int],
    budget: int = CHUNK_BUDGET,
) -> list[int]:
    """Chunk size along ``axes``: small, and within ``budget`` bytes.

    Every axis of ``axes`` but the last gets 1 (one plane at a time).  The
    last gets ``r + 1`` planes, the most for which reducing that axis by a
    tap matrix pays (see ``_region.blur_region``), fewer if their scratch
    would not fit in ``budget``, at least 1.  Small chunks also keep a chunk
    short, so the widget can turn to a new plane soon.
    """
    extents = [1 + 2 * radius[a] if a in axes else n for a, n in enumerate(shape)]
    extents[axes[-1]] = 1
    plane_bytes = _SCRATCH_BYTES_PER_PIXEL * int(np.prod(extents))
    planes = min(radius[axes[-1]] + 1, budget // plane_bytes)
    return [1] * (len(axes) - 1) + [int(max(planes, 1))]
