"""The reference engine: scipy.ndimage's separable FIR, one thread per array.

Always available and exact by definition (it *is* the reference), so it is
the fallback for every input another engine cannot take.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import ndimage as ndi

# Starting a thread costs ~0.1 ms; below this many pixels a second thread
# slows small windows (per-label boxes, paint patches) down.
_THREADS_FROM_SIZE = 2**15


def _smooth_one(
    array: np.ndarray,
    sigma: tuple[float, ...],
    mode: str,
    truncate: float,
    order: Sequence[int],
) -> np.ndarray:
    # In place: scipy filters line by line through a buffer, so output=input
    # is safe and saves one image-sized temporary per array.
    ndi.gaussian_filter(
        array, sigma, order, mode=mode, cval=0.0, truncate=truncate, output=array
    )
    return array


def smooth_scipy(
    arrays: Sequence[np.ndarray],
    sigma: tuple[float, ...],
    *,
    mode: str,
    truncate: float,
    order: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """Smooth ``arrays`` in place with ``scipy.ndimage.gaussian_filter``.

    ``order`` goes to scipy as it is (None: 0 on every axis).  scipy
    releases the GIL inside its filters, so two threads keep both cores
    busy (numerator and weights side by side).
    """
    if not any(s > 0 for s in sigma):
        return list(arrays)
    order = order or 0
    if len(arrays) == 1 or arrays[0].size < _THREADS_FROM_SIZE:
        return [_smooth_one(a, sigma, mode, truncate, order) for a in arrays]
    with ThreadPoolExecutor(max_workers=min(2, len(arrays))) as pool:
        futures = [
            pool.submit(_smooth_one, a, sigma, mode, truncate, order) for a in arrays
        ]
        return [f.result() for f in futures]
