"""The dtype of a result: float32, or float64 where float32 cannot hold the image."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def output_dtype(image_dtype: npt.DTypeLike) -> np.dtype:
    """Float type of the result for an image of ``image_dtype``.

    float64 stays float64, and so do 32- and 64-bit integers, whose values
    float32 cannot hold exactly; everything else (bool, 8/16-bit integers,
    float16, float32) gives float32.
    """
    dtype = np.dtype(image_dtype)
    if dtype == np.float64 or (dtype.kind in "iu" and dtype.itemsize >= 4):
        return np.dtype(np.float64)
    return np.dtype(np.float32)
