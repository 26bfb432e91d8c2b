"""The second image of a filter that takes one (``"other"`` in its parameters).

A local correlation compares the image ``x`` with a second image ``y``
inside one mask.  ``y`` is not a setting (it is data, like the image): the
router hands it beside the image to every path, and :func:`check_other` is
its one check against the image and the filter, made where the settings
are checked.  It is computed in the image's precision
(:func:`~.dtypes.output_dtype` of the image's dtype).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from napari_masked_blur._math.options import BlurOptions


def takes_other(options: BlurOptions) -> bool:
    """Whether the filter of ``options`` takes a second image."""
    return "other" in options.filter.parameters


def check_other(image: Any, other: Any, options: BlurOptions) -> None:
    """Raise ``ValueError`` unless ``other`` suits the filter and the image.

    A filter with ``"other"`` among its parameters needs it, shaped like the
    image (channel axis included) and real-valued; any other filter takes
    none.  Only ``shape`` and ``dtype`` are read.
    """
    name = options.filter.name
    if not takes_other(options):
        if other is not None:
            raise ValueError(
                f"the {name} filter takes no second image, got other of shape "
                f"{tuple(getattr(other, 'shape', ()))}"
            )
        return
    if other is None:
        raise ValueError(
            f"the {name} filter needs a second image: give other, shaped like "
            f"the image {tuple(image.shape)}"
        )
    if any(isinstance(n, float) and math.isnan(n) for n in other.shape):
        raise ValueError(f"other has unknown chunk sizes {other.shape}")
    if tuple(other.shape) != tuple(image.shape):
        raise ValueError(
            f"other has shape {tuple(other.shape)} but the image has "
            f"{tuple(image.shape)}; the {name} filter needs them alike"
        )
    if np.dtype(other.dtype).kind not in "biuf":
        raise ValueError(f"other must be real-valued, got dtype {other.dtype}")
