"""What the widget offers to choose from.

Our own output layers are never offered as inputs.  Labels layers come first
among the masks (they are what a mask usually is); an Image layer can be a
mask too, as a certainty map.
"""

from __future__ import annotations

from types import SimpleNamespace

import napari
import numpy as np

from napari_masked_blur._math.filter import Filter
from napari_masked_blur._math.labels import present_label_ids
from napari_masked_blur._qt.output_layers import is_output

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


class LabelChoices:
    """:func:`label_choices` of the chosen mask, listed once until it changes.

    Listing the ids reads the whole mask (about 0.1 s for 64 x 512 x 512
    uint8), and magicgui asks for every combo box's choices each time a
    layer is added or removed, napari's own dock asking once more: adding
    the output layer read the mask twice, in front of the first plane.  The
    list is kept for the same layer holding the same array until
    :meth:`forget` (the mask was painted or given new data).
    """

    def __init__(self) -> None:
        self._key: tuple[int, int] | None = None
        self._choices: Choices = label_choices(None)

    def __call__(self, mask: napari.layers.Layer | None) -> Choices:
        """The choices for ``mask``, listed again only when something changed."""
        if mask is None:
            return label_choices(None)
        key = (id(mask), id(mask.data))
        if key != self._key:
            self._choices, self._key = label_choices(mask), key
        return self._choices

    def forget(self) -> None:
        """The mask may have changed: list its ids again when next asked."""
        self._key = None


def check_other(
    flt: Filter, image: napari.layers.Image, other: napari.layers.Image | None
) -> None:
    """Refuse a filter's missing or misfit second image (a ValueError naming it)."""
    if "other" not in flt.parameters:
        return
    if other is None:
        raise ValueError(f"the {flt.title} needs a second image layer")
    if other.data.shape != image.data.shape:
        raise ValueError(
            f"second image {other.name!r} has shape {other.data.shape}, "
            f"the image {image.data.shape}"
        )


def mask_shape_only(mask: napari.layers.Layer) -> SimpleNamespace:
    """Shape and dtype of the mask as the blur reads it (no pixels read).

    An Image layer is a certainty map, so its weights are floating.
    """
    dtype = np.dtype(mask.data.dtype)
    if isinstance(mask, napari.layers.Image) and dtype.kind != "f":
        dtype = np.dtype(np.float32)
    return SimpleNamespace(shape=tuple(mask.data.shape), dtype=dtype)
