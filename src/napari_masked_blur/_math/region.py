"""A masked filter of in-memory arrays, whole or over one region.

:func:`filter_whole` is the one entry to the in-memory computation: each label
on its own (:mod:`.labels`) or the whole mask at once (:mod:`.dense`).

:func:`filter_region` gives the output over a region only, exactly, reading
only the input that determines it: the region grown by the filter's reach
``r`` (:func:`~.boxes.region_window`).  A paint that changed the mask inside
``B`` is repaired by the output over ``B`` grown by ``r``; the displayed
plane of a volume needs only the planes within ``r`` of it, which are
reduced by kernel taps first: the masked Gaussian's by :mod:`.taps`, any
other filter made of terms by the taps of their orders (:mod:`.term_taps`).

Numpy only: the widget calls this from a worker thread, the lazy path for
each chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from napari_masked_blur._math.axes import broadcast_mask, mask_window
from napari_masked_blur._math.boxes import checked_region, region_window, with_channel
from napari_masked_blur._math.dense import filter_dense
from napari_masked_blur._math.labels import per_label_filter
from napari_masked_blur._math.options import BlurOptions, spatial_shape
from napari_masked_blur._math.taps import blur_tapped, tapped_axes
from napari_masked_blur._math.tensor_taps import suits_tensor_taps, tensor_tapped
from napari_masked_blur._math.term_taps import filter_terms_tapped, suits_term_taps


def filter_whole(
    image: np.ndarray,
    mask: np.ndarray,
    options: BlurOptions,
    other: np.ndarray | None = None,
) -> np.ndarray:
    """The filter (``options.filter``) over the whole of ``image`` and ``mask``.

    ``options`` were checked against these arrays
    (:meth:`~.settings.BlurSettings.check`), and ``other`` (the second image
    of a filter that takes one, None otherwise) against the image
    (:func:`~.other.check_other`).  Returns a new array shaped like the
    image; the inputs are only read.  A mask with fewer axes (or axes of
    length 1) is broadcast as a view.
    """
    mask = broadcast_mask(mask, spatial_shape(image.shape, options.channel_axis))
    if options.per_label:
        return per_label_filter(image, mask, options, other)
    return filter_dense(image, mask, options, other)


def filter_region(
    image: Any,
    mask: Any,
    region: Sequence[slice],
    options: BlurOptions,
    other: Any = None,
) -> np.ndarray:
    """``filter_whole(image, mask, options)[region]``, reading only its reach.

    ``region`` is a box over the spatial axes (no channel axis); open or
    negative slices are read as numpy reads them.  Only the input window
    ``region`` grown by the filter's reach is read, so the cost follows the
    region, not the image.  ``image`` and ``mask`` may be anything that
    indexes with slices (numpy, memory maps, zarr, dask arrays); the mask
    may have fewer axes than the image (it broadcasts, see
    :func:`~.axes.mask_window`); ``other``, the second image of a filter
    that takes one, is read over the same window as the image.

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
    space = spatial_shape(tuple(image.shape), axis)
    region = checked_region(region, space)
    window, inner = region_window(region, space, options.reach, options.mode)
    image_w = _materialize(image[with_channel(window, axis)])
    mask_w = mask_window(mask, window)
    if other is not None:  # never a quotient: computed over its window
        other_w = _materialize(other[with_channel(window, axis)])
        return filter_whole(image_w, mask_w, options, other_w)[
            with_channel(inner, axis)
        ]
    tapped = tapped_axes(inner, mask_w.shape, options.radius)
    if suits_tensor_taps(options, tapped):  # the gradient at rho's rows only
        return tensor_tapped(image_w, mask_w, inner, tapped[0], options)
    # Any filter of terms alone: the taps of their orders (the Gaussian's
    # quotient has its own, below).
    if tapped and axis is None and suits_term_taps(options):
        return filter_terms_tapped(image_w, mask_w, inner, tapped, options)
    # Kernel taps reduce the masked Gaussian's two terms; other filters are
    # computed over their window.
    if (
        options.per_label
        or axis is not None
        or not tapped
        or not options.filter.is_quotient
    ):
        crop = (..., *with_channel(inner, axis))  # outputs stay in front
        return filter_whole(image_w, mask_w, options)[crop]
    single = _single_frames(window, options.radius)
    if not single:
        return blur_tapped(image_w, mask_w, inner, tapped, options)
    # One index along a frame axis (radius 0): that axis is left out, so the
    # displayed plane of a (t, z, y, x) movie is the plane of one (z, y, x)
    # volume and takes the compiled plane loop.
    keep = [a for a in range(len(window)) if a not in single]
    drop = tuple(0 if a in single else slice(None) for a in range(len(window)))
    sigma = tuple(options.sigma[a] for a in keep)
    values = blur_tapped(
        image_w[drop],
        mask_w[drop],
        tuple(inner[a] for a in keep),
        [keep.index(a) for a in tapped],
        replace(options, sigma=sigma, axes=None),
    )
    return np.expand_dims(values, single)


def _single_frames(window: Sequence[slice], radius: Sequence[int]) -> tuple[int, ...]:
    """Axes of ``window`` one pixel long with radius 0, unless that is every axis."""
    single = tuple(
        a
        for a, (s, r) in enumerate(zip(window, radius, strict=True))
        if r == 0 and s.stop - s.start == 1
    )
    return single if len(single) < len(window) else ()


def _materialize(array: Any) -> np.ndarray:
    """A numpy array of ``array``'s pixels (computing a dask array)."""
    compute = getattr(array, "compute", None)
    return np.asarray(compute() if compute is not None else array)
