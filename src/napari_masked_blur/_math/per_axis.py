"""Values given once or per axis (sigma, spacing and their kin), spread per axis.

Sigma, spacing, ``high_sigma`` and ``rho`` are each one value for every
smoothed axis, one per smoothed axis, or one per spatial axis; this is
where they become one value per spatial axis, checked, the message naming
the value.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from napari_masked_blur._math.axes import axis_names

SigmaLike = float | Sequence[float]


def sigma_in_pixels(
    sigma: SigmaLike,
    ndim: int,
    spacing: SigmaLike | None = None,
    *,
    smoothed: Sequence[int] | None = None,
) -> tuple[float, ...]:
    """One sigma per spatial axis, in pixels, 0 on the axes not smoothed.

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation of the Gaussian: one value for all smoothed axes,
        one per smoothed axis, or one per spatial axis (then 0 on the axes
        not smoothed); in pixels, or in the units of ``spacing`` when given.
    ndim : int
        Number of spatial axes.
    spacing : float or sequence of float, optional
        Pixel size per axis (e.g. ``(dz, dy, dx)`` in µm), given like
        ``sigma``.  Then ``sigma_pixels = sigma / spacing``.
    smoothed : sequence of int, optional
        The spatial axes smoothed (ascending); None: all of them.
    """
    sigmas = per_axis("sigma", sigma, ndim, smoothed, fill=0.0)
    for s in sigmas:
        if not math.isfinite(s) or s < 0:
            raise ValueError(f"sigma must be finite and >= 0, got {sigma!r}")
    if smoothed is not None:
        for axis, s in enumerate(sigmas):
            if s != 0 and axis not in smoothed:
                raise ValueError(
                    f"sigma {sigma!r} is {s:g} on spatial axis {axis}, which is "
                    f"not smoothed (smoothed: {axis_names(smoothed)}); give 0 there "
                    "or one value per smoothed axis"
                )
    if spacing is None:
        return sigmas
    spacings = per_axis("spacing", spacing, ndim, smoothed, fill=1.0)
    for d in spacings:
        if not math.isfinite(d) or d <= 0:
            raise ValueError(f"spacing must be finite and > 0, got {spacing!r}")
    pixels = tuple(s / d for s, d in zip(sigmas, spacings, strict=True))
    if not all(math.isfinite(p) for p in pixels):
        raise ValueError(
            f"sigma {sigma!r} / spacing {spacing!r} is too large a number of pixels"
        )
    return pixels


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number: Python's or numpy's, bool excepted."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.dtype.kind in "iuf"
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def per_axis(
    name: str,
    value: SigmaLike,
    ndim: int,
    smoothed: Sequence[int] | None = None,
    *,
    fill: float = 0.0,
) -> tuple[float, ...]:
    """``value`` spread over ``ndim`` axes; ``fill`` on the axes not smoothed."""
    values = np.atleast_1d(np.asarray(value))
    numbers_only = values.dtype.kind in "iuf" or (
        values.dtype.kind == "O" and all(is_real(v) for v in values.flat)
    )
    if not numbers_only:
        raise ValueError(f"{name} must be a number or numbers, got {value!r}")
    values = values.astype(float)
    if values.ndim != 1:
        raise ValueError(f"{name} must be a number or a flat sequence, got {value!r}")
    chosen = range(ndim) if smoothed is None else smoothed
    if values.size == 1:
        one = float(values[0])
        return tuple(one if a in chosen else fill for a in range(ndim))
    if values.size == ndim:
        return tuple(float(v) for v in values)
    given = tuple(values.tolist())
    if smoothed is None:
        raise ValueError(
            f"{name} has {values.size} values {given} but the image has "
            f"{ndim} spatial axes"
        )
    if values.size != len(smoothed):
        raise ValueError(
            f"{name} has {values.size} values {given} but {len(smoothed)} axes "
            f"are smoothed: {axis_names(smoothed)} (or give one value per spatial "
            f"axis: {ndim})"
        )
    spread = dict(zip(smoothed, (float(v) for v in values), strict=True))
    return tuple(spread.get(a, fill) for a in range(ndim))
