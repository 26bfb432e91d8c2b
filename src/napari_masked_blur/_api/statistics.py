"""Masked local statistics as public functions: mean, variance, std, z-score,
correlation.

Each is the statistic of the in-mask pixels around every pixel, weighted by
the Gaussian ``G`` and the mask's weights ``w``
(:mod:`napari_masked_blur._math.statistics`)::

    mean(x)     = G*(x w) / G*w
    variance(x) = G*(x**2 w) / G*w - mean(x)**2
    std(x)      = sqrt(variance(x))
    zscore(x)   = (x - mean(x)) / std(x)
    corr(x, y)  = (G*(x y w) / G*w - mean(x) mean(y)) / (std(x) std(y))

with the keywords and conventions of
:func:`~napari_masked_blur.masked_gaussian`.  Each builds its
:class:`~napari_masked_blur.BlurSettings`, checks them once and hands the
checked options to :mod:`.route`: dask in, dask out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from napari_masked_blur._api.gaussian import _arrays
from napari_masked_blur._api.route import call_settings, checked, run
from napari_masked_blur._math.options import SigmaLike


def masked_local_mean(
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
    axes: int | Sequence[int] | None = None,
) -> np.ndarray:
    """Gaussian-weighted local mean of the in-mask pixels: ``G*(x w) / G*w``.

    The masked Gaussian under the name statistics give it: the result is
    :func:`~napari_masked_blur.masked_gaussian`'s, bit for bit, with the same
    arguments.

    Parameters
    ----------
    image, mask, sigma, outside
        As in :func:`~napari_masked_blur.masked_gaussian`; every ``outside``
        policy applies, ``"keep"`` by default.
    labels, per_label, mode, truncate, spacing, channel_axis, method, axes
        As in :func:`~napari_masked_blur.masked_gaussian`.

    Returns
    -------
    ndarray
        The local mean, in the image's units; float32 (float64 for float64
        and 32/64-bit integer images); lazy for dask input.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[1.0, 3.0, 500.0]])
    >>> mask = np.array([[True, True, False]])
    >>> round(float(masked_local_mean(image, mask, 100)[0, 0]), 3)  # not 500
    2.0
    """
    settings = call_settings(locals(), "local_mean")
    image, mask = _arrays(image, mask)
    return run(image, mask, checked(image, mask, settings))


def masked_local_variance(
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    sigma: SigmaLike,
    *,
    outside: str = "zero",
    labels: int | Sequence[int] | None = None,
    per_label: bool = False,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: SigmaLike | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
    axes: int | Sequence[int] | None = None,
) -> np.ndarray:
    """Gaussian-weighted local variance of the in-mask pixels.

    ``V = G*(x**2 w) / G*w - (G*(x w) / G*w)**2``: the variance of the
    pixels with weight around each pixel, each weighted by ``G w``.  Pixels
    outside the mask (weight 0) and missing pixels (NaN, inf) are in no sum.

    Computed in float32 (float64 for float64 and 32/64-bit integer images)
    about a shift ``c``, the value of one weighted pixel, ``V = Sxx/S0 -
    (Sx/S0)**2`` with ``Sx = G*((x - c) w)``: exact in arithmetic, and in
    float32 accurate for data far from 0 (uint16 at 30,000 ± 10 keeps about
    5 digits of a variance of 40).  The rounding left is a few float steps of
    the mean square about ``c``; variances below ``32 eps`` of it are 0,
    negative ones included: ``V >= 0`` always, and a constant region gives
    exactly 0.  Where local means wander far from ``c`` in float32 (a ramp
    from 0 to 30,000 with a spread of a few counts), pass float64.

    Parameters
    ----------
    image, mask, sigma
        As in :func:`~napari_masked_blur.masked_gaussian`.
    outside : {"zero", "nan", "fill"}
        Pixels outside the mask: 0 (the default), NaN, or "fill": the
        variance of the in-mask pixels within reach (NaN where none is).
        ``"keep"`` is refused: it would put intensities beside a spread.
    labels, per_label, mode, truncate, spacing, channel_axis, method, axes
        As in :func:`~napari_masked_blur.masked_gaussian`.

    Returns
    -------
    ndarray
        The local variance, in the image's units squared, ``>= 0``; NaN
        where no weight is in reach; lazy for dask input.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[30000, 30002, 30000, 30002, 9]], dtype=np.uint16)
    >>> mask = np.array([[1, 1, 1, 1, 0]], dtype=bool)
    >>> out = masked_local_variance(image, mask, 100)  # wide: equal weights
    >>> round(float(out[0, 1]), 3), float(out[0, 4])  # 9 is outside
    (1.0, 0.0)
    """
    settings = call_settings(locals(), "local_variance")
    image, mask = _arrays(image, mask)
    return run(image, mask, checked(image, mask, settings))


def masked_local_std(
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    sigma: SigmaLike,
    *,
    outside: str = "zero",
    labels: int | Sequence[int] | None = None,
    per_label: bool = False,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: SigmaLike | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
    axes: int | Sequence[int] | None = None,
) -> np.ndarray:
    """Gaussian-weighted local standard deviation of the in-mask pixels.

    ``sqrt(V)``, with ``V`` the local variance of
    :func:`masked_local_variance` (never negative: rounding below 0 is 0).
    The texture or noise of a cell, without the background at its edge.

    Parameters
    ----------
    image, mask, sigma
        As in :func:`~napari_masked_blur.masked_gaussian`.
    outside : {"zero", "nan", "fill"}
        Pixels outside the mask: 0 (the default), NaN, or "fill" (the std
        of the in-mask pixels within reach).  ``"keep"`` is refused.
    labels, per_label, mode, truncate, spacing, channel_axis, method, axes
        As in :func:`~napari_masked_blur.masked_gaussian`.

    Returns
    -------
    ndarray
        The local standard deviation, in the image's units, ``>= 0``; NaN
        where no weight is in reach; lazy for dask input.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((4, 4), 30000, dtype=np.uint16)
    >>> image[:, 3] = 7                      # outside the mask
    >>> mask = np.zeros((4, 4), bool)
    >>> mask[:, :3] = True
    >>> masked_local_std(image, mask, 2)[1]  # constant inside: exactly 0
    array([0., 0., 0., 0.], dtype=float32)
    """
    settings = call_settings(locals(), "local_std")
    image, mask = _arrays(image, mask)
    return run(image, mask, checked(image, mask, settings))


def masked_local_zscore(
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    sigma: SigmaLike,
    *,
    outside: str = "zero",
    labels: int | Sequence[int] | None = None,
    per_label: bool = False,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: SigmaLike | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
    axes: int | Sequence[int] | None = None,
) -> np.ndarray:
    """Local z-score: each pixel against the in-mask pixels around it.

    ``z = (x - mean) / std`` with the local mean and standard deviation of
    :func:`masked_local_mean` and :func:`masked_local_std`: how many local
    standard deviations a pixel lies above its neighbourhood (spots against
    their own cell, not the background).  Where the local std is 0 (a
    constant neighbourhood) ``z`` is 0: the pixel is its neighbourhood's
    mean.  A missing pixel (NaN) inside the mask has no z-score: NaN.

    Parameters
    ----------
    image, mask, sigma
        As in :func:`~napari_masked_blur.masked_gaussian`.
    outside : {"zero", "nan"}
        Pixels outside the mask: 0 (the default) or NaN.  ``"keep"`` would
        put intensities beside scores, and ``"fill"`` would score pixels
        whose values are not data: both are refused.
    labels, per_label, mode, truncate, spacing, channel_axis, method, axes
        As in :func:`~napari_masked_blur.masked_gaussian`.

    Returns
    -------
    ndarray
        Dimensionless, centred on 0; NaN where no weight is in reach; lazy
        for dask input.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.array([[10.0, 10.0, 10.0, 10.0, 14.0, 10.0, 10.0, 10.0]])
    >>> z = masked_local_zscore(image, np.ones_like(image, bool), 100)
    >>> round(float(z[0, 4]), 2), round(float(z[0, 0]), 2)  # the spot stands out
    (2.65, -0.38)
    """
    settings = call_settings(locals(), "local_zscore")
    image, mask = _arrays(image, mask)
    return run(image, mask, checked(image, mask, settings))


def masked_local_correlation(
    image: npt.ArrayLike,
    other: npt.ArrayLike,
    mask: npt.ArrayLike,
    sigma: SigmaLike,
    *,
    outside: str = "nan",
    labels: int | Sequence[int] | None = None,
    per_label: bool = False,
    mode: str = "missing",
    truncate: float = 4.0,
    spacing: SigmaLike | None = None,
    channel_axis: int | None = None,
    method: str = "auto",
    axes: int | Sequence[int] | None = None,
) -> np.ndarray:
    """Local Pearson correlation of two images inside the mask.

    ``r = (G*(x y w)/G*w - mean_x mean_y) / (std_x std_y)``: the
    Gaussian-weighted correlation of ``image`` (``x``) and ``other``
    (``y``) over the in-mask pixels around each pixel, a colocalization map
    of two channels inside a cell.  In [-1, 1] (rounding beyond is
    clipped).  Where either local standard deviation is 0 the correlation
    is undefined and the result is NaN (a flat image correlates with
    nothing).  A pixel missing (NaN, inf) in either image is in no sum.

    Computed about shifts (one weighted pixel's value of each image) as
    :func:`masked_local_variance` is, in the image's precision.

    Parameters
    ----------
    image : array_like
        The first image, as in :func:`~napari_masked_blur.masked_gaussian`.
    other : array_like
        The second image, shaped like ``image`` (channel axis included:
        channel ``k`` goes with channel ``k``); any real dtype.
    mask, sigma
        As in :func:`~napari_masked_blur.masked_gaussian`.
    outside : {"nan", "zero", "fill"}
        Pixels outside the mask: NaN (the default: 0 would read as
        "uncorrelated"), 0, or "fill" (the correlation of the in-mask pixels
        within reach).  ``"keep"`` is refused.
    labels, per_label, mode, truncate, spacing, channel_axis, method, axes
        As in :func:`~napari_masked_blur.masked_gaussian`.

    Returns
    -------
    ndarray
        Dimensionless, in [-1, 1]; NaN where no weight is in reach or a
        standard deviation is 0; lazy when any input is a dask array.

    Examples
    --------
    >>> import numpy as np
    >>> red = np.array([[1.0, 4.0, 2.0, 8.0, 5.0]])
    >>> mask = np.ones_like(red, bool)
    >>> r = masked_local_correlation(red, 3 * red + 1, mask, 2)
    >>> r_negative = masked_local_correlation(red, -red, mask, 2)
    >>> float(r[0, 2]), float(r_negative[0, 2])
    (1.0, -1.0)
    """
    settings = call_settings(locals(), "local_correlation")
    image, other, mask = _arrays(image, other, mask)
    return run(image, mask, checked(image, mask, settings), other=other)
