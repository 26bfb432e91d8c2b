"""The masked blur of a multiscale (pyramid) image, level by level, lazily."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dask.array as da
import numpy as np
import numpy.typing as npt

from napari_masked_blur._lazy.overlap import filter_lazy
from napari_masked_blur._math.options import BlurOptions, spatial_shape
from napari_masked_blur._math.other import check_other


def filter_multiscale(
    levels: Sequence[npt.ArrayLike],
    mask: npt.ArrayLike | Sequence[npt.ArrayLike],
    options: BlurOptions,
    *,
    other: Sequence[npt.ArrayLike] | None = None,
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
        A mask may have fewer axes than the image (it broadcasts).
    options : BlurOptions
        Checked against level 0 and its mask; sigma in level-0 pixels.
    other : sequence of array_like, optional
        The second image of a filter that takes one: a pyramid of the same
        levels, each shaped like its image level.

    Returns
    -------
    list of dask.array.Array
        The blurred pyramid, one lazy array per level.
    """
    axis = options.channel_axis
    space0 = spatial_shape(tuple(levels[0].shape), axis)
    masks = _masks_per_level(levels, mask, axis)
    others = _others_per_level(levels, other, options)
    pyramid = []
    for level, level_mask, partner in zip(levels, masks, others, strict=True):
        factors = downsampling_factors(space0, spatial_shape(level.shape, axis))
        sigma = [s / f for s, f in zip(options.sigma, factors, strict=True)]
        level_options = options.with_sigma(sigma)
        pyramid.append(filter_lazy(level, level_mask, level_options, other=partner))
    return pyramid


def _others_per_level(
    levels: Sequence[npt.ArrayLike], other: Any, options: BlurOptions
) -> list[Any]:
    """The second image's level for each image level (None for every level
    when the filter takes none); each checked against its image level."""
    if other is None:
        check_other(levels[0], other, options)  # a filter that needs it says so
        return [None] * len(levels)
    if not isinstance(other, list | tuple):
        raise ValueError(
            f"other of a pyramid of {len(levels)} levels must be a pyramid of "
            f"as many levels, got one array of shape {tuple(other.shape)}"
        )
    if len(other) != len(levels):
        raise ValueError(
            f"got {len(other)} levels of other for {len(levels)} image levels"
        )
    for level, partner in zip(levels, other, strict=True):
        check_other(level, partner, options)
    return list(other)


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
    masks = []
    for level in levels:
        space = spatial_shape(tuple(level.shape), channel_axis)
        # A mask with fewer axes serves every frame: subsample its own axes.
        masks.append(nearest_subsample(mask, space[len(space) - len(mask.shape) :]))
    return masks


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
