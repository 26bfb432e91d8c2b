"""The masked blur of in-memory arrays, whole or over one region.

:func:`blur_whole` is the one entry to the in-memory computation: each label
on its own (:mod:`.labels`) or the whole mask at once (:mod:`.dense`).

:func:`blur_region` gives the output over a region only, exactly, reading
only the input that determines it: the region grown by the kernel radius
(:func:`~.boxes.region_window`).  A paint that changed the mask inside ``B``
is repaired by the output over ``B`` grown by ``r``; the displayed plane of
a volume needs only the planes within ``r`` of it, which are reduced by
kernel taps first (:mod:`.taps`).

Numpy only: the widget calls this from a worker thread, the lazy path for
each chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from napari_masked_blur._blur.boxes import checked_region, region_window, with_channel
from napari_masked_blur._blur.dense import masked_blur
from napari_masked_blur._blur.labels import per_label_blur
from napari_masked_blur._blur.options import BlurOptions
from napari_masked_blur._blur.taps import blur_tapped, tapped_axes


def blur_whole(image: np.ndarray, mask: np.ndarray, options: BlurOptions) -> np.ndarray:
    """The masked blur of the whole of in-memory ``image`` and ``mask``.

    ``options`` were checked against these arrays
    (:meth:`~.options.BlurOptions.check`).  Returns a new array shaped like
    the image; the inputs are only read.
    """
    if options.per_label:
        return per_label_blur(image, mask, options)
    return masked_blur(image, mask, options)


def blur_region(
    image: Any, mask: Any, region: Sequence[slice], options: BlurOptions
) -> np.ndarray:
    """``blur_whole(image, mask, options)[region]``, reading only its reach.

    ``region`` is a box over the spatial axes (no channel axis); open or
    negative slices are read as numpy reads them.  Only the input window
    ``region`` grown by the kernel radius is read, so the cost follows the
    region, not the image.  ``image`` and ``mask`` may be anything that
    indexes with slices (numpy, memory maps, zarr, dask arrays).

    Returns
    -------
    ndarray
        The output over ``region`` (channel axis included), equal to the
        full computation up to float rounding.

    Raises
    ------
    ValueError
        ``region`` has the wrong number of axes or is empty.
    """
    axis = options.channel_axis
    space = tuple(mask.shape)
    region = checked_region(region, space)
    window, inner = region_window(region, space, options.radius, options.mode)
    image_w = _materialize(image[with_channel(window, axis)])
    mask_w = _materialize(mask[window])
    tapped = tapped_axes(inner, mask_w.shape, options.radius)
    if options.per_label or axis is not None or not tapped:
        return blur_whole(image_w, mask_w, options)[with_channel(inner, axis)]
    return blur_tapped(image_w, mask_w, inner, tapped, options)


def _materialize(array: Any) -> np.ndarray:
    """A numpy array of ``array``'s pixels (computing a dask array)."""
    compute = getattr(array, "compute", None)
    return np.asarray(compute() if compute is not None else array)
