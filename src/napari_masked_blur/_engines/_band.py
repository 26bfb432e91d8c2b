"""Separable FIR as banded matrix products on BLAS: fast for wide kernels.

Filtering along one axis of length ``n`` is a product with an ``n x n``
matrix whose row ``i`` holds the kernel around column ``i``, with the border
rule folded in: a tap that falls beyond the edge adds its weight to the column
the rule maps it to (nothing for "constant").  The matrix is a band, so it is
applied block by block: ``block`` output rows need only ``block + 2 radius``
input rows.  BLAS multiplies at tens of GFLOP/s on two cores, several times
the rate of a hand-written FIR loop, which more than pays for the zeros in
each block, and the cost per pixel grows only slowly with the radius.

Every axis pass works through a small scratch buffer and copies back, so the
extra memory is a few MB, whatever the array.  Numerator and weights go to two
threads, each with a single-threaded BLAS: BLAS's own threads synchronise at
every product and, on a busy machine, spin while waiting for each other
(measured 20-50x slower under load).  Inputs must be finite: a NaN
would reach a whole block through the zeros of the band (the core sets
non-finite pixels to weight 0 before it calls an engine).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from napari_masked_blur._engines._kernel import gaussian_kernel1d
from napari_masked_blur._engines._separable import axis_by_axis, extend_index

# Bytes of input one product reads: keeps the operands in a core's 2 MB
# L2 cache.  Also the size of each thread's scratch: 4 MB cost a quarter of
# a 2048x2048 float32 image per thread at the peak, for 1-3 % less CPU time
# (numerator and weights of 1605x1605, sigma 5 and 30, CPU time of both
# threads: 29/28 and 65/66 ms with 4/2 MB).
_CHUNK_BYTES = 2**21


def smooth_band(
    arrays: Sequence[np.ndarray],
    sigma: tuple[float, ...],
    *,
    mode: str,
    truncate: float,
    order: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """Smooth each array in place, axis by axis; see :mod:`._engines`.

    Any derivative ``order``: the band holds the taps, whatever they are.
    """

    def filter_axis(
        array: np.ndarray, axis: int, s: float, radius: int, o: int
    ) -> None:
        blocks = axis_blocks(array.shape[axis], s, radius, mode, array.dtype.str, o)
        _filter_axis(array, axis, blocks)

    return axis_by_axis(arrays, sigma, truncate, filter_axis, order)


def block_rows(radius: int) -> int:
    """Output rows per product: half the radius, within [32, 64] (measured best)."""
    return min(max(radius // 2, 32), 64)


@functools.lru_cache(maxsize=32)
def axis_blocks(
    length: int, sigma: float, radius: int, mode: str, dtype: str, order: int = 0
) -> tuple[tuple[slice, slice, np.ndarray], ...]:
    """``(output rows, input rows, matrix)`` covering an axis of ``length``.

    The taps of derivative ``order`` (:func:`gaussian_kernel1d`, a
    correlation: row ``i`` reads input ``i + j`` with tap ``j``).  Cached: a
    slider drag asks for the same ones again and again.
    """
    kernel = gaussian_kernel1d(sigma, radius, order)
    step = block_rows(radius)
    blocks = []
    band = None
    for start in range(0, length, step):
        stop = min(start + step, length)
        if start - radius >= 0 and stop + radius <= length:
            if band is None:
                band = _band(kernel, step).astype(dtype)
            rows = stop - start
            matrix = band[:rows, : rows + 2 * radius]
            blocks.append(
                (slice(start, stop), slice(start - radius, stop + radius), matrix)
            )
        else:
            blocks.append(_border_block(kernel, start, stop, length, mode, dtype))
    return tuple(blocks)


def _band(kernel: np.ndarray, rows: int) -> np.ndarray:
    """``rows x (rows + 2 radius)`` matrix, row ``i`` = kernel at columns i..i+2r."""
    width = kernel.size
    matrix = np.zeros((rows, rows + width - 1))
    for i in range(rows):
        matrix[i, i : i + width] = kernel
    return matrix


def _border_block(
    kernel: np.ndarray, start: int, stop: int, length: int, mode: str, dtype: str
) -> tuple[slice, slice, np.ndarray]:
    """A block whose taps cross the border: fold them in by the border rule."""
    radius = kernel.size // 2
    rows = np.arange(start, stop)[:, np.newaxis]
    taps = np.arange(-radius, radius + 1)[np.newaxis, :]
    source, valid = extend_index(rows + taps, length, mode)
    matrix = np.zeros((stop - start, length))
    row_index = np.broadcast_to(rows - start, source.shape)
    weights = np.broadcast_to(kernel, source.shape)
    np.add.at(matrix, (row_index[valid], source[valid]), weights[valid])
    used = np.flatnonzero(matrix.any(axis=0))
    lo, hi = (int(used[0]), int(used[-1]) + 1) if used.size else (0, 1)
    return slice(start, stop), slice(lo, hi), matrix[:, lo:hi].astype(dtype)


def _filter_axis(
    array: np.ndarray, axis: int, blocks: tuple[tuple[slice, slice, np.ndarray], ...]
) -> None:
    """Apply the blocks along ``axis`` in place, a cache-sized chunk at a time."""
    length = array.shape[axis]
    after = math.prod(array.shape[axis + 1 :])
    if after == 1:
        # Last axis: rows of a 2D view, multiplied from the right.
        rows = array.reshape(-1, length)
        chunk = max(1, _CHUNK_BYTES // (length * array.itemsize))
        scratch = np.empty((min(chunk, rows.shape[0]), length), array.dtype)
        for first in range(0, rows.shape[0], chunk):
            part = rows[first : first + chunk]
            out = scratch[: part.shape[0]]
            for target, source, matrix in blocks:
                np.matmul(part[:, source], matrix.T, out=out[:, target])
            part[...] = out
        return
    stacks = array.reshape(-1, length, after)
    width = min(after, max(256, _CHUNK_BYTES // (length * array.itemsize)))
    scratch = np.empty((length, width), array.dtype)
    for image in stacks:
        for first in range(0, after, width):
            part = image[:, first : first + width]
            out = scratch[:, : part.shape[1]]
            for target, source, matrix in blocks:
                np.matmul(matrix, part[source], out=out[target])
            part[...] = out
