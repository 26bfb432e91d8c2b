"""Read and write big arrays lazily: TIFF, Zarr (v3, OME-Zarr) and .npy.

Readers return dask arrays that read nothing until a chunk is computed, and
hold only a path and a byte offset, so their graphs pickle cheaply to a
dask.distributed cluster.  Uncompressed TIFF and .npy are memory-mapped, one
chunk's rows at a time; compressed or tiled TIFF is read through tifffile's
Zarr view.  Writers are targets for :func:`dask.array.store`: every chunk is
written where it belongs as soon as it is computed, so nothing but the
chunks in flight is ever held in memory.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import tifffile
import zarr

FORMATS = ("tiff", "zarr", "npy")
_SUFFIXES = {".tif": "tiff", ".tiff": "tiff", ".zarr": "zarr", ".npy": "npy"}


def file_format(path: str | os.PathLike) -> str:
    """``"tiff"``, ``"zarr"`` or ``"npy"``, from the name's suffix.

    A directory without a known suffix is taken for Zarr.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    if path.is_dir():
        return "zarr"
    raise ValueError(
        f"cannot tell the format of {str(path)!r}: expected a name ending in "
        f"{', '.join(_SUFFIXES)}"
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
        The file cannot be read as the format its name says.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {str(path)!r}")
    kind = file_format(path)
    try:
        return {"tiff": _open_tiff, "zarr": _open_zarr, "npy": _open_npy}[kind](path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"cannot read {str(path)!r} as {kind}: {error}") from error


def stored_chunks(array: Any) -> tuple[int, ...] | None:
    """The chunk shape the array is stored in (Zarr), else None."""
    return tuple(array.chunks) if isinstance(array, zarr.Array) else None


def open_lazy(path: str | os.PathLike, chunks: Any = None) -> da.Array:
    """The array stored at ``path`` (see :func:`open_array`) as a dask array.

    ``chunks`` defaults to the Zarr chunks for Zarr, else dask's "auto".
    """
    array = open_array(path)
    if chunks is None:
        chunks = stored_chunks(array) or "auto"
    return da.from_array(
        array, chunks=chunks, meta=np.empty((0,) * array.ndim, array.dtype)
    )


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
            return column[(*_slices(key, 1), slice(None))][:, 0]
        key = _slices(key, self.ndim)
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


def _slices(key: Any, ndim: int) -> tuple[slice, ...]:
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


def _open_tiff(path: Path) -> MappedRows | TiffZarr:
    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        offset = series.dataoffset
        shape, dtype = series.shape, series.dtype
    if offset is not None:
        return MappedRows(path, offset, shape, dtype)
    return TiffZarr(path)


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


# --- writing -----------------------------------------------------------------


def write_lazy(
    array: da.Array,
    path: str | os.PathLike,
    *,
    chunks: tuple[int, ...] | None = None,
    attributes: dict[str, Any] | None = None,
    overwrite: bool = False,
    store: Callable[[da.Array, Any], None] | None = None,
) -> None:
    """Write a dask array to ``path`` (format from the name), chunk by chunk.

    The file is written under a temporary name in the same folder and
    renamed into place once complete: an error or Ctrl-C leaves nothing
    half-written, and an existing ``path`` (replaced only with
    ``overwrite``) stays intact until the new one is whole.

    Parameters
    ----------
    array : dask.array.Array
        What to write.
    path : path
        Output: .tif/.tiff, .zarr or .npy.
    chunks : tuple of int, optional
        Zarr chunk shape; default the first chunk of ``array``.  The array
        is rechunked if its chunks are not whole multiples of these.
    attributes : dict, optional
        Stored in the Zarr metadata.
    overwrite : bool
        Replace an existing ``path``.
    store : callable, optional
        ``store(array, target)`` computes and writes; default
        :func:`dask.array.store` on the current scheduler.
    """
    path = Path(path).resolve()
    if path.exists() and not overwrite:
        raise FileExistsError(f"{str(path)!r} exists; pass overwrite to replace it")
    chunks = chunks or tuple(axis[0] for axis in array.chunks)
    if not _whole_multiples(array.chunks, chunks):
        array = array.rechunk(chunks)
    partial = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        target = create_target(partial, array.shape, array.dtype, chunks, attributes)
        if store is None:
            da.store(array, target, lock=False)
        else:
            store(array, target)
        _move_into_place(partial, path)
    finally:
        remove_path(partial)


def _whole_multiples(
    dask_chunks: tuple[tuple[int, ...], ...], chunks: tuple[int, ...]
) -> bool:
    """Whether every dask chunk starts on a boundary of ``chunks``, so no two
    tasks write to one stored chunk."""
    return all(
        all(start % c == 0 for start in np.cumsum((0, *axis[:-1])))
        for axis, c in zip(dask_chunks, chunks, strict=True)
    )


def _move_into_place(partial: Path, output: Path) -> None:
    """Rename the finished output into place, replacing an old one last."""
    if not output.exists() or (partial.is_file() and output.is_file()):
        os.replace(partial, output)  # atomic
        return
    old = output.with_name(f".{output.stem}.old-{os.getpid()}{output.suffix}")
    os.replace(output, old)
    try:
        os.replace(partial, output)
    except OSError:
        os.replace(old, output)
        raise
    remove_path(old)


def remove_path(path: Path) -> None:
    """Remove a file or folder if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def create_target(
    path: str | os.PathLike,
    shape: tuple[int, ...],
    dtype: Any,
    chunks: tuple[int, ...],
    attributes: dict[str, Any] | None = None,
) -> Any:
    """A new, empty array at ``path`` that :func:`dask.array.store` can fill.

    Zarr: a v3 array with ``chunks``, ``attributes`` in its metadata.  TIFF
    and .npy: the file at its full size, filled by :class:`RawWriter`.
    """
    kind = file_format(path)
    dtype = np.dtype(dtype)
    if kind == "zarr":
        target = zarr.create_array(
            str(path),
            shape=shape,
            dtype=dtype,
            chunks=chunks,
            fill_value=0,
            zarr_format=3,
        )
        target.attrs.update(attributes or {})
        return target
    if kind == "tiff":
        offset = _create_tiff(path, shape, dtype)
    else:
        offset = _create_npy(path, shape, dtype)
    return RawWriter(path, offset, shape, dtype)


def _create_tiff(path: str | os.PathLike, shape: tuple[int, ...], dtype: Any) -> int:
    """Write an empty uncompressed TIFF; return where its pixels start."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    tifffile.imwrite(
        path,
        shape=shape,
        dtype=dtype,
        photometric="minisblack",
        bigtiff=nbytes > 2**31,
    )
    with tifffile.TiffFile(path) as tif:
        offset = tif.series[0].dataoffset
    if offset is None:
        raise ValueError(f"tifffile wrote {str(path)!r} with non-contiguous pixels")
    return offset


def _create_npy(path: str | os.PathLike, shape: tuple[int, ...], dtype: Any) -> int:
    """Write a .npy header and size the file; return where the data starts."""
    header = {
        "descr": np.lib.format.dtype_to_descr(dtype),
        "fortran_order": False,
        "shape": tuple(shape),
    }
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    with open(path, "wb") as file:
        np.lib.format.write_array_header_1_0(file, header)
        offset = file.tell()
        file.truncate(offset + nbytes)
    return offset


class RawWriter(RawArray):
    """Writes chunks into a C-ordered raw array in a file, with ``os.pwrite``.

    Each chunk goes straight to its bytes: runs that are contiguous in the
    file (the chunk's trailing axes that span the whole array, and one more)
    are written in one call.  Chunks may arrive in any order and from any
    thread or process; nothing is memory-mapped.
    """

    def __setitem__(self, key: Any, value: np.ndarray) -> None:
        key = _slices(key, self.ndim)
        ranges = [range(*k.indices(n)) for k, n in zip(key, self.shape, strict=True)]
        if any(r.step != 1 for r in ranges) or value.shape != tuple(map(len, ranges)):
            raise ValueError(
                f"cannot write a {value.shape} block at {key!r}: expected "
                "contiguous slices of the block's shape"
            )
        starts = [r.start for r in ranges]
        value = np.ascontiguousarray(value, dtype=self.dtype)
        run_axis = _first_axis_of_contiguous_run(value.shape, self.shape)
        strides = np.cumprod((1, *self.shape[::-1]))[::-1][1:] * self.dtype.itemsize
        fd = os.open(self.path, os.O_WRONLY)
        try:
            for index in np.ndindex(*value.shape[:run_axis]):
                position = [s + i for s, i in zip(starts, index, strict=False)]
                position += starts[run_axis:]
                byte = self.offset + int(np.dot(position, strides))
                os.pwrite(fd, value[index].tobytes(), byte)
        finally:
            os.close(fd)


def _first_axis_of_contiguous_run(chunk: tuple[int, ...], full: tuple[int, ...]) -> int:
    """The first axis of the chunk's contiguous runs in a C-ordered array.

    Trailing axes that the chunk spans completely are contiguous together,
    and so is the axis before them.
    """
    axis = len(full)
    while axis > 0 and chunk[axis - 1] == full[axis - 1]:
        axis -= 1
    return max(axis - 1, 0)
