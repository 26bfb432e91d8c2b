"""Which of numba's compiled loops the live pieces of an image will call.

The live widget asks the engines' loader for these as soon as it knows the
layers and the options, so that they are compiled (or loaded from numba's
cache) in the background before the pieces need them:

- the plane loop (:func:`.taps.reduce_planes`): the displayed plane of a
  volume, reduced along the one smoothed axis before the plane (a volume,
  or a (t, z, y, x) movie whose frames are left out);
- the fused pass (:func:`~napari_masked_blur._engines.fused_masked_blur`):
  a whole 2D image, and the displayed frame of a (t, y, x) movie, or of a
  volume not smoothed across its planes, large enough for the pass and
  with kernels it suits;
- for a local statistic, the fused moments
  (:func:`~napari_masked_blur._engines.fused_moments`): a paint's patch
  is too small for them, but a new sigma or filter recomputes the whole
  image or frame, or a volume in chunks of planes (smoothed across them
  or not), large enough for the pass and with kernels it suits.

Each key names the types the loops will be given: chosen labels turn the
mask into bool first, for both.  A key the list misses is still never
compiled on the widget's threads (see
:func:`~napari_masked_blur._engines.never_compile`); it is queued when
first met and served by numpy meanwhile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from napari_masked_blur._engines import (
    FUSED_FROM_SIZE,
    LoopKey,
    fused_suits,
    fused_takes,
    loop_key,
    moments_suit,
    moments_takes,
)
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.moments import FUSED_STATISTICS
from napari_masked_blur._math.options import BlurOptions, spatial_shape
from napari_masked_blur._math.taps import plane_loop_key


def live_loop_keys(
    shape: Sequence[int],
    image_dtype: npt.DTypeLike,
    mask_dtype: npt.DTypeLike,
    options: BlurOptions,
) -> list[LoopKey]:
    """The loops the live pieces of an image of ``shape`` will call, most urgent first.

    ``mask_dtype``: the type of the mask as the filter reads it (a
    certainty map in float).  Empty where no loop is called: channels,
    each label on its own, filters other than the masked Gaussian and the
    statistics of :data:`~.moments.FUSED_STATISTICS`.  (The correlation's
    loops are keyed by the image's type: a second image of another type
    takes the engines.)
    """
    statistic = options.filter.name in FUSED_STATISTICS
    if (
        options.channel_axis is not None
        or options.per_label
        or not (options.filter.is_quotient or statistic)
    ):
        return []
    image = np.dtype(image_dtype)
    mask = np.dtype(mask_dtype)
    if mask.kind != "f" and options.labels is not None:
        mask = np.dtype(bool)  # the pixels inside the chosen labels
    space = spatial_shape(tuple(shape), None)
    if statistic:
        fits = len(space) <= 3 and _moments_fit(space, image, mask, options)
        return [loop_key("moments", image, mask, output_dtype(image))] if fits else []
    smoothed = [a for a, r in enumerate(options.radius[:-2]) if r > 0]
    if len(smoothed) == 1:
        return [plane_loop_key(image, mask)]
    if smoothed or len(space) > 3 or not _fused_fits(space, image, mask, options):
        return []
    return [loop_key("fused", image, mask, output_dtype(image))]


def _fused_fits(
    space: tuple[int, ...], image: np.dtype, mask: np.dtype, options: BlurOptions
) -> bool:
    """Whether a frame of the image takes the fused pass (as ``_math.dense`` asks)."""
    frame = (1, *space[-2:])
    sigma = (0.0, *options.sigma[-2:])
    result = output_dtype(image)
    return (
        options.method == "auto"
        and math.prod(space[-2:]) >= FUSED_FROM_SIZE
        and fused_takes(image, mask, result)
        and fused_suits(frame, sigma, options.engine_mode, result, options.truncate)
    )


def _moments_fit(
    space: tuple[int, ...], image: np.dtype, mask: np.dtype, options: BlurOptions
) -> bool:
    """Whether a statistic's pieces (a plane and more) take the fused moments."""
    result = output_dtype(image)
    return (
        options.method == "auto"
        and math.prod(space[-2:]) >= FUSED_FROM_SIZE
        and moments_takes(image, mask, result)
        and moments_suit(
            space, options.sigma, options.engine_mode, result, options.truncate
        )
    )
