"""Separable FIR on OpenCV's ``sepFilter2D``, fed scipy's exact kernel.

OpenCV filters a 2D plane with vectorised, multi-threaded row and column
passes, 5-10x faster than scipy.ndimage on float32.  It is given the taps
from :func:`gaussian_kernel1d` (not its own ``getGaussianKernel``, which sizes
and normalises differently), so the result is scipy's up to float32 rounding.
``sepFilter2D`` correlates, as the taps of :func:`gaussian_kernel1d` expect:
odd derivatives keep scipy's sign.

More than two axes: the last two are filtered plane by plane, every other axis
as the column pass of a 2D view ``(axis length, everything after it)``.  Each
pass writes through a scratch buffer and copies back, so extra memory stays at
a few MB, not one array.

Threads: OpenCV spreads one call over its own threads only for large images;
a 512x512 plane runs on about one core.  So the planes of numerator and
weights go to two Python threads (OpenCV releases the GIL), and the column
pass takes blocks of several MB, which OpenCV does split (2-3x faster than
1 MB blocks).  Measured on 64x512x512 float32, sigma 3, 2 cores: about half
the time of the same passes one array after the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from napari_masked_blur._engines._kernel import gaussian_kernel1d, kernel_radius

try:
    import cv2
except ImportError:  # an optional speed-up: the scipy engine covers everything
    cv2 = None

# scipy border rule -> OpenCV border type.  OpenCV's GaussianBlur has no wrap
# border, and sepFilter2D does not either.  BORDER_ISOLATED: never look at
# pixels of a parent array beyond a view's edge.
_BORDERS = {
    "constant": "BORDER_CONSTANT",  # zeros beyond the edge
    "reflect": "BORDER_REFLECT",  # d c b a | a b c d | d c b a
    "mirror": "BORDER_REFLECT_101",  # d c b | a b c d | c b a
    "nearest": "BORDER_REPLICATE",  # a a a | a b c d | d d d
}

# Bytes of one column-pass block: large enough that OpenCV splits the call
# over its threads (1 MB blocks ran on one core, 2-3x slower), small enough
# to keep the scratch buffer minor.
_BLOCK_BYTES = 2**23
# Below this many pixels a second thread costs more than it saves.
_THREADS_FROM_SIZE = 2**15
# Planes this large OpenCV spreads over its own threads; two Python threads on
# top only compete with them (one 1024 x 1024 plane of numerator and weights:
# 16 ms pooled, 11 ms one after the other; measured).
_OPENCV_SPLITS_FROM = 2**20


def opencv_refusal(
    shape: Sequence[int],
    sigma: Sequence[float],
    mode: str,
    dtype: np.dtype,
    truncate: float,
) -> str | None:
    """Why this engine cannot smooth such an input, or None when it can."""
    if cv2 is None:
        return "OpenCV (opencv-python-headless) is not installed"
    if mode not in _BORDERS:
        return f"OpenCV has no {mode!r} border"
    if np.dtype(dtype) not in (np.float32, np.float64):
        return f"OpenCV engine takes float32/float64, not {np.dtype(dtype)}"
    for size, radius in zip(shape, kernel_radius(sigma, truncate), strict=True):
        # OpenCV reflects once at each border; scipy keeps reflecting when the
        # kernel is wider than the image.  Only equal while it reaches less.
        if mode in ("reflect", "mirror") and radius >= size:
            return f"kernel radius {radius} does not fit in an axis of {size} pixels"
    return None


def smooth_opencv(
    arrays: Sequence[np.ndarray],
    sigma: tuple[float, ...],
    *,
    mode: str,
    truncate: float,
    order: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """Smooth each array with ``sepFilter2D``; see :mod:`._engines` for the contract."""
    radii = kernel_radius(sigma, truncate)
    orders = order or (0,) * len(sigma)
    dtype = arrays[0].dtype
    kernels = [
        gaussian_kernel1d(s, r, o).astype(dtype) if r > 0 else None
        for s, r, o in zip(sigma, radii, orders, strict=True)
    ]
    border = getattr(cv2, _BORDERS[mode]) | cv2.BORDER_ISOLATED

    if arrays[0].ndim == 2:
        return _smooth_images(arrays, kernels, border)

    def in_plane(array: np.ndarray) -> np.ndarray:
        return _smooth_last_two_axes(array, kernels[-2:], border)

    # OpenCV threads one call on a large image itself, but runs a single
    # 512x512 plane on about one core: planes go to two threads of ours.
    plane = math.prod(arrays[0].shape[-2:])
    if (
        arrays[0].ndim > 2
        and len(arrays) > 1
        and arrays[0].size >= _THREADS_FROM_SIZE
        and plane < _OPENCV_SPLITS_FROM
    ):
        with ThreadPoolExecutor(max_workers=2) as pool:
            arrays = list(pool.map(in_plane, arrays))
    else:
        arrays = [in_plane(a) for a in arrays]
    # Every other axis in large column blocks, which OpenCV threads itself.
    for array in arrays:
        for axis, kernel in enumerate(kernels[:-2]):
            if kernel is not None:
                _filter_axis(array, axis, kernel, border)
    return arrays


def _smooth_images(
    arrays: Sequence[np.ndarray], kernels: list[np.ndarray | None], border: int
) -> list[np.ndarray]:
    """2D arrays one after the other, each result written into a spare array.

    The spare is a new array for the first, then the input of the one
    before: numerator and weights and one more at the peak, not both
    results beside both inputs (the peak memory of a masked blur), and no
    copying back.
    """
    one = np.ones(1, arrays[0].dtype)
    kernel_y, kernel_x = (_or(k, one) for k in kernels)
    spare = np.empty_like(arrays[0])
    results = []
    for array in arrays:
        cv2.sepFilter2D(array, -1, kernel_x, kernel_y, dst=spare, borderType=border)
        results.append(spare)
        spare = array
    return results


def _smooth_last_two_axes(
    array: np.ndarray, kernels: list[np.ndarray | None], border: int
) -> np.ndarray:
    """Filter the last two axes (the only one of a 1D array) with ``kernels``."""
    one = np.ones(1, array.dtype)
    if array.ndim == 1:
        if kernels[-1] is None:
            return array
        row = cv2.sepFilter2D(
            array[np.newaxis], -1, kernels[-1], one, borderType=border
        )
        return row[0]
    kernel_y, kernel_x = kernels
    if kernel_y is None and kernel_x is None:
        return array
    if array.ndim == 2:
        return _smooth_images([array], kernels, border)[0]
    _filter_planes(array, _or(kernel_x, one), _or(kernel_y, one), border)
    return array


def _or(kernel: np.ndarray | None, one: np.ndarray) -> np.ndarray:
    return one if kernel is None else kernel


def _filter_planes(
    array: np.ndarray, kernel_x: np.ndarray, kernel_y: np.ndarray, border: int
) -> None:
    """Filter every plane of the last two axes, in place."""
    planes = array.reshape(-1, *array.shape[-2:])
    scratch = np.empty(planes.shape[1:], array.dtype)
    for plane in planes:
        # A plane of zeros stays zeros (a plane is filtered on its own): common
        # beyond the ends of a mask, and a read costs far less than a filter.
        if plane.any():
            plane[...] = cv2.sepFilter2D(
                plane, -1, kernel_x, kernel_y, dst=scratch, borderType=border
            )


def _filter_axis(array: np.ndarray, axis: int, kernel: np.ndarray, border: int) -> None:
    """Filter along ``axis`` (not one of the last two), in place.

    ``array`` seen as ``(before, length, after)``: each ``[i]`` is a 2D image
    whose columns run along ``axis``; filter its columns in blocks of
    about ``_BLOCK_BYTES``.
    """
    length = array.shape[axis]
    after = math.prod(array.shape[axis + 1 :])
    blocks = array.reshape(-1, length, after)
    width = min(after, max(64, _BLOCK_BYTES // (length * array.itemsize)))
    scratch = np.empty((length, width), array.dtype)
    one = np.ones(1, array.dtype)
    for image in blocks:
        for start in range(0, after, width):
            block = image[:, start : start + width]
            block[...] = cv2.sepFilter2D(
                block,
                -1,
                one,
                kernel,
                dst=scratch[:, : block.shape[1]],
                borderType=border,
            )
