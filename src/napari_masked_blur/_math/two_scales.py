"""Masked filters of two scales: difference of Gaussians, structure tensor.

- ``difference_of_gaussians``: ``B(low) - B(high)``, the masked blur ``B =
  G*(f·w) / G*w`` at ``sigma`` (the low sigma) minus the same at
  ``high_sigma`` (default ``1.6 · sigma``, scikit-image's), a band-pass
  inside the mask; ``high_sigma >= sigma`` on every axis.
- ``structure_tensor_eigenvalues``: the eigenvalues, largest first and
  stacked in front, of ``S_ij = G_rho*(∂_iB·∂_jB·w) / G_rho*w``: the
  derivatives of the masked blur at ``sigma`` (:mod:`.derivatives`) averaged
  at ``rho`` (default ``2 · sigma``) over the weighted pixels only.

The difference is four terms, ``N`` and ``D`` at both scales (``Term.scale``),
so every path computes it as it computes any filter of terms, the live
plane's taps included; the tensor is computed by its own ``compute``.
Each reaches as far as its wider scale: the high sigma's kernel radius for
the difference, the derivative's radius plus rho's for the tensor
(``Filter.margin``, set here for the options).  ``high_sigma`` and ``rho``
are given like sigma (pixels, or the units of ``spacing``; one value or
one per smoothed axis) and are 0 along the axes not smoothed.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from napari_masked_blur._engines import gaussian_smooth_scaled, kernel_radius
from napari_masked_blur._math.axes import spatial_positions
from napari_masked_blur._math.dense import smooth_terms
from napari_masked_blur._math.derivatives import (
    DERIVATIVE_OUTSIDE,
    DERIVATIVE_REFUSAL,
    blur_derivatives,
    check_differentiable,
    closure,
    derivative_terms,
    pixel_size,
    smoothed_spacing,
    unit,
)
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.eigen import eigenvalue_names, symmetric_eigenvalues
from napari_masked_blur._math.filter import Filter, Term
from napari_masked_blur._math.per_axis import sigma_in_pixels
from napari_masked_blur._math.weights import unit_weights, zero_missing

if TYPE_CHECKING:
    from napari_masked_blur._math.options import BlurOptions

HIGH_SIGMA_FACTOR = 1.6
"""``high_sigma`` when none is given: 1.6 times sigma (scikit-image's)."""

RHO_FACTOR = 2.0
"""``rho`` when none is given: twice sigma."""

_QUOTIENT = (Term(1), Term(0))  # what the tensor's description shows


def scale_in_pixels(options: BlurOptions, key: str, factor: float) -> tuple[float, ...]:
    """``settings.<key>`` in pixels per spatial axis, or ``factor · sigma``.

    Given like sigma: in the units of ``spacing``, one value or one per
    smoothed (or spatial) axis; 0 along the axes not smoothed.
    """
    value = getattr(options.settings, key)
    if value is None:
        return tuple(factor * s for s in options.sigma)
    smoothed = spatial_positions(options.axes, options.channel_axis)
    try:
        return sigma_in_pixels(
            value, len(options.sigma), pixel_size(options), smoothed=smoothed
        )
    except ValueError as error:
        raise ValueError(f"{key}: {error}") from None


def _difference(smoothed, shift):
    """``B(sigma) - B(high)``, both of the image shifted by ``c``: it cancels.

    ``smoothed``: ``N`` and ``D`` at the high sigma, then at sigma.
    """
    wide, wide_weight, numerator, certainty = smoothed
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(wide, wide_weight, out=wide)
        low = np.divide(numerator, certainty, out=numerator)
    low -= wide
    return low


def _difference_for(options: BlurOptions) -> Filter:
    high = scale_in_pixels(options, "high_sigma", HIGH_SIGMA_FACTOR)
    for axis, (h, s) in enumerate(zip(high, options.sigma, strict=True)):
        if h < s:
            raise ValueError(
                f"high_sigma {options.settings.high_sigma!r} is {h:g} pixels on "
                f"spatial axis {axis}, below sigma there ({s:g}): high_sigma "
                "must be >= sigma on every axis"
            )
    return replace(
        DIFFERENCE_OF_GAUSSIANS,
        scales=(high,),
        margin=kernel_radius(high, options.truncate),
        specialize=None,
    )


def gradients(smoothed, shift, *, ks, spacing):
    """``∂_iB / s_i`` stacked in front, 0 where no weight is in reach."""
    found = blur_derivatives(smoothed, ks)
    n = len(spacing)
    out = np.stack([found[unit(n, a)] / s for a, s in enumerate(spacing)])
    return np.nan_to_num(out, copy=False, nan=0.0)


def _tensor(image, weights, options, *, rho, ks, spacing):
    """The eigenvalues of ``G_rho*(∂_iB ∂_jB w) / G_rho*w``, largest first."""
    gradient = partial(gradients, ks=ks, spacing=spacing)
    grads, certainty = smooth_terms(
        image, weights, options, derivative_terms(ks), gradient
    )
    dtype = output_dtype(image.dtype)
    w, _ = unit_weights(weights, dtype)
    if image.dtype.kind == "f":
        zero_missing(image, w)
    n = len(spacing)
    pairs = list(itertools.combinations_with_replacement(range(n), 2))
    products = [grads[i] * grads[j] * w for i, j in pairs]
    del grads
    smoothed, _ = gaussian_smooth_scaled(
        [*products, w],
        rho,
        mode=options.engine_mode,
        truncate=options.truncate,
        method=options.method,
    )
    total = smoothed[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for product in smoothed[:-1]:
            np.divide(product, total, out=product)
    entries = dict(zip(pairs, smoothed[:-1], strict=True))
    return symmetric_eigenvalues(entries, n), certainty


def _tensor_for(options: BlurOptions) -> Filter:
    rho = scale_in_pixels(options, "rho", RHO_FACTOR)
    n = len(options.smoothed)
    orders = [unit(n, a) for a in range(n)]
    for order in orders:
        check_differentiable(options, order, STRUCTURE_TENSOR_EIGENVALUES.name)
    ks = closure(orders)
    kernel = kernel_radius(options.sigma, options.truncate)
    reach = kernel_radius(rho, options.truncate)
    return replace(
        STRUCTURE_TENSOR_EIGENVALUES,
        compute=partial(_tensor, rho=rho, ks=ks, spacing=smoothed_spacing(options)),
        margin=tuple(a + b for a, b in zip(kernel, reach, strict=True)),
        outputs=eigenvalue_names(n),
        specialize=None,
        name_outputs=None,
    )


DIFFERENCE_OF_GAUSSIANS = Filter(
    name="difference_of_gaussians",
    title="Difference of Gaussians",
    # N and D at the high sigma (its scale, set for the options), then at sigma.
    terms=(Term(1, scale=1), Term(0, scale=1), Term(1), Term(0)),
    finish=_difference,
    outside=DERIVATIVE_OUTSIDE,
    default_outside="zero",
    outside_refusal=DERIVATIVE_REFUSAL,
    parameters=("high_sigma",),
    signed=True,
    specialize=_difference_for,
)

STRUCTURE_TENSOR_EIGENVALUES = Filter(
    name="structure_tensor_eigenvalues",
    title="Structure tensor eigenvalues",
    terms=_QUOTIENT,
    finish=_difference,  # computed by its compute, set for the options
    outside=DERIVATIVE_OUTSIDE,
    default_outside="zero",
    outside_refusal=DERIVATIVE_REFUSAL,
    parameters=("rho",),
    outputs=eigenvalue_names(2),
    specialize=_tensor_for,
    name_outputs=eigenvalue_names,
)
