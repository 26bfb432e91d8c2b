"""Masked blur of dask arrays: lazy, chunk by chunk, exact.

The output at a pixel depends only on the input within the filter's reach
``r`` of it (per axis: the kernel radius ``int(truncate * sigma + 0.5)``,
or further for a filter of two scales, see ``Filter.reach``), plus, at the
image border, the border rule.  A filter with outputs (eigenvalues) gives
them stacked on a new leading axis, one chunk along it.  So each output
chunk is the in-memory
:func:`~napari_masked_blur._math.region.filter_whole` of its chunk grown by ``r``
(``dask.array.map_overlap``, ``depth = r``), cropped back:

- towards a neighbouring chunk the grown block holds the real pixels, so the
  crop sees exactly what the whole image would give;
- at an image border nothing is added (``boundary="none"``): the block edge
  *is* the image edge, and the block is computed with the user's ``mode``,
  which applies the border rule there exactly.  "wrap" is the exception, as
  its border needs the far side of the image: there dask's ``"periodic"``
  boundary brings that side over (dask "periodic" = scipy "wrap").

Frame axes (those ``options.axes`` leaves out) have radius 0, so chunks
along time never overlap.

``per_label`` is exact too: a label's pixels see only their own label's
pixels within ``r``, and the grown block holds all of them.  Chunks thinner
than ``r`` are merged for the computation (dask needs ``depth <= chunk``) and
the result is split back into the input's chunks.

Checks that need the data itself (negative or non-finite certainty weights)
run when a chunk is computed, and raise ``ValueError`` then; every other
check was made before, by :class:`~napari_masked_blur._math.options.BlurOptions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dask.array as da
import numpy as np
from dask.array.overlap import ensure_minimum_chunksize, overlap, trim_internal

from napari_masked_blur._math.dense import normalized_quotient, output_count
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.options import BlurOptions, spatial_shape
from napari_masked_blur._math.region import filter_whole
from napari_masked_blur._math.weights import check_weights


def filter_lazy(
    image: Any, mask: Any, options: BlurOptions, *, other: Any = None
) -> da.Array:
    """The filter of ``options`` (the masked Gaussian, ...) as a lazy dask array.

    ``image`` and ``mask`` may each be a dask array, a numpy array or
    anything ``dask.array.from_array`` takes (zarr, memory maps), checked
    into ``options`` (:meth:`~napari_masked_blur.BlurSettings.check`).  The
    output has the chunks of ``image`` (of ``mask`` when only the mask is a
    dask array, of ``other`` when only it is) and nothing is computed until
    asked.  ``other``, the second image of a filter that takes one, is
    chunked and grown like the image.

    Examples
    --------
    >>> import dask.array as da
    >>> image = da.ones((64, 64), chunks=16)
    >>> from napari_masked_blur._math.settings import check_options
    >>> options = check_options(image, image, 3)
    >>> out = filter_lazy(image, image > 0, options)
    >>> out.chunks == image.chunks, float(out[10, 10].compute())
    (True, 1.0)
    """
    outputs = output_count(options)
    if other is None:
        return _map_exact(_blur_block, image, mask, options, outputs=outputs)
    if not isinstance(image, da.Array) and isinstance(other, da.Array):
        image = da.from_array(image, chunks=other.chunks)
    return _map_exact(
        _blur_pair_block, image, mask, options, other=other, outputs=outputs
    )


def normalized_convolution_lazy(
    image: Any, weights: Any, options: BlurOptions, *, return_certainty: bool = False
) -> da.Array | tuple[da.Array, da.Array]:
    """:func:`~napari_masked_blur.normalized_convolution` as lazy dask arrays.

    With ``return_certainty`` both outputs come from one pass over the data:
    computing them together (``dask.compute(out, certainty)``) reads each
    chunk once.
    """
    if not return_certainty:
        return _map_exact(_convolve_block, image, weights, options)
    both = _map_exact(_convolve_both_block, image, weights, options, outputs=2)
    return both[0], both[1]


# --- the map_overlap machinery ---------------------------------------------


def _prepare(image: Any, mask: Any, axis: int | None) -> tuple[da.Array, da.Array]:
    """Both as dask arrays with matching chunks.

    The channel axis gets one chunk (channels are few and are blurred
    together), and the mask gets a length-1 axis in its place so that it
    lines up with the image block by block.  A mask with fewer axes than the
    image is broadcast lazily: each block reads only its own part of it.
    """
    space = spatial_shape(tuple(image.shape), axis)
    if tuple(mask.shape) != space:
        mask = da.broadcast_to(_to_dask(mask, "auto"), space)
    image, mask = _as_dask(image, mask, axis)
    if axis is not None:
        image = image.rechunk({axis: -1})
        mask = da.expand_dims(mask, axis)
    return image, mask.rechunk(_spatial_chunks(image.chunks, axis))


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
    image: Any,
    mask: Any,
    options: BlurOptions,
    *,
    outputs: int = 0,
    other: Any = None,
) -> da.Array:
    """``block_function(image, mask, options=options)`` over blocks grown by the
    filter's reach, cropped back.

    ``outputs``: the block function returns that many outputs stacked on a
    new leading axis (0: one, shaped like the block).  ``other``: a second
    image, chunked and grown like the image, handed to the block function
    after the mask.
    """
    axis = options.channel_axis
    image, mask = _prepare(image, mask, axis)
    radius = list(options.reach)
    if axis is not None:
        radius.insert(axis, 0)
    depth, chunks = _depth_and_chunks(image.chunks, radius)
    boundary = {i: "periodic" if options.mode == "wrap" else "none" for i in depth}
    grown_image = overlap(image.rechunk(chunks), depth, boundary, allow_rechunk=False)
    grown_mask = overlap(
        mask.rechunk(_spatial_chunks(chunks, axis)),
        depth,
        boundary,
        allow_rechunk=False,
    )
    grown_other = ()
    if other is not None:
        other = _to_dask(other, image.chunks).rechunk(chunks)
        grown_other = (overlap(other, depth, boundary, allow_rechunk=False),)
    dtype = output_dtype(image.dtype)
    out_chunks, new_axis = grown_image.chunks, None
    if outputs:
        out_chunks, new_axis = ((outputs,), *out_chunks), 0
        depth = {i + 1: d for i, d in depth.items()}
        boundary = {i + 1: b for i, b in boundary.items()}
    grown = da.map_blocks(
        block_function,
        grown_image,
        grown_mask,
        *grown_other,
        options=options,
        chunks=out_chunks,
        new_axis=new_axis,
        dtype=dtype,
        meta=np.empty((0,) * len(out_chunks), dtype),
    )
    result = trim_internal(grown, depth, boundary)
    return result.rechunk(((outputs,), *image.chunks) if outputs else image.chunks)


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
    image: np.ndarray, mask: np.ndarray, *, options: BlurOptions
) -> np.ndarray:
    return filter_whole(image, _mask_of_block(mask, options.channel_axis), options)


def _blur_pair_block(
    image: np.ndarray, mask: np.ndarray, other: np.ndarray, *, options: BlurOptions
) -> np.ndarray:
    mask = _mask_of_block(mask, options.channel_axis)
    return filter_whole(image, mask, options, other)


def _convolve_both_block(
    image: np.ndarray, weights: np.ndarray, *, options: BlurOptions
) -> np.ndarray:
    weights = _mask_of_block(weights, options.channel_axis)
    check_weights(weights)
    return np.stack(normalized_quotient(image, weights, options))


def _convolve_block(
    image: np.ndarray, weights: np.ndarray, *, options: BlurOptions
) -> np.ndarray:
    weights = _mask_of_block(weights, options.channel_axis)
    check_weights(weights)
    return normalized_quotient(image, weights, options)[0]
