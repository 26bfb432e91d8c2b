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

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
import zarr

from napari_masked_blur._files.io import file_format, open_array, tifffile_complaints

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
    """

    axes: str | None = None
    sizes: tuple[float | None, ...] | None = None
    unit: str | None = None

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


# Pictures (PNG, JPEG, BMP) are read whole by OpenCV, a core dependency.
PICTURES = (".png", ".jpg", ".jpeg", ".bmp")


def is_picture(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a PNG, JPEG or BMP picture (by its suffix)."""
    return Path(path).suffix.lower() in PICTURES


def open_picture(path: str | os.PathLike) -> np.ndarray:
    """The pixels of a picture, read-only: (rows, columns) or (rows, columns,
    RGB[A]) in that order (OpenCV's BGR turned around), 8 or 16 bits."""
    import cv2

    pixels = cv2.imread(os.fspath(path), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise ValueError(f"cannot read {os.fspath(path)!r} as a picture")
    if pixels.ndim == 3:
        pixels = np.ascontiguousarray(pixels[..., [2, 1, 0, 3][: pixels.shape[2]]])
    pixels.flags.writeable = False
    return pixels


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
    """The axes and pixel sizes that the file at ``path`` records."""
    _exists(path)
    if uses_bioio(path, reader):
        return _bioio_info(path, guess=reader == "auto")
    if is_picture(path):
        return PixelInfo(axes="YXS" if open_picture(path).ndim == 3 else "YX")
    kind = file_format(path)
    try:
        if kind == "tiff":
            return _tiff_info(Path(path))
        if kind == "zarr":
            return _zarr_info(Path(path))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"cannot read the metadata of {os.fspath(path)!r}: {error}"
        ) from error
    return PixelInfo()


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
    """Pixel sizes from OME-XML (first image); units default to µm as in OME."""
    image = tifffile.xml2dict(xml)["OME"]["Image"]
    pixels = (image[0] if isinstance(image, list) else image)["Pixels"]
    found = {
        a: float(pixels[f"PhysicalSize{a}"])
        for a in "XYZ"
        if f"PhysicalSize{a}" in pixels
    }
    if not found:
        return PixelInfo(axes=axes)
    units = {pixels.get(f"PhysicalSize{a}Unit", "µm") for a in found}
    if len(units) > 1:  # bring them to one unit
        found = {
            a: s * metres(pixels.get(f"PhysicalSize{a}Unit", "µm")) / 1e-6
            for a, s in found.items()
        }
        units = {"micrometer"}
    return PixelInfo(axes, tuple(found.get(a) for a in axes), units.pop())


def _imagej_info(tif: tifffile.TiffFile, axes: str) -> PixelInfo:
    """ImageJ: Z from ``spacing``, Y and X from the resolution tags."""
    meta = tif.imagej_metadata
    tags = tif.pages.first.tags
    found: dict[str, float] = {}
    for axis, tag in (("X", "XResolution"), ("Y", "YResolution")):
        if tag in tags:
            numerator, denominator = tags[tag].value
            if numerator:
                found[axis] = denominator / numerator
    if "spacing" in meta:
        found["Z"] = float(meta["spacing"])
    unit = str(meta.get("unit", "")).replace("\\u00B5", "µ") or None
    if not found or unit is None or unit.lower() not in _METRES:
        return PixelInfo(axes=axes)
    return PixelInfo(axes, tuple(found.get(a) for a in axes), unit)


def _zarr_info(path: Path) -> PixelInfo:
    """OME-Zarr (v0.4 or v0.5): the axes and the scale of the first level."""
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
    spatial = [a.get("type") == "space" for a in axes]
    units = {a.get("unit") for a, s in zip(axes, spatial, strict=True) if s} - {None}
    if scale is None or len(units) != 1:
        return PixelInfo(axes=names)
    sizes = tuple(float(v) if s else None for v, s in zip(scale, spatial, strict=True))
    return PixelInfo(names, sizes, units.pop())


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
    found = {a: getattr(physical, a) for a in "ZYX" if getattr(physical, a, None)}
    if not found:
        return PixelInfo(axes=order)
    units = {
        str(getattr(image.dimension_properties, a).unit or "micrometer") for a in found
    }
    # bioio gives sizes in micrometres unless a reader attaches a unit.
    unit = units.pop() if len(units) == 1 else "micrometer"
    return PixelInfo(order, tuple(found.get(a) for a in order), unit)


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
