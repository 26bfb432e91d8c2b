"""A window of planes reduced to a few planes by kernel taps, in one compiled pass.

Along a hidden axis, :func:`~napari_masked_blur._math.region.filter_region`
needs the Gaussian only at the few output planes of its region.  With ``T``
the tap matrix (m output planes x n window planes) and ``w`` the weights of
the mask, that is

    N_j = sum over k of T[j, k] image[k] w[k],   W_j = sum over k of T[j, k] w[k].

numpy makes these in five passes over each block of the window (the mask
test, two conversions to float, the product, the matrix products).  Here one
loop, compiled by numba, reads each input pixel once, converts and weighs it
in registers and adds it into output rows that stay in cache: 25 planes of
1024 x 1024 uint16 (one output plane, sigma 3) took 10-13 ms on one core,
against 26-34 ms for numpy's passes (measured, same runs).  In a napari
viewer that is what lets the displayed plane keep up: the worker then leaves
the cores to napari's repaint.

Compiled on first use for each type of image, mask and result (1.3 s) and
cached on disk; a later session loads it in 0.2 s, after numba's import
(0.4 s).  Imported only by the loader (:mod:`._compiled`), inside a
function, which calls :func:`warm` before anyone else gets the module.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

# Output elements of one array per block of rows: m output rows of a block
# stay in the core's cache (128 KB in float32) while the n input planes are
# added into them.
_BLOCK_ELEMENTS = 2**15


def reduce_planes(
    image: np.ndarray,
    mask: np.ndarray,
    taps: np.ndarray,
    dtype: np.dtype,
    shift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """``taps`` applied along axis 0 of ``(image - shift) * w`` and of ``w``.

    Parameters
    ----------
    image : ndarray, shape (n, ...) with two or three axes
        The window of planes (any real type; non-finite pixels are missing
        data and get ``w = 0``).
    mask : ndarray, shaped like ``image``
        Inside where nonzero (bool or integers), or a float certainty map
        (``w`` is its value, checked finite and >= 0 by the caller).
    taps : ndarray, shape (m, n)
        Weight of input plane k in output plane j.
    dtype : dtype
        Type of the result, float32 or float64 (the sums are made in it).
    shift : float
        Subtracted from each pixel (converted to ``dtype``) before it is
        weighed: a value inside the data's band keeps float32 sums of data
        far from zero precise (see ``_math.taps.window_shift``).

    Returns
    -------
    numerator, weights : ndarray, shape (m, ...)
        ``sum_k taps[j, k] (image[k] - shift) w[k]`` and
        ``sum_k taps[j, k] w[k]``.
    """
    flat = image.ndim == 2  # one row of planes: a single row of the loop
    if flat:
        image, mask = image[:, np.newaxis], mask[:, np.newaxis]
    image, mask = _as_warmed(image, mask)
    kind = np.dtype(dtype).type
    shape = (taps.shape[0], *image.shape[1:])
    numerator, weights = np.empty(shape, dtype), np.empty(shape, dtype)
    rows = max(1, _BLOCK_ELEMENTS // (taps.shape[0] * image.shape[2]))
    arguments = (
        image, mask, mask.dtype.kind == "f", image.dtype.kind == "f",
        np.ascontiguousarray(taps, dtype), kind, kind(shift), numerator, weights,
        rows,
    )  # fmt: skip

    def reduce_rows(half: int) -> None:
        height = image.shape[1]
        _reduce_rows(*arguments, half * height // 2, (half + 1) * height // 2)

    if image.shape[1] < 2:
        _reduce_rows(*arguments, 0, image.shape[1])
    else:  # two threads, each over half of the rows (the loop releases the GIL)
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(reduce_rows, (0, 1)))
    if flat:
        return numerator[:, 0], weights[:, 0]
    return numerator, weights


def warm(image: np.dtype, mask: np.dtype, result: np.dtype) -> None:
    """Run the loop once for these types, in every layout :func:`_as_warmed` gives.

    The image reaches the loop C-ordered and read-only; the mask read-only,
    C-ordered or not (a window of a broadcast mask, of part of a plane).
    numba compiles one version of the loop per layout, so these are all the
    versions that ever run.  A float mask reaches the loop as a copy
    (scaled to unit weights), so only C-ordered.
    """
    window = np.zeros((5, 1, 8), image)  # one row: run on this thread, not two
    plain = np.ones(window.shape, mask)
    masks = [plain]
    if plain.dtype.kind != "f":
        masks.append(np.broadcast_to(plain[0], plain.shape))
    for layout in masks:
        reduce_planes(window, layout, np.ones((1, 5)), result)


def _as_warmed(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``image`` and ``mask`` in the layouts :func:`warm` compiled the loop for.

    Each layout (C order or not, writable or not) is a type of its own to
    numba, and a type not compiled yet would be compiled by the calling
    thread: read-only views of both, the image C-ordered (a copy only for
    a window of part of a plane, which is small).
    """
    image = np.ascontiguousarray(image).view()
    mask = mask.view()
    image.flags.writeable = mask.flags.writeable = False
    return image, mask


def _compiled(function):
    """``function`` compiled by numba (releasing the GIL), cached on disk if it can.

    Numba refuses to cache, with a RuntimeError, where neither the package's
    folder nor the user's cache folder can be written (a read-only install
    and home); the loop is then compiled anew in each session.
    """
    try:
        return numba.njit(nogil=True, cache=True)(function)
    except RuntimeError:
        return numba.njit(nogil=True)(function)


@_compiled
def _reduce_rows(
    image, mask, certainty, missing, taps, kind, shift, numerator, weights, rows,
    start, stop,
):  # fmt: skip
    """Rows ``start:stop`` of the outputs, ``rows`` at a time (see reduce_planes).

    ``certainty``: the mask's values are the weights (else nonzero means 1);
    ``missing``: the image may hold non-finite pixels (float images).
    """
    count, planes = taps.shape
    width = image.shape[2]
    zero = kind(0)
    for first in range(start, stop, rows):
        last = min(first + rows, stop)
        numerator[:, first:last] = zero
        weights[:, first:last] = zero
        for k in range(planes):
            for j in range(count):
                tap = taps[j, k]
                if tap == zero:  # outside the kernel's reach of output plane j
                    continue
                for y in range(first, last):
                    _add_row(
                        image[k, y], mask[k, y], certainty, missing, tap, kind,
                        shift, numerator[j, y], weights[j, y], width,
                    )  # fmt: skip


@_compiled
def _add_row(
    values, labels, certainty, missing, tap, kind, shift, numerator, weights, width
):
    """One row: ``numerator += tap w (values - shift)``, ``weights += tap w``."""
    if certainty:  # loops apart, so that each one is vectorized
        for x in range(width):
            weight = tap * kind(labels[x])
            value = kind(values[x]) - shift
            if missing and not np.isfinite(value):
                weight, value = kind(0), kind(0)
            numerator[x] += weight * value
            weights[x] += weight
    elif missing:
        for x in range(width):
            weight = tap * kind(labels[x] != 0)
            value = kind(values[x]) - shift
            if not np.isfinite(value):
                weight, value = kind(0), kind(0)
            numerator[x] += weight * value
            weights[x] += weight
    else:
        for x in range(width):
            weight = tap * kind(labels[x] != 0)
            numerator[x] += weight * (kind(values[x]) - shift)
            weights[x] += weight
