"""A window of planes reduced by kernel taps in a few large numpy calls.

The route of the displayed plane of a volume while numba's plane loop
(:func:`~.taps.reduce_planes`) is being got ready on another thread.  With
``T`` the tap matrix (m output planes x n window planes), ``x`` the window,
``w`` the weights and ``c`` the shift:

    N_j = sum_k T[j, k] (x_k - c) w_k = sum_k T[j, k] x_k w_k - c W_j,
    W_j = sum_k T[j, k] w_k.

Each sum is one :func:`numpy.einsum` over the whole window, which casts the
window's pixels to float64 in small buffers as it goes (no window-sized
temporary) and releases the GIL throughout.  The whole reduction is about
ten calls into numpy, so a thread that holds the interpreter meanwhile (the
warm-up compiling the loop, a busy event loop) delays it by at most a switch
interval per call.  The numpy route of :mod:`.taps`, blocked for the cache,
is faster alone but makes about a thousand calls a plane; the loop itself
is faster still.  The window goes in a few blocks of rows, with a
:func:`~.steps.checkpoint` between them.  The sums are made in float64, so
that ``c W_j`` taken from ``sum T x w`` loses nothing of the data's spread,
then given in ``dtype``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from napari_masked_blur._math.steps import checkpoint

# Window pixels per block of rows: a piece no longer wanted stops between
# blocks (four blocks for 25 planes of 1024 x 1024), and each block adds
# only three calls.
_BLOCK_PIXELS = 2**23


def summed_planes(
    image: np.ndarray,
    mask: np.ndarray,
    taps: np.ndarray,
    dtype: np.dtype,
    shift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """``taps`` applied along axis 0 of ``(image - shift) * w`` and of ``w``.

    Parameters
    ----------
    image : ndarray, shape (n, ...)
        The window of planes (any real type; non-finite pixels are missing
        data and get ``w = 0``).
    mask : ndarray, shaped like ``image``
        bool or integers (inside where nonzero), or float certainty weights
        (checked finite and >= 0 by the caller).
    taps : ndarray, shape (m, n)
    dtype : dtype
        Type of the results, float32 or float64.
    shift : float
        Subtracted from each weighed pixel (see ``_math.taps.window_shift``).

    Returns
    -------
    numerator, weights : ndarray, shape (m, ...)
        ``sum_k taps[j, k] (image[k] - shift) w[k]`` and
        ``sum_k taps[j, k] w[k]``, in ``dtype``.
    """
    weights = mask if mask.dtype.kind in "bf" or _zero_one(mask) else mask != 0
    matrix = np.asarray(taps, np.float64)
    shape = (matrix.shape[0], *image.shape[1:])
    numerator, total = np.empty(shape, np.float64), np.empty(shape, np.float64)
    if image.ndim < 3:
        blocks = [slice(None)]
    else:
        rows = max(1, _BLOCK_PIXELS // (image.shape[0] * image.shape[2]))
        blocks = [slice(a, a + rows) for a in range(0, image.shape[1], rows)]
    # The two sums of a block side by side (einsum releases the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        for rows in blocks:
            checkpoint()  # between blocks, a piece no longer wanted stops
            key = (slice(None), rows)
            values, inside = _without_missing(image[key], weights[key])
            summed = pool.submit(
                np.einsum, "jk,k...,k...->j...", matrix, values, inside,
                out=numerator[key],
            )  # fmt: skip
            np.einsum("jk,k...->j...", matrix, inside, out=total[key])
            summed.result()
    if shift:
        numerator -= shift * total
    return numerator.astype(dtype), total.astype(dtype)


def _zero_one(mask: np.ndarray) -> bool:
    """Whether an integer mask holds only 0 and 1: its values are its weights.

    Two passes of min and max cost less than making a bool window (a pass
    that writes as much again, into new pages).
    """
    return bool(mask.size) and int(mask.max()) <= 1 and int(mask.min()) >= 0


def _without_missing(
    image: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Non-finite pixels of a float image set to 0, with weight 0 (missing data)."""
    if image.dtype.kind != "f":
        return image, weights
    finite = np.isfinite(image)
    if finite.all():
        return image, weights
    weights = weights & finite if weights.dtype == bool else weights * finite
    return np.where(finite, image, 0), weights
