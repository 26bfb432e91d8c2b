"""The chunks a whole volume is computed in, nearest to the displayed plane first.

Numpy only.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from napari_masked_blur._math.boxes import Box

# Default working set of one whole-volume chunk, in bytes.
CHUNK_BUDGET = 512 * 2**20

# Bytes of scratch per pixel of an input window: the image and weights as
# float32, the numerator, the quotient and a boolean mask (see masked_blur).
_SCRATCH_BYTES_PER_PIXEL = 20


def chunk_boxes(
    shape: Sequence[int],
    axes: Sequence[int],
    steps: Sequence[int],
    start: Sequence[int],
    frames: Sequence[int] = (),
) -> list[Box]:
    """Boxes tiling ``shape`` along ``axes``, nearest to ``start`` first.

    Each box spans the other axes whole and ``steps[i]`` pixels along
    ``axes[i]``.  Ordered by distance (in chunks) from the chunk holding
    index ``start`` (one per axis in ``axes``), so the planes around the one
    on display are finished first.  Distance along the ``frames`` axes (time)
    counts first: the whole displayed frame, then the frames next to it.
    """
    ranges = [range(0, shape[a], s) for a, s in zip(axes, steps, strict=True)]
    home = [p // s for p, s in zip(start, steps, strict=True)]

    def distance(corner: tuple[int, ...]) -> tuple[int, int]:
        far = [
            (axis in frames, abs(c // s - h))
            for axis, c, s, h in zip(axes, corner, steps, home, strict=True)
        ]
        return sum(d for f, d in far if f), sum(d for f, d in far if not f)

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
    tap matrix pays (see :func:`~napari_masked_blur._math.taps.tapped_axes`),
    fewer if their scratch would not fit in ``budget``, at least 1.  Small
    chunks also keep a chunk short, so the widget can turn to a new plane
    soon.
    """
    # A window never reaches beyond the image, however wide the kernel.
    extents = [
        min(1 + 2 * radius[a], n) if a in axes else n for a, n in enumerate(shape)
    ]
    extents[axes[-1]] = 1
    plane_bytes = _SCRATCH_BYTES_PER_PIXEL * int(np.prod(extents))
    planes = min(radius[axes[-1]] + 1, budget // plane_bytes)
    return [1] * (len(axes) - 1) + [int(max(planes, 1))]
