"""A lazy masked blur in which every chunk reads its own window: for files.

Each output chunk is :func:`~napari_masked_blur._math.region.filter_region` of
that chunk: it reads the chunk grown by the kernel radius straight from the
image and mask (zarr arrays, memory maps: anything sliceable) and depends on
no other task.  Memory then holds only the chunks being computed, whatever
the volume's size or shape, at the price of reading the margins twice; with
``map_overlap`` (:mod:`.overlap`) dask keeps neighbouring chunks until their
margins are used, which grows with the volume's cross-section.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np

from napari_masked_blur._math.dense import output_count
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.options import BlurOptions
from napari_masked_blur._math.region import filter_region


def filter_windows(
    image: Any,
    mask: Any,
    options: BlurOptions,
    *,
    chunks: tuple[int, ...],
    other: Any = None,
) -> da.Array:
    """Lazy masked blur of ``image`` inside ``mask``, each chunk from its window.

    Parameters
    ----------
    image, mask : array
        Anything with ``shape``, ``dtype`` and slicing, checked into
        ``options`` (:meth:`~napari_masked_blur.BlurSettings.check`).
    options : BlurOptions
        The checked options.
    chunks : tuple of int
        Chunk shape of the result, one entry per axis of ``image``; the
        channel axis is always one chunk.  A filter with outputs stacks
        them on a new leading axis, in one chunk.
    other : array, optional
        The second image of a filter that takes one, shaped like ``image``
        and read like it: each chunk reads its own window.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(64.0).reshape(8, 8)
    >>> from napari_masked_blur._math.settings import check_options
    >>> options = check_options(image, image, 1)
    >>> out = filter_windows(image, image >= 0, options, chunks=(4, 8))
    >>> out.chunks
    ((4, 4), (8,))
    """
    axis = options.channel_axis
    chunk_shape = list(chunks)
    if axis is not None:
        chunk_shape[axis] = image.shape[axis]
    dtype = output_dtype(image.dtype)
    chunks = da.core.normalize_chunks(tuple(chunk_shape), tuple(image.shape))
    outputs = output_count(options)
    if outputs:  # stacked in front, one chunk along them
        chunks = ((outputs,), *chunks)
    return da.map_blocks(
        _window_block,
        chunks=chunks,
        dtype=dtype,
        meta=np.empty((0,) * len(chunks), dtype),
        image=image,
        mask=mask,
        options=options,
        outputs=outputs,
        other=other,
    )


def _window_block(
    *,
    image: Any,
    mask: Any,
    options: BlurOptions,
    outputs: int,
    other: Any,
    block_info: dict,
) -> np.ndarray:
    location = block_info[None]["array-location"][1 if outputs else 0 :]
    axis = options.channel_axis
    if axis is not None:
        location = location[:axis] + location[axis + 1 :]
    region = tuple(slice(start, stop) for start, stop in location)
    return filter_region(image, mask, region, options, other)
