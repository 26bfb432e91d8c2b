"""Which box of the mask an edit changed, and which box is on display.

When a paint changes the mask inside a box ``B``, only the output over ``B``
grown by the kernel radius can change
(:func:`~napari_masked_blur._math.boxes.grow_box`).  Here: the boxes
themselves, read from napari's paint events (duck-typed, no napari import),
from an undo seen as a difference, and the displayed plane of a volume.
Numpy only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from napari_masked_blur._math.boxes import Box, bounding_box, box_union, clip_box


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
        return clip_box(box, shape)
    indices = atom[0]
    if len(indices) == 0 or np.size(indices[0]) == 0:
        return None
    box = tuple(slice(int(np.min(i)), int(np.max(i)) + 1) for i in indices)
    return clip_box(box, shape)


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
    return bounding_box(before != after)


def plane_box(
    shape: Sequence[int], displayed: Sequence[int], position: Sequence[int]
) -> Box:
    """The displayed plane: whole along ``displayed``, one index elsewhere."""
    return tuple(
        slice(0, n) if axis in displayed else slice(int(p), int(p) + 1)
        for axis, (n, p) in enumerate(zip(shape, position, strict=True))
    )


def broadcast_box(box: Box, mask_shape: Sequence[int], shape: Sequence[int]) -> Box:
    """A box of a mask that broadcasts to ``shape``, as a box of ``shape``.

    A mask with fewer axes (or length-1 axes) serves every index there, so
    an edit of it reaches all of them: those axes are taken whole.
    """
    lead = len(shape) - len(mask_shape)
    grown = [slice(0, n) for n in shape[:lead]]
    for s, m, n in zip(box, mask_shape, shape[lead:], strict=True):
        grown.append(slice(0, n) if m == 1 and n != 1 else s)
    return tuple(grown)


def frame_part(box: Box, frames: Sequence[int], position: Sequence[int]) -> Box | None:
    """``box`` cut to the displayed index along each frame axis.

    None when ``box`` spans only the displayed frame already (nothing to
    cut), or does not hold the displayed frame at all.
    """
    part = list(box)
    for axis in frames:
        s, p = box[axis], position[axis]
        if not s.start <= p < s.stop:
            return None
        part[axis] = slice(p, p + 1)
    part = tuple(part)
    return None if part == tuple(box) else part


def mask_box(box: Box, mask_shape: Sequence[int]) -> Box:
    """The part of a mask that broadcasts to ``box``'s shape lying under ``box``.

    The inverse of :func:`broadcast_box`: the mask's own (trailing) axes,
    and its length-1 axes whole.
    """
    tail = box[len(box) - len(mask_shape) :]
    return tuple(
        slice(0, 1) if m == 1 else s for s, m in zip(tail, mask_shape, strict=True)
    )
