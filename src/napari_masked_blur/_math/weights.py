"""From the mask the user gave to the weights ``w``, and back out to the result.

bool and integer masks are 0/1 weights (inside: nonzero, or one of the
chosen label ids; label ids are never used as weights); floating masks are
certainty maps, taken as they are.  NaN and inf image pixels are missing
data: their weight is 0.  Outside the mask the ``outside`` policy decides
what the result holds.  Numpy only.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

Labels = Sequence[int] | None
# Weights whose largest is within 2**±64 are used as they are: products with
# pixel values and Gaussian taps stay far from float32's 1e-38 and 3e38.
_SAFE_EXPONENT = 64
# Up to this many label ids are looked for one comparison pass each.
_FEW_IDS = 8


def mask_to_weights(mask: np.ndarray, labels: Labels = None) -> np.ndarray:
    """Weights in float32 from a mask.

    bool or integer masks: 1 where the pixel is inside (nonzero, or one of
    ``labels``), else 0.  Floating masks are certainty maps, taken as they
    are; they must be finite and >= 0.
    """
    if mask.dtype.kind == "f":
        check_weights(mask)
        return mask.astype(np.float32)
    return inside_labels(mask, labels).astype(np.float32)


def mask_inside(mask: np.ndarray, labels: Labels = None) -> np.ndarray:
    """Boolean array: the pixels :func:`mask_to_weights` gives a weight > 0."""
    if mask.dtype.kind == "f":
        check_weights(mask)
        return mask > 0
    return inside_labels(mask, labels)


def inside_labels(mask: np.ndarray, labels: Labels) -> np.ndarray:
    """Boolean array: which pixels of an integer mask are inside.

    A bool mask with no ``labels`` is returned as it is (read, never written).
    """
    if labels is None:
        return mask if mask.dtype == bool else mask != 0
    if len(labels) == 1:
        return mask == labels[0]
    return np.isin(mask, labels)


def unit_weights(weights: np.ndarray, dtype: np.dtype) -> tuple[np.ndarray, int]:
    """A copy of ``weights`` in ``dtype``, times ``2**-exponent``; and ``exponent``.

    Normalized convolution does not depend on the weights' scale, but the
    products ``x w`` and the smoothed weights can overflow (weights near
    1e36 in float32) or underflow (weights near 1e-45).  Float weights are
    therefore brought to a largest weight in ``[1, 2)`` by a power of two,
    in their own type before any conversion: exact, so weights ``c w`` give
    the result of ``w`` for any finite ``c > 0`` (exactly when ``c`` is a
    power of two, to the rounding of ``c w`` otherwise).  Weights whose
    largest is within ``2**±64`` keep exponent 0 and are only copied: far
    from float32's limits, and the common case costs no extra pass.
    """
    exponent = weight_exponent(weights)
    if exponent == 0:
        # order="C": a broadcast mask (stride 0) would keep its odd layout.
        return np.array(weights, dtype=dtype, copy=True, order="C"), 0
    scaled = np.ldexp(weights, -exponent)
    return np.ascontiguousarray(scaled.astype(dtype, copy=False)), exponent


def weight_exponent(weights: np.ndarray) -> int:
    """The power of two :func:`unit_weights` divides ``weights`` by: 0 for
    integer or bool weights, and for float weights whose largest is within
    ``2**±64`` of 1; else the exponent that brings it into ``[1, 2)``."""
    if weights.dtype.kind != "f":
        return 0
    top = float(np.max(weights, initial=0))
    exponent = math.frexp(top)[1] - 1 if top > 0 and math.isfinite(top) else 0
    return exponent if abs(exponent) > _SAFE_EXPONENT else 0


def absent_labels(mask: np.ndarray, labels: Sequence[int]) -> list[int]:
    """The ids of ``labels`` that occur nowhere in the in-memory ``mask``.

    One comparison pass per id for a few ids; for more, one ``isin`` pass and
    the distinct values among the pixels it selects.
    """
    ids = list(dict.fromkeys(labels))
    if len(ids) <= _FEW_IDS:
        return [i for i in ids if not np.any(mask == i)]
    found = set(np.unique(mask[np.isin(mask, ids)]).tolist())
    return [i for i in ids if i not in found]


def warn_absent_labels(
    mask: np.ndarray, labels: Sequence[int] | None, stacklevel: int = 3
) -> None:
    """A ``UserWarning`` naming the ids of ``labels`` that ``mask`` lacks.

    Not an error: the result is well defined (such an id selects no pixel),
    and a script looping over images may name ids some of them lack.  Called
    for in-memory masks only: a lazy mask would have to be read whole.
    """
    if labels is None:
        return
    absent = absent_labels(mask, labels)
    if not absent:
        return
    names = ", ".join(str(i) for i in absent)
    if len(absent) == len(set(labels)):
        message = f"none of the label ids {names} is in the mask: nothing is blurred"
    else:
        message = f"label ids not in the mask: {names} (they select no pixel)"
    warnings.warn(message, UserWarning, stacklevel=stacklevel)


def check_weights(weights: np.ndarray) -> None:
    """Raise ``ValueError`` naming the first weight that is negative or not finite."""
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        index = tuple(int(i) for i in np.unravel_index(np.argmax(bad), weights.shape))
        raise ValueError(
            f"weights must be finite and >= 0; found {weights[index]!r} "
            f"at index {index}"
        )


def zero_missing(image: np.ndarray, *arrays: np.ndarray) -> None:
    """Set ``arrays`` to 0 wherever ``image`` is not finite: missing data."""
    if image.dtype.kind != "f":
        return
    missing = ~np.isfinite(image)
    if missing.any():
        for array in arrays:
            array[missing] = 0
