"""What the widget offers to choose from.

Our own output layers are never offered as inputs.  Labels layers come first
among the masks (they are what a mask usually is); an Image layer can be a
mask too, as a certainty map.
"""

from __future__ import annotations

from types import SimpleNamespace

import napari
import numpy as np

from napari_masked_blur._blur.labels import present_label_ids
from napari_masked_blur._qt.output import is_output

Choices = list[tuple[str, object]]


def image_choices(viewer: napari.viewer.Viewer) -> Choices:
    """The image layers that can be blurred, by name."""
    return [
        (layer.name, layer)
        for layer in viewer.layers
        if isinstance(layer, napari.layers.Image) and not is_output(layer)
    ]


def mask_choices(
    viewer: napari.viewer.Viewer, image: napari.layers.Image | None
) -> Choices:
    """The layers that can mask ``image``: Labels first, then other images."""
    kinds = (napari.layers.Labels, napari.layers.Image)
    candidates = [
        layer
        for layer in viewer.layers
        if isinstance(layer, kinds) and layer is not image and not is_output(layer)
    ]
    candidates.sort(key=lambda layer: not isinstance(layer, napari.layers.Labels))
    return [(layer.name, layer) for layer in candidates]


def label_choices(mask: napari.layers.Layer | None) -> Choices:
    """ "all" (0) and each label id present in an in-memory label mask."""
    ids = [] if mask is None else present_label_ids(mask.data)
    return [("all", 0)] + [(str(i), i) for i in ids]


def mask_shape_only(mask: napari.layers.Layer) -> SimpleNamespace:
    """Shape and dtype of the mask as the blur reads it (no pixels read).

    An Image layer is a certainty map, so its weights are floating.
    """
    dtype = np.dtype(mask.data.dtype)
    if isinstance(mask, napari.layers.Image) and dtype.kind != "f":
        dtype = np.dtype(np.float32)
    return SimpleNamespace(shape=tuple(mask.data.shape), dtype=dtype)
