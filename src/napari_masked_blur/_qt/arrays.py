"""What the blur reads from the layers: a mask layer's weights, a lazy output.

An Image layer chosen as mask is a certainty map (float weights); a Labels
layer is read as it is.  Dask-backed and multiscale images get a lazy (dask)
output, which napari computes only where it is displayed.
"""

from __future__ import annotations

from typing import Any

import napari
import numpy as np

from napari_masked_blur._api.route import run_lazy
from napari_masked_blur._math.options import BlurOptions


def lazy_output(
    image: napari.layers.Image,
    mask: napari.layers.Layer,
    options: BlurOptions,
    other: napari.layers.Image | None = None,
) -> Any:
    """The lazy (dask) output of a dask-backed or multiscale image layer.

    ``other``: the second image of a filter that takes one.
    """
    data = mask.data
    if isinstance(mask, napari.layers.Image) and not mask.multiscale:
        data = as_certainty(data)
    extra = {} if other is None else {"other": other.data}
    if image.multiscale:
        data = list(data) if mask.multiscale else data
        return run_lazy(list(image.data), data, options, **extra)
    return run_lazy(image.data, data, options, **extra)


def mask_array(mask: napari.layers.Layer) -> np.ndarray:
    """The mask layer's data as the blur reads it: an Image layer is a certainty map."""
    data = np.asarray(mask.data)
    if isinstance(mask, napari.layers.Image):
        return as_certainty(data)
    return data


def as_certainty(data: Any) -> Any:
    return data if data.dtype.kind == "f" else data.astype(np.float32)
