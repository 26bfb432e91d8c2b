"""Separable FIR for wide kernels: exact taps at the window's ends, low rank between.

Along one axis, output pixel ``t`` reads the inputs ``t - r .. t + r`` of the
axis extended by the border rule (``r`` the kernel radius).  Cut the extended
axis into boxes of ``b`` pixels.  The window of any output in box ``I`` then
covers

- the tail of box ``I`` (from the output's own offset on: a dense ``b x b``
  matrix, ``first``),
- the whole boxes ``I+1 .. I+q-1`` (``2r = q b + rho``),
- the head of boxes ``I+q`` and ``I+q+1`` (a dense ``b x (b + rho)`` matrix,
  ``last``).

Between the ends every tap is in the window, and the kernel between one box of
outputs and one box of inputs at ``d`` boxes' distance is a smooth ``b x b``
block of the Gaussian.  Such blocks have a tiny numerical rank (about 10 for
boxes up to a sigma wide): all of them are ``B_d = P L_d Q^T`` to 1e-10 of
each row, with orthonormal bases ``P`` and ``Q`` (``b x m``) shared by every
``d``.  So
each input box is reduced to its ``m`` moments ``Q^T x``, each output box mixes
the moments of the ``q - 1`` boxes it sees (``L``) and expands them by ``P``.

Per output pixel and axis this costs about ``2b + m + m m (q-1) / b + m``
multiply-adds, against ``2r + 1 = 8 sigma + 1`` for the plain FIR: with boxes
of one sigma, at most 100 pixels (:func:`box_size`), that is about
``2 sigma + 35`` up to sigma 100 and ``220 + 0.08 sigma`` beyond.  Every
step is a matrix product on BLAS.  The result is the truncated kernel's, taps
and border rule exactly as scipy's, to rounding; and it is exactly 0 where no
non-zero input is within reach, since zero inputs give zero moments.

Like the band engine, numerator and weights go to two threads with a
single-threaded BLAS each, a cache-sized chunk at a time, and inputs must be
finite.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from napari_masked_blur._engines._kernel import gaussian_kernel1d
from napari_masked_blur._engines._separable import axis_by_axis, extend_index

# Bytes of extended input one chunk holds: keeps the operands in cache.  Rows
# (the last axis) take smaller chunks: the last axis of 2048 x 2048, one
# thread, chunks of 1 MB / 4 MB took 59/76 ms at sigma 50, 76/97 at sigma 200.
_CHUNK_BYTES = 2**22
_ROW_CHUNK_BYTES = 2**20
# Largest error of a low-rank block, relative to the largest tap of its row.
# Rows far from the centre have taps down to exp(-truncate**2 / 2) of the peak;
# measuring against each row keeps those taps accurate too.
_RANK_TOLERANCE = {"float32": 1e-10, "float64": 1e-14}
# Widest box (see box_size).
_LARGEST_BOX = 100
# Rows of the blocks that enter the SVD finding the bases (see _row_basis).
_SAMPLED_ROWS = 256


@dataclass(frozen=True)
class AxisPlan:
    """Matrices filtering one axis; see the module docstring for the names."""

    radius: int
    box: int
    boxes_seen: int  # q, at least 2 (a box is never wider than the radius)
    spill: int  # rho
    first: np.ndarray  # box x box
    last: np.ndarray  # box x (box + spill)
    to_moments: np.ndarray  # m x box, Q^T
    mix: np.ndarray  # m x (q - 1) m, the L_d side by side
    expand: np.ndarray  # box x m, P

    @property
    def rank(self) -> int:
        return self.to_moments.shape[0]

    def boxes(self, length: int) -> tuple[int, int]:
        """Output boxes and extended input boxes for an axis of ``length``."""
        outputs = -(-length // self.box)
        return outputs, outputs + self.boxes_seen + 1


def smooth_lowrank(
    arrays: Sequence[np.ndarray],
    sigma: tuple[float, ...],
    *,
    mode: str,
    truncate: float,
    order: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """Smooth each array in place, axis by axis; see :mod:`._engines`.

    Any derivative ``order``: the blocks of a derivative's taps are as
    smooth as the Gaussian's, so of as low a rank (a few more moments).
    """

    def filter_axis(
        array: np.ndarray, axis: int, s: float, radius: int, o: int
    ) -> None:
        plan = axis_plan(s, radius, array.dtype.name, order=o)
        _filter_axis(array, axis, plan, mode)

    return axis_by_axis(arrays, sigma, truncate, filter_axis, order)


def box_size(sigma: float, radius: int) -> int:
    """Pixels per box: one sigma, at most 100, at most ``r`` (measured fastest).

    Smaller boxes mean fewer dense taps but more, smaller products, and BLAS
    slows down a lot below ~50 rows a product; 2048 x 2048, one axis, 1 thread:
    sigma 50 at boxes of 25/50/80: 65/41/61 ms; sigma 400 at 100/200: 56/85 ms.
    """
    return max(1, min(round(sigma), _LARGEST_BOX, radius))


@functools.lru_cache(maxsize=16)
def axis_plan(
    sigma: float, radius: int, dtype: str, box: int | None = None, *, order: int = 0
) -> AxisPlan:
    """The matrices for one Gaussian; cached, a slider drag asks again and again.

    ``box`` overrides :func:`box_size` (tests use it to reach every layout);
    ``order`` is the derivative order (:func:`gaussian_kernel1d`).
    """
    kernel = gaussian_kernel1d(sigma, radius, order)
    box = box or box_size(sigma, radius)
    if not 1 <= box <= radius:
        raise ValueError(f"box {box} must be within 1 and the radius {radius}")
    boxes_seen, spill = divmod(2 * radius, box)
    out = np.arange(box)[:, np.newaxis]
    first = _taps(kernel, np.arange(box)[np.newaxis, :] - out)
    head = np.arange(box + spill)[np.newaxis, :]
    last = _taps(kernel, boxes_seen * box + head - out)
    blocks = [
        _taps(kernel, d * box + np.arange(box)[np.newaxis, :] - out)
        for d in range(1, boxes_seen)
    ]
    tolerance = _RANK_TOLERANCE[dtype]
    q_basis = _row_basis(np.vstack(blocks), tolerance)
    p_basis = _row_basis(np.hstack(blocks).T, tolerance)
    mix = np.hstack([p_basis.T @ block @ q_basis for block in blocks])

    def typed(matrix: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(matrix, dtype=dtype)

    return AxisPlan(
        radius=radius,
        box=box,
        boxes_seen=boxes_seen,
        spill=spill,
        first=typed(first),
        last=typed(last),
        to_moments=typed(q_basis.T),
        mix=typed(mix),
        expand=typed(p_basis),
    )


def _taps(kernel: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Kernel taps at ``offsets`` from the window's first input; 0 outside it."""
    inside = (offsets >= 0) & (offsets < kernel.size)
    return np.where(inside, kernel[np.clip(offsets, 0, kernel.size - 1)], 0.0)


def _row_basis(matrix: np.ndarray, tolerance: float) -> np.ndarray:
    """Orthonormal basis (columns) of the row space of ``matrix``, to ``tolerance``.

    Rows are scaled to unit length first, so that rows of small taps (far from
    the kernel's centre) are kept as accurately as the large ones.  Only every
    few rows enter the SVD: neighbouring rows are the same smooth curve shifted
    by a pixel, so ~``_SAMPLED_ROWS`` of them span the rest (the tests check
    every engine against scipy), and the plan stays cheap at any sigma.
    """
    step = max(1, matrix.shape[0] // _SAMPLED_ROWS)
    sampled = np.vstack([matrix[::step], matrix[-1:]])
    norms = np.linalg.norm(sampled, axis=1, keepdims=True)
    # A row of exact zeros spans nothing (the zero tap of an odd derivative
    # in a box of one pixel; taps beyond 38.6 sigma): left out, not 0/0.
    kept = norms[:, 0] > 0
    rows = sampled[kept] / norms[kept]
    _, singular, basis = np.linalg.svd(rows, full_matrices=False)
    rank = int(np.count_nonzero(singular > tolerance * singular[0]))
    return basis[:rank].T


def _filter_axis(array: np.ndarray, axis: int, plan: AxisPlan, mode: str) -> None:
    """Apply ``plan`` along ``axis`` in place, a cache-sized chunk at a time."""
    length = array.shape[axis]
    _, inputs = plan.boxes(length)
    source, valid = extend_index(
        np.arange(inputs * plan.box) - plan.radius, length, mode
    )
    invalid = np.flatnonzero(~valid)  # beyond a "constant" border: zeros
    after = math.prod(array.shape[axis + 1 :])
    extended_bytes = inputs * plan.box * array.itemsize
    if after == 1:
        rows = array.reshape(-1, length)
        chunk = max(1, _ROW_CHUNK_BYTES // extended_bytes)
        for first in range(0, rows.shape[0], chunk):
            part = rows[first : first + chunk]
            part[...] = _filter_rows(part, plan, source, invalid)[:, :length]
        return
    width = min(after, max(64, _CHUNK_BYTES // extended_bytes))
    for image in array.reshape(-1, length, after):
        for first in range(0, after, width):
            part = image[:, first : first + width]
            part[...] = _filter_columns(part, plan, source, invalid)[:length]


def _filter_columns(
    part: np.ndarray, plan: AxisPlan, source: np.ndarray, invalid: np.ndarray
) -> np.ndarray:
    """Filter each column of ``part`` (length x width); rows of the result beyond
    ``length`` are padding."""
    length, width = part.shape
    outputs, inputs = plan.boxes(length)
    box, seen = plan.box, plan.boxes_seen
    extended = part[source]
    if invalid.size:
        extended[invalid] = 0
    boxes = extended.reshape(inputs, box, width)
    result = np.matmul(plan.first, boxes[:outputs])
    result += np.matmul(
        plan.last, _windows(extended[seen * box :], outputs, box, box + plan.spill)
    )
    moments = np.matmul(plan.to_moments, boxes).reshape(-1, width)
    rank = plan.rank
    seen_moments = _windows(moments[rank:], outputs, rank, (seen - 1) * rank)
    result += np.matmul(plan.expand, np.matmul(plan.mix, seen_moments))
    return result.reshape(outputs * box, width)


def _windows(rows: np.ndarray, count: int, step: int, size: int) -> np.ndarray:
    """``count`` overlapping windows of ``size`` rows, ``step`` rows apart (a view)."""
    row_stride, col_stride = rows.strides
    return as_strided(
        rows,
        shape=(count, size, rows.shape[1]),
        strides=(step * row_stride, row_stride, col_stride),
        writeable=False,
    )


def _filter_rows(
    part: np.ndarray, plan: AxisPlan, source: np.ndarray, invalid: np.ndarray
) -> np.ndarray:
    """Filter each row of ``part`` (count x length); columns beyond ``length``
    are padding.  The same products as :func:`_filter_columns`, transposed."""
    count, length = part.shape
    outputs, inputs = plan.boxes(length)
    box, seen = plan.box, plan.boxes_seen
    extended = np.take(part, source, axis=1)
    if invalid.size:
        extended[:, invalid] = 0
    own_box = _windows(extended.T, outputs, box, box)
    result = np.empty((count, outputs, box), part.dtype)
    by_box = result.transpose(1, 0, 2)
    np.matmul(own_box.transpose(0, 2, 1), plan.first.T, out=by_box)
    tail = _windows(extended[:, seen * box :].T, outputs, box, box + plan.spill)
    by_box += np.matmul(tail.transpose(0, 2, 1), plan.last.T)
    rank = plan.rank
    moments = extended.reshape(count * inputs, box) @ plan.to_moments.T
    moments = moments.reshape(count, inputs * rank)
    seen_moments = _windows(moments[:, rank:].T, outputs, rank, (seen - 1) * rank)
    mixed = np.matmul(seen_moments.transpose(0, 2, 1), plan.mix.T)
    by_box += np.matmul(mixed, plan.expand.T)
    return result.reshape(count, outputs * box)
