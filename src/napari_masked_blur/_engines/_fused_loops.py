"""The compiled loops of the fused masked blur (see :mod:`._fused`).

One output row at a time: the input rows within reach along the first axis
are weighed and summed with the taps of that axis, the sum is filtered
along the row, kept in a ring of the last ``2 r + 1`` rows, and those rows
are summed with the taps of the second axis; then numerator over weights,
the shift added back and the outside policy applied, straight into the
output.  Every buffer is a row or a ring of rows, so it stays in the core's
cache, and each input pixel is read from memory once per output plane.

Compiled by numba on first use for each type of image, mask and result and
cached on disk where numba can write (:func:`_compiled`).  Imported only by
the loader (:mod:`._compiled`), inside a function, which runs :func:`warm`
before anyone gets the module: numba's import is a background affair.
"""

from __future__ import annotations

import numba
import numpy as np

# error_model "numpy": 0/0 is NaN (no weight in reach), not an exception;
# "contract": a * b + c may be one fused multiply-add (no other fast-math:
# the loops test for NaN).
_OPTIONS = {"error_model": "numpy", "fastmath": {"contract"}}
# Outside policies, as the driver passes them.
FILL, KEEP, ZERO, NAN = 0, 1, 2, 3


def _compiled(function):
    """``function`` compiled by numba (releasing the GIL), cached on disk if it can.

    ``error_model="numpy"``: 0/0 is NaN (where no weight is in reach), not
    an exception.  Numba refuses to cache, with a RuntimeError, where
    neither the package's folder nor the user's cache folder can be
    written; the loops are then compiled anew in each session.
    """
    try:
        return numba.njit(nogil=True, cache=True, **_OPTIONS)(function)
    except RuntimeError:
        return numba.njit(nogil=True, **_OPTIONS)(function)


@_compiled
def _weigh_row(
    values, labels, certainty, missing, tap, shift, kind, numerator, weights, lo, hi
):
    """``numerator += tap w (values - shift)``, ``weights += tap w`` over ``lo:hi``.

    ``w`` is the label's value (``certainty``) or 1 where it is nonzero;
    0 where the value is not finite (``missing``: a float image).  (Loops
    over ``range(n)`` of slices: indices numba knows are not negative, so
    the loops are vectorized.)
    """
    values, labels = values[lo:hi], labels[lo:hi]
    numerator, weights = numerator[lo:hi], weights[lo:hi]
    zero = kind(0)
    if certainty:  # the loops apart, so that each one is vectorized
        for x in range(hi - lo):
            weight = tap * kind(labels[x])
            value = kind(values[x]) - shift
            if missing and not np.isfinite(value):
                weight, value = zero, zero
            numerator[x] += weight * value
            weights[x] += weight
    elif missing:
        for x in range(hi - lo):
            weight = tap * kind(labels[x] != 0)
            value = kind(values[x]) - shift
            if not np.isfinite(value):
                weight, value = zero, zero
            numerator[x] += weight * value
            weights[x] += weight
    else:
        for x in range(hi - lo):
            weight = tap * kind(labels[x] != 0)
            numerator[x] += weight * (kind(values[x]) - shift)
            weights[x] += weight


@_compiled
def _filter_row(source, taps, radius, index, base, out, start, stop, length):
    """``out[x - start] = sum_j taps[j] source[index(x + j - radius)]``, x < stop.

    ``index[q - base]`` is where the border rule reads position ``q`` (-1:
    nothing, a zero).  Away from the borders the kernel's symmetry halves
    the products, two taps a pass; the border rule is looked up only for
    the columns within ``radius`` of a border (a scan of the whole row for
    them cost as much as the filter itself at radius 4).
    """
    direct_lo = min(max(start, radius), stop)
    direct_hi = max(min(stop, length - radius), direct_lo)
    count = direct_hi - direct_lo
    direct = out[direct_lo - start : direct_hi - start]
    middle = source[direct_lo:direct_hi]
    centre = taps[radius]
    for x in range(count):
        direct[x] = centre * middle[x]
    for j in range(1, radius, 2):
        tap, tap_2 = taps[radius + j], taps[radius + j + 1]
        before, before_2 = source[direct_lo - j :], source[direct_lo - j - 1 :]
        after = source[direct_lo + j : direct_hi + j]
        after_2 = source[direct_lo + j + 1 : direct_hi + j + 1]
        for x in range(count):
            direct[x] += tap * (before[x] + after[x]) + tap_2 * (
                before_2[x] + after_2[x]
            )
    if radius % 2:
        tap = taps[2 * radius]
        before = source[direct_lo - radius : direct_hi - radius]
        after = source[direct_lo + radius : direct_hi + radius]
        for x in range(count):
            direct[x] += tap * (before[x] + after[x])
    _filter_border(source, taps, radius, index, base, out, start, start, direct_lo)
    _filter_border(source, taps, radius, index, base, out, start, direct_hi, stop)


@_compiled
def _filter_border(source, taps, radius, index, base, out, start, lo, hi):
    """:func:`_filter_row` for the columns ``lo:hi``, by the border rule."""
    for x in range(lo, hi):
        total = taps[0] * 0
        for j in range(2 * radius + 1):
            at = index[x + j - radius - base]
            if at >= 0:
                total += taps[j] * source[at]
        out[x - start] = total


@_compiled
def _sum_ring(ring, taps, radius, first, slots, out, width):
    """``out = sum_j taps[j] ring[(first + j) % slots]`` over ``width``."""
    centre = taps[radius]
    middle = ring[(first + radius) % slots]
    for x in range(width):
        out[x] = centre * middle[x]
    for j in range(1, radius, 2):  # two taps a pass, as in _filter_row
        tap, tap_2 = taps[radius + j], taps[radius + j + 1]
        before = ring[(first + radius - j) % slots]
        after = ring[(first + radius + j) % slots]
        before_2 = ring[(first + radius - j - 1) % slots]
        after_2 = ring[(first + radius + j + 1) % slots]
        for x in range(width):
            out[x] += tap * (before[x] + after[x]) + tap_2 * (before_2[x] + after_2[x])
    if radius % 2:
        tap = taps[2 * radius]
        before = ring[(first) % slots]
        after = ring[(first + 2 * radius) % slots]
        for x in range(width):
            out[x] += tap * (before[x] + after[x])


@_compiled
def _write_row(
    numerator, weights, shift, values, labels, certainty, policy, out, start, width
):
    """Quotient plus shift into ``out[start:start + width]``; the policy outside."""
    out = out[start : start + width]
    values, labels = values[start : start + width], labels[start : start + width]
    if policy == FILL:
        for x in range(width):
            out[x] = numerator[x] / weights[x] + shift
        return
    outside = shift * 0  # ZERO (the output may hold anything yet)
    if policy == NAN:
        outside = outside + np.nan
    for x in range(width):
        quotient = numerator[x] / weights[x] + shift
        inside = labels[x] > 0 if certainty else labels[x] != 0
        if policy == KEEP:
            out[x] = quotient if inside else values[x]
        else:
            out[x] = quotient if inside else outside


@_compiled
def fused_block(
    image, mask, out, certainty, missing, shift, kind, policy,
    taps_z, index_z, base_z, taps_y, index_y, base_y, taps_x, index_x, base_x,
    planes, rows, columns, stripe, scratch_row, scratch_ring, scratch_sum,
):  # fmt: skip
    """The masked blur over ``planes x rows x columns`` (start, stop pairs) of ``out``.

    ``image``, ``mask`` and ``out`` are 3D (a 2D image has one plane) and
    C-contiguous.  ``taps_*`` are the kernels (length ``2 r + 1``),
    ``index_*[q - base_*]`` where the border rule reads position ``q`` of
    that axis (-1: nothing).  Columns go in stripes of ``stripe`` so the
    ring of rows stays in cache.  ``scratch_row`` (2, width of the image),
    ``scratch_ring`` (2, 2 r_y + 1, stripe) and ``scratch_sum`` (2, stripe)
    are this thread's own.
    """
    radius_z = taps_z.size // 2
    radius_y = taps_y.size // 2
    radius_x = taps_x.size // 2
    slots = 2 * radius_y + 1
    length = image.shape[2]
    raw_n, raw_w = scratch_row[0], scratch_row[1]
    ring_n, ring_w = scratch_ring[0], scratch_ring[1]
    sum_n, sum_w = scratch_sum[0], scratch_sum[1]
    zero = kind(0)
    for z in range(planes[0], planes[1]):
        for start in range(columns[0], columns[1], stripe):
            stop = min(start + stripe, columns[1])
            width = stop - start
            lo, hi = length, 0  # the input columns this stripe reads
            for q in range(start - radius_x, stop + radius_x):
                at = index_x[q - base_x]
                if at >= 0:
                    lo, hi = min(lo, at), max(hi, at + 1)
            first_q = rows[0] - radius_y
            for q in range(first_q, rows[1] + radius_y):
                slot = (q - first_q) % slots
                source_y = index_y[q - base_y]
                if source_y < 0:
                    ring_n[slot, :width] = zero
                    ring_w[slot, :width] = zero
                else:
                    raw_n[lo:hi] = zero
                    raw_w[lo:hi] = zero
                    for j in range(taps_z.size):
                        source_z = index_z[z + j - radius_z - base_z]
                        if source_z >= 0 and taps_z[j] != zero:
                            _weigh_row(
                                image[source_z, source_y], mask[source_z, source_y],
                                certainty, missing, taps_z[j], shift, kind,
                                raw_n, raw_w, lo, hi,
                            )  # fmt: skip
                    _filter_row(
                        raw_n, taps_x, radius_x, index_x, base_x,
                        ring_n[slot], start, stop, length,
                    )  # fmt: skip
                    _filter_row(
                        raw_w, taps_x, radius_x, index_x, base_x,
                        ring_w[slot], start, stop, length,
                    )  # fmt: skip
                y = q - radius_y
                if y < rows[0]:
                    continue
                first = y - radius_y - first_q
                _sum_ring(ring_n, taps_y, radius_y, first, slots, sum_n, width)
                _sum_ring(ring_w, taps_y, radius_y, first, slots, sum_w, width)
                _write_row(
                    sum_n, sum_w, shift, image[z, y], mask[z, y], certainty,
                    policy, out[z, y], start, width,
                )  # fmt: skip


def warm(image: np.dtype, mask: np.dtype, result: np.dtype) -> None:
    """Run the loops once on a tiny input of these types: compile or load them.

    In the one layout the driver gives them (:func:`._fused.fused_masked_blur`):
    image and mask C-ordered and read-only, the output C-ordered and
    writable.  Another layout would be another type to numba, compiled by
    whichever thread first met it.
    """
    shape = (1, 3, 3)
    taps = np.ones(1, result)
    index = np.zeros(3, np.int64)
    inputs = [np.zeros(shape, image), np.zeros(shape, mask)]
    for array in inputs:
        array.flags.writeable = False
    arrays = (*inputs, np.zeros(shape, result))
    flags = (False, image.kind == "f", result.type(0), result.type)
    fused_block(
        *arrays, *flags, 0, taps, index[:1], 0, taps, index, 0, taps, index, 0,
        (0, 1), (0, 3), (0, 3), 3,
        np.zeros((2, 3), result), np.zeros((2, 1, 3), result),
        np.zeros((2, 3), result),
    )  # fmt: skip
