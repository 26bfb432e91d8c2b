"""How a Gaussian is computed: one small interface, several engines.

Every engine smooths a few same-shaped float arrays with one separable Gaussian
(or its derivatives: a derivative order per axis) and one border rule.
:mod:`napari_masked_blur._math.dense` builds the numerator ``image * weights``
and the ``weights`` themselves and hands both here in one call, so an engine
can share work between them (threads, shared plans, ...).
Imports nothing of the package outside this room.

The engines
-----------
- ``"scipy"``: :func:`scipy.ndimage.gaussian_filter`, the reference.  Takes
  everything; the fallback whenever another engine cannot take the input.
- ``"opencv"``: the same separable FIR on OpenCV's ``sepFilter2D`` with
  scipy's taps, float32 throughout.  No "wrap" border.
- ``"band"``: the same FIR as banded matrix products on BLAS, numpy only;
  takes every border; its cost grows slowly with sigma.
- ``"lowrank"``: the same FIR with exact taps at both ends of the window and
  low-rank blocks in between, numpy only; takes every border; its cost
  hardly grows with sigma, so it wins for wide kernels.
- ``"auto"``: see :func:`choose_engine`.

Every engine takes every derivative order: each filters with taps it is
given (:func:`gaussian_kernel1d`), and a derivative's taps are no harder to
apply than the Gaussian's.  :func:`choose_engine` still asks each engine in
turn (:func:`_refusal`), so an engine that cannot take an order need only
say why.

Whatever the method, an axis whose kernel reaches across the image is
filtered first by one folded matrix (:mod:`._wide`), whose cost does not
grow with sigma, whatever its derivative order; the engine then smooths the
other axes.

Beside them, :func:`fused_masked_blur` (``_fused``) does the whole masked
blur of a raw image and mask in one pass, weighing, filtering, dividing and
applying the outside policy as rows come out; ``_math.dense`` takes it for
``method="auto"`` where it suits (:func:`fused_suits`) and its loops are
ready; :func:`fused_moments` does the same for the local statistics.

numba's compiled loops (the fused passes', the plane loop of ``_math.taps``)
are compiled, cached and warmed by one loader, :mod:`._compiled`, on one
background queue: the only module importing them (and numba), in a function.

The contract every engine keeps
-------------------------------
- ``arrays`` are finite float32 or float64, C-contiguous, all of one shape
  and dtype.
  They are scratch: an engine may overwrite them and return them.
- ``sigma`` is one value per axis, in pixels; 0 means no smoothing along that
  axis.  The kernel is the sampled Gaussian ``exp(-x**2 / (2 sigma**2))``
  normalised to sum 1 over ``|x| <= radius``, ``radius = int(truncate * sigma
  + 0.5)``, exactly as :func:`scipy.ndimage.gaussian_filter`.
- ``order`` is the derivative order per axis, as ``gaussian_filter``'s: the
  taps of order ``o`` are ``He_o(x / sigma) / sigma**o`` times those of
  order 0 (``He_o`` the probabilists' Hermite polynomial), applied as a
  correlation, so order 1 of a rising ramp is its slope, in units of the
  array per pixel**o.  An order > 0 needs sigma > 0 on its axis.  Where the
  radius is 0 (sigma below ``0.5 / truncate``) the one tap ``He_o(0) /
  sigma**o`` multiplies the array, as in scipy.
- ``mode`` is a scipy border rule: ``"constant"`` (zeros beyond the border),
  ``"reflect"``, ``"nearest"``, ``"mirror"`` or ``"wrap"``.
- The result is within 1e-6 (relative to ``max |array|`` times the product
  over axes of the sum of ``|taps|``, which is 1 for order 0) of
  ``scipy.ndimage.gaussian_filter`` in float64, and is exactly 0 wherever an
  input has no non-zero value within the kernel's reach, whatever the
  order (every engine is a sum of taps times inputs, with no transform), so
  that "no data here" stays exact (the quotient divides 0/0 there to get
  its NaN).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence

import numpy as np

from napari_masked_blur._engines._band import smooth_band
from napari_masked_blur._engines._compiled import (
    LoopKey,
    compiled_loops,
    expect_loops,
    load_when,
    loop_key,
    loops_coming,
    loops_pending,
    never_compile,
    never_compile_here,
    prepare_loops,
    unexpect_loops,
    wait_for_loops,
)
from napari_masked_blur._engines._fused import (
    FUSED_FROM_SIZE,
    fused_masked_blur,
    fused_ready,
    fused_suits,
    fused_takes,
    prepare_fused,
)
from napari_masked_blur._engines._fused_moments import (
    fused_moments,
    moments_ready,
    moments_suit,
    moments_takes,
    prepare_moments,
)
from napari_masked_blur._engines._kernel import (
    ZERO_BEYOND,
    folded_taps,
    gaussian_kernel1d,
    hermite,
    kernel_radius,
)
from napari_masked_blur._engines._lowrank import smooth_lowrank
from napari_masked_blur._engines._opencv import opencv_refusal, smooth_opencv
from napari_masked_blur._engines._scipy import smooth_scipy
from napari_masked_blur._engines._separable import extend_index, one_blas_thread
from napari_masked_blur._engines._wide import smooth_wide, wide_axes

BORDER_MODES = ("constant", "reflect", "nearest", "mirror", "wrap")
METHODS = ("auto", "scipy", "opencv", "band", "lowrank")

# Where each engine is fastest, by the mean kernel radius over the smoothed
# axes.  Measured with masked_gaussian on 2048x2048, 2 cores (medians of 7,
# interleaved): OpenCV 60/81/126/173 ms at sigma 1/3/5/7, the band
# 110/123/135/146 ms.  Band against lowrank, numerator and weights of
# 2048x2048 (benchmarks/engine_crossover.py, medians of 5, interleaved):
# sigma 40 127/141 ms, 50 141/131, 60 168/147, 100 235/162, 200 462/174,
# 400 711/196.
# No FFT engine: a float64 FFT per axis (with the exact reach the contract
# needs) took 1296/1950 ms at sigma 400/800 where lowrank took 207/240 (the
# same harness), and float32 transforms are too noisy for small certainties.
_BAND_FROM_RADIUS = 24
_LOWRANK_FROM_RADIUS = 200


def gaussian_smooth(
    arrays: Sequence[np.ndarray],
    sigma: Sequence[float],
    *,
    mode: str,
    truncate: float,
    method: str = "auto",
    order: int | Sequence[int] = 0,
) -> list[np.ndarray]:
    """Smooth each array with the same separable Gaussian, or its derivatives.

    Parameters
    ----------
    arrays : sequence of ndarray
        Same shape and float dtype; scratch space the engine may overwrite.
    sigma : sequence of float
        Standard deviation per axis, in pixels (0 = leave that axis alone).
    mode : str
        Border rule, one of :data:`BORDER_MODES`.
    truncate : float
        Kernel radius in standard deviations.
    method : str
        ``"auto"`` picks the fastest engine that can take the input;
        any other name in :data:`METHODS` forces that engine.
    order : int or sequence of int
        Derivative order per axis, or one for every axis, as
        :func:`scipy.ndimage.gaussian_filter` takes it: 0 smooths, 1 is the
        first derivative (units: the array's per pixel), 2 the second, ...

    Returns
    -------
    list of ndarray
        The smoothed arrays, in the order given, same shape and dtype.

    Raises
    ------
    ValueError
        For an unknown method or mode, an order that is not a non-negative
        integer per axis or is > 0 where sigma is 0, or a forced engine that
        cannot take the input (the message says why).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if mode not in BORDER_MODES:
        raise ValueError(
            f"unknown border mode {mode!r}; expected one of {BORDER_MODES}"
        )
    sigma = tuple(float(s) for s in sigma)
    order = derivative_orders(order, sigma)
    truncate = min(truncate, ZERO_BEYOND)  # scipy's taps beyond are exact zeros
    if wide_axes(arrays[0].shape, sigma, truncate):  # kernels wider than the image
        return unscaled(
            *gaussian_smooth_scaled(arrays, sigma, mode, truncate, method, order=order)
        )
    if any(order):
        order = _single_tap_axes(arrays, sigma, truncate, order)
    if not any(r > 0 for r in kernel_radius(sigma, truncate)):
        return list(arrays)
    shape, dtype = arrays[0].shape, arrays[0].dtype
    engine = choose_engine(shape, sigma, mode, dtype, truncate, order)
    if method != "auto":
        refusal = _refusal(method, shape, sigma, mode, dtype, truncate, order)
        if refusal is not None:
            raise ValueError(f"method {method!r} cannot take this input: {refusal}")
        engine = method
    return _ENGINES[engine](arrays, sigma, mode=mode, truncate=truncate, order=order)


def gaussian_smooth_scaled(
    arrays: Sequence[np.ndarray],
    sigma: Sequence[float],
    mode: str,
    truncate: float,
    method: str = "auto",
    *,
    order: int | Sequence[int] = 0,
) -> tuple[list[np.ndarray], int]:
    """:func:`gaussian_smooth` times ``2**exponent``; returns both.

    Axes whose kernel is wider than the image are filtered by folded
    matrices (:mod:`._wide`), whose taps may be scaled by a power of two so
    that they stay normal numbers whatever sigma is; the other axes by
    :func:`gaussian_smooth`.  A quotient of two arrays smoothed in one call
    needs no unscaling (arrays smoothed with other orders, in other calls,
    may carry other exponents).
    """
    sigma = tuple(sigma)
    rest = functools.partial(
        gaussian_smooth, mode=mode, truncate=truncate, method=method
    )
    order = derivative_orders(order, sigma)
    return smooth_wide(
        arrays, sigma, mode=mode, truncate=truncate, rest=rest, order=order
    )


def derivative_orders(
    order: int | Sequence[int], sigma: Sequence[float]
) -> tuple[int, ...]:
    """``order`` as one derivative order per axis of ``sigma``, checked.

    One integer stands for every axis; a sequence needs one per axis.
    Each is an integer >= 0, and > 0 only where sigma is > 0: a derivative
    of no smoothing is refused (scipy would ignore it silently).
    """
    if _is_order(order):
        orders: tuple[object, ...] = (order,) * len(sigma)
    elif isinstance(order, Sequence | np.ndarray) and not isinstance(order, str):
        orders = tuple(order)
    else:
        raise ValueError(
            f"order must be an integer or one integer per axis, got {order!r}"
        )
    if len(orders) != len(sigma):
        raise ValueError(
            f"order {order!r} has {len(orders)} values for {len(sigma)} axes; "
            "give one integer, or one per axis"
        )
    for axis, (o, s) in enumerate(zip(orders, sigma, strict=True)):
        if not (_is_order(o) and o >= 0):
            raise ValueError(
                f"order {order!r} is {o!r} on axis {axis}; "
                "a derivative order is an integer >= 0"
            )
        if o and not s > 0:
            raise ValueError(
                f"order {order!r} is {o} on axis {axis}, where sigma is {s:g}; "
                "a derivative needs sigma > 0 on its axis (or order 0 there)"
            )
    return tuple(int(o) for o in orders)


def _is_order(value: object) -> bool:
    # bool is an int to Python, but order=True is a slip, not a derivative.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _single_tap_axes(
    arrays: Sequence[np.ndarray],
    sigma: tuple[float, ...],
    truncate: float,
    order: tuple[int, ...],
) -> tuple[int, ...]:
    """Apply the derivatives whose kernel is one tap; the orders left.

    A radius of 0 (sigma < 0.5 / truncate) leaves the one tap ``He_o(0) /
    sigma**o`` (0 for an odd order): a factor, applied in place, as scipy
    applies it.  The engines skip axes of radius 0.
    """
    radii = kernel_radius(sigma, truncate)
    factor = 1.0
    for o, s, r in zip(order, sigma, radii, strict=True):
        if o and r == 0:
            factor *= float(hermite(np.zeros(1), o)[0]) / s**o
    if factor != 1.0:
        for array in arrays:
            np.multiply(array, factor, out=array)
    return tuple(0 if r == 0 else o for o, r in zip(order, radii, strict=True))


def unscaled(arrays: list[np.ndarray], exponent: int) -> list[np.ndarray]:
    """``arrays`` times ``2**-exponent``, in place: exact unless it underflows."""
    # A true value beyond the dtype's range becomes inf or 0, as it should.
    with np.errstate(over="ignore", under="ignore"):
        for array in arrays if exponent else ():
            np.ldexp(array, -exponent, out=array)
    return arrays


def choose_engine(
    shape: Sequence[int],
    sigma: Sequence[float],
    mode: str,
    dtype: np.dtype,
    truncate: float,
    order: Sequence[int] | None = None,
) -> str:
    """The engine ``method="auto"`` uses for such an input.

    Narrow kernels: OpenCV's FIR when it can take the input.  Wider ones (or
    no OpenCV): banded matrix products, whose cost grows slowly with the
    radius.  Wide ones: exact ends and low-rank blocks, whose cost hardly
    grows at all.  The first in that ranking that takes the input
    (derivative ``order`` per axis included; None: all 0), else scipy.
    """
    radii = [r for r in kernel_radius(sigma, truncate) if r > 0]
    mean_radius = sum(radii) / max(len(radii), 1)
    if mean_radius >= _LOWRANK_FROM_RADIUS:
        ranked: tuple[str, ...] = ("lowrank", "band")
    elif mean_radius < _BAND_FROM_RADIUS:
        ranked = ("opencv", "band", "lowrank")
    else:
        ranked = ("band", "lowrank")
    for method in ranked:
        if _refusal(method, shape, sigma, mode, dtype, truncate, order) is None:
            return method
    return "scipy"


def _refusal(
    method: str,
    shape: Sequence[int],
    sigma: Sequence[float],
    mode: str,
    dtype: np.dtype,
    truncate: float,
    order: Sequence[int] | None = None,
) -> str | None:
    """Why ``method`` cannot take such an input, or None when it can.

    Every engine takes every derivative order (each applies the taps it is
    given), so only OpenCV's borders and sizes refuse today.
    """
    if method == "opencv":
        return opencv_refusal(shape, sigma, mode, dtype, truncate)
    return None


_ENGINES = {
    "scipy": smooth_scipy,
    "opencv": smooth_opencv,
    "band": smooth_band,
    "lowrank": smooth_lowrank,
}

__all__ = [
    "BORDER_MODES",
    "FUSED_FROM_SIZE",
    "METHODS",
    "LoopKey",
    "choose_engine",
    "compiled_loops",
    "derivative_orders",
    "expect_loops",
    "extend_index",
    "folded_taps",
    "fused_masked_blur",
    "fused_moments",
    "fused_ready",
    "fused_suits",
    "fused_takes",
    "gaussian_kernel1d",
    "gaussian_smooth",
    "gaussian_smooth_scaled",
    "kernel_radius",
    "load_when",
    "loop_key",
    "loops_coming",
    "loops_pending",
    "moments_ready",
    "moments_suit",
    "moments_takes",
    "never_compile",
    "never_compile_here",
    "one_blas_thread",
    "prepare_fused",
    "prepare_loops",
    "prepare_moments",
    "unexpect_loops",
    "unscaled",
    "wait_for_loops",
]
