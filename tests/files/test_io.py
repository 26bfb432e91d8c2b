"""Lazy readers for TIFF, Zarr and .npy."""

from __future__ import annotations

import pickle

import dask.array as da
import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur._files.io import (
    InputFileError,
    MappedRows,
    file_format,
    open_input,
    open_lazy,
)


def test_npy_is_read_lazily_and_exactly(tmp_path, volume):
    np.save(tmp_path / "v.npy", volume)
    lazy = open_lazy(tmp_path / "v.npy", chunks=(4, 7, 9))
    assert isinstance(lazy, da.Array) and lazy.chunksize == (4, 7, 9)
    np.testing.assert_array_equal(lazy.compute(), volume)


def test_uncompressed_tiff_is_memory_mapped(tmp_path, volume):
    tifffile.imwrite(tmp_path / "v.tif", volume)
    lazy = open_lazy(tmp_path / "v.tif", chunks=(2, 8, 8))
    readers = [v for v in lazy.dask.values() if isinstance(v, MappedRows)]
    assert len(readers) == 1
    np.testing.assert_array_equal(lazy.compute(), volume)


def test_compressed_tiled_tiff_is_read_through_zarr(tmp_path, volume):
    tifffile.imwrite(tmp_path / "v.tif", volume, compression="zlib", tile=(16, 16))
    lazy = open_lazy(tmp_path / "v.tif", chunks=(3, 10, 10))
    np.testing.assert_array_equal(
        lazy[1:4, 5:17, 20:].compute(), volume[1:4, 5:17, 20:]
    )


def test_zarr_keeps_its_chunks(tmp_path, volume):
    stored = zarr.create_array(
        tmp_path / "v.zarr", shape=volume.shape, dtype=volume.dtype, chunks=(2, 8, 16)
    )
    stored[:] = volume
    lazy = open_lazy(tmp_path / "v.zarr")
    assert lazy.chunksize == (2, 8, 16)
    np.testing.assert_array_equal(lazy.compute(), volume)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_ome_zarr_reads_full_resolution(tmp_path, volume, version):
    zarr_format = 2 if version == "0.4" else 3
    group = zarr.open_group(
        tmp_path / "img.ome.zarr", mode="w", zarr_format=zarr_format
    )
    for path, level in (("s0", volume), ("s1", volume[:, ::2, ::2])):
        group.create_array(path, shape=level.shape, dtype=level.dtype)[:] = level
    multiscales = [{"version": version, "datasets": [{"path": "s0"}, {"path": "s1"}]}]
    if version == "0.4":
        group.attrs["multiscales"] = multiscales
    else:
        group.attrs["ome"] = {"version": version, "multiscales": multiscales}
    np.testing.assert_array_equal(open_lazy(tmp_path / "img.ome.zarr"), volume)


def test_zarr_group_without_multiscales_is_refused(tmp_path):
    zarr.open_group(tmp_path / "g.zarr", mode="w")
    with pytest.raises(ValueError, match="without OME-Zarr 'multiscales'"):
        open_lazy(tmp_path / "g.zarr")


def test_missing_unknown_and_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        open_lazy(tmp_path / "absent.tif")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="cannot tell the format"):
        open_lazy(tmp_path / "notes.txt")
    (tmp_path / "fake.tif").write_text("not a tiff")
    with pytest.raises(ValueError, match=r"cannot read .*fake\.tif.* as tiff"):
        open_lazy(tmp_path / "fake.tif")


def test_file_format_from_the_name(tmp_path):
    assert file_format("a.TIFF") == "tiff"
    assert file_format("b.ome.zarr") == "zarr"
    assert file_format("c.npy") == "npy"
    assert file_format(tmp_path) == "zarr"


def test_lazy_graph_pickles_without_the_data(tmp_path):
    big = np.zeros((64, 256, 256), np.float32)  # 16 MiB
    np.save(tmp_path / "big.npy", big)
    lazy = open_lazy(tmp_path / "big.npy", chunks=(16, 128, 128))
    assert len(pickle.dumps(lazy)) < 50_000


def test_mapped_rows_match_numpy_for_any_slices(tmp_path):
    rng = np.random.default_rng(0)
    for shape in [(17,), (5, 9), (3, 4, 5, 6)]:
        array = rng.random(shape).astype(">f4")  # byte order kept
        path = tmp_path / f"{len(shape)}.raw"
        path.write_bytes(b"header" + array.tobytes())
        mapped = MappedRows(path, 6, shape, array.dtype)
        for _ in range(20):
            starts = [int(rng.integers(0, n)) for n in shape]
            key = tuple(
                slice(s, int(rng.integers(s, n + 1)), int(rng.integers(1, 3)))
                for s, n in zip(starts, shape, strict=True)
            )
            np.testing.assert_array_equal(mapped[key], array[key])


@pytest.mark.parametrize("name", ["v.npy", "v.tif", "zip.tif"])
def test_truncated_file_is_refused_when_opened(tmp_path, volume, name):
    path = tmp_path / name
    if name == "v.npy":
        np.save(path, volume)
    else:
        compression = {"compression": "zlib"} if name == "zip.tif" else {}
        tifffile.imwrite(path, volume, **compression)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    damaged = r"as (npy|tiff): the file is (truncated|damaged)"
    with pytest.raises(ValueError, match=damaged):
        open_lazy(path)


def test_tiff_without_pages_is_refused(tmp_path):
    (tmp_path / "empty.tif").write_bytes(b"II*\x00\x00\x00\x00\x00")
    with pytest.raises(ValueError, match="holds no image"):
        open_lazy(tmp_path / "empty.tif")


def test_failed_reads_and_bad_weights_name_the_file(tmp_path):
    weights = np.ones((4, 6), np.float32)
    weights[3, 5] = -2
    np.save(tmp_path / "w.npy", weights)
    checked = open_input(tmp_path / "w.npy", weights=True)
    np.testing.assert_array_equal(checked[:3], weights[:3])
    with pytest.raises(InputFileError, match=r"w\.npy' holds -2.0 at pixel \(3, 5\)"):
        checked[2:, 1:]
    (tmp_path / "w.npy").write_bytes((tmp_path / "w.npy").read_bytes()[:130])
    with pytest.raises(InputFileError, match=r"cannot read .*w\.npy"):
        checked[3:]
