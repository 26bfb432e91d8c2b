"""Axes whose kernel is wider than the image: one folded matrix per axis.

Where the kernel radius ``r`` reaches at least the axis length ``n``, every
output sample of a line depends on every input sample, and the Gaussian
along that axis is the product with the ``n x n`` matrix of
:func:`~._kernel.folded_taps` (the kernel with its taps beyond the line
dropped or folded back by the border rule).  Its cost is ``n``
multiply-adds per pixel whatever sigma and truncate are, against ``2 r + 1``
for a plain FIR, and it needs no ``O(r)`` memory: sigma 1e6 or 1e300 costs
what sigma ``n / 4`` costs.

The products run on BLAS, a block of lines at a time so that the scratch
stays a few MB, numerator and weights on two threads with one BLAS thread
each (see :mod:`._separable`).  Lines holding only zeros give exact zeros.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from napari_masked_blur._engines._kernel import folded_taps, kernel_radius
from napari_masked_blur._engines._separable import one_blas_thread

# Bytes of lines one product reads, and of the matrix rows one product uses
# where the whole matrix would outweigh the array (long, thin arrays).
_BLOCK_BYTES = 2**22
_THREADS_FROM_SIZE = 2**15
# Where the folded matrix beats the low-rank engine, sigma >= a (n - b).
# Both smoothing two float32 arrays of n x n, 2 threads (min of 2, busy
# 2-core machine): n 512, the matrix 17-18 ms at every sigma from 128 to 1024,
# low rank 19-48 ms; n 2048, sigma 512 / 1024 / 2048 / 4096: the matrix
# 732 / 1095 / 709 / 697 ms, low rank 264 / 585 / 503 / 836 ms.  The matrix
# grows as n**3, low rank as n**2 (0.06 + 3.3e-5 sigma) ms per 1024**2:
# equal at sigma 2.4 (n - 750).
_WIDE_FROM = (2.4, 750)
# Matrices up to this many entries are made whole even for small arrays.
_SMALL_MATRIX = 2**20

# rest(arrays, sigma, order=...): the usual engines.
Rest = Callable[..., list[np.ndarray]]


def wide_axes(
    shape: Sequence[int], sigma: Sequence[float], truncate: float
) -> list[int]:
    """The axes to filter by a folded matrix.

    Those whose kernel radius reaches at least their length ``n``, once
    sigma is past where the matrix (``n`` multiply-adds per pixel, on BLAS)
    beats the low-rank engine (whose cost grows with sigma): from sigma
    ``2.4 (n - 750)`` on (see :data:`_WIDE_FROM`).
    """
    radii = kernel_radius(sigma, truncate)
    return [
        a
        for a, (s, r, n) in enumerate(zip(sigma, radii, shape, strict=True))
        if r >= n > 0 and s >= _WIDE_FROM[0] * (n - _WIDE_FROM[1])
    ]


def smooth_wide(
    arrays: Sequence[np.ndarray],
    sigma: tuple[float, ...],
    *,
    mode: str,
    truncate: float,
    rest: Rest,
    order: tuple[int, ...] | None = None,
) -> tuple[list[np.ndarray], int]:
    """Smooth the wide axes by folded matrices, then ``rest`` the other axes.

    Parameters
    ----------
    arrays : sequence of ndarray
        Same shape, float32 or float64, C-contiguous; scratch, as in the
        engine contract.
    sigma, mode, truncate
        As :func:`napari_masked_blur._engines.gaussian_smooth` takes them.
    rest : callable
        ``rest(arrays, sigma, order=order)`` smooths along the axes left
        (sigma and order 0 on the wide ones): the usual engines.
    order : tuple of int, optional
        Derivative order per axis (None: 0 on every axis); a wide axis of
        order ``o`` is filtered by the folded taps of that derivative.

    Returns
    -------
    arrays : list of ndarray
        Each smoothed array times ``2**exponent``.
    exponent : int
        The sum of the matrices' scales (see :func:`~._kernel.folded_taps`);
        0 unless a "constant" kernel is far wider than its axis.
    """
    shape, dtype = arrays[0].shape, arrays[0].dtype
    order = order or (0,) * len(sigma)
    exponent = 0
    matrices: dict[int, np.ndarray | None] = {}
    for axis in wide_axes(shape, sigma, truncate):
        n = shape[axis]
        taps = functools.partial(
            folded_taps, n, sigma[axis], truncate, mode, dtype=dtype, order=order[axis]
        )
        # A matrix larger than the array is made a block of rows at a time,
        # as the product needs them.
        whole = n * n <= max(arrays[0].size, _SMALL_MATRIX)
        matrix, scale = taps(slice(0, n if whole else 1))
        matrices[axis] = matrix if whole else None
        exponent += scale
    if not matrices:  # the common case: no kernel reaches across
        return list(rest(list(arrays), sigma, order=order)), 0

    def smooth(array: np.ndarray) -> np.ndarray:
        for axis, matrix in matrices.items():
            if matrix is not None:
                apply_along(matrix, array, axis)
                continue
            taps = functools.partial(
                folded_taps,
                array.shape[axis],
                sigma[axis],
                truncate,
                mode,
                order=order[axis],
            )
            apply_by_rows(taps, array, axis)
        return array

    # One BLAS thread always: BLAS's own threads, woken for small products on
    # a busy machine, took 30 ms for a 128 x 128 product that takes 0.1 ms.
    with one_blas_thread():
        if len(arrays) == 1 or arrays[0].size < _THREADS_FROM_SIZE:
            arrays = [smooth(a) for a in arrays]
        else:
            with ThreadPoolExecutor(max_workers=2) as pool:
                arrays = list(pool.map(smooth, arrays))
    left = tuple(0.0 if axis in matrices else s for axis, s in enumerate(sigma))
    if any(s > 0 for s in left):
        left_order = tuple(0 if a in matrices else o for a, o in enumerate(order))
        arrays = rest(arrays, left, order=left_order)
    return list(arrays), exponent


def apply_along(matrix: np.ndarray, array: np.ndarray, axis: int) -> None:
    """``array`` becomes ``matrix @ array`` along ``axis``, in place.

    ``array`` is C-contiguous, so it is ``(lead, n, trail)``: along the last
    axis (``trail == 1``) blocks of lines are multiplied by ``matrix.T``
    from the right, otherwise blocks of columns of each ``(n, trail)`` slab
    from the left.  Each block is one BLAS product into a small scratch.
    """
    n = array.shape[axis]
    lead = int(np.prod(array.shape[:axis], dtype=np.int64))
    trail = array.size // (lead * n)
    per_block = max(1, _BLOCK_BYTES // (n * array.itemsize))
    if trail == 1:
        lines = array.reshape(lead, n)
        for start in range(0, lead, per_block):
            block = lines[start : start + per_block]
            block[...] = block @ matrix.T
        return
    slabs = array.reshape(lead, n, trail)
    for slab in slabs:
        for start in range(0, trail, per_block):
            block = slab[:, start : start + per_block]
            block[...] = matrix @ block


def apply_by_rows(
    taps: Callable[..., tuple[np.ndarray, int]], array: np.ndarray, axis: int
) -> None:
    """:func:`apply_along` with the matrix made a block of rows at a time.

    For an axis so long that its ``n x n`` matrix would outweigh the array:
    ``taps(rows, dtype=...)`` gives the rows, the result goes to one scratch copy
    of the array, which then replaces it.
    """
    n = array.shape[axis]
    lead = int(np.prod(array.shape[:axis], dtype=np.int64))
    slabs = array.reshape(lead, n, -1)
    out = np.empty_like(slabs)
    per_block = max(1, _BLOCK_BYTES // (n * 8))
    for start in range(0, n, per_block):
        rows = slice(start, min(start + per_block, n))
        matrix = taps(rows, dtype=array.dtype)[0]
        for slab, target in zip(slabs, out, strict=True):
            target[rows] = matrix @ slab
    slabs[...] = out
