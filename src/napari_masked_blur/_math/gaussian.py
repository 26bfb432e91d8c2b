"""The masked Gaussian: ``G*(x·w) / G*w``, the first filter of the family.

With ``N = G*((x - c)·w)`` and ``D = G*w`` the result is ``N / D + c``:
the Gaussian-weighted mean of the weighted pixels around each pixel.
Pixels with ``w = 0`` contribute nothing, so values outside the mask never
leak in, and the denominator counts only the weight that is really there,
so the mask edge is not pulled toward zero.  Where no weight is in reach,
``N = D = 0`` exactly (the engines' contract) and ``0/0`` is the NaN
promised.  Every ``outside`` policy applies.

With ``order`` (one per smoothed axis, or one for all, as scipy's) the
result is that derivative of the masked blur field, exactly
(:mod:`.derivatives`): then the default ``outside`` is 0 and "keep" is
refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from napari_masked_blur._math.derivatives import specialize_gaussian
from napari_masked_blur._math.filter import Filter, Term
from napari_masked_blur._math.outside import OUTSIDE_POLICIES


def finish_quotient(smoothed: Sequence[np.ndarray], shift: float) -> np.ndarray:
    """``N / D + c``, written into ``N``; NaN where ``D == 0``."""
    numerator, certainty = smoothed
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(numerator, certainty, out=numerator)
    if shift:
        numerator += shift
    return numerator


GAUSSIAN = Filter(
    name="gaussian",
    title="Gaussian blur",
    terms=(Term(power=1), Term(power=0)),
    finish=finish_quotient,
    outside=OUTSIDE_POLICIES,
    parameters=("order",),
    specialize=lambda options: specialize_gaussian(GAUSSIAN, options),
)
