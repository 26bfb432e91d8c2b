"""What a file says about its pixels: axis names, pixel sizes and their unit.

TIFF, Zarr and ``.npy`` are read by :mod:`.io` and described here from their
own metadata (OME-XML or ImageJ tags, OME-Zarr ``multiscales``), with no
package beyond tifffile and zarr.  Every other format (CZI, ND2, LIF, ...) is
read through `bioio <https://github.com/bioio-devs/bioio>`_, the field's
reader, when the ``formats`` extra is installed; ``reader="bioio"`` sends
TIFF and Zarr there too.  bioio's arrays are lazy, chunked by YX plane where
the reader allows it; a window is read through that dask array, so it reads
only the chunks it touches.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
import zarr

from napari_masked_blur._files.io import (
    check_not_empty,
    file_format,
    open_array,
    tifffile_complaints,
)
from napari_masked_blur._files.pictures import PictureInfo, is_picture, open_picture

READERS = ("auto", "bioio")

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
EXTRA_HINT = "pip install 'napari-masked-blur[formats]'"


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


def uses_bioio(path: str | os.PathLike, reader: str = "auto") -> bool:
    """Whether ``path`` is read through bioio: asked for, or not TIFF/Zarr/.npy
    (nor a picture)."""
    if reader not in READERS:
        raise ValueError(f"unknown reader {reader!r}; expected one of {READERS}")
    if reader == "bioio":
        return True
    if is_picture(path):
        return False
    try:
        file_format(path)
    except ValueError:
        return True
    return False


def open_image(path: str | os.PathLike, reader: str = "auto") -> Any:
    """The array at ``path``, sliceable and lazy (see :func:`.io.open_array`).

    TIFF, Zarr and .npy are opened by :mod:`.io`; other formats, or any
    with ``reader="bioio"``, by bioio (:class:`BioArray`).
    """
    if not uses_bioio(path, reader):
        if is_picture(path):
            _exists(path)
            return open_picture(path)
        return open_array(path)
    _exists(path)
    return BioArray(path, guess=reader == "auto")


def _exists(path: str | os.PathLike) -> None:
    if not Path(path).exists():
        raise FileNotFoundError(f"no such file: {os.fspath(path)!r}")


def pixel_info(path: str | os.PathLike, reader: str = "auto") -> PixelInfo:
    """The axes, pixel sizes and time step that the file at ``path`` records.

    Raises
    ------
    ValueError
        The metadata cannot be read, or gives a pixel size or time step
        that is not a finite number > 0 (0, negative, NaN, infinite): the
        message names the file, the axis and the value "from its metadata".
    """
    _exists(path)
    if uses_bioio(path, reader):
        return _checked(_bioio_info(path, guess=reader == "auto"), path)
    if is_picture(path):
        return PixelInfo(axes=PictureInfo(path).axes)
    kind = file_format(path)
    check_not_empty(Path(path), kind)
    readers = {"tiff": _tiff_info, "zarr": _zarr_info}
    try:
        info = readers[kind](Path(path)) if kind in readers else PixelInfo()
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"cannot read the metadata of {os.fspath(path)!r}: {error}"
        ) from error
    return _checked(info, path)


def _checked(info: PixelInfo, path: str | os.PathLike) -> PixelInfo:
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


def _tiff_info(path: Path) -> PixelInfo:
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
            # 0 pixels per unit: a pixel of no finite size, refused by _checked
            found[axis] = denominator / numerator if numerator else math.inf
    if "spacing" in meta:
        found["Z"] = float(meta["spacing"])
    unit = str(meta.get("unit", "")).replace("\\u00B5", "µ") or None
    if not found or unit is None or unit.lower() not in _METRES:
        return PixelInfo(axes=axes, **time)
    return PixelInfo(axes, tuple(found.get(a) for a in axes), unit, **time)


def _zarr_info(path: Path) -> PixelInfo:
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


def _bioimage(path: str, guess: bool) -> Any:
    """bioio's image of ``path``; ``guess``: the suffix was not one of ours."""
    unknown = f"cannot tell the format of {path!r}: not TIFF, Zarr or .npy, "
    try:
        import bioio
    except ImportError:
        raise ValueError(
            (unknown if guess else f"cannot read {path!r}: ")
            + f"and other formats are read by bioio: {EXTRA_HINT}"
        ) from None
    try:
        try:
            # One YX plane per chunk, so a window reads only its planes; the
            # readers without chunk_dims (OME-Zarr, ND2) chunk as stored.
            return bioio.BioImage(path, chunk_dims=["Y", "X"])
        except TypeError:
            return bioio.BioImage(path)
    except Exception as error:  # bioio's own errors for unsupported files
        reason = str(error).strip().split("\n")[0][:200]
        raise ValueError(
            (unknown + "and" if guess else f"cannot read {path!r}:")
            + f" bioio cannot read it ({type(error).__name__}: {reason})"
        ) from None


@lru_cache(maxsize=8)
def _cached_bioimage(path: str, mtime: float, guess: bool = False) -> Any:
    return _bioimage(path, guess)


def _bioio_order(image: Any) -> str:
    """bioio's dimension letters, less the single ones but Y and X."""
    return "".join(
        d
        for d, n in zip(image.dims.order, image.dims.shape, strict=True)
        if n > 1 or d in "YX"
    )


def _bioio_info(path: str | os.PathLike, guess: bool = False) -> PixelInfo:
    image = _cached_bioimage(os.fspath(path), os.path.getmtime(path), guess)
    order = _bioio_order(image)
    physical = image.physical_pixel_sizes
    found = {
        a: float(getattr(physical, a))
        for a in "ZYX"
        if getattr(physical, a, None) is not None
    }
    time = _bioio_time(image) if "T" in order else {}
    if not found:
        return PixelInfo(axes=order, **time)
    units = {
        str(getattr(image.dimension_properties, a).unit or "micrometer") for a in found
    }
    # bioio gives sizes in micrometres unless a reader attaches a unit.
    unit = units.pop() if len(units) == 1 else "micrometer"
    return PixelInfo(order, tuple(found.get(a) for a in order), unit, **time)


def _bioio_time(image: Any) -> dict[str, Any]:
    """bioio's time step: a timedelta, or (OME-Zarr) a number in the unit of
    the T axis's dimension properties."""
    interval = getattr(image, "time_interval", None)
    if interval is None:
        return {}
    if hasattr(interval, "total_seconds"):
        return {"time": interval.total_seconds(), "time_unit": "s"}
    unit = getattr(getattr(image.dimension_properties, "T", None), "unit", None)
    return {"time": float(interval), "time_unit": None if unit is None else str(unit)}


class BioArray:
    """An image read through bioio, its single axes dropped but Y and X.

    Holds only the path and the axis order, so it pickles cheaply; each
    process opens the file once.  ``__getitem__`` reads through bioio's
    lazy dask array, so only the reader's chunks a slice touches are read.
    """

    def __init__(self, path: str | os.PathLike, guess: bool = False) -> None:
        self.path = os.fspath(path)
        image = _cached_bioimage(self.path, os.path.getmtime(self.path), guess)
        self.order = _bioio_order(image)
        data = image.get_image_dask_data(self.order)
        self.shape, self.dtype = tuple(data.shape), np.dtype(data.dtype)
        self.ndim, self.size = len(self.shape), int(np.prod(self.shape))

    def _image(self) -> Any:
        return _cached_bioimage(self.path, os.path.getmtime(self.path))

    def __getitem__(self, key: Any) -> np.ndarray:
        data = self._image().get_image_dask_data(self.order)
        return np.asarray(data[key].compute(scheduler="synchronous"))

    def __dask_tokenize__(self) -> tuple:
        return (type(self).__name__, self.path, os.path.getmtime(self.path))
