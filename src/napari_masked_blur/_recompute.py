"""What the widget computes, as one pure function: numpy only, no napari, no Qt.

The widget gathers its settings into a :class:`BlurSettings` on the main
thread and hands :func:`recompute` to the background runner.  Every live
update goes through this one function: today for the whole image, later (live
patch updates) for the region a brush stroke touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from napari_masked_blur._core import masked_gaussian
from napari_masked_blur._region import blur_region


@dataclass(frozen=True)
class BlurSettings:
    """Options of one masked blur, sigma already in pixels.

    Attributes
    ----------
    sigma : tuple of float
        Gaussian standard deviation per spatial axis, in pixels.
    outside, mode, truncate, per_label :
        As in :func:`napari_masked_blur.masked_gaussian`.
    labels : int, optional
        The one label id that is inside; None = every nonzero label.
    channel_axis : int, optional
        Axis of the image holding colour channels (-1 for RGB layers).
    """

    sigma: tuple[float, ...]
    outside: str = "keep"
    labels: int | None = None
    per_label: bool = False
    mode: str = "missing"
    truncate: float = 4.0
    channel_axis: int | None = None

    def options(self) -> dict:
        """Keyword arguments for :func:`masked_gaussian`."""
        return {
            "outside": self.outside,
            "labels": self.labels,
            "per_label": self.per_label,
            "mode": self.mode,
            "truncate": self.truncate,
            "channel_axis": self.channel_axis,
        }


def recompute(
    image: np.ndarray,
    mask: np.ndarray,
    settings: BlurSettings,
    region: tuple[slice, ...] | None = None,
) -> np.ndarray:
    """Masked Gaussian blur of ``image`` over ``region`` (default: everywhere).

    Parameters
    ----------
    image : ndarray
        The image, channels (if any) on ``settings.channel_axis``.
    mask : ndarray
        Labels or certainty, shaped like the image without its channel axis.
    settings : BlurSettings
        Sigma in pixels and the options.
    region : tuple of slice, optional
        Output region in spatial (mask) coordinates.

    Returns
    -------
    ndarray
        ``masked_gaussian(image, mask, ...)[region]``; for a region only the
        input within the kernel's reach of it is read
        (:func:`napari_masked_blur._region.blur_region`).
    """
    if region is None:
        return masked_gaussian(image, mask, settings.sigma, **settings.options())
    return blur_region(image, mask, region, settings.sigma, **settings.options())
