"""Masked Gaussian blur by normalized convolution; numpy and scipy only.

For an image ``x`` and non-negative weights ``w`` (the mask as 0/1, or a
per-pixel certainty) the normalized convolution with a Gaussian ``G`` is::

    out = G*(x w) / G*w

Pixels with ``w = 0`` contribute nothing, so values outside the mask never
leak in, and because the denominator counts only the weight that is really
there the mask edge is not pulled toward zero.  ``G*w`` itself is the
*certainty* of each output pixel: how much data stood behind it.

This module validates input, turns masks into weights and applies the
``outside`` policy.  How the Gaussian is computed lives in ``_engines``; the
per-label variant in ``_labels``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from napari_masked_blur._engines import gaussian_smooth, kernel_radius

OUTSIDE_POLICIES = ("keep", "zero", "nan", "fill")
MODES = ("missing", "reflect", "nearest", "mirror", "wrap")

# "missing" means: beyond the border there is no data (weight 0).  Filtering
# numerator and weights with zeros beyond the border does exactly that.
_ENGINE_MODE = {"missing": "constant"}

SigmaLike = float | Sequence[float]


def output_dtype(image_dtype: npt.DTypeLike) -> np.dtype:
    """Float type of the result for an image of ``image_dtype``.

    float64 stays float64, and so do 32- and 64-bit integers, whose values
    float32 cannot hold exactly; everything else (bool, 8/16-bit integers,
    float16, float32) gives float32.
    """
    dtype = np.dtype(image_dtype)
    if dtype == np.float64 or (dtype.kind in "iu" and dtype.itemsize >= 4):
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def check_options(mode: str, truncate: float, outside: str = "keep") -> None:
    """Raise ``ValueError`` for an unknown mode or outside, or a bad truncate."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    if outside not in OUTSIDE_POLICIES:
        raise ValueError(
            f"unknown outside {outside!r}; expected one of {OUTSIDE_POLICIES}"
        )
    if not (isinstance(truncate, int | float) and math.isfinite(truncate)):
        raise ValueError(f"truncate must be a finite number, got {truncate!r}")
    if truncate <= 0:
        raise ValueError(f"truncate must be > 0, got {truncate!r}")


def sigma_in_pixels(
    sigma: SigmaLike, ndim: int, spacing: SigmaLike | None = None
) -> tuple[float, ...]:
    """One sigma per spatial axis, in pixels.

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation of the Gaussian: one value for all axes or one per
        axis; in pixels, or in the units of ``spacing`` when it is given.
    ndim : int
        Number of spatial axes.
    spacing : float or sequence of float, optional
        Pixel size per axis (e.g. ``(dz, dy, dx)`` in µm).  Then
        ``sigma_pixels = sigma / spacing``.
    """
    sigmas = _per_axis("sigma", sigma, ndim)
    for s in sigmas:
        if not math.isfinite(s) or s < 0:
            raise ValueError(f"sigma must be finite and >= 0, got {sigma!r}")
    if spacing is None:
        return sigmas
    spacings = _per_axis("spacing", spacing, ndim)
    for d in spacings:
        if not math.isfinite(d) or d <= 0:
            raise ValueError(f"spacing must be finite and > 0, got {spacing!r}")
    return tuple(s / d for s, d in zip(sigmas, spacings, strict=True))


def _per_axis(name: str, value: SigmaLike, ndim: int) -> tuple[float, ...]:
    values = np.atleast_1d(np.asarray(value, dtype=float))
    if values.ndim != 1:
        raise ValueError(f"{name} must be a number or a flat sequence, got {value!r}")
    if values.size == 1:
        return (float(values[0]),) * ndim
    if values.size != ndim:
        raise ValueError(
            f"{name} has {values.size} values {tuple(values.tolist())} but the "
            f"image has {ndim} spatial axes"
        )
    return tuple(float(v) for v in values)


def is_dask(array: object) -> bool:
    """Whether ``array`` is a dask array; never imports dask itself."""
    return type(array).__module__.startswith("dask.")


def check_image(image: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``image`` is a real-valued array with pixels."""
    if image.dtype.kind not in "biuf":
        raise ValueError(f"image must be real-valued, got dtype {image.dtype}")
    if image.ndim == 0 or image.size == 0:
        raise ValueError(f"image must have pixels, got shape {image.shape}")


def spatial_shape(shape: tuple[int, ...], channel_axis: int | None) -> tuple[int, ...]:
    """``shape`` without its channel axis."""
    if channel_axis is None:
        return shape
    axis = _normalize_axis(channel_axis, len(shape))
    return shape[:axis] + shape[axis + 1 :]


def _normalize_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"channel_axis {axis} is out of range for {ndim} dimensions")
    return axis % ndim


def check_mask_shape(
    image_shape: tuple[int, ...], mask_shape: tuple[int, ...], channel_axis: int | None
) -> None:
    """Raise ``ValueError`` naming both shapes when the mask does not fit."""
    expected = spatial_shape(image_shape, channel_axis)
    if tuple(mask_shape) != expected:
        where = "" if channel_axis is None else " without its channel axis"
        raise ValueError(
            f"mask shape {tuple(mask_shape)} does not match image shape "
            f"{tuple(image_shape)}{where} {expected}"
        )


def mask_to_weights(
    mask: np.ndarray, labels: int | Sequence[int] | None = None
) -> np.ndarray:
    """Weights in float32 from a mask.

    bool or integer masks: 1 where the pixel is inside (nonzero, or one of
    ``labels``), else 0; label ids are never used as weights.  Floating masks
    are certainty maps, taken as they are; they must be finite and >= 0.
    """
    if mask.dtype.kind == "f":
        check_certainty_map(mask, labels)
        return mask.astype(np.float32)
    return mask_inside(mask, labels).astype(np.float32)


def zero_missing(image: np.ndarray, *arrays: np.ndarray) -> None:
    """Set ``arrays`` to 0 wherever ``image`` is not finite: missing data."""
    if image.dtype.kind != "f":
        return
    missing = ~np.isfinite(image)
    if missing.any():
        for array in arrays:
            array[missing] = 0


def mask_inside(
    mask: np.ndarray, labels: int | Sequence[int] | None = None
) -> np.ndarray:
    """Boolean array: the pixels :func:`mask_to_weights` gives a weight > 0."""
    if mask.dtype.kind == "f":
        check_certainty_map(mask, labels)
        return mask > 0
    if mask.dtype.kind not in "biu":
        raise ValueError(f"mask must be bool, integer or float, got dtype {mask.dtype}")
    return inside_labels(mask, labels)


def check_certainty_map(mask: np.ndarray, labels: int | Sequence[int] | None) -> None:
    """Raise ``ValueError`` for labels with a float mask, or a bad weight in it."""
    if labels is not None:
        raise ValueError(
            f"labels={labels!r} needs an integer or bool mask, got a {mask.dtype} "
            "certainty map"
        )
    check_weights(mask)


def check_mask_kind(
    dtype: np.dtype, labels: int | Sequence[int] | None, per_label: bool
) -> None:
    """The dtype checks on a mask that need no pixel values."""
    if dtype.kind not in "biuf":
        raise ValueError(f"mask must be bool, integer or float, got dtype {dtype}")
    if dtype.kind == "f" and (labels is not None or per_label):
        raise ValueError(
            f"labels and per_label need an integer or bool mask, got a {dtype} "
            "certainty map"
        )


def inside_labels(mask: np.ndarray, labels: int | Sequence[int] | None) -> np.ndarray:
    """Boolean array: which pixels of an integer mask are inside.

    A bool mask with no ``labels`` is returned as it is (read, never written).
    """
    if labels is None:
        return mask if mask.dtype == bool else mask != 0
    ids = np.atleast_1d(np.asarray(labels))
    if ids.dtype.kind not in "iu" or ids.ndim != 1:
        raise ValueError(
            f"labels must be an integer or a list of integers, got {labels!r}"
        )
    if ids.size == 1:
        return mask == ids[0]
    return np.isin(mask, ids)


def check_weights(weights: np.ndarray) -> None:
    """Raise ``ValueError`` naming the first weight that is negative or not finite."""
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        index = tuple(int(i) for i in np.unravel_index(np.argmax(bad), weights.shape))
        raise ValueError(
            f"weights must be finite and >= 0; found {weights[index]!r} "
            f"at index {index}"
        )


def normalized_convolution(
    image: npt.ArrayLike,
    weights: npt.ArrayLike,
    sigma: SigmaLike,
    *,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: SigmaLike | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
    return_certainty: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Normalized convolution ``G*(image·weights) / G*weights``.

    Parameters
    ----------
    image : array_like
        Any real dtype and number of dimensions.  NaN and inf pixels are
        missing data: their weight is 0.
    weights : array_like
        Non-negative, finite certainty per pixel, shaped like ``image``
        without its channel axis.  0/1 for a plain mask.
    sigma : float or sequence of float
        Gaussian standard deviation, one value or one per spatial axis, in
        pixels (in the units of ``spacing`` when given).  0 = no smoothing
        along that axis.
    mode : {"missing", "reflect", "nearest", "mirror", "wrap"}
        What lies beyond the image border.  "missing": nothing (weight 0), so
        a constant image stays constant up to the edge.  The others extend
        image and weights as :func:`scipy.ndimage.gaussian_filter` does.
    truncate : float
        Kernel radius in sigmas: ``radius = int(truncate * sigma + 0.5)``.
    spacing : float or sequence of float, optional
        Pixel size per spatial axis; makes ``sigma`` physical.
    channel_axis : int, optional
        Axis of ``image`` holding channels, each smoothed alone.
    method : str
        Engine for the Gaussian; "auto" picks the fastest that fits.
    return_certainty : bool
        Also return ``G*weights``, shaped like ``image``.

    Returns
    -------
    out : ndarray
        float32 (float64 for float64 and 32/64-bit integer images).  NaN where
        no weight lies within the kernel's reach.  Lazy dask arrays when
        ``image`` or ``weights`` is one.
    certainty : ndarray
        Only with ``return_certainty``: ``G*weights``, same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[0.0, 10.0, 20.0, 1000.0]])
    >>> weights = np.array([[1.0, 1.0, 1.0, 0.0]])
    >>> out = normalized_convolution(image, weights, 1.0)
    >>> bool(out[0, 2] < 20)  # smoothed among its neighbours, not with 1000
    True
    """
    if is_dask(image) or is_dask(weights):
        from napari_masked_blur._lazy import normalized_convolution_lazy

        return normalized_convolution_lazy(
            image,
            weights,
            sigma,
            mode=mode,
            truncate=truncate,
            spacing=spacing,
            channel_axis=channel_axis,
            method=method,
            return_certainty=return_certainty,
        )
    image = np.asarray(image)
    weights = np.asarray(weights)
    check_image(image)
    check_mask_shape(image.shape, weights.shape, channel_axis)
    check_options(mode, truncate)
    if weights.dtype.kind not in "biuf":
        raise ValueError(f"weights must be real-valued, got dtype {weights.dtype}")
    check_weights(weights)
    space = spatial_shape(image.shape, channel_axis)
    sigma_px = sigma_in_pixels(sigma, len(space), spacing)
    quotient, certainty = _per_channel(
        image,
        weights,
        sigma_px,
        channel_axis,
        mode=mode,
        truncate=truncate,
        method=method,
    )
    return (quotient, certainty) if return_certainty else quotient


def _per_channel(
    image: np.ndarray,
    weights: np.ndarray,
    sigma: tuple[float, ...],
    channel_axis: int | None,
    **options: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Quotient and certainty for every channel, channels back in place."""
    if channel_axis is None:
        return smooth_quotient(image, weights, sigma, **options)
    axis = _normalize_axis(channel_axis, image.ndim)
    pairs = [
        smooth_quotient(channel, weights, sigma, **options)
        for channel in np.moveaxis(image, axis, 0)
    ]
    quotient = np.stack([q for q, _ in pairs], axis=axis)
    certainty = np.stack([c for _, c in pairs], axis=axis)
    return quotient, certainty


def smooth_quotient(
    image: np.ndarray,
    weights: np.ndarray,
    sigma: tuple[float, ...],
    *,
    mode: str,
    truncate: float,
    method: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """``(G*(x w) / G*w, G*w)`` for one channel; no validation.

    ``weights`` is copied, never written.  Non-finite image pixels get
    weight 0.  The quotient is NaN where ``G*w == 0``.

    In float32 the image is first shifted by ``c``, the value of one weighted
    pixel: ``G*((x - c) w) / G*w + c`` is the same quotient, but rounding is
    then relative to the spread of the data rather than its magnitude (data
    at 30000 ± 300 would otherwise lose ~1e-4 of its range).
    """
    dtype = output_dtype(image.dtype)
    weights = np.array(weights, dtype=dtype, copy=True)
    numerator, offset = _centered_numerator(image, weights, dtype)
    numerator, certainty = gaussian_smooth(
        [numerator, weights],
        sigma,
        mode=_ENGINE_MODE.get(mode, mode),
        truncate=truncate,
        method=method,
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


def masked_gaussian(
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    sigma: SigmaLike,
    *,
    outside: str = "keep",
    labels: int | Sequence[int] | None = None,
    per_label: bool = False,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: SigmaLike | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
) -> np.ndarray:
    """Gaussian blur of ``image`` inside ``mask``, by normalized convolution.

    Inside the mask, ``out = G*(image·w) / G*w`` with ``w`` the mask as
    weights: pixels outside the mask never leak in and the mask edge is not
    dragged toward zero.

    Parameters
    ----------
    image : array_like
        Any real dtype, any number of dimensions.  NaN/inf are missing data.
    mask : array_like
        Same shape as ``image`` (without its channel axis).  bool or integer:
        inside = nonzero (or one of ``labels``); label ids are not weights.
        Floating: a certainty map, finite and >= 0; inside = weight > 0.
    sigma : float or sequence of float
        Standard deviation, scalar or one per spatial axis; pixels, or the
        units of ``spacing``.  0 on an axis = no smoothing along it.
    outside : {"keep", "zero", "nan", "fill"}
        Pixels outside the mask: the original value, 0, NaN, or "fill": the
        normalized result wherever weight is in reach (fills holes,
        extrapolates), NaN where nothing is.
    labels : int or sequence of int, optional
        Only these label ids are inside.
    per_label : bool
        Smooth each label with its own pixels only: no value crosses from one
        label into a touching one.  Work is done in each label's bounding box
        grown by the kernel radius.
    mode : {"missing", "reflect", "nearest", "mirror", "wrap"}
        The image border; see :func:`normalized_convolution`.
    truncate : float
        Kernel radius in sigmas, as in scipy.
    spacing : float or sequence of float, optional
        Pixel size per spatial axis, making ``sigma`` physical.
    channel_axis : int, optional
        Axis of ``image`` holding channels.
    method : str
        Gaussian engine; "auto" picks the fastest that fits.

    Returns
    -------
    ndarray
        Same shape as ``image``; float32, or float64 for float64 and 32/64-bit
        integer images.  The inputs are not modified.  When ``image`` or
        ``mask`` is a dask array: a lazy dask array, chunked like the image,
        equal to the in-memory result (see ``napari_masked_blur._lazy``).

    Notes
    -----
    Inside pixels whose kernel reaches no weight at all (e.g. a NaN pixel
    with ``sigma=0``) are NaN.  An all-zero mask leaves every pixel outside,
    so the result is the ``outside`` policy applied everywhere (the image
    itself, as float, for "keep").

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((5, 5), 100, dtype=np.uint16)
    >>> image[:, 3:] = 60000                     # bright, but outside the mask
    >>> mask = np.zeros((5, 5), bool)
    >>> mask[:, :3] = True
    >>> out = masked_gaussian(image, mask, sigma=2)
    >>> float(out[2, 2]), float(out[2, 4])       # inside: untouched by 60000
    (100.0, 60000.0)
    """
    if is_dask(image) or is_dask(mask):
        from napari_masked_blur._lazy import masked_gaussian_lazy

        return masked_gaussian_lazy(
            image,
            mask,
            sigma,
            outside=outside,
            labels=labels,
            per_label=per_label,
            mode=mode,
            truncate=truncate,
            spacing=spacing,
            channel_axis=channel_axis,
            method=method,
        )
    image = np.asarray(image)
    mask = np.asarray(mask)
    check_image(image)
    check_mask_shape(image.shape, mask.shape, channel_axis)
    check_options(mode, truncate, outside)
    space = spatial_shape(image.shape, channel_axis)
    sigma_px = sigma_in_pixels(sigma, len(space), spacing)
    options = {"mode": mode, "truncate": truncate, "method": method}
    if per_label:
        from napari_masked_blur._labels import per_label_blur

        return per_label_blur(
            image,
            mask,
            sigma_px,
            outside=outside,
            labels=labels,
            channel_axis=channel_axis,
            **options,
        )
    inside = mask_inside(mask, labels)
    box = bounding_box(inside)
    if box is None:
        return apply_outside(image, None, inside, outside, channel_axis)
    # Outside the mask's box every weight is 0, so the result there is known
    # without filtering: smooth only the window that determines the box.
    radius = kernel_radius(sigma_px, truncate)
    region = box if outside != "fill" else _reach_of(box, space, radius, mode)
    window, inner = region_window(region, space, radius, mode)
    quotient, _ = _per_channel(
        image[with_channel(window, channel_axis)],
        # Weights as they are (a float certainty map) or 0/1; checked above.
        mask[window] if mask.dtype.kind == "f" else inside[window],
        sigma_px,
        channel_axis,
        **options,
    )
    quotient = quotient[with_channel(inner, channel_axis)]
    return _place_region(image, quotient, region, inside, outside, channel_axis)


def bounding_box(inside: np.ndarray) -> tuple[slice, ...] | None:
    """Smallest box holding every True pixel of ``inside``; None if there is none."""
    box = []
    for axis in range(inside.ndim):
        others = tuple(a for a in range(inside.ndim) if a != axis)
        hits = np.flatnonzero(inside.any(axis=others))
        if hits.size == 0:
            return None
        box.append(slice(int(hits[0]), int(hits[-1]) + 1))
    return tuple(box)


def _reach_of(
    box: tuple[slice, ...], shape: tuple[int, ...], radius: tuple[int, ...], mode: str
) -> tuple[slice, ...]:
    """Pixels the kernel carries weight to from ``box``: the box grown by radius.

    With "wrap" weight that crosses one border comes in at the other, so such an
    axis is taken whole.
    """
    region = []
    for sl, size, r in zip(box, shape, radius, strict=True):
        lo, hi = sl.start - r, sl.stop + r
        if mode == "wrap" and (lo < 0 or hi > size):
            lo, hi = 0, size
        region.append(slice(max(lo, 0), min(hi, size)))
    return tuple(region)


def with_channel(
    index: tuple[slice, ...], channel_axis: int | None
) -> tuple[slice, ...]:
    """A spatial index extended by the whole channel axis.

    ``channel_axis`` counts in the full array, which has one more axis than
    ``index``.
    """
    if channel_axis is None:
        return index
    axis = channel_axis % (len(index) + 1)
    return (*index[:axis], slice(None), *index[axis:])


def _place_region(
    image: np.ndarray,
    quotient: np.ndarray,
    region: tuple[slice, ...],
    inside: np.ndarray,
    outside: str,
    channel_axis: int | None,
) -> np.ndarray:
    """The full result: ``quotient`` over ``region``, the outside policy elsewhere."""
    dtype = output_dtype(image.dtype)
    if outside == "keep":
        out = image.astype(dtype)
    elif outside == "zero":
        out = np.zeros(image.shape, dtype)
    else:
        out = np.full(image.shape, np.nan, dtype)
    target = out[with_channel(region, channel_axis)]
    if outside == "fill":
        target[...] = quotient
        return out
    inside = inside[region]
    if channel_axis is not None:
        inside = np.expand_dims(inside, _normalize_axis(channel_axis, image.ndim))
    np.copyto(target, quotient, where=inside)
    return out


def apply_outside(
    image: np.ndarray,
    quotient: np.ndarray | None,
    inside: np.ndarray,
    outside: str,
    channel_axis: int | None,
) -> np.ndarray:
    """Set the pixels outside the mask by the ``outside`` policy, in place.

    ``quotient`` is the normalized result (written into and returned), or
    None when nothing is inside: then a fresh array is made.
    """
    dtype = output_dtype(image.dtype)
    if quotient is None:
        quotient = np.full(image.shape, np.nan, dtype=dtype)
    if outside == "fill":
        return quotient
    if channel_axis is not None:
        inside = np.expand_dims(inside, _normalize_axis(channel_axis, image.ndim))
    inside = np.broadcast_to(inside, image.shape)
    if outside == "keep":
        np.copyto(quotient, image, where=~inside, casting="unsafe")
    else:
        quotient[~inside] = 0 if outside == "zero" else np.nan
    return quotient


def region_window(
    region: tuple[slice, ...],
    shape: tuple[int, ...],
    radius: tuple[int, ...],
    mode: str,
) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Input window that determines the output over ``region`` exactly.

    The output at a pixel depends on input within ``radius`` of it, plus, at
    the image border, on the border rule.  Growing ``region`` by ``radius``
    (clipped to the image) covers the first; a window that reaches the image
    border carries the border rule with it for every mode but "wrap", which
    needs the far side too, so there the window spans the whole axis.

    Parameters
    ----------
    region : tuple of slice
        Output region, one slice with explicit start/stop per axis.
    shape : tuple of int
        Full (spatial) shape.
    radius : tuple of int
        Kernel radius per axis, see :func:`kernel_radius`.
    mode : str
        Border mode.

    Returns
    -------
    window : tuple of slice
        Where to read the input.
    inner : tuple of slice
        Where ``region`` sits inside the window.
    """
    window, inner = [], []
    for sl, size, r in zip(region, shape, radius, strict=True):
        start, stop, _ = sl.indices(size)
        lo, hi = max(start - r, 0), min(stop + r, size)
        if mode == "wrap" and (lo == 0 or hi == size) and r > 0:
            lo, hi = 0, size
        window.append(slice(lo, hi))
        inner.append(slice(start - lo, stop - lo))
    return tuple(window), tuple(inner)


__all__ = [
    "MODES",
    "OUTSIDE_POLICIES",
    "kernel_radius",
    "masked_gaussian",
    "normalized_convolution",
    "region_window",
]
