"""The structure tensor over a region thin along one axis, by kernel taps.

The tensor ``S_ij = G_rho*(∂_iB·∂_jB·w) / G_rho*w`` (:mod:`.two_scales`) at
the rows of a thin region (the displayed plane of a volume) needs the
gradient ``∂B`` only at the rows within rho's reach of them, not over the
whole window.  Along the thin axis ``a``:

1. rho's taps at the region's rows (a matrix ``R``, ``m x n`` over the
   window's ``n`` rows, the border folded in) say which rows are read;
2. the gradient at those rows is computed in chunks of rows by the taps of
   :mod:`.term_taps` (each chunk from the rows within sigma's reach of it);
3. each chunk's products ``∂_iB ∂_jB w`` and ``w`` are reduced at once by
   the chunk's columns of ``R`` and summed over the chunks;
4. the other axes are then smoothed at rho (one engine call for every
   entry and the weights), and the quotient's eigenvalues taken.

By separability this is the whole window's tensor cropped to the region,
up to rounding.  The cost: the gradient at ``2 r_rho + 1`` rows (about
``(2 r_rho + 1)(2 + 2n)`` in-plane smoothings of the window's extent for
``n`` axes) where the whole window computes it at ``2 (r + r_rho) + 1``
rows and then smooths the products along every axis.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from napari_masked_blur._engines import gaussian_smooth_scaled, one_blas_thread
from napari_masked_blur._math.blocks import BLOCK
from napari_masked_blur._math.boxes import Box
from napari_masked_blur._math.derivatives import (
    blur_derivatives,
    closure,
    derivative_terms,
    smoothed_spacing,
    unit,
)
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.eigen import symmetric_eigenvalues
from napari_masked_blur._math.outside import apply_outside
from napari_masked_blur._math.steps import checkpoint
from napari_masked_blur._math.term_taps import (
    line_taps,
    smooth_terms_tapped,
)
from napari_masked_blur._math.two_scales import (
    RHO_FACTOR,
    STRUCTURE_TENSOR_EIGENVALUES,
    scale_in_pixels,
)
from napari_masked_blur._math.weights import (
    check_weights,
    inside_labels,
    mask_to_weights,
    unit_weights,
    zero_missing,
)

if TYPE_CHECKING:
    from napari_masked_blur._math.options import BlurOptions


def suits_tensor_taps(options: BlurOptions, tapped: list[int]) -> bool:
    """Whether the region's tensor is made here: the structure tensor, on
    the whole mask at once, thin along one axis."""
    return (
        options.settings.filter == STRUCTURE_TENSOR_EIGENVALUES.name
        and not options.per_label
        and options.channel_axis is None
        and len(tapped) == 1
    )


def tensor_tapped(
    image: np.ndarray, mask: np.ndarray, inner: Box, axis: int, options: BlurOptions
) -> np.ndarray:
    """The structure tensor's eigenvalues over ``inner`` of a window.

    ``image`` and ``mask`` are the window (no channel axis), ``axis`` the
    one along which ``inner`` is thin.  Returns ``(n, *image[inner].shape)``
    for ``n`` smoothed axes, largest first, equal to the whole window's
    result cropped to ``inner`` up to rounding.
    """
    if mask.dtype.kind == "f":
        check_weights(mask)
        mask = unit_weights(mask, mask.dtype)[0]
    dtype = output_dtype(image.dtype)
    rho = scale_in_pixels(options, "rho", RHO_FACTOR)
    n = len(options.smoothed)
    pairs = list(itertools.combinations_with_replacement(range(n), 2))
    reduced = _reduced_products(image, mask, inner, axis, options, rho, pairs)
    rest = [0.0 if a == axis else s for a, s in enumerate(rho)]
    smoothed, _ = gaussian_smooth_scaled(
        reduced,
        rest,
        mode=options.engine_mode,
        truncate=options.truncate,
        method=options.method,
    )
    crop = tuple(slice(None) if a == axis else s for a, s in enumerate(inner))
    total = smoothed[-1][crop]
    entries = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for pair, product in zip(pairs, smoothed[:-1], strict=True):
            entries[pair] = np.divide(product[crop], total, dtype=dtype)
    result = symmetric_eigenvalues(entries, n)
    inside = (
        inside_labels(mask[inner], options.labels)
        if mask.dtype.kind != "f"
        else mask[inner] > 0
    )
    return apply_outside(image[inner], result, inside, options.outside, None, n)


def _reduced_products(image, mask, inner, axis, options, rho, pairs):
    """``R @ (∂_iB ∂_jB w)`` for every pair, and ``R @ w`` last, along ``axis``.

    The gradient is made in chunks of ``r + 1`` rows (sigma's radius ``r``
    along ``axis``), each from the window's rows within ``r`` of it (the
    whole axis under "wrap", whose folding reads the far side).
    """
    dtype = output_dtype(image.dtype)
    length = image.shape[axis]
    rows = line_taps(length, inner[axis], rho[axis], 0, options)
    read = np.flatnonzero(np.any(rows != 0, axis=0))
    radius = options.radius[axis]
    chunk = radius + 1
    n = len(options.smoothed)
    ks = closure([unit(n, a) for a in range(n)])
    spacing = smoothed_spacing(options)
    description = _gradient_description(ks)
    moved = np.moveaxis(np.empty(image.shape, bool), axis, 0).shape
    sums = np.zeros((len(pairs) + 1, rows.shape[0], int(np.prod(moved[1:]))), dtype)
    for start in range(int(read[0]), int(read[-1]) + 1, chunk):
        checkpoint()  # between chunks, a piece no longer wanted stops
        stop = min(start + chunk, int(read[-1]) + 1)
        if options.engine_mode == "wrap":
            lo, hi = 0, length
        else:
            lo, hi = max(0, start - radius), min(length, stop + radius)
        window = _along(axis, image.ndim, slice(lo, hi))
        here = _along(axis, image.ndim, slice(start - lo, stop - lo))
        smoothed, _ = smooth_terms_tapped(  # the gradient: no shift in it
            image[window], mask[window], here, [axis], options, description
        )
        at = _along(axis, image.ndim, slice(start, stop))
        weights = mask_to_weights(mask[at], options.labels).astype(dtype, copy=False)
        if image.dtype.kind == "f":
            zero_missing(image[at], weights)
        flat = [_rows_first(a, axis) for a in (*smoothed, weights)]
        del smoothed
        taps = rows[:, start:stop].astype(dtype)
        _add_products(sums, flat, taps, pairs, ks, spacing)
    out = sums.reshape(len(sums), rows.shape[0], *moved[1:])
    return [np.ascontiguousarray(np.moveaxis(a, 0, axis)) for a in out]


def _rows_first(array: np.ndarray, axis: int) -> np.ndarray:
    """``array`` as (its length along ``axis``, every other pixel)."""
    return np.moveaxis(array, axis, 0).reshape(array.shape[axis], -1)


def _add_products(sums, flat, taps, pairs, ks, spacing):
    """``sums[k] += taps @ (∂_iB ∂_jB w)`` for every pair ``k``, and
    ``sums[-1] += taps @ w``, a block of columns at a time on two threads.

    ``flat``: the gradient's terms (:func:`~.derivatives.derivative_terms`
    of ``ks``, scratch) and the weights last, each (rows, pixels).
    ``∂_iB`` is per unit of ``spacing`` and 0 where no weight is in reach
    (``w`` is 0 there too).  The products of a block stay in cache between
    being made and being reduced.
    """
    count, n = len(flat) - 1, len(spacing)
    columns = flat[0].shape[1]
    step = max(1, BLOCK // flat[0].shape[0])

    def run(starts):
        for start in starts:
            part = slice(start, start + step)
            views = [a[:, part] for a in flat]
            found = blur_derivatives(views[:count], ks)
            grads = []
            for a, s in enumerate(spacing):
                grad = found[unit(n, a)]
                if s != 1.0:
                    grad *= 1.0 / s
                grads.append(np.nan_to_num(grad, copy=False, nan=0.0))
            w = views[count]
            product = np.empty_like(w)
            for target, (i, j) in zip(sums[:-1], pairs, strict=True):
                np.multiply(grads[i], grads[j], out=product)
                product *= w
                target[:, part] += taps @ product
            sums[-1][:, part] += taps @ w

    starts = range(0, columns, step)
    halves = (starts[: len(starts) // 2], starts[len(starts) // 2 :])
    with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(run, half) for half in halves]:
            done.result()


def _gradient_description(ks):
    """The terms of every first derivative (the closure ``ks``); the finish
    is :func:`_products`."""
    return replace(
        STRUCTURE_TENSOR_EIGENVALUES,
        terms=derivative_terms(ks),
        compute=None,
        scales=(),
    )


def _along(axis: int, ndim: int, span: slice) -> Box:
    """The box of every pixel with ``span`` along ``axis``."""
    return tuple(span if a == axis else slice(None) for a in range(ndim))
