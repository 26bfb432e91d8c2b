"""What a file's own metadata says of its pixels: axes, pixel sizes, time step.

TIFF (OME-XML or ImageJ tags) and OME-Zarr (``multiscales``) are read here
with tifffile and zarr alone; :mod:`.formats` chooses the reader (bioio for
other formats).  Every value is checked before use (:func:`checked_info`):
a pixel size or time step that cannot be true is refused, naming the file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tifffile
import zarr

from napari_masked_blur._files.io import tifffile_complaints

# Length units by every name the formats use, in metres.
_METRES = {
    "pm": 1e-12,
    "picometer": 1e-12,
    "å": 1e-10,
    "angstrom": 1e-10,
    "nm": 1e-9,
    "nanometer": 1e-9,
    "um": 1e-6,
    "µm": 1e-6,
    "μm": 1e-6,
    "micron": 1e-6,
    "micrometer": 1e-6,
    "mm": 1e-3,
    "millimeter": 1e-3,
    "cm": 1e-2,
    "centimeter": 1e-2,
    "m": 1.0,
    "meter": 1.0,
}
# Time units by every name the formats use, in seconds ("sec": ImageJ's).
_SECONDS = {"ns": 1e-9, "nanosecond": 1e-9, "µs": 1e-6, "us": 1e-6}
_SECONDS |= {"microsecond": 1e-6, "ms": 1e-3, "millisecond": 1e-3}
_SECONDS |= {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0}
_SECONDS |= {"h": 3600.0, "hour": 3600.0, "d": 86400.0, "day": 86400.0}


@dataclass(frozen=True)
class PixelInfo:
    """What a file says about its axes.

    Attributes
    ----------
    axes : str, optional
        One upper-case letter per axis of the array as opened: ``T`` time,
        ``C`` or ``S`` channels, ``Z``, ``Y``, ``X`` space, other letters
        unknown; None when the file does not say.
    sizes : tuple of (float or None), optional
        Physical size of a pixel along each axis, in ``unit``; None for an
        axis without one (time, channels).  None when the file has none.
    unit : str, optional
        The length unit of ``sizes`` (e.g. ``"micrometer"``).
    time : float, optional
        The time between two frames of the ``T`` axis, in ``time_unit``.
    time_unit : str, optional
        The unit of ``time`` (e.g. ``"s"``, ``"second"``); None: not said.

    Every size and ``time`` that :func:`pixel_info` gives is finite and > 0.
    """

    axes: str | None = None
    sizes: tuple[float | None, ...] | None = None
    unit: str | None = None
    time: float | None = None
    time_unit: str | None = None

    def sizes_in(self, unit: str) -> tuple[float | None, ...] | None:
        """``sizes`` converted to ``unit`` (a length unit of :data:`_METRES`)."""
        if self.sizes is None:
            return None
        factor = metres(self.unit or "micrometer") / metres(unit)
        # 12 digits: 0.5 µm is 500 nm, not 499.99999999999994.
        return tuple(
            None if s is None else float(f"{s * factor:.12g}") for s in self.sizes
        )

    def labels(self, ndim: int) -> tuple[str, ...]:
        """One axis label per axis of an ``ndim`` array, for the frames rule.

        ``T`` is ``"t"``, ``C`` and ``S`` are ``"c"``, other letters in lower
        case.  A file whose order names none of T, C, S, Z (only tifffile's
        generic ``Q``, ``I``... besides Y and X), or does not match ``ndim``,
        is unlabelled: ``""`` on every axis.
        """
        letters = self.axes or ""
        known = any(a in "TCSZ" for a in letters)
        if len(letters) != ndim or not known:
            return ("",) * ndim
        return tuple({"T": "t", "C": "c", "S": "c"}.get(a, a.lower()) for a in letters)

    @property
    def channel_axis(self) -> int | None:
        """The one ``C`` or ``S`` axis, if the file names exactly one."""
        found = [i for i, a in enumerate(self.axes or "") if a in "CS"]
        return found[0] if len(found) == 1 else None


def metres(unit: str) -> float:
    """The size of a length ``unit`` in metres; ``ValueError`` naming it."""
    try:
        return _METRES[unit.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown length unit {unit!r}; expected one of "
            f"{', '.join(sorted(set(_METRES) - {'å', 'μm'}))}"
        ) from None


def seconds(unit: str) -> float | None:
    """The length of a time ``unit`` in seconds; None for a unit not known."""
    return _SECONDS.get(unit.strip().lower())


def checked_info(info: PixelInfo, path: str | os.PathLike) -> PixelInfo:
    """``info``, once every pixel size and the time step are finite and > 0.

    A size of 0 or NaN would make a sigma in micrometres infinite or NaN
    pixels, and an OME output that says it; so the file is refused, never
    given a size of 1 in its place.
    """
    axes = info.axes or "?" * len(info.sizes or ())
    values = [
        (f"pixel size {size!r} {info.unit or ''} along its axis {i} ({axes[i]})", size)
        for i, size in enumerate(info.sizes or ())
        if size is not None
    ]
    if info.time is not None:
        values.append((f"time step {info.time!r} {info.time_unit or ''}", info.time))
    for what, value in values:
        if not (math.isfinite(value) and value > 0):
            raise ValueError(
                f"{os.fspath(path)!r} has a {' '.join(what.split())} from its "
                "metadata; it must be a finite number > 0"
            )
    return info


def tiff_info(path: Path) -> PixelInfo:
    # A damaged file is named by the reader (.io) with its own message; here
    # tifffile's log lines are kept off stderr and an empty file is refused.
    with tifffile_complaints(), tifffile.TiffFile(path) as tif:
        if not tif.series:
            raise ValueError("the file holds no image (no TIFF page)")
        axes = tif.series[0].axes.upper()
        if tif.is_ome and tif.ome_metadata:
            return _ome_xml_info(tif.ome_metadata, axes)
        if tif.is_imagej and tif.imagej_metadata:
            return _imagej_info(tif, axes)
    return PixelInfo(axes=axes)


def _ome_xml_info(xml: str, axes: str) -> PixelInfo:
    """Pixel sizes and time step from OME-XML (first image); units default to
    µm and s, as in OME."""
    image = tifffile.xml2dict(xml)["OME"]["Image"]
    pixels = (image[0] if isinstance(image, list) else image)["Pixels"]
    time: dict[str, Any] = {}
    if "T" in axes and "TimeIncrement" in pixels:
        time["time"] = float(pixels["TimeIncrement"])
        time["time_unit"] = str(pixels.get("TimeIncrementUnit", "s"))
    found = {
        a: float(pixels[f"PhysicalSize{a}"])
        for a in "XYZ"
        if f"PhysicalSize{a}" in pixels
    }
    if not found:
        return PixelInfo(axes=axes, **time)
    units = {pixels.get(f"PhysicalSize{a}Unit", "µm") for a in found}
    if len(units) > 1:  # bring them to one unit
        found = {
            a: s * metres(pixels.get(f"PhysicalSize{a}Unit", "µm")) / 1e-6
            for a, s in found.items()
        }
        units = {"micrometer"}
    return PixelInfo(axes, tuple(found.get(a) for a in axes), units.pop(), **time)


def _imagej_info(tif: tifffile.TiffFile, axes: str) -> PixelInfo:
    """ImageJ: Z from ``spacing``, Y and X from the resolution tags, the time
    step from ``finterval`` (in ``tunit``, seconds unless it says)."""
    meta = tif.imagej_metadata
    time: dict[str, Any] = {}
    if "T" in axes and "finterval" in meta:
        time["time"] = float(meta["finterval"])
        time["time_unit"] = str(meta.get("tunit", "sec"))
    tags = tif.pages.first.tags
    found: dict[str, float] = {}
    for axis, tag in (("X", "XResolution"), ("Y", "YResolution")):
        if tag in tags:
            numerator, denominator = tags[tag].value
            # 0 pixels per unit: a pixel of no finite size, refused by checked_info
            found[axis] = denominator / numerator if numerator else math.inf
    if "spacing" in meta:
        found["Z"] = float(meta["spacing"])
    unit = str(meta.get("unit", "")).replace("\\u00B5", "µ") or None
    if not found or unit is None or unit.lower() not in _METRES:
        return PixelInfo(axes=axes, **time)
    return PixelInfo(axes, tuple(found.get(a) for a in axes), unit, **time)


def zarr_info(path: Path) -> PixelInfo:
    """OME-Zarr (v0.4 or v0.5): the axes and the scale of the first level,
    in space and in time."""
    node = zarr.open(str(path), mode="r")
    if isinstance(node, zarr.Array):
        return PixelInfo()
    attrs = node.attrs.asdict()
    multiscale = attrs.get("ome", attrs).get("multiscales", [{}])[0]
    axes = multiscale.get("axes")
    if not axes:
        return PixelInfo()
    names = "".join(a["name"][:1].upper() for a in axes)
    scale = None
    for transform in multiscale["datasets"][0].get("coordinateTransformations", []):
        if transform.get("type") == "scale":
            scale = transform["scale"]
    if scale is None:
        return PixelInfo(axes=names)
    time: dict[str, Any] = {}
    for axis, value in zip(axes, scale, strict=True):
        if axis.get("type") == "time":
            time = {"time": float(value), "time_unit": axis.get("unit")}
    spatial = [a.get("type") == "space" for a in axes]
    units = {a.get("unit") for a, s in zip(axes, spatial, strict=True) if s} - {None}
    if len(units) != 1:
        return PixelInfo(axes=names, **time)
    sizes = tuple(float(v) if s else None for v, s in zip(scale, spatial, strict=True))
    return PixelInfo(names, sizes, units.pop(), **time)
