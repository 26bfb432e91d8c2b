"""Computing the output over a region only, exactly, from the region's reach.

The output at a pixel depends on the image and mask within the kernel radius
``r`` of it (and, at the image border, on the border rule), so the output
over a region is determined by the input over the region grown by ``r``
(:func:`napari_masked_blur._core.region_window`): a paint that changed the
mask inside ``B`` is repaired by recomputing ``B`` grown by ``r`` from ``B``
grown by ``2 r`` (:func:`patch`).

For a volume shown plane by plane the same holds along the hidden axes: the
displayed plane needs only the planes within ``r`` of it.  Because the
Gaussian is separable, the hidden axes are reduced to the wanted planes
first, by a small matrix of kernel taps (:func:`tap_matrix`), and the
displayed axes smoothed afterwards on those planes alone.

Numpy only: the widget calls this from a worker thread and writes the
results into its layers on the main thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from napari_masked_blur._core import (
    _ENGINE_MODE,
    apply_outside,
    check_image,
    check_mask_shape,
    check_options,
    inside_labels,
    mask_to_weights,
    masked_gaussian,
    output_dtype,
    region_window,
    sigma_in_pixels,
    spatial_shape,
    with_channel,
    zero_missing,
)
from napari_masked_blur._engines import (
    gaussian_kernel1d,
    gaussian_smooth,
    kernel_radius,
)
from napari_masked_blur._engines._band import extend_index, one_blas_thread
from napari_masked_blur._live import Box, grow_box

# Pixels of input per block when reducing the tapped axes: small enough to
# stay in cache between making the products and reducing them (1 MB per
# float32 array).  A 1024 x 1024 plane at sigma 3 took 311 ms with blocks of
# 2**20 pixels, 68 ms with 2**18 (same run, busy 2-core machine).
_BLOCK_PIXELS = 2**18


def blur_region(
    image: np.ndarray,
    mask: np.ndarray,
    region: Box,
    sigma: float | Sequence[float],
    *,
    outside: str = "keep",
    labels: int | Sequence[int] | None = None,
    per_label: bool = False,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: float | Sequence[float] | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
) -> np.ndarray:
    """``masked_gaussian(image, mask, sigma, ...)[region]``, reading only its reach.

    Arguments are those of :func:`napari_masked_blur.masked_gaussian`;
    ``region`` is a box over the spatial axes (no channel axis).  Only the
    input window ``region`` grown by the kernel radius is read, so the cost
    follows the region, not the image.  ``image`` and ``mask`` may be any
    arrays that numpy-index with slices (memory maps, zarr arrays, ...).

    Returns
    -------
    ndarray
        The output over ``region`` (channel axis included), equal to the
        full computation up to float rounding.
    """
    space = spatial_shape(tuple(image.shape), channel_axis)
    check_mask_shape(tuple(image.shape), tuple(mask.shape), channel_axis)
    check_options(mode, truncate, outside)
    region = _checked_region(region, space)
    sigma_px = sigma_in_pixels(sigma, len(space), spacing)
    radius = kernel_radius(sigma_px, truncate)
    window, inner = region_window(region, space, radius, mode)
    image_w = np.asarray(image[with_channel(window, channel_axis)])
    mask_w = np.asarray(mask[window])
    check_image(image_w)
    tapped = _tapped_axes(inner, mask_w.shape, radius)
    if per_label or channel_axis is not None or not tapped:
        out = masked_gaussian(
            image_w,
            mask_w,
            sigma_px,
            outside=outside,
            labels=labels,
            per_label=per_label,
            mode=mode,
            truncate=truncate,
            channel_axis=channel_axis,
            method=method,
        )
        return out[with_channel(inner, channel_axis)]
    return _blur_tapped(
        image_w, mask_w, inner, sigma_px, tapped,
        outside=outside, labels=labels, mode=mode, truncate=truncate, method=method,
    )  # fmt: skip


def update_patch(
    output: np.ndarray,
    image: np.ndarray,
    mask: np.ndarray,
    changed: Box,
    sigma: float | Sequence[float],
    **options: Any,
) -> Box:
    """Bring ``output`` up to date after the mask changed inside ``changed``.

    Recomputes the output over ``changed`` grown by the kernel radius and
    writes it into ``output`` (the full masked blur computed before the
    change).  Returns the box written.
    """
    box, values = patch(image, mask, changed, sigma, **options)
    output[with_channel(box, options.get("channel_axis"))] = values
    return box


def patch(
    image: np.ndarray,
    mask: np.ndarray,
    changed: Box,
    sigma: float | Sequence[float],
    **options: Any,
) -> tuple[Box, np.ndarray]:
    """The output box a mask change in ``changed`` touches, and its new values.

    The box is ``changed`` grown by the kernel radius; the values are
    :func:`blur_region` over it.  Split from :func:`update_patch` so a worker
    can compute and the main thread write.
    """
    space = spatial_shape(tuple(image.shape), options.get("channel_axis"))
    sigma_px = sigma_in_pixels(sigma, len(space), options.pop("spacing", None))
    radius = kernel_radius(sigma_px, options.get("truncate", 4.0))
    wrap = options.get("mode") == "wrap"
    box = grow_box(_checked_region(changed, space), radius, space, wrap=wrap)
    return box, blur_region(image, mask, box, sigma_px, **options)


def _checked_region(region: Box, shape: Sequence[int]) -> Box:
    if len(region) != len(shape):
        raise ValueError(
            f"region {region} has {len(region)} axes, the mask {len(shape)}"
        )
    box = tuple(slice(*s.indices(n)[:2]) for s, n in zip(region, shape, strict=True))
    if any(s.start >= s.stop for s in box):
        raise ValueError(f"region {region} is empty in shape {tuple(shape)}")
    return box


def _tapped_axes(
    inner: Box, window_shape: Sequence[int], radius: Sequence[int]
) -> list[int]:
    """Axes where the region is thin enough to reduce by a tap matrix.

    Reducing a line of ``n`` to ``m`` outputs costs ``m n`` multiply-adds,
    filtering it whole about ``n (r + 1)``: taps win for ``m <= r + 1``.
    """
    return [
        axis
        for axis, (s, n, r) in enumerate(zip(inner, window_shape, radius, strict=True))
        if r > 0 and s.stop - s.start <= r + 1 and s.stop - s.start < n
    ]


def _blur_tapped(
    image: np.ndarray,
    mask: np.ndarray,
    inner: Box,
    sigma: tuple[float, ...],
    tapped: list[int],
    *,
    outside: str,
    labels: Any,
    mode: str,
    truncate: float,
    method: str,
) -> np.ndarray:
    """The masked blur of a window, over ``inner`` only.

    Along the ``tapped`` axes the Gaussian is evaluated at the rows of
    ``inner`` alone, as ``taps @ array``; the remaining axes are then
    smoothed by the engine on what is left.  Separability makes this equal
    to smoothing everything and cropping.
    """
    dtype = output_dtype(image.dtype)
    taps = {
        axis: tap_matrix(
            image.shape[axis], inner[axis], sigma[axis], truncate, mode
        ).astype(dtype)
        for axis in tapped
    }
    numerator, weights = _tapped_products(image, mask, labels, taps, dtype)
    rest = [0.0 if axis in tapped else s for axis, s in enumerate(sigma)]
    numerator, certainty = gaussian_smooth(
        [np.ascontiguousarray(numerator), np.ascontiguousarray(weights)],
        rest,
        mode=_ENGINE_MODE.get(mode, mode),
        truncate=truncate,
        method=method,
    )
    crop = tuple(slice(None) if a in tapped else s for a, s in enumerate(inner))
    numerator, certainty = numerator[crop], certainty[crop]
    reached = certainty > 0
    quotient = np.full(numerator.shape, np.nan, dtype=dtype)
    np.divide(numerator, certainty, out=quotient, where=reached)
    inside = (
        inside_labels(mask[inner], labels)
        if mask.dtype.kind != "f"
        else mask[inner] > 0
    )
    return apply_outside(image[inner], quotient, inside, outside, None)


def _tapped_products(
    image: np.ndarray,
    mask: np.ndarray,
    labels: Any,
    taps: dict[int, np.ndarray],
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray]:
    """``taps`` applied to ``image * w`` and to ``w`` along their axes.

    Taps along axis 0 alone (the planes of a volume, the common case) are
    applied in one compiled pass (:mod:`napari_masked_blur._plane_taps`).
    Others in numpy, in blocks along an axis without taps, on two threads
    (numpy and BLAS release the GIL): each block's products stay in cache
    between being made and being reduced, instead of going out to memory
    and back.
    """
    if list(taps) == [0] and image.ndim in (2, 3):
        # Imported here: numba takes half a second to import.
        from napari_masked_blur._plane_taps import reduce_planes

        return reduce_planes(image, mask, labels, taps[0], dtype)
    shape = [taps[a].shape[0] if a in taps else n for a, n in enumerate(image.shape)]
    numerator, weights = np.empty(shape, dtype), np.empty(shape, dtype)
    free = [a for a in range(image.ndim) if a not in taps]
    split = free[0] if free else 0
    per_row = image.size // image.shape[split]
    rows = max(1, _BLOCK_PIXELS // per_row) if free else image.shape[split]

    def reduce_block(start: int) -> None:
        key = tuple(
            slice(start, start + rows) if a == split else slice(None)
            for a in range(image.ndim)
        )
        n, w = _products(image[key], mask[key], labels, dtype)
        for axis, matrix in taps.items():
            n, w = _apply_taps(matrix, n, axis), _apply_taps(matrix, w, axis)
        numerator[key], weights[key] = n, w

    starts = range(0, image.shape[split], rows)
    if len(starts) == 1:
        reduce_block(0)
    else:
        with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(reduce_block, starts))
    return numerator, weights


def _products(
    image: np.ndarray, mask: np.ndarray, labels: Any, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """``(image * w, w)`` in ``dtype``; non-finite image pixels get ``w = 0``."""
    weights = mask_to_weights(mask, labels).astype(dtype, copy=False)
    # The product is made in the output type straight from the image's own
    # type: a separate astype would cost a second pass over memory.
    numerator = np.multiply(image, weights, dtype=dtype)
    zero_missing(image, weights, numerator)
    return numerator, weights


def _apply_taps(taps: np.ndarray, array: np.ndarray, axis: int) -> np.ndarray:
    """``taps`` (m, n) applied along ``axis`` (length n) of ``array``.

    Along axis 0 a matrix product (BLAS, held to one thread by the caller:
    twice as fast as ``einsum`` on a block of 25 x 10 x 1024, measured);
    along other axes ``einsum``, which needs no copy to make the axis lead.
    """
    if axis == 0 and array.flags.c_contiguous:
        flat = array.reshape(array.shape[0], -1)
        return (taps @ flat).reshape(taps.shape[0], *array.shape[1:])
    axes = list(range(array.ndim))
    out_axes = [array.ndim if a == axis else a for a in axes]
    return np.einsum(taps, [array.ndim, axis], array, axes, out_axes)


def tap_matrix(
    n: int, rows: slice, sigma: float, truncate: float, mode: str
) -> np.ndarray:
    """The 1-D Gaussian filter of a length-``n`` line, at ``rows`` only.

    Row ``i`` of the result holds the weight of every input sample in output
    sample ``rows.start + i``: the kernel of
    :func:`scipy.ndimage.gaussian_filter1d`, ``exp(-x**2 / (2 sigma**2))`` normalised
    over ``|x| <= radius``, with taps beyond the line folded back by the
    border ``mode`` (``"missing"`` drops them).
    """
    radius = kernel_radius([sigma], truncate)[0]  # 0 for sigma 0: the identity
    kernel = gaussian_kernel1d(sigma, radius) if sigma > 0 else np.ones(1)
    out_rows = np.arange(rows.start, rows.stop)
    taps = np.zeros((out_rows.size, n))
    for k, weight in zip(range(-radius, radius + 1), kernel, strict=True):
        source, keep = extend_index(out_rows + k, n, _ENGINE_MODE.get(mode, mode))
        np.add.at(taps, (np.flatnonzero(keep), source[keep]), weight)
    return taps


def blur_chunks(
    image: np.ndarray,
    mask: np.ndarray,
    boxes: Iterable[Box],
    sigma: float | Sequence[float],
    **options: Any,
) -> Iterator[tuple[Box, np.ndarray]]:
    """Yield ``(box, output over box)`` for each box, one at a time.

    A generator: the caller may stop between chunks (a napari
    ``GeneratorWorker`` does at each ``yield`` when quit), and at most one
    chunk's window and result are alive at once, so memory stays the output
    plus that bounded working set.
    """
    for box in boxes:
        yield box, blur_region(image, mask, box, sigma, **options)
