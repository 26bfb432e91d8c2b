"""Write big arrays lazily: TIFF, Zarr (v3) and .npy, chunk by chunk, atomically.

Writers are targets for :func:`dask.array.store`: every chunk is written
where it belongs as soon as it is computed, so nothing but the chunks in
flight is ever held in memory.  The file is written under a temporary name
in its folder and moved into place once complete (:mod:`.atomic`), after
:mod:`.safety` has checked that nothing of the user's is lost by it.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import tifffile
import zarr

from napari_masked_blur._files.atomic import (
    move_into_place,
    partial_path,
    remove_path,
)
from napari_masked_blur._files.io import RawArray, file_format, index_slices
from napari_masked_blur._files.safety import check_output, companions, output_path


def write_lazy(
    array: da.Array,
    path: str | os.PathLike,
    *,
    chunks: tuple[int, ...] | None = None,
    overwrite: bool = False,
    store: Callable[[da.Array, Any], None] | None = None,
    create: Callable[..., Any] | None = None,
    finish: Callable[[Path, Path], None] | None = None,
    inputs: Sequence[str | os.PathLike] = (),
) -> None:
    """Write a dask array to ``path`` (format from the name), chunk by chunk.

    The file is written under a temporary name in the same folder and
    moved into place once complete (:mod:`.atomic`): an error or Ctrl-C
    leaves nothing half-written, and an existing ``path`` (replaced only
    with ``overwrite``) stays intact until the new one is whole.  A file
    that appears at ``path`` during the run is not replaced without
    ``overwrite``; a symbolic link at ``path`` is refused, never followed.

    Parameters
    ----------
    array : dask.array.Array
        What to write.
    path : path
        Output: .tif/.tiff, .zarr or .npy.
    chunks : tuple of int, optional
        Zarr chunk shape; default the first chunk of ``array``.  The array
        is rechunked if its chunks are not whole multiples of these.
    overwrite : bool
        Replace an existing ``path``.
    store : callable, optional
        ``store(array, target)`` computes and writes; default
        :func:`dask.array.store` on the current scheduler.
    create : callable, optional
        ``create(temporary_path, shape, dtype, chunks)`` makes the empty
        target instead of :func:`create_target`:
        :func:`.outputs.output_hooks` gives one per format.
    finish : callable, optional
        ``finish(temporary_path, path)`` runs once every chunk is written,
        before the final move.  The record of an ``.npy`` output (its
        :func:`~.safety.companions`) is written by it at its
        :func:`~.atomic.partial_path`, and moved into place right after the
        output; an output refused at the final move gets none.
    inputs : sequence of path
        Files and Zarr arrays that ``array`` reads: ``path`` may not be,
        hold or lie in one of them or their Zarr store (:mod:`.safety`).

    Raises
    ------
    FileExistsError
        ``path`` exists, or appeared during the run, and ``overwrite`` is false.
    OSError
        The disk is full (ENOSPC, EDQUOT): the message names ``path``; the
        partial output is removed and nothing is at ``path``.
    ValueError
        ``path`` is refused by :func:`~.safety.check_output`.
    """
    path = output_path(path)
    check_output(path, inputs, overwrite=overwrite)
    chunks = chunks or tuple(axis[0] for axis in array.chunks)
    if not _whole_multiples(array.chunks, chunks):
        array = array.rechunk(chunks)
    partial = partial_path(path)
    records = [partial_path(record) for record in companions(path)]
    try:
        if create is None:
            target = create_target(partial, array.shape, array.dtype, chunks)
        else:
            target = create(partial, array.shape, np.dtype(array.dtype), chunks)
        if store is None:
            da.store(array, target, lock=False)
        else:
            store(array, target)
        if finish is not None:
            finish(partial, path)
        move_into_place(partial, path, overwrite=overwrite)
        for record, final in zip(records, companions(path), strict=True):
            if os.path.lexists(record):
                move_into_place(record, final, overwrite=overwrite)
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise OSError(
            error.errno,
            f"{os.strerror(error.errno)} while writing {str(path)!r}; the "
            "partial output was removed, nothing was written there",
        ) from None
    finally:
        for leftover in (partial, *records):
            remove_path(leftover)


def _whole_multiples(
    dask_chunks: tuple[tuple[int, ...], ...], chunks: tuple[int, ...]
) -> bool:
    """Whether every dask chunk starts on a boundary of ``chunks``, so no two
    tasks write to one stored chunk."""
    return all(
        all(start % c == 0 for start in np.cumsum((0, *axis[:-1])))
        for axis, c in zip(dask_chunks, chunks, strict=True)
    )


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
        offset = create_tiff(path, shape, dtype)
    else:
        offset = _create_npy(path, shape, dtype)
    return RawWriter(path, offset, shape, dtype)


def create_tiff(
    path: str | os.PathLike, shape: tuple[int, ...], dtype: Any, **metadata: Any
) -> int:
    """Write an empty uncompressed TIFF; return where its pixels start.

    ``metadata`` goes to :func:`tifffile.imwrite` (``description``,
    ``metadata``, ``ome``, ...).
    """
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    tifffile.imwrite(
        path,
        shape=shape,
        dtype=dtype,
        photometric="minisblack",
        bigtiff=nbytes > 2**31,
        **metadata,
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
        key = index_slices(key, self.ndim)
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
                write_all(fd, memoryview(value[index].view(np.uint8).reshape(-1)), byte)
        finally:
            os.close(fd)


def write_all(fd: int, data: memoryview, position: int) -> None:
    """Write every byte of ``data`` at ``position`` of the open file ``fd``.

    ``os.pwrite`` may write less than it was given (a full disk, a quota, a
    signal): the rest is written by further calls, and a disk that takes no
    more raises ``OSError`` (ENOSPC) there.  A call that writes nothing at
    all is taken as a full disk too, rather than looping forever.
    """
    while len(data):
        written = os.pwrite(fd, data, position)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        data, position = data[written:], position + written


def _first_axis_of_contiguous_run(chunk: tuple[int, ...], full: tuple[int, ...]) -> int:
    """The first axis of the chunk's contiguous runs in a C-ordered array.

    Trailing axes that the chunk spans completely are contiguous together,
    and so is the axis before them.
    """
    axis = len(full)
    while axis > 0 and chunk[axis - 1] == full[axis - 1]:
        axis -= 1
    return max(axis - 1, 0)
