"""Offline sample data for the plugin: a 2D and a 3D image, each with a mask.

Both are made on the spot (skimage's ``coins`` ships inside its wheel), so
they work without a network.  Each function returns napari ``LayerData``
tuples: ``(data, layer_kwargs, layer_type)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage as ndi

LayerData = tuple[np.ndarray, dict[str, Any], str]

# Which coins of skimage's coins image get a label: six of the 24, ids 1-6,
# so "labels" and "per_label" have something to choose between.
_COINS_WITH_LABELS = 6


def coins_with_mask() -> list[LayerData]:
    """skimage's coins (303 x 384, uint8) and a Labels mask over six coins.

    The mask is the coins' own outline (smoothed threshold, holes filled),
    one label id per coin, for the six largest coins.
    """
    from skimage.data import coins

    image = coins()
    return [
        (image, {"name": "coins"}, "image"),
        (coin_labels(image, _COINS_WITH_LABELS), {"name": "coins mask"}, "labels"),
    ]


def coin_labels(image: np.ndarray, count: int) -> np.ndarray:
    """Label image (uint8) of the ``count`` largest coins of ``image``.

    The coins are brighter than their surroundings, but the background grows
    brighter toward the top, so the threshold is local: the smoothed image
    minus its background (a 41-pixel grey opening, which removes every coin)
    above 30 grey levels.  Holes are filled and speckle opened away; the
    ``count`` largest objects are numbered 1..count in reading order.
    """
    smooth = ndi.gaussian_filter(image.astype(np.float32), 2)
    background = ndi.uniform_filter(ndi.grey_opening(smooth, size=(41, 41)), 21)
    foreground = ndi.binary_fill_holes(smooth - background > 30)
    foreground = ndi.binary_opening(foreground, iterations=3)
    objects, found = ndi.label(foreground)
    sizes = ndi.sum_labels(foreground, objects, index=np.arange(1, found + 1))
    largest = np.sort(np.argsort(sizes)[::-1][:count] + 1)
    labels = np.zeros(image.shape, np.uint8)
    for new_id, old_id in enumerate(largest, start=1):
        labels[objects == old_id] = new_id
    return labels


def noisy_volume_with_mask(seed: int = 0) -> list[LayerData]:
    """A noisy 3D volume (40 x 128 x 128, float32) and a Labels mask.

    Four bright balls of different radii on a dim background, with Gaussian
    noise of standard deviation 0.25 (signal 1).  The voxels are anisotropic,
    2 µm along planes and 0.5 µm in-plane, so physical-unit sigma matters.
    The mask labels two of the balls (ids 1 and 2), grown by 2 µm.
    """
    shape = (40, 128, 128)
    spacing = (2.0, 0.5, 0.5)
    centers_um = [(40.0, 20.0, 20.0), (36.0, 40.0, 44.0), (44.0, 20.0, 46.0)]
    centers_um.append((30.0, 46.0, 16.0))
    radii_um = [10.0, 8.0, 6.0, 7.0]
    coords = np.meshgrid(
        *[np.arange(n) * d for n, d in zip(shape, spacing, strict=True)], indexing="ij"
    )
    clean = np.full(shape, 0.1, np.float32)
    labels = np.zeros(shape, np.uint8)
    for index, (center, radius) in enumerate(zip(centers_um, radii_um, strict=True)):
        distance = np.sqrt(
            sum((c - x) ** 2 for c, x in zip(coords, center, strict=True))
        )
        clean[distance <= radius] = 1.0
        if index < 2:
            labels[distance <= radius + 2.0] = index + 1
    noise = np.random.default_rng(seed).normal(0, 0.25, shape).astype(np.float32)
    scale = {"scale": spacing, "units": "micrometer"}
    return [
        (clean + noise, {"name": "noisy volume", **scale}, "image"),
        (labels, {"name": "volume mask", **scale}, "labels"),
    ]
