"""One router from checked settings to the computation, for every entrance.

:func:`checked` is the one check at the edge (the settings against the
arrays) and gives the warnings every path gives; :func:`run` computes a
whole result in memory or lazily (dask in, dask out), and
:func:`run_with_certainty` the same over a certainty map, with ``G*w``;
:func:`run_piece` computes one piece of the live view; :func:`run_lazy` the
lazy output of a dask-backed or multiscale layer; :func:`run_windows` a file
bigger than memory, chunk by chunk. Each reads the filter from the options
(:attr:`~napari_masked_blur._math.options.BlurOptions.filter`): no path
knows which filter it computes.

Each takes ``other``, the second image of a filter that takes one (the
local correlation: ``"other"`` in its parameters), shaped like the image,
in memory or lazy as the image may be; every path reads it where it reads
the image.  It is checked against the image and the filter
(:func:`~napari_masked_blur._math.other.check_other`) on the way in: a
filter that needs it refuses None, any other filter refuses an array.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from napari_masked_blur._math.axes import broadcast_mask
from napari_masked_blur._math.boxes import Box
from napari_masked_blur._math.dense import normalized_quotient
from napari_masked_blur._math.options import BlurOptions, spatial_shape
from napari_masked_blur._math.other import check_other
from napari_masked_blur._math.region import filter_region, filter_whole
from napari_masked_blur._math.settings import BlurSettings
from napari_masked_blur._math.weights import check_weights, warn_absent_labels


def checked(image: Any, mask: Any, settings: BlurSettings) -> BlurOptions:
    """``settings`` checked against ``image`` and ``mask``, and the warnings.

    Only shapes and dtypes are checked; a mask in memory is also searched
    for the chosen label ids (a ``UserWarning`` names the absent ones).  A
    lazy or memory-mapped mask (the command line's files) would have to be
    read whole, so it is not searched; the widget offers only the ids its
    mask holds.

    Raises
    ------
    ValueError
        Naming the value that is wrong and what was expected.
    """
    options = settings.check(image, mask)
    # A memory map is a file: reading it whole for a warning costs the file.
    if isinstance(mask, np.ndarray) and not isinstance(mask, np.memmap):
        # Named at the public function's caller (its frame is 4 above this).
        warn_absent_labels(mask, options.labels, stacklevel=4)
    return options


def call_settings(arguments: Mapping[str, Any], filter: str) -> BlurSettings:
    """The settings of a call to a public filter function: ``filter`` and the
    arguments named as settings fields (``locals()`` of the function).

    ``per_label`` is taken as a truth value, as the functions always took it.
    """
    names = {f.name for f in fields(BlurSettings)}
    given = {key: value for key, value in arguments.items() if key in names}
    if "per_label" in given:
        given["per_label"] = bool(given["per_label"])
    return BlurSettings(**{**given, "filter": filter})


def run(image: Any, mask: Any, options: BlurOptions, *, other: Any = None) -> Any:
    """The filter's whole result: in memory, or lazily for dask input."""
    check_other(image, other, options)
    if is_dask(image) or is_dask(mask) or is_dask(other):
        from napari_masked_blur._lazy.overlap import filter_lazy

        return filter_lazy(image, mask, options, other=other)
    return filter_whole(image, mask, options, _in_memory(other))


def run_with_certainty(
    image: Any, weights: Any, options: BlurOptions, return_certainty: bool
) -> Any:
    """The filter's result over weights (a certainty map), and ``G*w`` if asked.

    ``weights`` broadcast to the image's spatial shape; in memory they are
    checked (finite, >= 0) where their pixels are read.  Lazy for dask input.
    """
    space = spatial_shape(tuple(image.shape), options.channel_axis)
    weights = broadcast_mask(weights, space)
    if is_dask(image) or is_dask(weights):
        from napari_masked_blur._lazy.overlap import normalized_convolution_lazy

        return normalized_convolution_lazy(
            image, weights, options, return_certainty=return_certainty
        )
    check_weights(weights)
    result, certainty = normalized_quotient(image, weights, options)
    return (result, certainty) if return_certainty else result


def run_piece(
    image: np.ndarray,
    mask: np.ndarray,
    options: BlurOptions,
    region: Box | None,
    *,
    other: Any = None,
) -> np.ndarray:
    """The output of one piece of the live view: over ``region``, or whole for None.

    A region is computed from the input within the filter's reach of it
    only (:func:`~napari_masked_blur._math.region.filter_region`); ``other``
    is read over the same window.
    """
    check_other(image, other, options)
    if region is None:
        return filter_whole(image, mask, options, _in_memory(other))
    return filter_region(image, mask, region, options, other)


def run_lazy(
    image: Any | Sequence[Any],
    mask: Any | Sequence[Any],
    options: BlurOptions,
    *,
    other: Any | Sequence[Any] = None,
) -> Any:
    """The lazy output of a dask-backed image, or of a pyramid (a list of levels).

    A pyramid's mask is one array (subsampled for every level) or a pyramid
    of its own; its ``other`` is a pyramid of the same levels.
    """
    if isinstance(image, list | tuple):
        from napari_masked_blur._lazy.multiscale import filter_multiscale

        return filter_multiscale(list(image), mask, options, other=other)
    check_other(image, other, options)
    from napari_masked_blur._lazy.overlap import filter_lazy

    return filter_lazy(image, mask, options, other=other)


def run_windows(
    image: Any,
    mask: Any,
    options: BlurOptions,
    *,
    chunks: tuple[int, ...],
    other: Any = None,
) -> Any:
    """A dask array whose chunks each read their own window from ``image`` and ``mask``.

    For files bigger than memory: nothing is read until a chunk is computed
    (``other`` too: each chunk reads its window of it).
    """
    check_other(image, other, options)
    from napari_masked_blur._lazy.windows import filter_windows

    return filter_windows(image, mask, options, chunks=chunks, other=other)


def _in_memory(other: Any) -> np.ndarray | None:
    """``other`` as a numpy array (a memory map or zarr array read), or None."""
    return None if other is None else np.asarray(other)


def is_dask(array: object) -> bool:
    """Whether ``array`` is a dask array; never imports dask itself."""
    return type(array).__module__.startswith("dask.")
