"""The sampled, truncated Gaussian every engine uses, exactly as scipy builds it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def kernel_radius(sigma: Sequence[float], truncate: float) -> tuple[int, ...]:
    """Reach of the truncated Gaussian along each axis, in pixels.

    ``radius = int(truncate * sigma + 0.5)``, as in scipy; 0 where sigma is 0.
    """
    return tuple(int(truncate * s + 0.5) if s > 0 else 0 for s in sigma)


def gaussian_kernel1d(sigma: float, radius: int) -> np.ndarray:
    """Taps ``k[j] = exp(-j**2 / (2 sigma**2))`` for ``|j| <= radius``, sum 1.

    float64, length ``2 * radius + 1``, centre at index ``radius``: the same
    numbers :func:`scipy.ndimage.gaussian_filter1d` filters with.
    """
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 / (sigma * sigma) * offsets**2)
    return taps / taps.sum()
