"""Masked local statistics: mean, variance, standard deviation, z-score, correlation.

With ``w`` the weights and ``G`` the Gaussian, the local moments of the
weighted pixels around each pixel are ratios of smoothed terms
(:mod:`.filter`), taken about the shift ``c`` (one weighted pixel's value
in float32, 0 in float64; ``d`` likewise for a second image ``y``)::

    S0 = G*w      Sx = G*((x - c) w)      Sxx = G*((x - c)**2 w)
    mean     = Sx / S0 + c
    variance = Sxx / S0 - (Sx / S0)**2
    std      = sqrt(variance)
    z-score  = (x - mean) / std
    corr     = (Sxy / S0 - (Sx / S0)(Sy / S0)) / (std_x std_y)

The variance does not depend on ``c``; taking the moments about a value of
the data keeps float32 accurate for images far from 0 (uint16 at 30,000
± 10: the terms are of the order of the spread, not of 30,000**2).  What
is left is the rounding of the smoothed sums, a few float steps of the mean
square about ``c``; a variance within ``VARIANCE_FLOOR`` times the mean
square about ``c`` is indistinguishable from 0 and is 0 (negative ones
too): a variance is never negative, a constant region has std exactly 0.
Images whose local means wander far from ``c`` (a steep ramp from 0 to
30,000 with a spread of a few counts) lose digits of the variance to that
rounding in float32; float64 images are computed in float64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from napari_masked_blur._math.blocks import by_blocks
from napari_masked_blur._math.filter import Filter, Term
from napari_masked_blur._math.gaussian import finish_quotient
from napari_masked_blur._math.outside import OUTSIDE_POLICIES

VARIANCE_FLOOR = 32
"""Variances below this many float steps (``numpy.finfo(dtype).eps``) of the
mean square about the shift are rounding: they are 0."""

# Why "keep" (and for the z-score "fill") make no sense for a statistic.
_SPREAD_REFUSAL = (
    "'keep' would put the image's intensities beside a spread, in other units"
)
_ZSCORE_REFUSAL = (
    "'keep' would put intensities beside z-scores, and 'fill' would score "
    "pixels outside the mask, whose values are not data"
)
_CORRELATION_REFUSAL = "'keep' would put intensities beside correlations"
_STATISTIC_OUTSIDE = ("zero", "nan", "fill")


def _mean_and_variance(
    second: np.ndarray, first: np.ndarray, weight: np.ndarray, keep_mean: bool
) -> None:
    """``Sx / S0`` (or its square) into ``first``, the variance into ``second``.

    NaN where ``S0 == 0``; 0 where the variance is within the floor.  One
    block of pixels (:func:`~.blocks.by_blocks`); without ``keep_mean``,
    ``first`` ends as the mean's square.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(first, weight, out=first)
        np.divide(second, weight, out=second)
    # max(Sxx/S0 (1 - floor) - mean**2, 0): variances under the floor are 0
    # (and never negative); above it the change is within their rounding.
    second *= second.dtype.type(1 - VARIANCE_FLOOR * np.finfo(second.dtype).eps)
    if keep_mean:
        second -= first * first
    else:
        np.multiply(first, first, out=first)
        second -= first
    np.maximum(second, 0, out=second)  # NaN stays NaN


def _variance_step(views: Sequence[np.ndarray]) -> None:
    second, first, weight = views
    _mean_and_variance(second, first, weight, keep_mean=False)


def _std_step(views: Sequence[np.ndarray]) -> None:
    _variance_step(views)
    np.sqrt(views[0], out=views[0])


def _zscore_step(views: Sequence[np.ndarray]) -> None:
    second, first, pixel, weight = views
    _mean_and_variance(second, first, weight, keep_mean=True)
    std = np.sqrt(second, out=second)
    pixel -= first  # both about the shift: x - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(pixel, std, out=pixel, where=std != 0)
    np.copyto(pixel, 0, where=(std == 0) & ~np.isnan(pixel))


def _correlation_step(views: Sequence[np.ndarray]) -> None:
    sx, sy, sxx, syy, sxy, weight = views
    _mean_and_variance(sxx, sx, weight, keep_mean=True)
    _mean_and_variance(syy, sy, weight, keep_mean=True)
    np.sqrt(sxx, out=sxx)
    np.sqrt(syy, out=syy)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(sxy, weight, out=sxy)
        sx *= sy
        sxy -= sx  # the covariance
        # One at a time: std_x * std_y can underflow in float32.
        sxy /= sxx
        sxy /= syy
    np.copyto(sxy, np.nan, where=~np.isfinite(sxy))  # a std of 0: x/0
    np.clip(sxy, -1, 1, out=sxy)  # rounding beyond ±1


def finish_variance(smoothed: Sequence[np.ndarray], shift: float) -> np.ndarray:
    """``Sxx/S0 - (Sx/S0)**2``, written into ``Sxx``; NaN where ``S0 == 0``."""
    by_blocks(_variance_step, smoothed)
    return smoothed[0]


def finish_std(smoothed: Sequence[np.ndarray], shift: float) -> np.ndarray:
    """The square root of :func:`finish_variance`, in ``Sxx``."""
    by_blocks(_std_step, smoothed)
    return smoothed[0]


def finish_zscore(smoothed: Sequence[np.ndarray], shift: float) -> np.ndarray:
    """``(x - mean) / std``, written into the pixel term; 0 where std is 0.

    NaN where ``S0 == 0`` or the pixel itself is missing.
    """
    by_blocks(_zscore_step, smoothed)
    return smoothed[2]


def finish_correlation(smoothed: Sequence[np.ndarray], shift: float) -> np.ndarray:
    """``cov / (std_x std_y)`` in [-1, 1], written into ``Sxy``.

    NaN where ``S0 == 0`` and where either standard deviation is 0 (a flat
    image correlates with nothing).
    """
    by_blocks(_correlation_step, smoothed)
    return smoothed[4]


LOCAL_MEAN = Filter(
    name="local_mean",
    title="Local mean",
    terms=(Term(power=1), Term(power=0)),
    finish=finish_quotient,
    outside=OUTSIDE_POLICIES,
)
"""The masked Gaussian under the name statistics give it: the same result."""

LOCAL_VARIANCE = Filter(
    name="local_variance",
    title="Local variance",
    terms=(Term(power=2), Term(power=1), Term(power=0)),
    finish=finish_variance,
    outside=_STATISTIC_OUTSIDE,
    default_outside="zero",
    outside_refusal=_SPREAD_REFUSAL,
)

LOCAL_STD = Filter(
    name="local_std",
    title="Local standard deviation",
    terms=LOCAL_VARIANCE.terms,
    finish=finish_std,
    outside=_STATISTIC_OUTSIDE,
    default_outside="zero",
    outside_refusal=_SPREAD_REFUSAL,
)

LOCAL_ZSCORE = Filter(
    name="local_zscore",
    title="Local z-score",
    terms=(Term(power=2), Term(power=1), Term(power=1, pixel=True), Term(power=0)),
    finish=finish_zscore,
    outside=("zero", "nan"),
    default_outside="zero",
    signed=True,
    outside_refusal=_ZSCORE_REFUSAL,
)

LOCAL_CORRELATION = Filter(
    name="local_correlation",
    title="Local correlation",
    terms=(
        Term(power=1),
        Term(power=0, other=1),
        Term(power=2),
        Term(power=0, other=2),
        Term(power=1, other=1),
        Term(power=0),
    ),
    finish=finish_correlation,
    outside=_STATISTIC_OUTSIDE,
    default_outside="nan",
    parameters=("other",),
    signed=True,
    outside_refusal=_CORRELATION_REFUSAL,
)

STATISTICS = (LOCAL_MEAN, LOCAL_VARIANCE, LOCAL_STD, LOCAL_ZSCORE, LOCAL_CORRELATION)
"""The local statistics, in the order the entrances list them."""
