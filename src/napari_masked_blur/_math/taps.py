"""The masked blur of a window reduced along its thin axes by kernel taps.

For a region thin along some axes (one plane of a volume, a few rows) the
Gaussian along those axes is needed at the region's rows only.  Because it
is separable, those axes are reduced first, by a small matrix of kernel taps
(:func:`quotient_taps`), and the other axes smoothed afterwards on what is
left: equal to smoothing everything and cropping, at a fraction of the cost.
Numpy, and for the planes of a volume a loop compiled by numba, which the
engines' loader compiles and hands out (:func:`reduce_planes`): this room
never imports numba.

In float32 the image is shifted by ``c``, the value of one weighted pixel of
the window, as the dense path does (:func:`.dense.smooth_filter`): the
taps and the smoothing see ``(x - c) w``, and ``c`` is added back to the
quotient, so rounding follows the data's spread rather than its magnitude.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from napari_masked_blur._engines import (
    LoopKey,
    compiled_loops,
    folded_taps,
    gaussian_smooth_scaled,
    loop_key,
    loops_coming,
    one_blas_thread,
)
from napari_masked_blur._math.boxes import Box
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.options import BlurOptions, engine_mode
from napari_masked_blur._math.outside import apply_outside
from napari_masked_blur._math.plane_sums import summed_planes
from napari_masked_blur._math.steps import checkpoint
from napari_masked_blur._math.weights import (
    Labels,
    check_weights,
    inside_labels,
    mask_to_weights,
    unit_weights,
    zero_missing,
)

# Pixels of input per block when reducing the tapped axes: small enough to
# stay in cache between making the products and reducing them (1 MB per
# float32 array).  A 1024 x 1024 plane at sigma 3 took 311 ms with blocks of
# 2**20 pixels, 68 ms with 2**18 (same run, busy 2-core machine).
_BLOCK_PIXELS = 2**18

# Pixels per step of the search for the shift's pixel (window_shift).
_SHIFT_SEARCH_PIXELS = 2**12


def tapped_axes(
    inner: Box, window_shape: Sequence[int], radius: Sequence[int]
) -> list[int]:
    """Axes where the region is thin enough to reduce by a tap matrix.

    Reducing a line of ``n`` to ``m`` outputs costs ``m n`` multiply-adds,
    filtering it whole about ``n (r + 1)``: taps win for ``m <= r + 1``.
    """
    return [
        axis
        for axis, (s, n, r) in enumerate(zip(inner, window_shape, radius, strict=True))
        if r > 0 and s.stop - s.start <= r + 1 and s.stop - s.start < n
    ]


def blur_tapped(
    image: np.ndarray,
    mask: np.ndarray,
    inner: Box,
    tapped: list[int],
    options: BlurOptions,
) -> np.ndarray:
    """The masked blur of a window, over ``inner`` only.

    Along the ``tapped`` axes the Gaussian is evaluated at the rows of
    ``inner`` alone, as ``taps @ array``; the remaining axes are then
    smoothed by the engine on what is left.  Separability makes this equal
    to smoothing everything and cropping.  In float32 the quotient is
    ``G*((x - c) w) / G*w + c``, with ``c`` from :func:`window_shift`.
    """
    dtype, sigma, labels = output_dtype(image.dtype), options.sigma, options.labels
    taps = {
        axis: quotient_taps(
            image.shape[axis], inner[axis], sigma[axis], options.truncate, options.mode
        )[0].astype(dtype)
        for axis in tapped
    }
    if mask.dtype.kind == "f":  # certainty weights of any scale: see unit_weights
        mask = unit_weights(mask, mask.dtype)[0]
    shift = window_shift(image, mask, labels, dtype)
    numerator, weights = _tapped_products(image, mask, labels, taps, dtype, shift)
    checkpoint()  # a piece no longer wanted stops here (see _math.steps)
    rest = [0.0 if axis in tapped else s for axis, s in enumerate(sigma)]
    # Only the quotient is kept, so the smoothing may stay scaled.
    (numerator, certainty), _ = gaussian_smooth_scaled(
        [np.ascontiguousarray(numerator), np.ascontiguousarray(weights)],
        rest,
        mode=options.engine_mode,
        truncate=options.truncate,
        method=options.method,
    )
    crop = tuple(slice(None) if a in tapped else s for a, s in enumerate(inner))
    numerator, certainty = numerator[crop], certainty[crop]
    reached = certainty > 0
    quotient = np.full(numerator.shape, np.nan, dtype=dtype)
    np.divide(numerator, certainty, out=quotient, where=reached)
    if shift:
        quotient += dtype.type(shift)  # NaN (no weight in reach) stays NaN
    inside = (
        inside_labels(mask[inner], labels)
        if mask.dtype.kind != "f"
        else mask[inner] > 0
    )
    return apply_outside(image[inner], quotient, inside, options.outside, None)


def _tapped_products(
    image: np.ndarray,
    mask: np.ndarray,
    labels: Labels,
    taps: dict[int, np.ndarray],
    dtype: np.dtype,
    shift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """``taps`` applied to ``(image - shift) * w`` and to ``w`` along their axes.

    Taps along axis 0 alone (the planes of a volume, the common case) are
    applied in one compiled pass (:func:`reduce_planes`) where numba can.
    Others in numpy, in blocks along an axis without taps, on two threads
    (numpy and BLAS release the GIL): each block's products stay in cache
    between being made and being reduced, instead of going out to memory
    and back.
    """
    if list(taps) == [0] and image.ndim in (2, 3):
        reduced = reduce_planes(image, mask, labels, taps[0], dtype, shift)
        if reduced is not None:
            return reduced
    shape = [taps[a].shape[0] if a in taps else n for a, n in enumerate(image.shape)]
    numerator, weights = np.empty(shape, dtype), np.empty(shape, dtype)
    free = [a for a in range(image.ndim) if a not in taps]
    split = free[0] if free else 0
    per_row = image.size // image.shape[split]
    rows = max(1, _BLOCK_PIXELS // per_row) if free else image.shape[split]

    def reduce_block(start: int) -> None:
        key = tuple(
            slice(start, start + rows) if a == split else slice(None)
            for a in range(image.ndim)
        )
        n, w = _products(image[key], mask[key], labels, dtype, shift)
        for axis, matrix in taps.items():
            n, w = _apply_taps(matrix, n, axis), _apply_taps(matrix, w, axis)
        numerator[key], weights[key] = n, w

    starts = range(0, image.shape[split], rows)
    if len(starts) == 1:
        reduce_block(0)
    else:
        with one_blas_thread(), ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(reduce_block, starts))
    return numerator, weights


def _products(
    image: np.ndarray,
    mask: np.ndarray,
    labels: Labels,
    dtype: np.dtype,
    shift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """``((image - shift) * w, w)`` in ``dtype``; non-finite pixels get ``w = 0``."""
    weights = mask_to_weights(mask, labels).astype(dtype, copy=False)
    # The product is made in the output type straight from the image's own
    # type: a separate astype would cost a second pass over memory.
    if shift:  # the block is in cache: the second pass stays there
        numerator = np.subtract(image, dtype.type(shift), dtype=dtype)
        numerator *= weights
    else:
        numerator = np.multiply(image, weights, dtype=dtype)
    zero_missing(image, weights, numerator)
    return numerator, weights


def window_shift(
    image: np.ndarray, mask: np.ndarray, labels: Labels, dtype: np.dtype
) -> float:
    """The value ``c`` of one weighted, finite pixel of the window; 0 if none.

    0 in float64, where the shift is not needed.  Any weighted pixel lies in
    the data's band, which is all the shift asks; the first one in C order is
    taken.  The search looks at the first few rows, then at planes along
    axis 0 in blocks that double: it usually ends at once, and costs at most
    about two passes over the window where nothing in it is weighted.
    """
    if dtype != np.float32:
        return 0.0
    image2, mask2 = np.atleast_2d(image), np.atleast_2d(mask)
    rows = max(1, _SHIFT_SEARCH_PIXELS // max(1, image2[0].size // image2.shape[1]))
    probe = (slice(0, 1), slice(0, rows))  # the first rows of the first plane
    found = _first_weighted(image2[probe], mask2[probe], labels)
    start, step = 0, 1
    while found is None and start < image2.shape[0]:
        key = slice(start, start + step)
        found = _first_weighted(image2[key], mask2[key], labels)
        start, step = start + step, 2 * step
    return 0.0 if found is None else found


def _first_weighted(
    image: np.ndarray, mask: np.ndarray, labels: Labels
) -> float | None:
    """The first pixel of ``image`` (C order) that is finite with a weight > 0."""
    found = mask > 0 if mask.dtype.kind == "f" else inside_labels(mask, labels)
    if image.dtype.kind == "f":  # not in place: found may be the mask itself
        found = found & np.isfinite(image)
    first = int(np.argmax(found)) if found.size else 0
    return float(image.flat[first]) if found.size and found.flat[first] else None


def _apply_taps(taps: np.ndarray, array: np.ndarray, axis: int) -> np.ndarray:
    """``taps`` (m, n) applied along ``axis`` (length n) of ``array``.

    Along axis 0 a matrix product (BLAS, held to one thread by the caller:
    twice as fast as ``einsum`` on a block of 25 x 10 x 1024, measured);
    along other axes ``einsum``, which needs no copy to make the axis lead.
    """
    if axis == 0 and array.flags.c_contiguous:
        flat = array.reshape(array.shape[0], -1)
        return (taps @ flat).reshape(taps.shape[0], *array.shape[1:])
    axes = list(range(array.ndim))
    out_axes = [array.ndim if a == axis else a for a in axes]
    return np.einsum(taps, [array.ndim, axis], array, axes, out_axes)


def quotient_taps(
    n: int, rows: slice, sigma: float, truncate: float, mode: str
) -> tuple[np.ndarray, int]:
    """The 1-D Gaussian filter of a length-``n`` line at ``rows``, times ``2**e``.

    Row ``i`` of the matrix holds the weight of every input sample in output
    sample ``rows.start + i``: the kernel of
    :func:`scipy.ndimage.gaussian_filter1d`, ``exp(-x**2 / (2 sigma**2))``
    normalised over ``|x| <= radius``, with taps beyond the line folded back
    by the border ``mode`` (``"missing"`` drops them).  Made from sums over
    the taps that land on each sample
    (:func:`~napari_masked_blur._engines.folded_taps`), so its cost is
    ``len(rows) * n`` whatever the radius.  float64.

    Returns
    -------
    matrix : ndarray, shape (len(rows), n)
        The taps times ``2**exponent``: the scale keeps the taps of a kernel
        far wider than the line normal numbers; a quotient of two sums with
        the same taps does not see it.
    exponent : int
    """
    return folded_taps(n, sigma, truncate, engine_mode(mode), rows)


def plane_loop_key(image: npt.DTypeLike, mask: npt.DTypeLike) -> LoopKey:
    """The loader's key of the plane loop for windows of these types.

    ``mask``: the type the loop is given, that of :func:`loop_mask`.
    """
    return loop_key("planes", image, mask, output_dtype(np.dtype(image)))


def loop_mask(mask: np.ndarray, labels: Labels) -> np.ndarray:
    """The mask as the plane loop takes it: chosen labels become bool (inside).

    A float certainty map is checked and taken as it is.
    """
    if mask.dtype.kind == "f":
        check_weights(mask)
        return mask
    return mask if labels is None else inside_labels(mask, labels)


def reduce_planes(
    image: np.ndarray,
    mask: np.ndarray,
    labels: Labels,
    taps: np.ndarray,
    dtype: np.dtype,
    shift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``taps`` along axis 0 of ``(image - shift) * w`` and of ``w``, compiled.

    ``image``: 2 or 3 axes; ``mask``: labels (inside: nonzero, or one of
    ``labels``) or a float certainty map, checked here; ``taps`` (m, n);
    the sums in ``dtype``.  While the loop is being got ready in the
    background (:func:`~napari_masked_blur._engines.loops_coming`: the live
    widget asked for it) the sums are made by :func:`summed_planes`, in a
    few large calls that need no compiled code; where nobody asked for it
    (the plain API path) it is got ready on this thread, unless the thread
    is one that must never wait for numba (the live widget's: then it is
    queued, and these sums serve meanwhile).  None where numba cannot
    compile it: then numpy's taps do the work.
    """
    mask = loop_mask(mask, labels)
    key = plane_loop_key(image.dtype, mask.dtype)
    loops = compiled_loops(key)
    if loops is None and not loops_coming(key):
        # Here, unless this thread must not wait (then queued: coming).
        loops = compiled_loops(key, now=True)
    if loops is None and loops_coming(key):
        return summed_planes(image, mask, taps, dtype, shift)
    if loops is None:
        return None
    return loops.reduce_planes(image, mask, taps, dtype, shift)
