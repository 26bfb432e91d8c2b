"""Masked Gaussian derivatives: the exact derivatives of the masked blur field.

With ``N_o = G_o*(f·w)`` and ``D_o = G_o*w``, ``G_o`` the Gaussian
differentiated by the multi-order ``o`` (as
:func:`scipy.ndimage.gaussian_filter` with ``order=o``, same truncate, the
border as in the blur), the masked blur is ``B = N/D`` and its derivatives
follow from differentiating ``N = B·D``::

    ∂_i B  = (N_i  - B·D_i) / D
    ∂_ij B = (N_ij - ∂_iB·D_j - ∂_jB·D_i - B·D_ij) / D

and in general, by Leibniz' rule for the product ``B·D``,
``B_o = (N_o - Σ_{k<o} C(o,k) B_k D_(o-k)) / D`` with
``C(o,k) = Π_i binom(o_i, k_i)``: every derivative of the masked blur field,
exactly, computed lowest order first (:func:`blur_derivatives`).  Pixels
outside the mask never reach a result; the mask edge is no edge.

Derivatives are per pixel, or per unit of ``spacing`` when given (divided
by the spacing of each differentiated axis, once per order).  Only the
smoothed axes are differentiated, never a frame (time) axis.  In float32
the terms are moments about a pixel's value ``c`` (:mod:`.dense`): every
derivative of ``B - c`` is that of ``B``, so a uint16 image at 30,000 loses
nothing to cancellation.

The descriptions here: ``gaussian_gradient_magnitude`` (``sqrt(Σ (∂_iB)²)``),
``gaussian_laplace`` (``Σ ∂_iiB``), ``hessian_eigenvalues`` (the eigenvalues
of ``∂_ijB``, largest first, stacked in front), and the orders of
``masked_gaussian(order=...)`` (:func:`specialize_gaussian`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from napari_masked_blur._math.blocks import by_blocks
from napari_masked_blur._math.eigen import eigenvalue_names, symmetric_eigenvalues
from napari_masked_blur._math.filter import Filter, Term
from napari_masked_blur._math.per_axis import per_axis

if TYPE_CHECKING:
    from napari_masked_blur._math.options import BlurOptions

Order = tuple[int, ...]

DERIVATIVE_OUTSIDE = ("zero", "nan", "fill")
"""The ``outside`` policies of a derivative: 0 (the default), NaN, or the
derivative wherever weight is in reach.  Never "keep": the image's
intensities are not derivatives, and beside them a derivative would read
as an edge at every mask border."""

DERIVATIVE_REFUSAL = (
    "keep would leave the image's own intensities outside the mask beside "
    "derivatives, which are not intensities: an edge at every mask border"
)
"""Why a derivative refuses ``outside="keep"``, said in the error."""

MAX_ORDER = 2
"""The highest derivative order per axis (the Hessian's): the terms, and
with them memory and time, grow as the product of ``order + 1`` over the
axes, 54 arrays of the image's size at (2, 2, 2)."""


def closure(orders: Iterable[Order]) -> tuple[Order, ...]:
    """Every multi-order at or below one of ``orders``, lowest total first."""
    found: set[Order] = set()
    for order in orders:
        found.update(itertools.product(*(range(o + 1) for o in order)))
    return tuple(sorted(found, key=lambda k: (sum(k), k)))


def derivative_terms(orders: Iterable[Order]) -> tuple[Term, ...]:
    """The terms ``N_k`` and ``D_k`` for every ``k`` of :func:`closure`.

    First ``N_k`` for every ``k`` (lowest first), then ``D_k`` for every
    ``k`` but 0, and last ``D_0``, the certainty.
    """
    ks = closure(orders)
    return (
        *(Term(1, k) for k in ks),
        *(Term(0, k) for k in ks if any(k)),
        Term(0, ks[0]),
    )


def blur_derivatives(
    smoothed: Sequence[np.ndarray], ks: Sequence[Order]
) -> dict[Order, np.ndarray]:
    """Every derivative ``B_k`` of the masked blur, per pixel, by Leibniz' rule.

    ``smoothed`` is as :func:`derivative_terms` lists it for ``ks`` (a
    closure, lowest first); each ``B_k`` is written into ``N_k``'s array.
    ``B_0`` is ``N_0/D_0`` of the shifted image (``B - c``); every other
    ``B_k`` is exact whatever the shift.  NaN where ``D_0 == 0``.
    """
    count = len(ks)
    numerators = dict(zip(ks, smoothed[:count], strict=True))
    weights = dict(zip(ks[1:], smoothed[count:-1], strict=True))
    weights[ks[0]] = smoothed[-1]
    certainty = smoothed[-1]
    found: dict[Order, np.ndarray] = {}
    scratch: np.ndarray | None = None
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in ks:
            total = numerators[k]
            for j, b in found.items():
                if any(a > c for a, c in zip(j, k, strict=True)):
                    continue  # not below k
                rest = tuple(c - a for a, c in zip(j, k, strict=True))
                scratch = np.multiply(b, weights[rest], out=scratch)
                times = math.prod(math.comb(c, a) for a, c in zip(j, k, strict=True))
                if times != 1:
                    scratch *= times
                total -= scratch
            np.divide(total, certainty, out=total)
            found[k] = total
    return found


def unit(n: int, *axes: int) -> Order:
    """The multi-order of n axes differentiating once along each of ``axes``."""
    order = [0] * n
    for axis in axes:
        order[axis] += 1
    return tuple(order)


def per_spacing(spacing: Sequence[float], order: Order) -> float:
    """``1 / Π spacing_i**order_i``: a derivative per pixel to per unit."""
    return 1.0 / math.prod(s**o for s, o in zip(spacing, order, strict=True))


# -- the finishes ---------------------------------------------------------------


def by_pixels(smoothed, shift, *, block, outputs, **keywords):
    """``block(smoothed, shift, **keywords)`` run over blocks of pixels.

    Every finish here is pixel by pixel: run block by block
    (:func:`~.blocks.by_blocks`) its chain of steps stays in cache and the
    blocks go to two threads.  ``outputs``: how many results ``block``
    stacks in front (0: one).  Returns a new array.
    """
    count = len(smoothed)
    first = smoothed[0]
    out = np.empty((outputs, *first.shape) if outputs else first.shape, first.dtype)
    targets = list(out) if outputs else [out]

    def step(views):
        result = block(views[:count], shift, **keywords)
        for target, value in zip(
            views[count:], result if outputs else [result], strict=True
        ):
            target[...] = value

    by_blocks(step, [*smoothed, *targets])
    return out


def _finish_order(smoothed, shift, *, ks, order, spacing):
    """``B_order`` per unit of spacing (``masked_gaussian(order=...)``)."""
    out = blur_derivatives(smoothed, ks)[order]
    scale = per_spacing(spacing, order)
    if scale != 1.0:
        out *= scale
    return out


def _finish_gradient_magnitude(smoothed, shift, *, ks, spacing):
    """``sqrt(Σ_i (∂_iB / s_i)²)``."""
    found = blur_derivatives(smoothed, ks)
    total = None
    for axis, s in enumerate(spacing):
        part = found[unit(len(spacing), axis)]
        np.multiply(part, part, out=part)
        if s != 1.0:
            part *= 1.0 / (s * s)
        total = part if total is None else np.add(total, part, out=total)
    return np.sqrt(total, out=total)


def _finish_laplace(smoothed, shift, *, ks, spacing):
    """``Σ_i ∂_iiB / s_i²``."""
    found = blur_derivatives(smoothed, ks)
    total = None
    for axis, s in enumerate(spacing):
        part = found[unit(len(spacing), axis, axis)]
        if s != 1.0:
            part *= 1.0 / (s * s)
        total = part if total is None else np.add(total, part, out=total)
    return total


def _finish_hessian_eigenvalues(smoothed, shift, *, ks, spacing):
    """The eigenvalues of ``∂_ijB / (s_i s_j)``, largest first, stacked in front."""
    found = blur_derivatives(smoothed, ks)
    n = len(spacing)
    entries = {}
    for i, j in itertools.combinations_with_replacement(range(n), 2):
        entry = found[unit(n, i, j)]
        if spacing[i] * spacing[j] != 1.0:
            entry *= 1.0 / (spacing[i] * spacing[j])
        entries[i, j] = entry
    return symmetric_eigenvalues(entries, n)


# -- the descriptions for the options -------------------------------------------


def pixel_size(options: BlurOptions) -> tuple[float, ...]:
    """The size of a pixel per spatial axis, in the units of the settings.

    ``spacing`` (1 without it), except where sigma is > 0: there sigma as
    given over sigma in pixels, which is the spacing itself for the image
    the options were checked against, and the spacing times the level's
    factor for a coarser level of a pyramid (whose options have their sigma
    divided by that factor, :meth:`~.options.BlurOptions.with_sigma`): a
    derivative is then per unit of the full-resolution pixels everywhere.
    """
    ndim, given = len(options.sigma), _given_axes(options)
    spacing = options.settings.spacing
    every = (
        (1.0,) * ndim
        if spacing is None
        else per_axis("spacing", spacing, ndim, given, fill=1.0)
    )
    sigma = per_axis("sigma", options.settings.sigma, ndim, given, fill=0.0)
    return tuple(
        g / p if p > 0 and g > 0 else d
        for g, p, d in zip(sigma, options.sigma, every, strict=True)
    )


def smoothed_spacing(options: BlurOptions) -> tuple[float, ...]:
    """The pixel size along each smoothed axis (1 without ``spacing``)."""
    every = pixel_size(options)
    return tuple(every[a] for a in options.smoothed)


def _given_axes(options: BlurOptions) -> tuple[int, ...] | None:
    """The smoothed spatial axes as the settings gave them (None: every one)."""
    return None if options.axes is None else options.smoothed


def check_differentiable(options: BlurOptions, order: Order, name: str) -> None:
    """A derivative needs sigma > 0 along every axis it differentiates."""
    for position, (axis, o) in enumerate(zip(options.smoothed, order, strict=True)):
        if o and not options.sigma[axis] > 0:
            raise ValueError(
                f"the {name} filter differentiates smoothed axis {position} "
                f"(spatial axis {axis}), where sigma is 0: give it a sigma > 0, "
                "or leave the axis out of `axes` (a frame axis is never "
                "differentiated)"
            )


def derivative_filter(base: Filter, options: BlurOptions, orders, finish) -> Filter:
    """``base`` with the terms of ``orders`` and ``finish``, for these options."""
    n = len(options.smoothed)
    for order in orders:
        check_differentiable(options, order, base.name)
    ks = closure(orders)
    outputs = base.output_names(n)
    return replace(
        base,
        terms=derivative_terms(ks),
        finish=partial(
            by_pixels,
            block=finish,
            outputs=len(outputs),
            ks=ks,
            spacing=smoothed_spacing(options),
        ),
        specialize=None,
        outputs=outputs,
        name_outputs=None,
    )


def _gradient_for(options: BlurOptions) -> Filter:
    n = len(options.smoothed)
    orders = [unit(n, a) for a in range(n)]
    return derivative_filter(
        GRADIENT_MAGNITUDE, options, orders, _finish_gradient_magnitude
    )


def _laplace_for(options: BlurOptions) -> Filter:
    n = len(options.smoothed)
    orders = [unit(n, a, a) for a in range(n)]
    return derivative_filter(LAPLACE, options, orders, _finish_laplace)


def _hessian_for(options: BlurOptions) -> Filter:
    n = len(options.smoothed)
    pairs = itertools.combinations_with_replacement(range(n), 2)
    orders = [unit(n, i, j) for i, j in pairs]
    return derivative_filter(
        HESSIAN_EIGENVALUES, options, orders, _finish_hessian_eigenvalues
    )


def smoothed_order(options: BlurOptions) -> Order:
    """``settings.order`` as one order per smoothed axis.

    One int is that order along every smoothed axis (as scipy's); a tuple
    gives one per smoothed axis, or one per spatial axis with 0 on the
    axes not smoothed (a frame axis is never differentiated).
    """
    order = options.settings.order
    n, smoothed = len(options.smoothed), options.smoothed
    if isinstance(order, int):
        return (order,) * n
    if len(order) == n:
        return tuple(order)
    if len(order) == len(options.sigma):
        for axis, o in enumerate(order):
            if o and axis not in smoothed:
                raise ValueError(
                    f"order {order!r} is {o} on spatial axis {axis}, which is "
                    "not smoothed: a frame axis is never differentiated"
                )
        return tuple(order[a] for a in smoothed)
    raise ValueError(
        f"order {order!r} has {len(order)} values but {n} axes are smoothed; "
        "give one integer, or one per smoothed axis"
    )


def specialize_gaussian(base: Filter, options: BlurOptions) -> Filter:
    """The masked Gaussian for ``options``: itself, or ``B_order``'s terms."""
    order = smoothed_order(options)
    if not any(order):
        return base
    return replace(
        derivative_filter(base, options, [order], partial(_finish_order, order=order)),
        title=f"Gaussian derivative {order}",
        outside=DERIVATIVE_OUTSIDE,
        default_outside="zero",
        signed=True,
    )


GRADIENT_MAGNITUDE = Filter(
    name="gaussian_gradient_magnitude",
    title="Gaussian gradient magnitude",
    terms=(Term(1), Term(0)),  # for the smoothed axes: see specialize
    finish=_finish_gradient_magnitude,
    outside=DERIVATIVE_OUTSIDE,
    default_outside="zero",
    outside_refusal=DERIVATIVE_REFUSAL,
    specialize=_gradient_for,
)

LAPLACE = Filter(
    name="gaussian_laplace",
    title="Laplacian of Gaussian",
    terms=(Term(1), Term(0)),
    finish=_finish_laplace,
    outside=DERIVATIVE_OUTSIDE,
    default_outside="zero",
    outside_refusal=DERIVATIVE_REFUSAL,
    signed=True,
    specialize=_laplace_for,
)

HESSIAN_EIGENVALUES = Filter(
    name="hessian_eigenvalues",
    title="Hessian eigenvalues",
    terms=(Term(1), Term(0)),
    finish=_finish_hessian_eigenvalues,
    outside=DERIVATIVE_OUTSIDE,
    default_outside="zero",
    outside_refusal=DERIVATIVE_REFUSAL,
    outputs=eigenvalue_names(2),
    signed=True,
    specialize=_hessian_for,
    name_outputs=eigenvalue_names,
)
