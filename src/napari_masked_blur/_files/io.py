"""Read big arrays lazily: TIFF, Zarr (v3, OME-Zarr) and .npy.

Readers return arrays that read nothing until sliced, and hold only a path
and a byte offset, so the dask graphs that slice them
(:mod:`napari_masked_blur._lazy.windows`) pickle cheaply to a
dask.distributed cluster.  Uncompressed TIFF and .npy are memory-mapped, one
chunk's rows at a time; compressed or tiled TIFF is read through tifffile's
Zarr view.  Writing is :mod:`.write`'s.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
import zarr
from dask.base import tokenize

SUFFIXES = {".tif": "tiff", ".tiff": "tiff", ".zarr": "zarr", ".npy": "npy"}


def file_format(path: str | os.PathLike) -> str:
    """``"tiff"``, ``"zarr"`` or ``"npy"``, from the name's suffix.

    A directory without a known suffix is taken for Zarr.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if path.is_dir():
        return "zarr"
    raise ValueError(
        f"cannot tell the format of {str(path)!r}: expected a name ending in "
        f"{', '.join(SUFFIXES)}"
    )


def open_array(path: str | os.PathLike) -> Any:
    """The array stored at ``path``, sliceable, read only when sliced.

    Parameters
    ----------
    path : path
        A TIFF file (its first series, full resolution), a Zarr array, an
        OME-Zarr image (level 0 of its first multiscale) or a .npy file.

    Returns
    -------
    array
        A :class:`zarr.Array`, :class:`MappedRows` or :class:`TiffZarr`: each
        has ``shape``, ``dtype``, ``ndim`` and ``__getitem__`` with slices.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file cannot be read as the format its name says, or holds no
        pixels (an axis of length 0, or a 0-d array: a single value).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {str(path)!r}")
    kind = file_format(path)
    check_not_empty(path, kind)
    try:
        opener = {"tiff": _open_tiff, "zarr": _open_zarr, "npy": _open_npy}[kind]
        array = opener(path)
        check_pixels(array.shape)
        return array
    except MemoryError:
        raise
    except Exception as error:  # whatever a damaged header makes the parser do
        raise ValueError(
            f"cannot read {str(path)!r} as {kind}: {_describe(error)}"
        ) from error


def _describe(error: Exception) -> str:
    """The error's message, with its type where the message alone says little."""
    if isinstance(error, (ValueError, OSError)) and str(error):
        return str(error)
    return f"{type(error).__name__}: {error}"


def check_not_empty(path: Path, kind: str) -> None:
    """Refuse a file of 0 bytes, saying so (a parser would say "EOF")."""
    if path.is_file() and path.stat().st_size == 0:
        raise ValueError(f"cannot read {str(path)!r} as {kind}: the file is empty")


def check_pixels(shape: Sequence[int]) -> None:
    """Refuse an array that is no image: a 0-d one, or one without pixels."""
    if len(shape) == 0:
        raise ValueError("the file holds a single value (a 0-d array), not an image")
    if math.prod(shape) == 0:
        raise ValueError(f"the file holds 0 pixels: its image has shape {tuple(shape)}")


def _check_size(path: Path, offset: int, shape: Sequence[int], dtype: Any) -> None:
    """Refuse a raw array whose file is shorter than its header says."""
    needed = offset + math.prod(shape) * np.dtype(dtype).itemsize
    size = os.path.getsize(path)
    if size < needed:
        raise ValueError(
            f"the file is truncated: its header describes {tuple(shape)} "
            f"{np.dtype(dtype)} pixels ending at byte {needed}, but it has "
            f"{size} bytes"
        )


def stored_chunks(array: Any) -> tuple[int, ...] | None:
    """The chunk shape the array is stored in (Zarr), else None."""
    if isinstance(array, NamedReads):
        array = array.array
    return tuple(array.chunks) if isinstance(array, zarr.Array) else None


class RawArray:
    """Where a C-ordered raw array lies in a file: path, byte offset, shape, type."""

    def __init__(
        self, path: str | os.PathLike, offset: int, shape: Sequence[int], dtype: Any
    ) -> None:
        self.path, self.offset = str(path), int(offset)
        self.shape, self.dtype = tuple(int(n) for n in shape), np.dtype(dtype)
        self.ndim, self.size = len(self.shape), math.prod(self.shape)


class MappedRows(RawArray):
    """A C-ordered raw array in a file, read by memory-mapping only the rows
    a chunk needs.

    For every index of the leading axes, the rows of the last-but-one axis
    that the chunk covers are mapped and read; so the mapped address space
    per read is one chunk's rows, not the file.  Holds no open file or
    mapping, so it pickles as a path and an offset.
    """

    def __getitem__(self, key: Any) -> np.ndarray:
        if self.ndim == 1:  # as one column of rows
            column = MappedRows(self.path, self.offset, (*self.shape, 1), self.dtype)
            return column[(*index_slices(key, 1), slice(None))][:, 0]
        key = index_slices(key, self.ndim)
        ranges = [range(*k.indices(n)) for k, n in zip(key, self.shape, strict=True)]
        out = np.empty([len(r) for r in ranges], self.dtype)
        rows, row_bytes = ranges[-2], self.shape[-1] * self.dtype.itemsize
        if out.size == 0:
            return out
        first, last = min(rows), max(rows)
        plane_rows = self.shape[-2]
        for index in np.ndindex(*out.shape[:-2]):
            lead = [r[i] for r, i in zip(ranges, index, strict=False)]
            plane = int(np.ravel_multi_index(lead, self.shape[:-2])) if lead else 0
            mapped = np.memmap(
                self.path,
                dtype=self.dtype,
                mode="r",
                offset=self.offset + (plane * plane_rows + first) * row_bytes,
                shape=(last - first + 1, self.shape[-1]),
            )
            out[index] = mapped[:: rows.step, key[-1]]
        return out

    def __dask_tokenize__(self) -> tuple:
        return (
            type(self).__name__,
            self.path,
            os.path.getmtime(self.path),
            self.offset,
        )


def index_slices(key: Any, ndim: int) -> tuple[slice, ...]:
    """``key`` as one slice per axis; only slices are supported."""
    key = key if isinstance(key, tuple) else (key,)
    if len(key) > ndim or not all(
        isinstance(k, slice) and (k.step or 1) > 0 for k in key
    ):
        raise TypeError(f"only forward slices can index a mapped file, got {key!r}")
    return key + (slice(None),) * (ndim - len(key))


class TiffZarr:
    """A TIFF series read through tifffile's Zarr view, opened once per process.

    For compressed, tiled or otherwise non-contiguous TIFF; pickles as a path.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = str(path)
        level0 = _tiff_zarr(self.path)
        self.shape, self.dtype, self.ndim = level0.shape, level0.dtype, level0.ndim
        self.size = level0.size
        self.chunks = level0.chunks

    def __getitem__(self, key: Any) -> np.ndarray:
        return np.asarray(_tiff_zarr(self.path)[key])

    def __dask_tokenize__(self) -> tuple:
        return (type(self).__name__, self.path, os.path.getmtime(self.path))


@lru_cache(maxsize=8)
def _tiff_zarr(path: str) -> zarr.Array:
    opened = zarr.open(tifffile.imread(path, aszarr=True, series=0, level=0), mode="r")
    if not isinstance(opened, zarr.Array):
        raise ValueError("the TIFF series is not a single array")
    return opened


@contextlib.contextmanager
def tifffile_complaints() -> Iterator[list[str]]:
    """What tifffile logs about a damaged file, kept rather than printed.

    Its errors (a series that does not fit its own metadata, read as
    another shape instead) mean the file is damaged; its warnings alone are
    dropped, as the checks below find what matters of them.
    """
    complaints: list[str] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: complaints.append(record.getMessage())
    logger = logging.getLogger("tifffile")
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield complaints
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _open_tiff(path: Path) -> MappedRows | TiffZarr:
    with tifffile_complaints() as complaints, tifffile.TiffFile(path) as tif:
        if not tif.series:
            raise ValueError("the file holds no image (no TIFF page)")
        series = tif.series[0]
        if complaints:  # e.g. "<tifffile.TiffPages @8> invalid page offset 99"
            said = complaints[0].split("> ", 1)[-1]
            raise ValueError(f"the file is damaged: {said}")
        offset = series.dataoffset
        shape, dtype = series.shape, series.dtype
        if offset is None:
            _check_strips(path, series)
    if offset is not None:
        check_pixels(shape)  # before the size: 0 pixels, not "truncated"
        _check_size(path, offset, shape, dtype)
        return MappedRows(path, offset, shape, dtype)
    return TiffZarr(path)


def _check_strips(path: Path, series: Any) -> None:
    """Refuse a TIFF whose strips or tiles reach past the end of the file."""
    size = os.path.getsize(path)
    for page in series.pages:
        offsets, counts = page.dataoffsets, page.databytecounts
        if len(offsets) != len(counts):
            raise ValueError(
                f"the file is damaged: page {page.index} has {len(offsets)} "
                f"strip or tile offsets but {len(counts)} byte counts"
            )
        ends = [offset + count for offset, count in zip(offsets, counts, strict=True)]
        if max(ends, default=0) > size:
            raise ValueError(
                f"the file is truncated: page {page.index} has pixel data up "
                f"to byte {max(ends)}, but the file has {size} bytes"
            )


def _open_npy(path: Path) -> Any:
    headers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    with open(path, "rb") as file:
        version = np.lib.format.read_magic(file)
        if version not in headers:  # e.g. 3.0: let numpy map it
            return np.load(path, mmap_mode="r")
        shape, fortran_order, dtype = headers[version](file)
        offset = file.tell()
    if fortran_order or dtype.hasobject:
        return np.load(path, mmap_mode="r")
    check_pixels(shape)
    _check_size(path, offset, shape, dtype)
    return MappedRows(path, offset, shape, dtype)


def _open_zarr(path: Path) -> zarr.Array:
    node = zarr.open(str(path), mode="r")
    if isinstance(node, zarr.Array):
        return node
    return node[_multiscale_level0(node.attrs.asdict(), path)]


def _multiscale_level0(attrs: dict[str, Any], path: Path) -> str:
    """Path of the full-resolution array of an OME-Zarr image (v0.4 or v0.5)."""
    multiscales = attrs.get("ome", attrs).get("multiscales")
    if not multiscales:
        raise ValueError(
            f"{str(path)!r} is a Zarr group without OME-Zarr 'multiscales'; "
            "give the path of an array inside it"
        )
    return multiscales[0]["datasets"][0]["path"]


class InputFileError(ValueError):
    """An input file found damaged, or holding values it may not, while its
    pixels were read: bad input, though found only once the work started."""


def open_input(
    path: str | os.PathLike,
    *,
    weights: bool = False,
    opener: Callable[[str | os.PathLike], Any] | None = None,
) -> NamedReads:
    """``opener(path)`` (default :func:`open_array`), whose reads name the file
    when they fail.

    With ``weights``, floating pixels are certainty weights: each read checks
    them finite and >= 0, so a NaN is reported with the file and the pixel.
    """
    return NamedReads((opener or open_array)(path), str(path), weights)


class NamedReads:
    """An opened array whose failed reads raise :class:`InputFileError`
    naming the file (and, for bad weights, the pixel)."""

    def __init__(self, array: Any, path: str, weights: bool) -> None:
        self.array, self.path = array, path
        self.weights = weights and np.dtype(array.dtype).kind == "f"
        self.shape, self.dtype = tuple(array.shape), np.dtype(array.dtype)
        self.ndim, self.size = len(self.shape), math.prod(self.shape)
        self.chunks = getattr(array, "chunks", None)

    def __getitem__(self, key: Any) -> np.ndarray:
        try:
            values = np.asarray(self.array[key])
        except MemoryError:
            raise
        except Exception as error:  # a file cut or changed under us
            raise InputFileError(
                f"cannot read {self.path!r}: {_describe(error)}"
            ) from error
        if self.weights:
            self._check_weights(values, key)
        return values

    def _check_weights(self, values: np.ndarray, key: Any) -> None:
        bad = ~np.isfinite(values) | (values < 0)
        if not bad.any():
            return
        local = np.unravel_index(int(np.argmax(bad)), values.shape)
        try:
            starts = [s.start or 0 for s in index_slices(key, self.ndim)]
        except TypeError:  # not slices: say where in the piece read
            starts = [0] * values.ndim
        pixel = tuple(int(s + i) for s, i in zip(starts, local, strict=True))
        raise InputFileError(
            f"mask {self.path!r} holds {values[local]} at pixel {pixel}; "
            "certainty weights must be finite and >= 0"
        )

    def __dask_tokenize__(self) -> tuple:
        return (type(self).__name__, self.path, self.weights, tokenize(self.array))
