"""The masked blur of in-memory arrays: the normalized convolution itself.

For an image ``x`` and non-negative weights ``w`` (the mask as 0/1, or a
per-pixel certainty) the normalized convolution with a Gaussian ``G`` is::

    out = G*(x w) / G*w

Pixels with ``w = 0`` contribute nothing, so values outside the mask never
leak in, and because the denominator counts only the weight that is really
there the mask edge is not pulled toward zero.  ``G*w`` itself is the
*certainty* of each output pixel: how much data stood behind it.

Everything here takes checked :class:`~.options.BlurOptions`; how the
Gaussian is computed lives in :mod:`napari_masked_blur._engines`.
"""

from __future__ import annotations

import numpy as np

from napari_masked_blur._blur.boxes import (
    bounding_box,
    grow_box,
    region_window,
    with_channel,
)
from napari_masked_blur._blur.options import BlurOptions, output_dtype
from napari_masked_blur._blur.weights import (
    apply_outside,
    mask_inside,
    place_region,
    zero_missing,
)
from napari_masked_blur._engines import gaussian_smooth


def masked_blur(
    image: np.ndarray, mask: np.ndarray, options: BlurOptions
) -> np.ndarray:
    """The masked blur of the whole image with one mask (no per-label).

    Outside the mask's bounding box every weight is 0, so the result there
    is known without filtering: only the window that determines the box is
    smoothed (with "fill", the box grown by the kernel's reach).
    """
    inside = mask_inside(mask, options.labels)
    box = bounding_box(inside)
    axis = options.channel_axis
    if box is None:
        return apply_outside(image, None, inside, options.outside, axis)
    space = mask.shape
    if options.outside == "fill":
        box = grow_box(box, options.radius, space, wrap=options.mode == "wrap")
    window, inner = region_window(box, space, options.radius, options.mode)
    quotient, _ = normalized_quotient(
        image[with_channel(window, axis)],
        # Weights as they are (a float certainty map) or 0/1; checked above.
        mask[window] if mask.dtype.kind == "f" else inside[window],
        options,
    )
    quotient = quotient[with_channel(inner, axis)]
    return place_region(image, quotient, box, inside, options.outside, axis)


def normalized_quotient(
    image: np.ndarray, weights: np.ndarray, options: BlurOptions
) -> tuple[np.ndarray, np.ndarray]:
    """``(G*(x w) / G*w, G*w)`` for every channel, channels back in place.

    ``weights`` (spatial shape) are read, never written.
    """
    axis = options.channel_axis
    if axis is None:
        return smooth_quotient(image, weights, options)
    pairs = [
        smooth_quotient(channel, weights, options)
        for channel in np.moveaxis(image, axis, 0)
    ]
    quotient = np.stack([q for q, _ in pairs], axis=axis)
    certainty = np.stack([c for _, c in pairs], axis=axis)
    return quotient, certainty


def smooth_quotient(
    image: np.ndarray, weights: np.ndarray, options: BlurOptions
) -> tuple[np.ndarray, np.ndarray]:
    """``(G*(x w) / G*w, G*w)`` for one channel.

    ``weights`` is copied, never written.  Non-finite image pixels get
    weight 0.  The quotient is NaN where ``G*w == 0``.

    In float32 the image is first shifted by ``c``, the value of one weighted
    pixel: ``G*((x - c) w) / G*w + c`` is the same quotient, but rounding is
    then relative to the spread of the data rather than its magnitude (data
    at 30000 ± 300 would otherwise lose ~1e-4 of its range).
    """
    dtype = output_dtype(image.dtype)
    # order="C": a broadcast mask (stride 0) would keep its odd layout.
    weights = np.array(weights, dtype=dtype, copy=True, order="C")
    numerator, offset = _centered_numerator(image, weights, dtype)
    numerator, certainty = gaussian_smooth(
        [numerator, weights],
        options.sigma,
        mode=options.engine_mode,
        truncate=options.truncate,
        method=options.method,
    )
    # Engines return an exact 0 where no weight is in reach, and the numerator
    # is 0 there too: 0/0 gives the NaN promised, without a mask pass.
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(numerator, certainty, out=numerator)
    if offset:
        numerator += offset
    return numerator, certainty


def _centered_numerator(
    image: np.ndarray, weights: np.ndarray, dtype: np.dtype
) -> tuple[np.ndarray, float]:
    """``(x - c) w`` in ``dtype`` and the shift ``c`` (0 in float64).

    Zeroes ``weights`` (a scratch copy) where the image is not finite.
    """
    scratch = None  # our own float copy of the image, when one is needed
    if image.dtype.kind == "f":
        image = scratch = image.astype(dtype)
        zero_missing(image, weights, image)
    elif dtype == np.float64:  # integers are finite: convert and multiply at once
        return np.multiply(image, weights, dtype=dtype), 0.0
    heaviest = int(np.argmax(weights))
    offset = 0.0
    if dtype == np.float32 and weights.flat[heaviest] > 0:
        offset = float(image.flat[heaviest])
    # One pass: convert (integers) and shift, into our copy if we have one.
    numerator = np.subtract(image, dtype.type(offset), out=scratch, dtype=dtype)
    numerator *= weights
    return numerator, offset
