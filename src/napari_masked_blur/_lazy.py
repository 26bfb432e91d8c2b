"""Masked blur of dask arrays: lazy, chunk by chunk, exact.

The output at a pixel depends only on the input within the kernel radius
``r = int(truncate * sigma + 0.5)`` of it (per axis), plus, at the image
border, the border rule.  So each output chunk is the in-memory
:func:`~napari_masked_blur._core.masked_gaussian` of its chunk grown by ``r``
(``dask.array.map_overlap``, ``depth = r``), cropped back:

- towards a neighbouring chunk the grown block holds the real pixels, so the
  crop sees exactly what the whole image would give;
- at an image border nothing is added (``boundary="none"``): the block edge
  *is* the image edge, and the block is computed with the user's ``mode``,
  which applies the border rule there exactly.  "wrap" is the exception, as
  its border needs the far side of the image: there dask's ``"periodic"``
  boundary brings that side over (dask "periodic" = scipy "wrap").

``per_label`` is exact too: a label's pixels see only their own label's
pixels within ``r``, and the grown block holds all of them.  Chunks thinner
than ``r`` are merged for the computation (dask needs ``depth <= chunk``) and
the result is split back into the input's chunks.

Checks that need the data itself (negative or non-finite certainty weights)
run when a chunk is computed, and raise ``ValueError`` then.

Entry points:

- :func:`masked_gaussian_lazy` / :func:`normalized_convolution_lazy` (what
  ``masked_gaussian`` calls for dask input): a lazy output for a dask-backed
  layer; computing a slice of it computes only the chunks it touches, each
  with its margin.
- :func:`blur_region`: one region (a displayed plane, a tile) from any
  sliceable image, reading only the window it needs.
- :func:`masked_gaussian_windows`: for streaming files; every chunk reads its
  own window, so no chunk waits on another and memory stays flat.
- :func:`multiscale_masked_gaussian`: a pyramid, level by level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import dask.array as da
import numpy as np
import numpy.typing as npt
from dask.array.overlap import ensure_minimum_chunksize, overlap, trim_internal

from napari_masked_blur._core import (
    SigmaLike,
    check_image,
    check_mask_kind,
    check_mask_shape,
    check_options,
    masked_gaussian,
    normalized_convolution,
    output_dtype,
    region_window,
    sigma_in_pixels,
    spatial_shape,
    with_channel,
)
from napari_masked_blur._engines import kernel_radius

Region = tuple[slice, ...]


def masked_gaussian_lazy(
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
) -> da.Array:
    """:func:`~napari_masked_blur.masked_gaussian` as a lazy dask array.

    Same arguments and result as the in-memory function; ``image`` and
    ``mask`` may each be a dask array, a numpy array or anything
    ``dask.array.from_array`` takes (zarr, memory maps).  The output has the
    chunks of ``image`` (of ``mask`` when only the mask is a dask array) and
    nothing is computed until asked.

    Examples
    --------
    >>> import dask.array as da
    >>> image = da.ones((64, 64), chunks=16)
    >>> out = masked_gaussian_lazy(image, image > 0, sigma=3)
    >>> out.chunks == image.chunks, float(out[10, 10].compute())
    (True, 1.0)
    """
    image, mask, axis = _prepare(image, mask, channel_axis, outside, mode, truncate)
    check_mask_kind(mask.dtype, labels, per_label)
    sigma_px = sigma_in_pixels(sigma, mask.ndim - (axis is not None), spacing)
    options = {
        "outside": outside,
        "labels": labels,
        "per_label": per_label,
        "mode": mode,
        "truncate": truncate,
        "channel_axis": axis,
        "method": method,
    }
    return _map_exact(_blur_block, image, mask, sigma_px, axis, options)


def normalized_convolution_lazy(
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
) -> da.Array | tuple[da.Array, da.Array]:
    """:func:`~napari_masked_blur.normalized_convolution` as lazy dask arrays.

    With ``return_certainty`` both outputs come from one pass over the data:
    computing them together (``dask.compute(out, certainty)``) reads each
    chunk once.
    """
    image, weights, axis = _prepare(
        image, weights, channel_axis, "keep", mode, truncate
    )
    if weights.dtype.kind not in "biuf":
        raise ValueError(f"weights must be real-valued, got dtype {weights.dtype}")
    sigma_px = sigma_in_pixels(sigma, weights.ndim - (axis is not None), spacing)
    options = {
        "mode": mode,
        "truncate": truncate,
        "channel_axis": axis,
        "method": method,
    }
    if not return_certainty:
        return _map_exact(_convolve_block, image, weights, sigma_px, axis, options)
    both = _map_exact(
        _convolve_both_block, image, weights, sigma_px, axis, options, stacked=True
    )
    return both[0], both[1]


def blur_region(
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    region: Region,
    sigma: SigmaLike,
    *,
    channel_axis: int | None = None,
    spacing: SigmaLike | None = None,
    mode: str = "missing",
    truncate: float = 4.0,
    **options: Any,
) -> np.ndarray:
    """The exact masked blur over ``region`` only, as a numpy array.

    Reads only the window that determines the region (the region grown by
    the kernel radius, see :func:`~napari_masked_blur._core.region_window`)
    from ``image`` and ``mask``, which may be numpy, dask, zarr or anything
    sliceable.  Made for showing one plane or tile of a big volume.

    Parameters
    ----------
    image, mask, sigma, channel_axis, spacing, mode, truncate, **options
        As for :func:`~napari_masked_blur.masked_gaussian`.
    region : tuple of slice
        The output region over the spatial axes (the channel axis excluded),
        e.g. ``(slice(z, z + 1), slice(None), slice(None))`` for plane ``z``.

    Returns
    -------
    ndarray
        ``masked_gaussian(image, mask, ...)[region]`` (channels kept), computed
        from the window alone.
    """
    check_options(mode, truncate)
    space = spatial_shape(tuple(image.shape), channel_axis)
    if len(region) != len(space):
        raise ValueError(
            f"region has {len(region)} slices but the image has {len(space)} "
            "spatial axes"
        )
    sigma_px = sigma_in_pixels(sigma, len(space), spacing)
    window, inner = region_window(
        tuple(slice(*s.indices(n)[:2]) for s, n in zip(region, space, strict=True)),
        space,
        kernel_radius(sigma_px, truncate),
        mode,
    )
    out = masked_gaussian(
        _materialize(image[with_channel(window, channel_axis)]),
        _materialize(mask[window]),
        sigma_px,
        channel_axis=channel_axis,
        mode=mode,
        truncate=truncate,
        **options,
    )
    return out[with_channel(inner, channel_axis)]


def masked_gaussian_windows(
    image: Any,
    mask: Any,
    sigma: SigmaLike,
    *,
    chunks: tuple[int, ...],
    channel_axis: int | None = None,
    spacing: SigmaLike | None = None,
    mode: str = "missing",
    truncate: float = 4.0,
    **options: Any,
) -> da.Array:
    """Lazy masked blur in which every chunk reads its own window.

    Each output chunk is :func:`blur_region` of that chunk: it reads the
    chunk grown by the kernel radius straight from ``image`` and ``mask``
    (zarr arrays, memory maps: anything sliceable) and depends on no other
    task.  Memory then holds only the chunks being computed, whatever the
    volume's size or shape, at the price of reading the margins twice; with
    ``map_overlap`` (:func:`masked_gaussian_lazy`) dask keeps neighbouring
    chunks until their margins are used, which grows with the volume's
    cross-section.  Made for streaming files; for dask arrays use
    :func:`masked_gaussian_lazy`.

    Parameters
    ----------
    image, mask, sigma, channel_axis, spacing, mode, truncate, **options
        As for :func:`~napari_masked_blur.masked_gaussian`.
    chunks : tuple of int
        Chunk shape of the result, one entry per axis of ``image``; the
        channel axis is always one chunk.
    """
    check_image(image)
    check_mask_shape(tuple(image.shape), tuple(mask.shape), channel_axis)
    check_options(mode, truncate, options.get("outside", "keep"))
    check_mask_kind(mask.dtype, options.get("labels"), options.get("per_label", False))
    space = spatial_shape(tuple(image.shape), channel_axis)
    sigma_px = sigma_in_pixels(sigma, len(space), spacing)
    axis = None if channel_axis is None else channel_axis % image.ndim
    chunk_shape = list(chunks)
    if axis is not None:
        chunk_shape[axis] = image.shape[axis]
    dtype = output_dtype(image.dtype)
    return da.map_blocks(
        _window_block,
        chunks=da.core.normalize_chunks(tuple(chunk_shape), tuple(image.shape)),
        dtype=dtype,
        meta=np.empty((0,) * image.ndim, dtype),
        image=image,
        mask=mask,
        sigma=sigma_px,
        channel_axis=axis,
        mode=mode,
        truncate=truncate,
        **options,
    )


def _window_block(
    *,
    image: Any,
    mask: Any,
    channel_axis: int | None,
    block_info: dict,
    **options: Any,
) -> np.ndarray:
    location = block_info[None]["array-location"]
    if channel_axis is not None:
        location = location[:channel_axis] + location[channel_axis + 1 :]
    region = tuple(slice(start, stop) for start, stop in location)
    return blur_region(image, mask, region, channel_axis=channel_axis, **options)


def multiscale_masked_gaussian(
    levels: Sequence[npt.ArrayLike],
    mask: npt.ArrayLike | Sequence[npt.ArrayLike],
    sigma: SigmaLike,
    *,
    channel_axis: int | None = None,
    spacing: SigmaLike | None = None,
    **options: Any,
) -> list[da.Array]:
    """Lazy masked blur of every level of a multiscale (pyramid) image.

    Level 0 is exact.  Level ``k``, downsampled from level 0 by ``f`` along an
    axis (``f = shape_0 / shape_k``), is blurred on its own pixels with
    ``sigma / f`` along that axis: the same physical blur, computed on coarser
    pixels.  That is an approximation of downsampling the full-resolution
    result: it is close for sigmas of several level-``k`` pixels, and a blur
    finer than one coarse pixel (``sigma / f < 0.5``) barely shows.

    Parameters
    ----------
    levels : sequence of array_like
        The pyramid, full resolution first, each level with the same axes.
    mask : array_like or sequence of array_like
        One mask per level, or one full-resolution mask, which is then
        subsampled to each level by nearest neighbour (so label ids survive).
    sigma, channel_axis, spacing, **options
        As for :func:`~napari_masked_blur.masked_gaussian`, at full
        resolution.

    Returns
    -------
    list of dask.array.Array
        The blurred pyramid, one lazy array per level.
    """
    space0 = spatial_shape(tuple(levels[0].shape), channel_axis)
    sigma_px = sigma_in_pixels(sigma, len(space0), spacing)
    masks = _masks_per_level(levels, mask, channel_axis)
    pyramid = []
    for level, level_mask in zip(levels, masks, strict=True):
        factors = downsampling_factors(space0, spatial_shape(level.shape, channel_axis))
        pyramid.append(
            masked_gaussian_lazy(
                level,
                level_mask,
                tuple(s / f for s, f in zip(sigma_px, factors, strict=True)),
                channel_axis=channel_axis,
                **options,
            )
        )
    return pyramid


def downsampling_factors(
    full_shape: Sequence[int], level_shape: Sequence[int]
) -> tuple[float, ...]:
    """How many full-resolution pixels one level pixel spans, per axis."""
    return tuple(n0 / n for n0, n in zip(full_shape, level_shape, strict=True))


def _masks_per_level(
    levels: Sequence[npt.ArrayLike],
    mask: npt.ArrayLike | Sequence[npt.ArrayLike],
    channel_axis: int | None,
) -> list[Any]:
    if isinstance(mask, list | tuple):
        if len(mask) != len(levels):
            raise ValueError(
                f"got {len(mask)} mask levels for {len(levels)} image levels"
            )
        return list(mask)
    return [
        nearest_subsample(mask, spatial_shape(level.shape, channel_axis))
        for level in levels
    ]


def nearest_subsample(array: Any, shape: Sequence[int]) -> Any:
    """``array`` resampled to ``shape`` by nearest neighbour, label ids kept.

    Pixel ``i`` of the result is input pixel ``floor(i f)``, ``f = n_in /
    n_out``: napari draws pixel ``i`` of a level downsampled by ``f`` at
    full-resolution position ``i f``, and for whole ``f`` this is
    ``array[::f]``.
    """
    if tuple(array.shape) == tuple(shape):
        return array
    for axis, (n_in, n_out) in enumerate(zip(array.shape, shape, strict=True)):
        picks = np.floor(np.arange(n_out) * (n_in / n_out)).astype(np.intp)
        picks = np.minimum(picks, n_in - 1)
        index = (slice(None),) * axis + (picks,)
        array = array[index]
    return array


# --- the map_overlap machinery ---------------------------------------------


def _prepare(
    image: Any,
    mask: Any,
    channel_axis: int | None,
    outside: str,
    mode: str,
    truncate: float,
) -> tuple[da.Array, da.Array, int | None]:
    """Validate shapes and options; both as dask arrays with matching chunks.

    The channel axis gets one chunk (channels are few and are blurred
    together), and the mask gets a length-1 axis in its place so that it
    lines up with the image block by block.
    """
    check_image(image)
    check_mask_shape(tuple(image.shape), tuple(mask.shape), channel_axis)
    check_options(mode, truncate, outside)
    for name, array in (("image", image), ("mask", mask)):
        if any(math.isnan(n) for n in array.shape):
            raise ValueError(f"{name} has unknown chunk sizes {array.shape}")
    axis = None if channel_axis is None else channel_axis % image.ndim
    image, mask = _as_dask(image, mask, axis)
    if axis is not None:
        image = image.rechunk({axis: -1})
        mask = da.expand_dims(mask, axis)
    return image, mask.rechunk(_spatial_chunks(image.chunks, axis)), axis


def _as_dask(image: Any, mask: Any, axis: int | None) -> tuple[da.Array, da.Array]:
    """Dask arrays, the one given as numpy chunked like the other."""
    if isinstance(image, da.Array):
        return image, _to_dask(mask, _drop_axis(image.chunks, axis))
    if isinstance(mask, da.Array):
        chunks = list(mask.chunks)
        if axis is not None:
            chunks.insert(axis, (image.shape[axis],))
        return _to_dask(image, tuple(chunks)), mask
    return _to_dask(image, "auto"), _to_dask(mask, "auto")


def _to_dask(array: Any, chunks: Any) -> da.Array:
    if isinstance(array, da.Array):
        return array
    return da.from_array(np.asarray(array) if np.isscalar(array) else array, chunks)


def _drop_axis(chunks: tuple, axis: int | None) -> tuple:
    return chunks if axis is None else chunks[:axis] + chunks[axis + 1 :]


def _spatial_chunks(chunks: tuple, axis: int | None) -> tuple:
    """The image's chunks, with one length-1 chunk on the channel axis."""
    if axis is None:
        return chunks
    return (*chunks[:axis], (1,), *chunks[axis + 1 :])


def _map_exact(
    block_function: Any,
    image: da.Array,
    mask: da.Array,
    sigma_px: tuple[float, ...],
    axis: int | None,
    options: dict[str, Any],
    *,
    stacked: bool = False,
) -> da.Array:
    """``block_function`` over blocks grown by the kernel radius, cropped back.

    ``stacked``: the block function returns its two outputs stacked on a new
    leading axis.
    """
    radius = list(kernel_radius(sigma_px, options["truncate"]))
    if axis is not None:
        radius.insert(axis, 0)
    depth, chunks = _depth_and_chunks(image.chunks, radius)
    boundary = {i: "periodic" if options["mode"] == "wrap" else "none" for i in depth}
    grown_image = overlap(image.rechunk(chunks), depth, boundary, allow_rechunk=False)
    grown_mask = overlap(
        mask.rechunk(_spatial_chunks(chunks, axis)),
        depth,
        boundary,
        allow_rechunk=False,
    )
    dtype = output_dtype(image.dtype)
    out_chunks, new_axis = grown_image.chunks, None
    if stacked:
        out_chunks, new_axis = ((2,), *out_chunks), 0
        depth = {i + 1: d for i, d in depth.items()}
        boundary = {i + 1: b for i, b in boundary.items()}
    grown = da.map_blocks(
        block_function,
        grown_image,
        grown_mask,
        sigma=sigma_px,
        chunks=out_chunks,
        new_axis=new_axis,
        dtype=dtype,
        meta=np.empty((0,) * len(out_chunks), dtype),
        **options,
    )
    result = trim_internal(grown, depth, boundary)
    return result.rechunk(((2,), *image.chunks) if stacked else image.chunks)


def _depth_and_chunks(
    chunks: tuple[tuple[int, ...], ...], radius: Sequence[int]
) -> tuple[dict[int, int], tuple[tuple[int, ...], ...]]:
    """Overlap depth per axis and chunks every one of which holds the depth.

    An axis in one chunk needs no overlap: its block already spans the
    image, border rule included.  A radius as long as the axis makes it one
    chunk, since dask cannot reach further than one neighbour.
    """
    depth, work = {}, []
    for i, (axis_chunks, r) in enumerate(zip(chunks, radius, strict=True)):
        size = sum(axis_chunks)
        if len(axis_chunks) == 1 or r >= size:
            depth[i] = 0
            work.append((size,))
        else:
            depth[i] = r
            work.append(ensure_minimum_chunksize(r, axis_chunks) if r else axis_chunks)
    return depth, tuple(work)


def _mask_of_block(mask: np.ndarray, channel_axis: int | None) -> np.ndarray:
    return mask if channel_axis is None else np.squeeze(mask, axis=channel_axis)


def _blur_block(
    image: np.ndarray, mask: np.ndarray, *, channel_axis: int | None, **options: Any
) -> np.ndarray:
    return masked_gaussian(
        image,
        _mask_of_block(mask, channel_axis),
        channel_axis=channel_axis,
        **options,
    )


def _convolve_block(
    image: np.ndarray,
    weights: np.ndarray,
    *,
    sigma: tuple[float, ...],
    channel_axis: int | None,
    **options: Any,
) -> np.ndarray:
    return normalized_convolution(
        image,
        _mask_of_block(weights, channel_axis),
        sigma,
        channel_axis=channel_axis,
        **options,
    )


def _convolve_both_block(
    image: np.ndarray,
    weights: np.ndarray,
    *,
    sigma: tuple[float, ...],
    channel_axis: int | None,
    **options: Any,
) -> np.ndarray:
    quotient, certainty = normalized_convolution(
        image,
        _mask_of_block(weights, channel_axis),
        sigma,
        channel_axis=channel_axis,
        return_certainty=True,
        **options,
    )
    return np.stack([quotient, certainty])


def _materialize(array: Any) -> np.ndarray:
    compute = getattr(array, "compute", None)
    return np.asarray(compute() if compute is not None else array)
