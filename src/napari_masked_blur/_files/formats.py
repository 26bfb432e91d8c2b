"""What a file says about its pixels: axis names, pixel sizes, time step.

TIFF, Zarr and ``.npy`` are read by :mod:`.io` and described by
:mod:`.metadata` from their own metadata (OME-XML or ImageJ tags, OME-Zarr
``multiscales``), with no package beyond tifffile and zarr.  Every other
format (CZI, ND2, LIF, ...) is read through
`bioio <https://github.com/bioio-devs/bioio>`_, the field's reader, when
the ``formats`` extra is installed; ``reader="bioio"`` sends
TIFF and Zarr there too.  bioio's arrays are lazy, chunked by YX plane where
the reader allows it; a window is read through that dask array, so it reads
only the chunks it touches.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from napari_masked_blur._files.io import check_not_empty, file_format, open_array
from napari_masked_blur._files.metadata import (
    PixelInfo,
    checked_info,
    metres,
    seconds,
    tiff_info,
    zarr_info,
)
from napari_masked_blur._files.pictures import is_picture, open_picture, picture_axes

# PixelInfo, metres and seconds are the metadata module's, named here too.
__all__ = [
    "EXTRA_HINT",
    "READERS",
    "BioArray",
    "PixelInfo",
    "metres",
    "open_image",
    "pixel_info",
    "seconds",
    "uses_bioio",
]

READERS = ("auto", "bioio")

EXTRA_HINT = "pip install 'napari-masked-blur[formats]'"


def uses_bioio(path: str | os.PathLike, reader: str = "auto") -> bool:
    """Whether ``path`` is read through bioio: asked for, or not TIFF/Zarr/.npy
    (nor a picture, :mod:`.pictures`)."""
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
        return checked_info(_bioio_info(path, guess=reader == "auto"), path)
    if is_picture(path):
        return PixelInfo(axes=picture_axes(path))
    kind = file_format(path)
    check_not_empty(Path(path), kind)
    readers = {"tiff": tiff_info, "zarr": zarr_info}
    try:
        info = readers[kind](Path(path)) if kind in readers else PixelInfo()
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"cannot read the metadata of {os.fspath(path)!r}: {error}"
        ) from error
    return checked_info(info, path)


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
