"""Any filter's terms over a thin region, its thin axes reduced by kernel taps.

The taps of :mod:`.taps` for every description made of terms and a finish
(the derivatives, not only the masked Gaussian's quotient): along an axis
where the region is thin (the displayed plane of a volume), each term
``G_o * ((x - c)**p · w)`` is needed at the region's rows only, so the
window's ``(x - c)**p · w`` is reduced along that axis by the matrix of the
Gaussian's taps of that axis' order ``o[a]`` (every order a power needs in
one matrix product), and the other axes are then smoothed by the engines
with their own orders.  Separability makes this equal to smoothing
everything and cropping; the cost follows the window once, then the thin
region.  The finish then sees the region only.

In float32 the moments are taken about ``c``, the value of one weighted
pixel of the window (:func:`.taps.window_shift`), as the dense path does.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from napari_masked_blur._engines import (
    folded_taps,
    gaussian_smooth_scaled,
    one_blas_thread,
    unscaled,
)
from napari_masked_blur._math.boxes import Box
from napari_masked_blur._math.dense import engine_order, output_count
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.outside import apply_outside
from napari_masked_blur._math.taps import window_shift
from napari_masked_blur._math.weights import (
    check_weights,
    inside_labels,
    mask_to_weights,
    unit_weights,
    zero_missing,
)

if TYPE_CHECKING:
    from napari_masked_blur._math.filter import Filter
    from napari_masked_blur._math.options import BlurOptions


def suits_term_taps(options: BlurOptions) -> bool:
    """Whether the filter is terms of one image and a finish: not the
    Gaussian's quotient (whose taps are :mod:`.taps`'), not computed by a
    ``compute`` of its own, nor asking for the pixel itself."""
    description = options.filter
    return (
        description.compute is None
        and not description.is_quotient
        and not options.per_label
        and not any(t.pixel or t.other for t in description.terms)
    )


def filter_terms_tapped(
    image: np.ndarray,
    mask: np.ndarray,
    inner: Box,
    tapped: Sequence[int],
    options: BlurOptions,
) -> np.ndarray:
    """The filter's result over ``inner`` of a window, ``tapped`` axes by taps.

    ``image`` and ``mask`` are the window (no channel axis); the result is
    shaped like ``image[inner]`` (outputs stacked in front), equal to the
    filter of the whole window cropped to ``inner``, up to rounding.
    """
    if mask.dtype.kind == "f":
        check_weights(mask)
        mask = unit_weights(mask, mask.dtype)[0]
    description = options.filter
    smoothed, shift = smooth_terms_tapped(
        image, mask, inner, tapped, options, description
    )
    result = description.finish(smoothed, shift)
    inside = (
        inside_labels(mask[inner], options.labels)
        if mask.dtype.kind != "f"
        else mask[inner] > 0
    )
    return apply_outside(
        image[inner], result, inside, options.outside, None, output_count(options)
    )


def smooth_terms_tapped(
    image: np.ndarray,
    mask: np.ndarray,
    inner: Box,
    tapped: Sequence[int],
    options: BlurOptions,
    description: Filter | None = None,
) -> tuple[list[np.ndarray], float]:
    """The filter's smoothed terms over ``inner`` (``tapped`` axes by taps)
    and the shift ``c``: what its finish takes.

    ``mask``: labels, or float weights already checked and brought to unit
    scale (:func:`~.weights.unit_weights`).  The terms are those of
    ``description`` (None: ``options.filter``), each its own array, scaled
    alike.
    """
    description = options.filter if description is None else description
    dtype = output_dtype(image.dtype)
    labels = options.labels
    shift = window_shift(image, mask, labels, dtype)
    sigmas = [options.sigma, *description.scales]
    orders = [engine_order(t.order, options) for t in description.terms]
    terms = description.terms
    free = [a for a in range(image.ndim) if a not in tapped]
    if len(tapped) == 1 and free and all(t.power <= 1 for t in terms):
        reduced = _reduce_blocked(
            image, mask, shift, dtype, orders, tapped, inner, options, free[0],
            description,
        )  # fmt: skip
    else:
        weights = mask_to_weights(mask, labels).astype(dtype, copy=True)
        base = np.subtract(image, dtype.type(shift), dtype=dtype)
        base *= weights
        zero_missing(image, weights, base)
        reduced = _reduce(
            base, weights, image, shift, terms, orders, tapped, inner, options,
            description.scales,
        )  # fmt: skip
    smoothed: list[np.ndarray] = [np.empty(0)] * len(orders)
    first: int | None = None
    plane_orders = [
        (tuple(0 if a in tapped else o for a, o in enumerate(order)), term.scale)
        for order, term in zip(orders, description.terms, strict=True)
    ]
    crop = tuple(slice(None) if a in tapped else s for a, s in enumerate(inner))
    for order, scale in sorted(set(plane_orders), key=lambda o: (o[1], sum(o[0]), o)):
        at = [i for i, o in enumerate(plane_orders) if o == (order, scale)]
        rest = [0.0 if a in tapped else s for a, s in enumerate(sigmas[scale])]
        out, exponent = gaussian_smooth_scaled(
            [reduced[i] for i in at],
            rest,
            mode=options.engine_mode,
            truncate=options.truncate,
            method=options.method,
            order=order,
        )
        if first is None:
            first = exponent
        else:
            unscaled(out, exponent - first)
        for i, array in zip(at, out, strict=True):
            smoothed[i] = np.ascontiguousarray(array[crop])
    return smoothed, shift


def _reduce_blocked(
    image, mask, shift, dtype, orders, tapped, inner, options, split, description
):
    """:func:`_reduce` for terms of powers 0 and 1 along one tapped axis, made
    and reduced in blocks along the ``split`` axis, on two threads.

    Each block's ``(x - c) w`` and ``w`` stay in cache between being made
    and being reduced, instead of going out to memory as whole windows and
    back (the planes of a volume: a few times faster, as in :mod:`.taps`).
    """
    axis, terms = tapped[0], description.terms
    sigmas = [options.sigma, *description.scales]
    wants = [(t.power, t.scale, o[axis]) for t, o in zip(terms, orders, strict=True)]
    keys = {p: sorted({(s, o) for q, s, o in wants if q == p}) for p in (0, 1)}
    matrices = {
        p: np.concatenate(
            [
                line_taps(image.shape[axis], inner[axis], sigmas[s][axis], o, options)
                for s, o in found
            ]
        ).astype(dtype)
        for p, found in keys.items()
        if found
    }
    rows = inner[axis].stop - inner[axis].start  # of each (scale, order) block
    shape = list(image.shape)
    shape[axis] = rows
    made = {(p, *k): np.empty(shape, dtype) for p, found in keys.items() for k in found}
    per_row = image.size // image.shape[split]
    step = max(1, (1 << 18) // max(per_row, 1))

    def reduce_block(start: int) -> None:
        key = [slice(None)] * image.ndim
        key[split] = slice(start, start + step)
        key = tuple(key)
        weights = mask_to_weights(mask[key], options.labels).astype(dtype, copy=False)
        numerator = np.subtract(image[key], dtype.type(shift), dtype=dtype)
        numerator *= weights
        zero_missing(image[key], weights, numerator)
        for power, array in ((0, weights), (1, numerator)):
            if power not in matrices:
                continue
            stacked = apply_along(matrices[power], array, axis)
            for k, found in enumerate(keys[power]):
                part = [slice(None)] * image.ndim
                part[axis] = slice(k * rows, (k + 1) * rows)
                made[(power, *found)][key] = stacked[tuple(part)]

    starts = range(0, image.shape[split], step)
    with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(reduce_block, starts))
    out, given = [], set()
    for want in wants:  # each term its own array: the engines overwrite them
        out.append(made[want].copy() if want in given else made[want])
        given.add(want)
    return out


def _reduce(base, weights, image, shift, terms, orders, tapped, inner, options, scales):
    """Each term's ``(x - c)**p · w`` with the taps of its orders (and scale)
    applied along ``tapped``."""
    dtype = base.dtype
    sigmas = [options.sigma, *scales]
    powers: dict[int, np.ndarray] = {0: weights, 1: base}
    wants = [
        (t.power, t.scale, tuple(o[a] for a in tapped))
        for t, o in zip(terms, orders, strict=True)
    ]
    done: dict[tuple, np.ndarray] = {}
    out: list[np.ndarray] = []
    for index, want in enumerate(wants):
        power = want[0]
        if want not in done:
            if power not in powers:
                centered = np.subtract(image, dtype.type(shift), dtype=dtype)
                np.copyto(centered, 0, where=weights == 0)
                powers[power] = base * centered ** (power - 1)
            same = sorted({w for w in wants if w[0] == power})
            done.update(
                _reduced_all(powers[power], same, tapped, inner, sigmas, options)
            )
        # The engines overwrite what they are given: each term its own array.
        handed = want in wants[:index]
        out.append(_engine_array(done[want], copy=handed))
    return out


def _reduced_all(array, wants, tapped, inner, sigmas, options):
    """``array`` reduced for each ``(power, scale, orders)`` of ``wants``.

    Along the first tapped axis every (scale, order) is one block of rows of
    one matrix: one product reads the window once for all of them.
    """
    first = tapped[0]
    firsts = sorted({(scale, orders[0]) for _, scale, orders in wants})
    matrices = [
        line_taps(
            array.shape[first], inner[first], sigmas[scale][first], o, options
        ).astype(array.dtype)
        for scale, o in firsts
    ]
    rows = matrices[0].shape[0]
    stacked = apply_along(np.concatenate(matrices), array, first)
    before = (slice(None),) * first
    by_first = {  # views: the engines get copies only where a block serves twice
        key: stacked[(*before, slice(k * rows, (k + 1) * rows))]
        for k, key in enumerate(firsts)
    }
    found = {}
    for want in wants:
        _, scale, orders = want
        part = by_first[scale, orders[0]]
        for axis, o in zip(tapped[1:], orders[1:], strict=True):
            sigma = sigmas[scale][axis]
            taps = line_taps(part.shape[axis], inner[axis], sigma, o, options)
            taps = taps.astype(part.dtype)
            part = apply_along(taps, part, axis)
        found[want] = part
    return found


def line_taps(n, rows, sigma, order, options):
    """The taps of ``order`` at ``rows`` of a line of ``n``, unscaled, float64."""
    mode, truncate = options.engine_mode, options.truncate
    matrix, exponent = folded_taps(n, sigma, truncate, mode, rows, order=order)
    return np.ldexp(matrix, -exponent)


def _engine_array(array: np.ndarray, copy: bool) -> np.ndarray:
    """``array`` itself where its strides are plain C order, else a copy.

    numpy calls a view C-contiguous whatever the stride of its length-1
    axes (a column of a transposed block); OpenCV reads the strides.
    """
    plain = tuple(
        array.itemsize * int(np.prod(array.shape[a + 1 :])) for a in range(array.ndim)
    )
    if copy or array.strides != plain:
        return np.array(array, order="C", copy=True)
    return array


def apply_along(taps: np.ndarray, array: np.ndarray, axis: int) -> np.ndarray:
    """``taps`` (m, n) along ``axis`` of ``array``: a matrix product."""
    moved = np.moveaxis(array, axis, 0)
    flat = moved.reshape(moved.shape[0], -1)
    reduced = (taps @ flat).reshape(taps.shape[0], *moved.shape[1:])
    return np.moveaxis(reduced, 0, axis)
