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

from napari_masked_blur._math.blocks import by_blocks
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
    if all(t.other == 0 and t.power <= 1 and not t.pixel for t in terms):
        # The masked Gaussian's terms: no copy of the image beyond its numerator.
        numerator, offset = centered_numerator(image, weights, dtype)
        # A term listed twice (another derivative order) gets its own copy.
        return _distinct([numerator if t.power else weights for t in terms]), offset
    # Moments: about a pixel's value in float64 too (30,000**2 would cost
    # float64 digits of a variance of 1).
    zero_missing(image, weights)
    if other is not None:
        zero_missing(other, weights)
    heaviest = int(np.argmax(weights))
    weighted = bool(weights.flat[heaviest] > 0)
    offset = float(image.flat[heaviest]) if weighted else 0.0
    other_offset = (
        float(other.flat[heaviest]) if weighted and other is not None else 0.0
    )
    # The numerator, then one array per term that is neither the weights nor
    # the numerator itself.
    own = [t for t in terms if not (t.other == 0 and t.power <= 1 and not t.pixel)]
    made = [np.empty(image.shape, dtype) for _ in range(len(own) + 1)]
    sources = [image, weights, *(() if other is None else (other,))]

    def step(views: Sequence[np.ndarray]) -> None:
        block_y = views[2] if other is not None else None
        outs = views[len(sources) :]
        shifts = (offset, other_offset)
        _block_terms(own, views[0], views[1], block_y, outs, shifts, binary)

    by_blocks(step, [*sources, *made])
    numerator, rest = made[0], iter(made[1:])
    arrays = [
        weights if t.power == 0 and t.other == 0 and not t.pixel
        else numerator if t.power == 1 and t.other == 0 and not t.pixel
        else next(rest)
        for t in terms
    ]  # fmt: skip
    return _distinct(arrays), offset


def _block_terms(
    terms: Sequence[Term],
    image: np.ndarray,
    weights: np.ndarray,
    other: np.ndarray | None,
    outs: Sequence[np.ndarray],
    shifts: tuple[float, float],
    binary: bool,
) -> None:
    """The terms of one block of pixels: ``outs[0]`` the numerator, then each.

    The shifted images are temporaries of the block's size (in cache); a
    float image's missing pixels (weight 0) become 0 there.
    """
    dtype = outs[0].dtype
    centered = np.subtract(image, dtype.type(shifts[0]), dtype=dtype)
    if image.dtype.kind == "f":
        np.copyto(centered, 0, where=weights == 0)
    numerator = np.multiply(centered, weights, out=outs[0])
    if binary:  # w (x - c) is 0 where w is, and x - c itself elsewhere
        centered = numerator
    other_centered = None
    if other is not None:
        other_centered = np.subtract(other, dtype.type(shifts[1]), dtype=dtype)
        if other.dtype.kind == "f":
            np.copyto(other_centered, 0, where=weights == 0)
    for term, out in zip(terms, outs[1:], strict=True):
        if term.pixel:
            np.subtract(image, dtype.type(shifts[0]), out=out, dtype=dtype)
            if term.power != 1:
                np.power(out, term.power, out=out)
        else:
            _product(term, numerator, weights, centered, other_centered, out)


def _product(
    term: Term,
    numerator: np.ndarray,
    weights: np.ndarray,
    centered: np.ndarray,
    other: np.ndarray | None,
    out: np.ndarray,
) -> None:
    """``(x - c)**p (y - d)**q w`` into ``out``, from the block's arrays
    (a term other than the weights and the numerator)."""
    if term.other and other is None:
        raise ValueError("a term of the second image needs the second image")
    if term.power:
        first = numerator
        factors = [centered] * (term.power - 1) + [other] * term.other
    else:
        first = weights
        factors = [other] * term.other
    np.multiply(first, factors[0], out=out)  # never empty: see term_arrays
    for factor in factors[1:]:
        out *= factor


def _distinct(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Arrays that appear twice (a term listed twice) copied, so each is its own."""
    seen: set[int] = set()
    out = []
    for array in arrays:
        out.append(array.copy() if id(array) in seen else array)
        seen.add(id(array))
    return out


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
