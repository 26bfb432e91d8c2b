"""The sampled, truncated Gaussian every engine uses, exactly as scipy builds it.

Also its derivatives: the taps of derivative order ``o`` are the ``o``-th
derivative of the sampled, normalised Gaussian, ``g^(o)(x) = (-1)**o
He_o(x / sigma) / sigma**o * g(x)`` (``He_o`` the probabilists' Hermite
polynomial), as :func:`scipy.ndimage.gaussian_filter` builds them.

Also the kernel of one axis folded onto that axis by its border rule
(:func:`folded_taps`), computed without listing the ``2 r + 1`` taps: a
kernel wider than the image then costs what the image costs, whatever sigma
and truncate are.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from scipy import special

# exp(-ZERO_BEYOND**2 / 2) = exp(-800) is exactly 0.0 in float64: every tap
# further than 40 sigma out is an exact 0 as scipy computes it (it underflows
# from 38.6 sigma on), so a larger truncate gives the same kernel, only longer.
ZERO_BEYOND = 40.0
# Sums over residues are listed tap by tap while the period is at least
# sigma / 10 (at most 800 periods of taps); beyond, the Euler-Maclaurin series
# with six Bernoulli terms is exact to below float64 rounding (see _em_sums).
_EM_FROM_STEP = 0.1
# B_2k / (2k)! for k = 1..6.
_BERNOULLI = tuple(
    b / math.factorial(2 * k)
    for k, b in enumerate(
        (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730), start=1
    )
)
# Rows of a matrix made at once: 2 MB of float64 scratch per 2048 samples.
_ROWS_PER_BLOCK = 128
# Taps listed per block, so that listing never holds more than 8 MB.
_LIST_BLOCK = 2**20


def kernel_radius(sigma: Sequence[float], truncate: float) -> tuple[int, ...]:
    """Reach of the truncated Gaussian along each axis, in pixels.

    ``radius = int(truncate * sigma + 0.5)``, as in scipy; 0 where sigma is 0.
    ``truncate`` counts up to :data:`ZERO_BEYOND` (40): scipy's taps beyond
    are all exactly 0.  A Python int, exact even where ``truncate * sigma``
    overflows a float.
    """
    truncate = min(truncate, ZERO_BEYOND)
    radii = []
    for s in sigma:
        reach = truncate * s + 0.5 if s > 0 else 0.0
        if not math.isfinite(reach):
            reach = Fraction(truncate) * Fraction(s) + Fraction(1, 2)
        radii.append(math.floor(reach))
    return tuple(radii)


def gaussian_kernel1d(sigma: float, radius: int, order: int = 0) -> np.ndarray:
    """Correlation taps of the Gaussian's derivative of ``order``, ``|j| <= radius``.

    ``order`` 0: ``k[j] = exp(-j**2 / (2 sigma**2)) / Z``, ``Z`` their sum
    (so the taps sum to 1).  ``order`` o: ``k[j] = He_o(j / sigma) /
    sigma**o * exp(-j**2 / (2 sigma**2)) / Z``, in units of 1 / pixel**o.
    The filter is the correlation ``out[i] = sum_j k[j] in[i + j]``, the
    convolution with the derivative ``(-1)**o k[-j]`` of the normalised
    Gaussian: so order 1 of an increasing ramp is its (positive) slope.

    float64, length ``2 * radius + 1``, centre at index ``radius``: the same
    numbers :func:`scipy.ndimage.gaussian_filter1d` correlates with (its
    kernel reversed, as scipy reverses it).
    """
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 / (sigma * sigma) * offsets**2)
    if not order:
        return taps / taps.sum()
    return taps / taps.sum() * hermite(offsets / sigma, order) / sigma**order


def hermite(u: np.ndarray, order: int) -> np.ndarray:
    """The probabilists' Hermite polynomial ``He_order(u)``, by its recurrence.

    ``He_0 = 1``, ``He_1 = u``, ``He_(n+1) = u He_n - n He_(n-1)``; the
    ``n``-th derivative of ``exp(-u**2 / 2)`` is ``(-1)**n He_n(u)`` times it.
    """
    before, now = np.ones_like(u), u
    if order == 0:
        return before
    for n in range(1, order):
        before, now = now, u * now - n * before
    return now


def folded_taps(
    n: int,
    sigma: float,
    truncate: float,
    mode: str,
    rows: slice | None = None,
    *,
    dtype: npt.DTypeLike = np.float64,
    order: int = 0,
) -> tuple[np.ndarray, int]:
    """The Gaussian filter of a line of ``n`` as a matrix, border rule folded in.

    Row ``i`` holds the weight of every input sample ``s`` in output sample
    ``rows.start + i`` (all rows by default): the sum of the taps
    ``k[d] = exp(-d**2 / (2 sigma**2)) / Z`` (``|d| <= r``, ``Z`` their sum,
    ``r`` = :func:`kernel_radius`) of every ``d`` that the border ``mode``
    (scipy's names) sends from ``i + d`` to ``s``.  "constant" drops
    ``i + d`` beyond the line; "nearest" sends it to the edge sample;
    "wrap", "reflect" and "mirror" fold it by the period ``n``, ``2 n`` and
    ``2 n - 2``.  This is scipy's :func:`~scipy.ndimage.gaussian_filter1d`
    as a matrix, for any radius.  With ``order`` o the taps are those of
    the Gaussian's derivative (:func:`gaussian_kernel1d`): ``k[d] =
    He_o(d / sigma) / sigma**o * exp(-d**2 / (2 sigma**2)) / Z``, ``Z`` still
    the sum of the order-0 taps.

    Returns
    -------
    matrix : ndarray
        ``(rows, n)`` of ``dtype``: the filter times ``2**exponent``.  Made in
        float64 a block of rows at a time, so that the scratch stays small.
    exponent : int
        0 except for "constant" with a kernel far wider than the line, whose
        taps (about ``1 / (sigma sqrt(2 pi))`` each) would underflow: there
        the matrix is scaled by ``2**exponent`` so that its rows sum to about
        1.  Normalized convolution divides two products with the same
        matrix, where the scale cancels.

    Notes
    -----
    No sum lists the ``2 r + 1`` taps.  The taps that land on one sample
    form an arithmetic progression ``d = c + m P``; where ``P < sigma / 10``
    its sum is the Euler-Maclaurin series (:func:`_em_sums`), elsewhere the
    taps are listed (then ``r <= 40 sigma < 400 P``).  The series holds for
    any order: the ``m``-th derivative of ``He_o(u) exp(-u**2 / 2)`` is
    ``(-1)**m He_(o+m)(u) exp(-u**2 / 2)``.  Rows of the folding modes of
    order 0 are divided by their own sum, which is ``Z``: each ``d`` lands on
    exactly one sample; other orders by ``Z`` itself.
    """
    rows = slice(0, n) if rows is None else rows
    matrix = np.empty((rows.stop - rows.start, n), dtype)
    exponent = 0
    for start in range(rows.start, rows.stop, _ROWS_PER_BLOCK):
        block = np.arange(start, min(start + _ROWS_PER_BLOCK, rows.stop))
        taps, exponent = _folded_rows(n, sigma, truncate, mode, block, order)
        matrix[block - rows.start] = taps
    return matrix, exponent


def _folded_rows(
    n: int, sigma: float, truncate: float, mode: str, out: np.ndarray, order: int
) -> tuple[np.ndarray, int]:
    """:func:`folded_taps` at the output samples ``out``, float64."""
    radius = kernel_radius([sigma], truncate)[0]
    if radius == 0:
        identity = (out[:, None] == np.arange(n)[None, :]).astype(np.float64)
        return _per_sigma_power(identity * hermite(np.zeros(1), order), sigma, order), 0
    if mode == "constant":
        return _constant_taps(n, sigma, radius, out, order)
    folded = _FOLDS.get(mode)
    if folded is None:
        raise ValueError(f"unknown border mode {mode!r}")
    matrix = folded(n, sigma, radius, out, order)
    if not order:
        return matrix / matrix.sum(axis=1, keepdims=True), 0
    total = _progression_sums(1, sigma, radius, 0)[0]  # Z / sigma
    return _per_sigma_power(matrix / total, sigma, order), 0


def _per_sigma_power(matrix: np.ndarray, sigma: float, order: int) -> np.ndarray:
    """``matrix / sigma**order``, one division at a time.

    So that a huge sigma gives taps that underflow to 0 (their true value),
    never an overflowing ``sigma**order``.
    """
    for _ in range(order):
        matrix = matrix / sigma
    return matrix


def _constant_taps(
    n: int, sigma: float, radius: int, out: np.ndarray, order: int
) -> tuple[np.ndarray, int]:
    """Nothing beyond the line: ``k[s - i]`` for ``|s - i| <= r``, scaled."""
    offsets = np.arange(n)[None, :] - out[:, None]
    taps = np.where(np.abs(offsets) <= min(radius, n), _tap(offsets, sigma, order), 0.0)
    total = _progression_sums(1, sigma, radius, 0)[0]
    # Z = sigma * total; the scale 2**exponent brings Z / n to about 1.
    mantissa_s, power_s = math.frexp(sigma)
    mantissa_t, power_t = math.frexp(total)
    exponent = max(0, power_s + power_t - n.bit_length())
    scale = math.ldexp(1.0, power_s + power_t - exponent) * mantissa_s * mantissa_t
    return _per_sigma_power(taps / scale, sigma, order), exponent


def _wrap(n: int, sigma: float, radius: int, out: np.ndarray, order: int) -> np.ndarray:
    sums = _progression_sums(n, sigma, radius, order)
    return sums[(np.arange(n)[None, :] - out[:, None]) % n]


def _reflect(
    n: int, sigma: float, radius: int, out: np.ndarray, order: int
) -> np.ndarray:
    # d c b a | a b c d | d c b a: sample s is read at s and at -1 - s.
    period, s, i = 2 * n, np.arange(n)[None, :], out[:, None]
    sums = _progression_sums(period, sigma, radius, order)
    return sums[(s - i) % period] + sums[(-1 - s - i) % period]


def _mirror(
    n: int, sigma: float, radius: int, out: np.ndarray, order: int
) -> np.ndarray:
    # d c b | a b c d | c b a: sample s is read at s and at -s, which are one
    # place for the two edge samples.
    if n == 1:  # every tap lands on the one sample
        return np.full((out.size, 1), _progression_sums(1, sigma, radius, order)[0])
    period, s, i = 2 * n - 2, np.arange(n)[None, :], out[:, None]
    sums = _progression_sums(period, sigma, radius, order)
    inner = (s > 0) & (s < n - 1)
    return sums[(s - i) % period] + np.where(inner, sums[(-s - i) % period], 0.0)


def _nearest(
    n: int, sigma: float, radius: int, out: np.ndarray, order: int
) -> np.ndarray:
    # Inside, the tap itself; the edge samples take every tap beyond them.
    if n == 1:  # every tap lands on the one sample
        return np.full((out.size, 1), _progression_sums(1, sigma, radius, order)[0])
    offsets = np.arange(n)[None, :] - out[:, None]
    reach = np.abs(offsets) <= min(radius, n)
    matrix = np.where(reach, _tap(offsets, sigma, order) / sigma, 0.0)
    tails = _tail_sums(n, sigma, radius, order)
    # The first sample takes d <= -i, the mirror image of d >= i: the taps of
    # an odd order change sign there (He_o is odd).
    matrix[:, 0] = (-1) ** order * tails[out]
    matrix[:, -1] = tails[n - 1 - out]
    return matrix


_FOLDS = {"wrap": _wrap, "reflect": _reflect, "mirror": _mirror, "nearest": _nearest}


def _gauss(offsets: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * np.square(offsets / sigma))


def _tap(offsets: np.ndarray, sigma: float, order: int) -> np.ndarray:
    """``He_order(d / sigma) g(d)``: a tap of :func:`gaussian_kernel1d` times
    ``Z sigma**order``."""
    taps = _gauss(offsets, sigma)
    return taps * hermite(offsets / sigma, order) if order else taps


@functools.lru_cache(maxsize=8)
def _progression_sums(
    period: int, sigma: float, radius: int, order: int = 0
) -> np.ndarray:
    """``sum(t(d) for |d| <= r if d % period == c) / sigma`` for each residue c.

    ``t(d) = He_order(d / sigma) g(d)`` (:func:`_tap`).  Cached (read-only):
    the rows of one matrix are made a block at a time.
    """
    if period / sigma > _EM_FROM_STEP:
        sums = _listed_sums(period, sigma, radius, order)
    else:
        # First and last d of each progression inside [-r, r], in sigmas.
        residues = np.arange(period)
        first = (residues + radius % period) % period
        last = (radius % period - residues) % period
        extent = _ratio(radius, sigma)
        low, high = first / sigma - extent, extent - last / sigma
        sums = _em_sums(low, high, period / sigma, order)
        if radius < period:  # then some progressions may hold no tap at all
            sums = np.where(first + last <= 2 * radius, sums, 0.0)
        sums /= period
    sums.flags.writeable = False
    return sums


@functools.lru_cache(maxsize=8)
def _tail_sums(n: int, sigma: float, radius: int, order: int = 0) -> np.ndarray:
    """``sum(t(d) for a <= d <= r) / sigma`` for each start ``a`` in ``[0, n)``.

    ``t`` as in :func:`_progression_sums`.
    """
    starts = np.arange(n)
    if 1 / sigma > _EM_FROM_STEP:  # then r <= 40 sigma + 1 < 402
        taps = _tap(np.arange(radius + 1), sigma, order) / sigma
        tails = np.cumsum(taps[::-1])[::-1]  # small taps first
        sums = np.where(starts <= radius, tails[np.minimum(starts, radius)], 0.0)
    else:
        extent = np.full(n, _ratio(radius, sigma))
        sums = _em_sums(starts / sigma, extent, 1 / sigma, order)
        sums = np.where(starts <= min(radius, n), sums, 0.0)
    sums.flags.writeable = False
    return sums


def _listed_sums(period: int, sigma: float, radius: int, order: int = 0) -> np.ndarray:
    """Sums per residue by listing every tap, a block at a time."""
    sums = np.zeros(period)
    for start in range(-radius, radius + 1, _LIST_BLOCK):
        offsets = np.arange(start, min(start + _LIST_BLOCK, radius + 1))
        sums += np.bincount(offsets % period, _tap(offsets, sigma, order), period)
    return sums / sigma


def _em_sums(
    low: np.ndarray, high: np.ndarray, step: float, order: int = 0
) -> np.ndarray:
    """``step * sum(f(u) for u = low, low + step, ..., high)``.

    ``f(u) = He_order(u) exp(-u**2 / 2)``.  The Euler-Maclaurin series:
    the integral, the two end terms, and six Bernoulli terms ``B_2k / (2k)!
    * step**2k * f^(2k-1)(u)`` at both ends, where ``f^(m) = (-1)**m
    He_(order+m)(u) e^(-u**2/2)``.  For order 0 the remainder is at most
    ``2 zeta(12) / (2 pi)**12 * step**12 * integral |He_12(u)| e^(-u**2/2)
    du <= 1.2e-5 * step**12 * sqrt(2 pi)`` (Cauchy-Schwarz: ``E|He_12| <=
    sqrt(12!)``), against a sum of about ``sqrt(2 pi)`` times the kernel's
    mass in the window: 1.2e-17 of it at ``step = 0.1``, under float64
    rounding; order ``o`` puts ``He_(12+o)`` in its place (``sqrt((12+o)!)``:
    14 times more at order 2, still under rounding).  Measured against
    listed sums: within 1e-14 (``tests/engines/test_wide.py``).  The sum is
    0 where ``low > high``.
    """
    ends = np.exp(-0.5 * low**2), np.exp(-0.5 * high**2)
    if order:
        # An antiderivative of He_o e^(-u**2/2) is -He_(o-1) e^(-u**2/2).
        total = hermite(low, order - 1) * ends[0] - hermite(high, order - 1) * ends[1]
        total += 0.5 * step * (hermite(low, order) * ends[0])
        total += 0.5 * step * (hermite(high, order) * ends[1])
    else:
        total = _gauss_integral(low, high) + 0.5 * step * (ends[0] + ends[1])
    for k, b in enumerate(_BERNOULLI, start=1):
        polynomial = [0] * (2 * k - 1 + order) + [1]
        total -= (
            b
            * step ** (2 * k)
            * (
                np.polynomial.hermite_e.hermeval(high, polynomial) * ends[1]
                - np.polynomial.hermite_e.hermeval(low, polynomial) * ends[0]
            )
        )
    return total


def _gauss_integral(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``integral of exp(-u**2 / 2)`` from ``low`` to ``high``, without cancellation."""
    root = math.sqrt(0.5)
    both_right = special.erfc(low * root) - special.erfc(high * root)
    both_left = special.erfc(-high * root) - special.erfc(-low * root)
    across = special.erf(high * root) - special.erf(low * root)
    value = np.where(low >= 0, both_right, np.where(high <= 0, both_left, across))
    return math.sqrt(math.pi / 2) * value


def _ratio(radius: int, sigma: float) -> float:
    """``radius / sigma`` as a float, also for radii beyond the float range."""
    if radius < 2**1000:
        return radius / sigma
    return float(Fraction(radius) / Fraction(sigma))
