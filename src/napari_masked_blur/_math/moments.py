"""The local statistics through the fused moments, where that route suits.

:func:`~.dense.filter_dense` smooths a statistic's terms with the engines
and finishes them (:func:`~.dense.smooth_filter`); for a large 2D image (or
a volume not smoothed across its planes) at a narrow kernel, one compiled
pass makes the moments and finishes each row instead
(:func:`~napari_masked_blur._engines.fused_moments`), with the same shifts
(:mod:`.terms`) and the same floor under the variance
(:mod:`.statistics`).  The same rules as the fused masked blur decide:
``method="auto"``, no channel axis, a box large enough, kernels the pass
suits, weights near 1, the loops compiled; otherwise None, and the
engines' route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from napari_masked_blur._engines import (
    FUSED_FROM_SIZE,
    fused_moments,
    moments_suit,
    moments_takes,
    prepare_moments,
)
from napari_masked_blur._math.boxes import Box, box_pixels
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.outside import fill_around
from napari_masked_blur._math.statistics import (
    LOCAL_CORRELATION,
    LOCAL_STD,
    LOCAL_VARIANCE,
    LOCAL_ZSCORE,
    VARIANCE_FLOOR,
)
from napari_masked_blur._math.weights import weight_exponent

if TYPE_CHECKING:
    from napari_masked_blur._math.options import BlurOptions

FUSED_STATISTICS = {
    LOCAL_VARIANCE.name: "variance",
    LOCAL_STD.name: "std",
    LOCAL_ZSCORE.name: "zscore",
    LOCAL_CORRELATION.name: "correlation",
}
"""The filters the fused moments finish, by the names the pass gives them."""


def fused_statistic(
    image: np.ndarray,
    mask: np.ndarray,
    inside: np.ndarray,
    box: Box,
    options: BlurOptions,
    other: np.ndarray | None = None,
) -> np.ndarray | None:
    """The statistic over ``box`` in one fused pass, the outside policy around it.

    None where the pass does not apply (:func:`_moments_use`) or its loops
    are not ready yet (they are then asked for: :func:`prepare_statistic_later`).
    """
    use = _moments_use(image, mask, inside, box, options, other)
    if use is None:
        return None
    weights, dtype = use
    out = np.empty(image.shape, dtype)
    done = fused_moments(
        image,
        other,
        weights,
        out,
        box,
        options.sigma,
        statistic=FUSED_STATISTICS[options.filter.name],
        mode=options.engine_mode,
        truncate=options.truncate,
        shifts=moment_shifts(image, other, weights),
        certainty=mask.dtype.kind == "f",
        outside=options.outside,
        variance_floor=VARIANCE_FLOOR,
        start=False,  # asked for after the engines' result: prepare_statistic_later
    )
    if not done:
        return None
    fill_around(out, image, box, options.outside)
    return out


def prepare_statistic_later(
    image: np.ndarray,
    mask: np.ndarray,
    inside: np.ndarray,
    box: Box,
    options: BlurOptions,
    other: np.ndarray | None = None,
) -> None:
    """After a statistic the fused pass would have taken: get its loops ready."""
    use = _moments_use(image, mask, inside, box, options, other)
    if use is not None:
        prepare_moments((image.dtype, use[0].dtype, use[1]))


def _moments_use(
    image: np.ndarray,
    mask: np.ndarray,
    inside: np.ndarray,
    box: Box,
    options: BlurOptions,
    other: np.ndarray | None,
) -> tuple[np.ndarray, np.dtype] | None:
    """Weights and output type for the fused moments; None where they do not suit."""
    if (
        options.method != "auto"
        or options.filter.name not in FUSED_STATISTICS
        or options.channel_axis is not None
        or box_pixels(box) < FUSED_FROM_SIZE
    ):
        return None
    dtype = output_dtype(image.dtype)
    if not moments_takes(image.dtype, mask.dtype, dtype) or not moments_suit(
        mask.shape, options.sigma, options.engine_mode, dtype, options.truncate
    ):
        return None
    if other is not None and (
        other.dtype != image.dtype or not other.flags.c_contiguous
    ):
        return None
    certainty = mask.dtype.kind == "f"
    if certainty and weight_exponent(mask) != 0:
        return None  # far from 1: rescaled (unit_weights) on the engines' route
    return (mask if certainty or options.labels is None else inside), dtype


def moment_shifts(
    image: np.ndarray, other: np.ndarray | None, weights: np.ndarray
) -> tuple[float, float]:
    """``(c, d)``: the image's and the second image's values at one pixel.

    The first pixel of the largest weight among those where both images
    are finite, as :func:`~.terms.term_arrays` takes it (0, 0 where none
    is weighted).
    """
    heaviest = int(np.argmax(weights))  # a bool mask: its first True
    values = [image] if other is None else [image, other]
    if not all(np.isfinite(v.flat[heaviest]) for v in values):
        finite = np.isfinite(image)
        if other is not None:
            finite &= np.isfinite(other)
        heaviest = int(np.argmax(np.where(finite, weights, 0)))
    if not weights.flat[heaviest] > 0 or not np.isfinite(image.flat[heaviest]):
        return 0.0, 0.0
    second = 0.0 if other is None else float(other.flat[heaviest])
    return float(image.flat[heaviest]), second
