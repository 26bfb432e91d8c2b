"""What every axis-by-axis engine shares: the two-thread driver, the border index.

Numerator and weights go to two threads side by side, each with a
single-threaded BLAS: BLAS's own threads synchronise at every product and,
on a busy machine, spin while waiting for each other (measured 20-50x slower
under load).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from napari_masked_blur._engines._kernel import kernel_radius

# Below this many pixels a second thread costs more than it saves.
_THREADS_FROM_SIZE = 2**15


def axis_by_axis(
    arrays: Sequence[np.ndarray],
    sigma: tuple[float, ...],
    truncate: float,
    filter_axis: Callable[[np.ndarray, int, float, int, int], None],
    order: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """``filter_axis(array, axis, sigma, radius, order)`` along each smoothed axis.

    In place.  ``order`` is the derivative order per axis (None: all 0).
    Large arrays go to two threads side by side (numerator and weights), each
    with a single-threaded BLAS (see the module docstring).
    """
    radii = kernel_radius(sigma, truncate)
    orders = order or (0,) * len(sigma)

    def smooth(array: np.ndarray) -> np.ndarray:
        for axis, (s, radius, o) in enumerate(zip(sigma, radii, orders, strict=True)):
            if radius > 0:
                filter_axis(array, axis, s, radius, o)
        return array

    if len(arrays) == 1 or arrays[0].size < _THREADS_FROM_SIZE:
        return [smooth(a) for a in arrays]
    with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(smooth, arrays))


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread (ours run side by side), when threadpoolctl can."""
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield


@functools.cache
def _blas_controller() -> object | None:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # then BLAS keeps its own threads: slower when busy
        return None
    return ThreadpoolController()


def extend_index(
    index: np.ndarray, length: int, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """Where scipy's border rule reads index ``index`` of an axis of ``length``.

    Returns the in-range index and whether there is one at all ("constant"
    has nothing beyond the edge).
    """
    if mode == "constant":
        valid = (index >= 0) & (index < length)
        return np.clip(index, 0, length - 1), valid
    everywhere = np.ones(index.shape, bool)
    if mode == "nearest":
        return np.clip(index, 0, length - 1), everywhere
    if mode == "wrap":
        return index % length, everywhere
    if mode == "reflect":  # d c b a | a b c d | d c b a
        folded = index % (2 * length)
        return np.where(folded < length, folded, 2 * length - 1 - folded), everywhere
    if length == 1:  # mirror of a single pixel
        return np.zeros_like(index), everywhere
    folded = index % (2 * length - 2)  # mirror: d c b | a b c d | c b a
    return np.where(folded < length, folded, 2 * length - 2 - folded), everywhere
