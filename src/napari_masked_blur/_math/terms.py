"""The arrays a filter's terms smooth: ``(x - c)**p (y - d)**q · w``.

:func:`term_arrays` builds one array per :class:`~.filter.Term` of a
description, ready for the engines (which may overwrite them), in as few
passes over the image as the terms allow: the masked Gaussian's two terms
are the shifted, weighted image and the weights themselves, as ever; a
variance's ``(x - c)**2 w`` is that numerator times ``x - c``; a
correlation's products are made from the shifted images of both.

Shifts: the image is shifted by ``c``, the value of one weighted pixel, and
the second image ``y`` by ``d``, its value at that same pixel, so rounding
follows the spread of the data, not its magnitude (see
:func:`~.dense.smooth_filter`).  The masked Gaussian's terms are shifted in
float32 only (in float64 its quotient loses nothing to the offset); terms
of higher powers always.

Missing data: a pixel that is not finite in ``x`` (or in ``y``) gets
weight 0, so it is in no term; only a ``pixel`` term keeps it (NaN).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from napari_masked_blur._math.filter import Term
from napari_masked_blur._math.weights import zero_missing


def term_arrays(
    image: np.ndarray,
    weights: np.ndarray,
    terms: Sequence[Term],
    dtype: np.dtype,
    other: np.ndarray | None = None,
    binary: bool = False,
) -> tuple[list[np.ndarray], float]:
    """One array per term, in ``dtype``, and the image's shift ``c``.

    ``weights`` is a scratch copy in ``dtype`` (zeroed here where ``x`` or
    ``y`` is missing); it is returned as the weights' own term.  ``binary``:
    the weights are 0 or 1, so ``w**2 = w`` and ``(x - c)**2 w`` is the
    numerator squared.
    """
    if other is not None:
        zero_missing(other, weights)  # before any term is weighted
    if all(t.other == 0 and t.power <= 1 and not t.pixel for t in terms):
        # The masked Gaussian's terms: no copy of the image beyond its numerator.
        numerator, offset = centered_numerator(image, weights, dtype)
        return [numerator if t.power else weights for t in terms], offset
    # Moments: about a pixel's value in float64 too (30,000**2 would cost
    # float64 digits of a variance of 1).
    numerator, offset = centered_numerator(image, weights, dtype, shifted=True)
    centered = numerator if binary else _centered(image, offset, weights, dtype)
    other_centered = None
    if other is not None:
        other_offset = _partner_shift(other, weights)
        other_centered = _centered(other, other_offset, weights, dtype)
    arrays = [
        _term(term, numerator, weights, centered, other_centered, image, offset)
        for term in terms
    ]
    # The numerator and the weights are terms themselves at most once each:
    # the engines may overwrite their arrays.
    return _distinct(arrays), offset


def _term(
    term: Term,
    numerator: np.ndarray,
    weights: np.ndarray,
    centered: np.ndarray,
    other: np.ndarray | None,
    image: np.ndarray,
    offset: float,
) -> np.ndarray:
    """``(x - c)**p (y - d)**q w`` of one term (``pixel``: ``(x - c)**p``)."""
    if term.pixel:
        pixel = np.subtract(image, offset, dtype=numerator.dtype)
        return pixel**term.power if term.power != 1 else pixel
    if term.other and other is None:
        raise ValueError("a term of the second image needs the second image")
    if term.power == 0 and term.other == 0:
        return weights
    if term.power == 0:
        array = other * weights
        factors = [other] * (term.other - 1)
    else:
        array = numerator
        factors = [centered] * (term.power - 1) + [other] * term.other
    if factors:
        array = array * factors[0]
        for factor in factors[1:]:
            array *= factor
    return array


def _distinct(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Arrays that appear twice (a term listed twice) copied, so each is its own."""
    seen: set[int] = set()
    out = []
    for array in arrays:
        out.append(array.copy() if id(array) in seen else array)
        seen.add(id(array))
    return out


def _centered(
    image: np.ndarray, offset: float, weights: np.ndarray, dtype: np.dtype
) -> np.ndarray:
    """``x - c`` in ``dtype``, finite: 0 where a float image is missing.

    It only ever multiplies a weighted array, which is 0 wherever the
    weight is: integers need no more, a float image's NaN must not be there
    (``0 * NaN`` is NaN).
    """
    centered = np.subtract(image, dtype.type(offset), dtype=dtype)
    if image.dtype.kind == "f":
        np.copyto(centered, 0, where=weights == 0)
    return centered


def _partner_shift(other: np.ndarray, weights: np.ndarray) -> float:
    """``d``: the second image at the heaviest weight's pixel, else 0."""
    heaviest = int(np.argmax(weights))
    value = other.flat[heaviest]
    return float(value) if weights.flat[heaviest] > 0 else 0.0


def centered_numerator(
    image: np.ndarray, weights: np.ndarray, dtype: np.dtype, shifted: bool = False
) -> tuple[np.ndarray, float]:
    """``(x - c) w`` in ``dtype`` and the shift ``c``.

    ``c`` is one weighted pixel's value in float32, or with ``shifted``;
    0 otherwise (the masked Gaussian in float64).  Zeroes ``weights`` (a
    scratch copy) where the image is not finite.
    """
    shifted = shifted or dtype == np.float32
    scratch = None  # our own float copy of the image, when one is needed
    if image.dtype.kind == "f":
        image = scratch = image.astype(dtype)
        zero_missing(image, weights, image)
    elif not shifted:  # integers are finite: convert and multiply at once
        return np.multiply(image, weights, dtype=dtype), 0.0
    heaviest = int(np.argmax(weights))
    offset = 0.0
    if shifted and weights.flat[heaviest] > 0:
        offset = float(image.flat[heaviest])
    # One pass: convert (integers) and shift, into our copy if we have one.
    numerator = np.subtract(image, dtype.type(offset), out=scratch, dtype=dtype)
    numerator *= weights
    return numerator, offset
