"""Offline sample data: a 2D image, a 3D volume and a time-lapse, with masks.

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


def drifting_cells_timelapse(seed: int = 0) -> list[LayerData]:
    """A noisy time-lapse (20 x 128 x 128, uint16) of drifting cells, and two masks.

    Six round cells (radius 7-12 px) drift across the field, each at its own
    constant speed (up to 1.5 px a frame), on a dim background with Poisson
    noise; the whole field brightens by 5 % a frame, so that smoothing across
    time would show.  The axes are labelled ``("t", "y", "x")``: the widget
    smooths y and x only.

    The masks: the cells of every frame as labels (ids 1-6, following each
    cell), and one fixed 2D region of interest for the whole movie (a disk
    of radius 40 px in the middle), which napari shows over every frame.
    """
    frames, size = 20, 128
    rng = np.random.default_rng(seed)
    start = rng.uniform(25, size - 25, (6, 2))
    velocity = rng.uniform(-1.5, 1.5, (6, 2))
    radii = rng.uniform(7, 12, 6)
    rows, cols = np.mgrid[0:size, 0:size]
    clean = np.empty((frames, size, size), np.float32)
    labels = np.zeros((frames, size, size), np.uint8)
    for t in range(frames):
        level = 200.0 * (1 + 0.05 * t)
        clean[t] = level
        for cell, (center, radius) in enumerate(
            zip(start + velocity * t, radii, strict=True), start=1
        ):
            inside = (rows - center[0]) ** 2 + (cols - center[1]) ** 2 <= radius**2
            clean[t][inside] = 5 * level
            labels[t][inside] = cell
    image = rng.poisson(clean).astype(np.uint16)
    roi = ((rows - size / 2) ** 2 + (cols - size / 2) ** 2 <= 40**2).astype(np.uint8)
    axes = {"axis_labels": ("t", "y", "x")}
    return [
        (image, {"name": "drifting cells", **axes}, "image"),
        (labels, {"name": "cells (every frame)", **axes}, "labels"),
        (roi, {"name": "ROI (all frames)", "axis_labels": ("y", "x")}, "labels"),
    ]
