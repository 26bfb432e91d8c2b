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
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from napari_masked_blur._engines import gaussian_smooth_scaled
from napari_masked_blur._math.boxes import Box
from napari_masked_blur._math.derivatives import (
    closure,
    derivative_terms,
    smoothed_spacing,
    unit,
)
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.eigen import symmetric_eigenvalues
from napari_masked_blur._math.outside import apply_outside
from napari_masked_blur._math.term_taps import (
    apply_along,
    line_taps,
    smooth_terms_tapped,
)
from napari_masked_blur._math.two_scales import (
    RHO_FACTOR,
    STRUCTURE_TENSOR_EIGENVALUES,
    gradients,
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
    description = _gradient_description(options)
    shape = list(image.shape)
    shape[axis] = rows.shape[0]
    sums = [np.zeros(shape, dtype) for _ in range(len(pairs) + 1)]
    for start in range(int(read[0]), int(read[-1]) + 1, chunk):
        stop = min(start + chunk, int(read[-1]) + 1)
        if options.engine_mode == "wrap":
            lo, hi = 0, length
        else:
            lo, hi = max(0, start - radius), min(length, stop + radius)
        window = _along(axis, image.ndim, slice(lo, hi))
        here = _along(axis, image.ndim, slice(start - lo, stop - lo))
        smoothed, shift = smooth_terms_tapped(
            image[window], mask[window], here, [axis], options, description
        )
        grads = description.finish(smoothed, shift)
        del smoothed
        at = _along(axis, image.ndim, slice(start, stop))
        weights = mask_to_weights(mask[at], options.labels).astype(dtype)
        if image.dtype.kind == "f":
            zero_missing(image[at], weights)
        taps = rows[:, start:stop].astype(dtype)
        for target, (i, j) in zip(sums[:-1], pairs, strict=True):
            product = np.multiply(grads[i], grads[j])
            product *= weights
            target += apply_along(taps, product, axis)
        sums[-1] += apply_along(taps, weights, axis)
    return sums


def _gradient_description(options: BlurOptions):
    """The terms of every first derivative, finished as the gradient's
    components stacked in front (0 where no weight is in reach)."""
    n = len(options.smoothed)
    ks = closure([unit(n, a) for a in range(n)])
    return replace(
        STRUCTURE_TENSOR_EIGENVALUES,
        terms=derivative_terms(ks),
        finish=partial(gradients, ks=ks, spacing=smoothed_spacing(options)),
        compute=None,
        scales=(),
    )


def _along(axis: int, ndim: int, span: slice) -> Box:
    """The box of every pixel with ``span`` along ``axis``."""
    return tuple(span if a == axis else slice(None) for a in range(ndim))
