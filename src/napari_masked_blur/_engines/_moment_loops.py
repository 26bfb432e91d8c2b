"""The compiled loops of the fused local statistics (see :mod:`._fused_moments`).

The fused masked blur's loops (:mod:`._fused_loops`) carry two accumulators,
``(x - c) w`` and ``w``, through the rows; these carry ``K`` of them, the
moments a statistic needs, each weighed from the same read of the image,
the mask (and a second image), filtered along the row and summed over a
ring of rows with the same row filters as the masked blur:

- one image (variance, std, z-score), ``K = 3``:
  ``Sx = G*((x - c) w)``, ``Sxx = G*((x - c)**2 w)``, ``S0 = G*w``;
- two images (correlation), ``K = 6``: ``Sx``, ``Sy``, ``Sxx``, ``Syy``,
  ``Sxy = G*((x - c)(y - d) w)``, ``S0``.

Each output row is then finished from its sums as the descriptions of
``_math.statistics`` finish whole arrays (same formulas, same floor under
the variance), and the outside policy written, straight into the output.

Imported only by the loader (:mod:`._compiled`), inside a function, which
runs :func:`warm` before anyone gets the module.
"""

from __future__ import annotations

import numpy as np

from napari_masked_blur._engines._fused_loops import (
    FILL,
    KEEP,
    NAN,
    _compiled,
    _filter_row,
    _sum_ring,
)

# Statistics, as the driver passes them.
VARIANCE, STD, ZSCORE, CORRELATION = 0, 1, 2, 3


@_compiled
def _weigh_moments(values, labels, certainty, missing, tap, shift, kind, acc, lo, hi):
    """``acc[0..2] += tap w ((x - c), (x - c)**2, 1)`` over ``lo:hi``.

    ``w`` as in the masked blur's loops: the label's value (``certainty``)
    or 1 where it is nonzero, 0 where the value is not finite.
    """
    values, labels = values[lo:hi], labels[lo:hi]
    s_x, s_xx, s_0 = acc[0, lo:hi], acc[1, lo:hi], acc[2, lo:hi]
    zero = kind(0)
    if certainty:  # the loops apart, so that each one is vectorized
        for x in range(hi - lo):
            weight = tap * kind(labels[x])
            value = kind(values[x]) - shift
            if missing and not np.isfinite(value):
                weight, value = zero, zero
            weighed = weight * value
            s_x[x] += weighed
            s_xx[x] += weighed * value
            s_0[x] += weight
    elif missing:
        for x in range(hi - lo):
            weight = tap * kind(labels[x] != 0)
            value = kind(values[x]) - shift
            if not np.isfinite(value):
                weight, value = zero, zero
            weighed = weight * value
            s_x[x] += weighed
            s_xx[x] += weighed * value
            s_0[x] += weight
    else:
        for x in range(hi - lo):
            weight = tap * kind(labels[x] != 0)
            value = kind(values[x]) - shift
            weighed = weight * value
            s_x[x] += weighed
            s_xx[x] += weighed * value
            s_0[x] += weight


@_compiled
def _weigh_pairs(
    values, others, labels, certainty, missing, tap, shift, other_shift, kind, acc,
    lo, hi,
):  # fmt: skip
    """``acc[0..5] += tap w (x', y', x'**2, y'**2, x' y', 1)``, ``x' = x - c``.

    ``y' = y - d`` the second image's; ``w`` 0 where either is not finite.
    """
    values, others, labels = values[lo:hi], others[lo:hi], labels[lo:hi]
    sums = (acc[0, lo:hi], acc[1, lo:hi], acc[2, lo:hi], acc[3, lo:hi],
            acc[4, lo:hi], acc[5, lo:hi])  # fmt: skip
    zero = kind(0)
    if certainty:  # the loops apart, so that each one is vectorized
        for x in range(hi - lo):
            weight = tap * kind(labels[x])
            value = kind(values[x]) - shift
            other = kind(others[x]) - other_shift
            if missing and not (np.isfinite(value) and np.isfinite(other)):
                weight, value, other = zero, zero, zero
            _add_pair(sums, x, weight, value, other)
    elif missing:
        for x in range(hi - lo):
            weight = tap * kind(labels[x] != 0)
            value = kind(values[x]) - shift
            other = kind(others[x]) - other_shift
            if not (np.isfinite(value) and np.isfinite(other)):
                weight, value, other = zero, zero, zero
            _add_pair(sums, x, weight, value, other)
    else:
        for x in range(hi - lo):
            weight = tap * kind(labels[x] != 0)
            value = kind(values[x]) - shift
            other = kind(others[x]) - other_shift
            _add_pair(sums, x, weight, value, other)


@_compiled
def _add_pair(sums, x, weight, value, other):
    """One pixel's weighted moments of two images added into ``sums[k][x]``."""
    s_x, s_y, s_xx, s_yy, s_xy, s_0 = sums
    weighed = weight * value
    weighed_other = weight * other
    s_x[x] += weighed
    s_y[x] += weighed_other
    s_xx[x] += weighed * value
    s_yy[x] += weighed_other * other
    s_xy[x] += weighed * other
    s_0[x] += weight


@_compiled
def _variance(s_x, s_xx, per_weight, keep):
    """``(mean about the shift, variance)`` from one pixel's sums.

    ``per_weight`` is ``1 / S0`` (one division for every moment of the
    pixel); ``keep`` is ``1 - floor eps``: variances within the floor of the
    mean square about the shift are 0, never negative; NaN where ``S0 == 0``.
    """
    mean = s_x * per_weight
    variance = s_xx * per_weight * keep - mean * mean
    if variance < 0:  # NaN stays NaN
        variance = variance * 0
    return mean, variance


@_compiled
def _finish_row(sums, statistic, keep, pixels, shift, kind, row, width):
    """The statistic of one row from its sums, into ``row[:width]``."""
    if statistic == CORRELATION:
        for x in range(width):
            per_weight = 1 / sums[5, x]  # NaN below where S0 == 0: 0 * inf
            mean_x, variance_x = _variance(sums[0, x], sums[2, x], per_weight, keep)
            mean_y, variance_y = _variance(sums[1, x], sums[3, x], per_weight, keep)
            covariance = sums[4, x] * per_weight - mean_x * mean_y
            # The product of the stds, not of the variances: that would
            # underflow in float32 for spreads of 1e-10 and below.
            value = covariance / (np.sqrt(variance_x) * np.sqrt(variance_y))
            if not np.isfinite(value):
                value = kind(np.nan)
            elif value > 1:  # rounding beyond +-1
                value = kind(1)
            elif value < -1:
                value = kind(-1)
            row[x] = value
    elif statistic == ZSCORE:
        for x in range(width):
            per_weight = 1 / sums[2, x]
            mean, variance = _variance(sums[0, x], sums[1, x], per_weight, keep)
            std = np.sqrt(variance)
            centred = kind(pixels[x]) - shift - mean  # x - mean, about the shift
            if std != 0:
                row[x] = centred / std
            else:
                row[x] = centred if np.isnan(centred) else kind(0)
    else:
        for x in range(width):
            per_weight = 1 / sums[2, x]
            mean, variance = _variance(sums[0, x], sums[1, x], per_weight, keep)
            row[x] = np.sqrt(variance) if statistic == STD else variance


@_compiled
def _write_policy(row, labels, certainty, policy, kind, out, width):
    """``row`` into ``out`` inside the mask, the outside policy elsewhere.

    (``KEEP`` is refused for the statistics; it would be NaN here.)
    """
    if policy == FILL:
        for x in range(width):
            out[x] = row[x]
        return
    outside = kind(np.nan) if policy in (NAN, KEEP) else kind(0)
    for x in range(width):
        inside = labels[x] > 0 if certainty else labels[x] != 0
        out[x] = row[x] if inside else outside


@_compiled
def _weigh_input_row(
    image, other, mask, z, source_y, pair, certainty, missing, shift, other_shift,
    kind, taps_z, index_z, base_z, acc, lo, hi,
):  # fmt: skip
    """Every accumulator of one input row, summed over the planes within reach."""
    radius_z = taps_z.size // 2
    zero = kind(0)
    for k in range(acc.shape[0]):
        acc[k, lo:hi] = zero
    for j in range(taps_z.size):
        source_z = index_z[z + j - radius_z - base_z]
        if source_z < 0 or taps_z[j] == zero:
            continue
        values, labels = image[source_z, source_y], mask[source_z, source_y]
        if pair:
            _weigh_pairs(
                values, other[source_z, source_y], labels, certainty, missing,
                taps_z[j], shift, other_shift, kind, acc, lo, hi,
            )  # fmt: skip
        else:
            _weigh_moments(
                values, labels, certainty, missing, taps_z[j], shift, kind, acc,
                lo, hi,
            )  # fmt: skip


@_compiled
def moments_block(
    image, other, mask, out, certainty, missing, shift, other_shift, kind, policy,
    statistic, keep, taps_z, index_z, base_z, taps_y, index_y, base_y, taps_x,
    index_x, base_x, planes, rows, columns, stripe, scratch_row, scratch_ring,
    scratch_sum, scratch_out,
):  # fmt: skip
    """The statistic over ``planes x rows x columns`` (start, stop pairs) of ``out``.

    ``image``, ``other`` (the image itself for the one-image statistics),
    ``mask`` and ``out`` are 3D and C-contiguous; the axes' taps and border
    indices as in :func:`._fused_loops.fused_block`.  ``scratch_row``
    (K, width of the image), ``scratch_ring`` (K, 2 r_y + 1, stripe),
    ``scratch_sum`` (K, stripe) and ``scratch_out`` (stripe) are this
    thread's own; ``K`` is 6 for the correlation, else 3.
    """
    radius_y = taps_y.size // 2
    radius_x = taps_x.size // 2
    slots = 2 * radius_y + 1
    length = image.shape[2]
    count = scratch_row.shape[0]
    pair = statistic == CORRELATION
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
                    for k in range(count):
                        scratch_ring[k, slot, :width] = zero
                else:
                    _weigh_input_row(
                        image, other, mask, z, source_y, pair, certainty, missing,
                        shift, other_shift, kind, taps_z, index_z, base_z,
                        scratch_row, lo, hi,
                    )  # fmt: skip
                    for k in range(count):
                        _filter_row(
                            scratch_row[k], taps_x, radius_x, index_x, base_x,
                            scratch_ring[k, slot], start, stop, length,
                        )  # fmt: skip
                y = q - radius_y
                if y < rows[0]:
                    continue
                first = y - radius_y - first_q
                for k in range(count):
                    _sum_ring(
                        scratch_ring[k], taps_y, radius_y, first, slots,
                        scratch_sum[k], width,
                    )  # fmt: skip
                _finish_row(
                    scratch_sum, statistic, keep, image[z, y, start:stop], shift,
                    kind, scratch_out, width,
                )  # fmt: skip
                _write_policy(
                    scratch_out, mask[z, y, start:stop], certainty, policy, kind,
                    out[z, y, start:stop], width,
                )  # fmt: skip


def warm(image: np.dtype, mask: np.dtype, result: np.dtype) -> None:
    """Run the loops once on a tiny input of these types: compile or load them.

    In the one layout the driver gives them (:mod:`._fused_moments`): the
    images and mask C-ordered and read-only, the output C-ordered and
    writable, every statistic (one signature for all: the correlation's
    second image is of the image's type).
    """
    shape = (1, 3, 3)
    taps = np.ones(1, result)
    index = np.zeros(3, np.int64)
    inputs = [np.zeros(shape, image), np.zeros(shape, image), np.zeros(shape, mask)]
    for array in inputs:
        array.flags.writeable = False
    out = np.zeros(shape, result)
    kind = result.type
    for statistic, count in ((STD, 3), (CORRELATION, 6)):
        moments_block(
            *inputs, out, False, image.kind == "f", kind(0), kind(0), kind, FILL,
            statistic, kind(1), taps, index[:1], 0, taps, index, 0, taps, index, 0,
            (0, 1), (0, 3), (0, 3), 3, np.zeros((count, 3), result),
            np.zeros((count, 1, 3), result), np.zeros((count, 3), result),
            np.zeros(3, result),
        )  # fmt: skip
