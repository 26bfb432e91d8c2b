"""The settings of one masked filter checked against an image and a mask.

:meth:`BlurSettings.check <.settings.BlurSettings.check>` (through
:meth:`BlurOptions.from_settings`) is the one place an image, a mask and the
settings are checked against each other: shapes, dtypes, the channel axis,
sigma and spacing per axis, the label ids against the mask's kind.  The
settings' own values (the border and outside rules, the engine, the
filter) were checked when the settings were made.  Every layer below the
public functions, the widget and the command line takes a
:class:`BlurOptions` and trusts it.  What can only be checked on the pixels
(a negative or non-finite certainty weight) is checked where the pixels are
read (:mod:`.weights`).

Axes: ``axes`` names the axes that are smoothed (scipy's name), counted in
the image's axes; every other axis but the channel axis is a *frame* axis
(time, a stack of independent images), whose frames are blurred each on
its own.  Inside, a frame axis is simply an axis with sigma 0, and so radius
0: boxes, windows and dask overlaps never reach across frames.  The mask
broadcasts against the image's spatial shape by numpy's rules.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from napari_masked_blur._engines import kernel_radius
from napari_masked_blur._math.axes import (
    mask_broadcasts,
    smoothed_axes,
    spatial_positions,
)
from napari_masked_blur._math.filter import Filter
from napari_masked_blur._math.filters import filter_named
from napari_masked_blur._math.outside import OUTSIDE_POLICIES
from napari_masked_blur._math.per_axis import SigmaLike as SigmaLike  # re-exported
from napari_masked_blur._math.per_axis import is_real, sigma_in_pixels

MODES = ("missing", "reflect", "nearest", "mirror", "wrap")

# "missing" means: beyond the border there is no data (weight 0).  Filtering
# numerator and weights with zeros beyond the border does exactly that.
_ENGINE_MODE = {"missing": "constant"}

if TYPE_CHECKING:
    from napari_masked_blur._math.settings import BlurSettings

LabelsLike = int | Sequence[int] | None


@dataclass(frozen=True)
class BlurOptions:
    """One filter's settings checked against an image and a mask.

    Made by :meth:`BlurSettings.check <napari_masked_blur.BlurSettings.check>`
    (or :func:`~.settings.check_options`), which refuses bad values with a
    ``ValueError`` naming them; code that receives one trusts it.  It holds
    the settings as the user gave them and what follows from them for these
    arrays; everything else is read from the settings.

    Attributes
    ----------
    settings : BlurSettings
        The settings, as given (sigma in the units of ``spacing``).
    sigma : tuple of float
        Gaussian standard deviation per spatial axis (every axis but the
        channel axis), in pixels; 0 along an axis: no smoothing along it,
        and always 0 along the frame axes.
    channel_axis : int, optional
        The image's channel axis, counted from 0 in the image's axes.
    axes : tuple of int, optional
        The smoothed axes, counted from 0 in the image's axes, ascending;
        None: every axis but the channel axis.
    """

    settings: BlurSettings
    sigma: tuple[float, ...]
    channel_axis: int | None = None
    axes: tuple[int, ...] | None = None

    @classmethod
    def from_settings(
        cls, settings: BlurSettings, image: Any, mask: Any
    ) -> BlurOptions:
        """Check ``settings`` against ``image`` and ``mask``; the options, ready.

        ``image`` and ``mask`` need only ``shape`` and ``dtype`` (numpy,
        dask, zarr, memory maps); their pixels are not read.  ``sigma``
        comes back in pixels, one per spatial axis (``sigma / spacing``),
        0 on the axes not in ``axes``.

        ``sigma`` (and ``spacing``) may be one value, one per smoothed axis,
        or one per spatial axis; in the last form sigma must be 0 on every
        axis ``axes`` leaves out (a nonzero value there is refused rather
        than silently dropped).

        Raises
        ------
        ValueError
            Naming the value that is wrong and what was expected.
        """
        for name, array in (("image", image), ("mask", mask)):
            if any(math.isnan(n) for n in array.shape):
                raise ValueError(f"{name} has unknown chunk sizes {array.shape}")
        check_image(image)
        axis = channel_index(settings.channel_axis, len(image.shape))
        check_mask_shape(tuple(image.shape), tuple(mask.shape), axis)
        check_mask_kind(np.dtype(mask.dtype), settings.labels, settings.per_label)
        if settings.needs_spacing:
            raise ValueError(
                f"sigma {settings.sigma!r} is in {settings.units!r} but the "
                "settings have no spacing: give the pixel size (with_spacing)"
            )
        smoothed = smoothed_axes(settings.axes, len(image.shape), axis)
        space = spatial_shape(tuple(image.shape), axis)
        sigma = sigma_in_pixels(
            settings.sigma,
            len(space),
            settings.spacing,
            smoothed=spatial_positions(smoothed, axis),
        )
        axes = None if smoothed is None else tuple(smoothed)
        options = cls(settings=settings, sigma=sigma, channel_axis=axis, axes=axes)
        options.filter  # noqa: B018 -- the filter's own checks (order, scales)
        return options

    # -- read from the settings ------------------------------------------------
    @property
    def filter(self) -> Filter:
        """The filter's description (:mod:`.filters`) for these options."""
        return filter_named(self.settings.filter).for_options(self)

    @property
    def outside(self) -> str:
        """What the pixels outside the mask get (:mod:`.outside`)."""
        return self.settings.outside

    @property
    def labels(self) -> tuple[int, ...] | None:
        """The label ids that are inside; None: every nonzero pixel."""
        return self.settings.labels

    @property
    def per_label(self) -> bool:
        """Each label smoothed with its own pixels only."""
        return self.settings.per_label

    @property
    def mode(self) -> str:
        """What lies beyond the image border."""
        return self.settings.mode

    @property
    def truncate(self) -> float:
        """Kernel radius in sigmas: ``radius = int(truncate * sigma + 0.5)``."""
        return self.settings.truncate

    @property
    def method(self) -> str:
        """The Gaussian engine (see :mod:`napari_masked_blur._engines`)."""
        return self.settings.method

    # -- what follows -----------------------------------------------------------
    @property
    def radius(self) -> tuple[int, ...]:
        """Kernel radius per spatial axis, in pixels."""
        return kernel_radius(self.sigma, self.truncate)

    @property
    def reach(self) -> tuple[int, ...]:
        """How far the result at a pixel reads the input, per spatial axis.

        The margin of a region's window, a dask chunk and a live patch.
        """
        return self.filter.reach(self.sigma, self.truncate)

    @property
    def engine_mode(self) -> str:
        """The border rule as the engines name it (scipy's names)."""
        return engine_mode(self.mode)

    @property
    def smoothed(self) -> tuple[int, ...]:
        """The spatial axes (counted without the channel axis) smoothed."""
        smoothed = spatial_positions(self.axes, self.channel_axis)
        return tuple(range(len(self.sigma))) if smoothed is None else smoothed

    @property
    def frame_axes(self) -> tuple[int, ...]:
        """The spatial axes (counted without the channel axis) not smoothed."""
        smoothed = spatial_positions(self.axes, self.channel_axis)
        if smoothed is None:
            return ()
        return tuple(a for a in range(len(self.sigma)) if a not in smoothed)

    def with_sigma(self, sigma: Sequence[float]) -> BlurOptions:
        """The same options with another sigma (in pixels, one per axis)."""
        return replace(self, sigma=tuple(float(s) for s in sigma))


def engine_mode(mode: str) -> str:
    """A border mode as the engines name it: "missing" is scipy's "constant"."""
    return _ENGINE_MODE.get(mode, mode)


def check_rules(mode: str, truncate: float, outside: str = "keep") -> None:
    """Raise ``ValueError`` for an unknown mode or outside, or a bad truncate."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    if outside not in OUTSIDE_POLICIES:
        raise ValueError(
            f"unknown outside {outside!r}; expected one of {OUTSIDE_POLICIES}"
        )
    if not (is_real(truncate) and math.isfinite(float(truncate))):
        raise ValueError(f"truncate must be a finite number, got {truncate!r}")
    if truncate <= 0:
        raise ValueError(f"truncate must be > 0, got {truncate!r}")


def check_image(image: Any) -> None:
    """Raise ``ValueError`` unless ``image`` is a real-valued array with pixels."""
    if np.dtype(image.dtype).kind not in "biuf":
        raise ValueError(f"image must be real-valued, got dtype {image.dtype}")
    if len(image.shape) == 0 or math.prod(image.shape) == 0:
        raise ValueError(f"image must have pixels, got shape {tuple(image.shape)}")


def channel_index(channel_axis: int | None, ndim: int) -> int | None:
    """``channel_axis`` counted from 0 (None stays None); refused if out of range."""
    if channel_axis is None:
        return None
    if isinstance(channel_axis, bool | np.bool_) or not isinstance(
        channel_axis, numbers.Integral
    ):
        raise ValueError(f"channel_axis must be an integer, got {channel_axis!r}")
    channel_axis = int(channel_axis)
    if not -ndim <= channel_axis < ndim:
        raise ValueError(
            f"channel_axis {channel_axis} is out of range for {ndim} dimensions"
        )
    return channel_axis % ndim


def spatial_shape(shape: tuple[int, ...], channel_axis: int | None) -> tuple[int, ...]:
    """``shape`` without its channel axis."""
    if channel_axis is None:
        return tuple(shape)
    axis = channel_index(channel_axis, len(shape))
    return tuple(shape[:axis]) + tuple(shape[axis + 1 :])


def check_mask_shape(
    image_shape: tuple[int, ...], mask_shape: tuple[int, ...], channel_axis: int | None
) -> None:
    """Raise ``ValueError`` naming both shapes unless the mask broadcasts.

    The mask must broadcast to the image's spatial shape by numpy's rules
    (a ``(y, x)`` mask serves every frame of a ``(t, y, x)`` image), without
    growing it.
    """
    expected = spatial_shape(image_shape, channel_axis)
    if not mask_broadcasts(tuple(mask_shape), expected):
        where = "" if channel_axis is None else f" without its channel axis, {expected}"
        raise ValueError(
            f"mask shape {tuple(mask_shape)} does not match image shape "
            f"{tuple(image_shape)}{where}, and does not broadcast to it"
        )


def check_mask_kind(dtype: np.dtype, labels: LabelsLike, per_label: bool) -> None:
    """The checks on a mask that need its dtype only, not its pixels."""
    if dtype.kind not in "biuf":
        raise ValueError(f"mask must be bool, integer or float, got dtype {dtype}")
    if dtype.kind == "f" and labels is not None:
        raise ValueError(
            f"labels={labels!r} needs an integer or bool mask, got a {dtype} "
            "certainty map"
        )
    if dtype.kind == "f" and per_label:
        raise ValueError(
            f"labels and per_label need an integer or bool mask, got a {dtype} "
            "certainty map"
        )


def label_ids(labels: LabelsLike) -> tuple[int, ...] | None:
    """``labels`` as a tuple of ints (None stays None); refused unless integers."""
    if labels is None:
        return None
    ids = np.atleast_1d(np.asarray(labels))
    if ids.dtype.kind not in "iu" or ids.ndim != 1 or ids.size == 0:
        raise ValueError(
            f"labels must be an integer or a list of integers, got {labels!r}"
        )
    return tuple(int(i) for i in ids)
