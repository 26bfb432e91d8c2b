"""A masked filter of in-memory arrays: the normalized convolution itself.

For an image ``x`` and non-negative weights ``w`` (the mask as 0/1, or a
per-pixel certainty) the normalized convolution with a Gaussian ``G`` is::

    out = G*(x w) / G*w

Pixels with ``w = 0`` contribute nothing, so values outside the mask never
leak in, and because the denominator counts only the weight that is really
there the mask edge is not pulled toward zero.  ``G*w`` itself is the
*certainty* of each output pixel: how much data stood behind it.

Every filter is computed the same way (:func:`smooth_filter`): the terms of
its description (:mod:`.filter`) smoothed, then finished; the masked
Gaussian's are ``G*(x w)`` and ``G*w``, finished by their quotient.
Everything here takes checked :class:`~.options.BlurOptions`; how the
Gaussian is computed lives in :mod:`napari_masked_blur._engines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from napari_masked_blur._engines import (
    FUSED_FROM_SIZE,
    fused_masked_blur,
    fused_suits,
    gaussian_smooth_scaled,
    prepare_fused,
    unscaled,
)
from napari_masked_blur._math.boxes import (
    Box,
    bounding_box,
    box_pixels,
    grow_box,
    region_window,
    with_channel,
)
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.filter import Finish, Term
from napari_masked_blur._math.moments import fused_statistic, prepare_statistic_later
from napari_masked_blur._math.outside import apply_outside, fill_around, place_region
from napari_masked_blur._math.terms import term_arrays
from napari_masked_blur._math.weights import (
    mask_inside,
    unit_weights,
    weight_exponent,
)

if TYPE_CHECKING:
    from napari_masked_blur._math.options import BlurOptions


def filter_dense(
    image: np.ndarray,
    mask: np.ndarray,
    options: BlurOptions,
    other: np.ndarray | None = None,
) -> np.ndarray:
    """The filter over the whole image with one mask (no per-label).

    Outside the mask's bounding box every weight is 0, so the result there
    is known without filtering: only the window that determines the box is
    smoothed (with "fill", the box grown by the kernel's reach).  ``other``:
    the second image of a filter that takes one, shaped like ``image``.
    """
    inside = mask_inside(mask, options.labels)
    box = bounding_box(inside)
    axis = options.channel_axis
    if box is None:
        return apply_outside(
            image, None, inside, options.outside, axis, output_count(options)
        )
    space = mask.shape
    if options.outside == "fill":
        box = grow_box(box, options.reach, space, wrap=options.mode == "wrap")
    fused = _fused_blur(image, mask, inside, box, options)
    if fused is None:
        fused = fused_statistic(image, mask, inside, box, options, other)
    if fused is not None:
        return fused
    window, inner = region_window(box, space, options.reach, options.mode)
    # [0]: the certainty is let go here, before the output is made beside
    # the quotient (held, it cost another window of memory at the peak).
    quotient = normalized_quotient(
        image[with_channel(window, axis)],
        # Weights as they are (a float certainty map) or 0/1; checked above.
        mask[window] if mask.dtype.kind == "f" else inside[window],
        options,
        None if other is None else other[with_channel(window, axis)],
    )[0]
    quotient = quotient[(..., *with_channel(inner, axis))]  # outputs in front
    if box_pixels(inner) < box_pixels(window):
        # Only the box is placed: keep its part alone beside the output (a
        # 64x512x512 ball at sigma 3: peak 1.3x the image as float32, not 1.5x).
        quotient = quotient.copy()
    out = place_region(image, quotient, box, inside, options.outside, axis)
    _prepare_fused_later(image, mask, inside, box, options)
    prepare_statistic_later(image, mask, inside, box, options, other)
    return out


def output_count(options: BlurOptions) -> int:
    """How many outputs the filter stacks in front (0: one, shaped like the image)."""
    return len(options.filter.output_names(len(options.smoothed)))


def _fused_blur(
    image: np.ndarray,
    mask: np.ndarray,
    inside: np.ndarray,
    box: Box,
    options: BlurOptions,
) -> np.ndarray | None:
    """The same result in one fused pass, or None where that pass does not apply.

    The fused pass (:func:`~napari_masked_blur._engines.fused_masked_blur`)
    takes ``method="auto"`` without a channel axis, once its compiled loops
    are ready, for boxes large enough to be worth it; it writes the box,
    and the outside policy is written around it here.
    """
    use = _fused_use(image, mask, inside, box, options)
    if use is None:
        return None
    weights, dtype = use
    out = np.empty(image.shape, dtype)
    done = fused_masked_blur(
        image,
        weights,
        out,
        box,
        options.sigma,
        mode=options.engine_mode,
        truncate=options.truncate,
        shift=_shift(image, weights, dtype),
        certainty=mask.dtype.kind == "f",
        outside=options.outside,
        start=False,  # started after this call: see _prepare_fused_later
    )
    if not done:
        return None
    fill_around(out, image, box, options.outside)
    return out


def _fused_use(
    image: np.ndarray,
    mask: np.ndarray,
    inside: np.ndarray,
    box: Box,
    options: BlurOptions,
) -> tuple[np.ndarray, np.dtype] | None:
    """Weights and output type for the fused pass; None where it does not suit."""
    if (
        options.method != "auto"
        or not options.filter.is_quotient
        or options.channel_axis is not None
        or box_pixels(box) < FUSED_FROM_SIZE
    ):
        return None
    dtype = output_dtype(image.dtype)
    if not fused_suits(
        mask.shape, options.sigma, options.engine_mode, dtype, options.truncate
    ):
        return None
    # Label ids are never weights: with chosen labels, the pixels inside.
    certainty = mask.dtype.kind == "f"
    if certainty and weight_exponent(mask) != 0:
        return None  # far from 1: rescaled (unit_weights) on the engines' route
    return (mask if certainty or options.labels is None else inside), dtype


def _prepare_fused_later(
    image: np.ndarray,
    mask: np.ndarray,
    inside: np.ndarray,
    box: Box,
    options: BlurOptions,
) -> None:
    """After a blur the fused pass would have taken: get its loops ready.

    Started once the result is made, so that numba's import (on a background
    thread, holding the GIL much of the time) does not slow this first call.
    """
    use = _fused_use(image, mask, inside, box, options)
    if use is not None:
        prepare_fused((image.dtype, use[0].dtype, use[1]))


def _shift(image: np.ndarray, weights: np.ndarray, dtype: np.dtype) -> float:
    """One weighted, finite pixel's value in float32 (see smooth_filter), else 0."""
    if dtype != np.float32:
        return 0.0
    heaviest = int(np.argmax(weights))  # a bool mask: its first True
    value = image.flat[heaviest]
    if weights.flat[heaviest] > 0 and np.isfinite(value):
        return float(value)
    finite = np.flatnonzero((weights > 0) & np.isfinite(image))
    return float(image.flat[finite[0]]) if finite.size else 0.0


def normalized_quotient(
    image: np.ndarray,
    weights: np.ndarray,
    options: BlurOptions,
    other: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(result, G*w)`` of the filter for every channel, channels back in place.

    For the masked Gaussian the result is ``G*(x w) / G*w``.  ``weights``
    (spatial shape) are read, never written.  ``other``, the second image of
    a filter that takes one, is shaped like ``image``: channel ``k`` of the
    image goes with channel ``k`` of ``other``.
    """
    axis = options.channel_axis
    if axis is None:
        return smooth_filter(image, weights, options, other)
    channels = np.moveaxis(image, axis, 0)
    partners = [None] * len(channels) if other is None else np.moveaxis(other, axis, 0)
    pairs = [
        smooth_filter(channel, weights, options, partner)
        for channel, partner in zip(channels, partners, strict=True)
    ]
    # A filter with outputs stacks them in front: the channels follow.
    lead = pairs[0][0].ndim - pairs[0][1].ndim
    result = np.stack([q for q, _ in pairs], axis=axis + lead)
    certainty = np.stack([c for _, c in pairs], axis=axis)
    return result, certainty


def smooth_filter(
    image: np.ndarray,
    weights: np.ndarray,
    options: BlurOptions,
    other: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(result, G*w)`` of the filter (``options.filter``) for one channel.

    Each term of the filter's description, ``(x - c)**p (y - d)**q · w``
    (:mod:`.terms`; ``y`` is ``other``, the second image of a filter that
    takes one), is smoothed (differentiated by its order), all in one engine
    call per order, then the description's ``finish`` makes the result
    (:mod:`.filter`); a description with its own ``compute`` is computed by
    it instead.  A ``pixel`` term is handed to the finish as it is.
    ``weights`` is copied, never written.  Non-finite image pixels get
    weight 0.  The result is NaN where ``G*w == 0``.

    In float32 the image is first shifted by ``c``, the value of one weighted
    pixel: for the Gaussian ``G*((x - c) w) / G*w + c`` is the same quotient,
    but rounding is then relative to the spread of the data rather than its
    magnitude (data at 30000 ± 300 would otherwise lose ~1e-4 of its range);
    the moments of higher powers are taken about ``c`` for the same reason,
    and a derivative of the quotient does not see ``c`` at all.
    """
    description = options.filter
    if description.compute is not None:
        return description.compute(image, weights, options)
    return smooth_terms(
        image,
        weights,
        options,
        description.terms,
        description.finish,
        scales=description.scales,
        other=other,
    )


def smooth_terms(
    image: np.ndarray,
    weights: np.ndarray,
    options: BlurOptions,
    terms: Sequence[Term],
    finish: Finish,
    sigma: Sequence[float] | None = None,
    scales: Sequence[Sequence[float]] = (),
    other: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(finish(smoothed, c), G*w)``: ``terms`` smoothed and finished, one channel.

    The work of :func:`smooth_filter`, for any terms (the last the weights,
    ``Term(0)``) and any ``sigma`` per spatial axis (None: the options'),
    as a filter's ``compute`` needs it.  A term's order is spread over the
    smoothed axes (:func:`engine_order`); a term of ``scale`` k > 0 is
    smoothed with ``scales[k - 1]``; terms of one order and scale reach the
    engine together.
    """
    sigmas = [options.sigma if sigma is None else tuple(sigma), *map(tuple, scales)]
    dtype = output_dtype(image.dtype)
    binary = weights.dtype == bool
    weights, weight_exponent = unit_weights(weights, dtype)
    arrays, offset = term_arrays(image, weights, terms, dtype, other, binary)
    smoothed: list[np.ndarray] = list(arrays)
    groups = {
        i: (engine_order(t.order, options), t.scale)
        for i, t in enumerate(terms)
        if not t.pixel
    }
    first: int | None = None
    for order, scale in sorted(
        set(groups.values()), key=lambda g: (g[1], sum(g[0]), g[0])
    ):
        at = [i for i, g in groups.items() if g == (order, scale)]
        out, exponent = gaussian_smooth_scaled(
            [arrays[i] for i in at],
            sigmas[scale],
            mode=options.engine_mode,
            truncate=options.truncate,
            method=options.method,
            order=order,
        )
        if first is None:
            first = exponent
        else:  # every term to the scale of the first
            unscaled(out, exponent - first)
        for i, array in zip(at, out, strict=True):
            smoothed[i] = array
    # Every term was scaled alike (wide kernels): the finish, a ratio of
    # terms, is as it is; the certainty goes back to the weights' scale.
    certainty = smoothed[-1]
    result = finish(smoothed, offset)
    unscaled([certainty], (first or 0) - weight_exponent)
    return result, certainty


def engine_order(order: int | Sequence[int], options: BlurOptions) -> tuple[int, ...]:
    """A term's order as the engines take it: one per spatial axis.

    One int is that order along every smoothed axis; a tuple gives one per
    smoothed axis.  Frame axes (not smoothed) get 0: never differentiated.
    """
    smoothed = options.smoothed
    given = (order,) * len(smoothed) if isinstance(order, int) else tuple(order)
    per_axis = [0] * len(options.sigma)
    for axis, o in zip(smoothed, given, strict=True):
        per_axis[axis] = int(o)
    return tuple(per_axis)
