"""Inputs opened as the blur command opens them: nothing read until sliced.

The command opens its image and mask with ``open_input(path,
opener=open_image)``; these tests go through the same door.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur._files.formats import open_image
from napari_masked_blur._files.io import (
    InputFileError,
    MappedRows,
    TiffZarr,
    file_format,
    open_input,
    stored_chunks,
)


def opened(path, **options):
    """The file at ``path`` as the blur command opens it."""
    return open_input(path, opener=open_image, **options)


def test_npy_is_memory_mapped_and_read_exactly(tmp_path, volume):
    np.save(tmp_path / "v.npy", volume)
    image = opened(tmp_path / "v.npy")
    assert isinstance(image.array, MappedRows)
    assert (image.shape, image.dtype) == (volume.shape, volume.dtype)
    np.testing.assert_array_equal(image[1:4, 5:17, 20:], volume[1:4, 5:17, 20:])


def test_uncompressed_tiff_is_memory_mapped(tmp_path, volume):
    tifffile.imwrite(tmp_path / "v.tif", volume)
    image = opened(tmp_path / "v.tif")
    assert isinstance(image.array, MappedRows)
    np.testing.assert_array_equal(image[:], volume)


def test_compressed_tiled_tiff_is_read_through_zarr(tmp_path, volume):
    tifffile.imwrite(tmp_path / "v.tif", volume, compression="zlib", tile=(16, 16))
    image = opened(tmp_path / "v.tif")
    assert isinstance(image.array, TiffZarr)
    np.testing.assert_array_equal(image[1:4, 5:17, 20:], volume[1:4, 5:17, 20:])


def test_zarr_keeps_its_chunks(tmp_path, volume):
    stored = zarr.create_array(
        tmp_path / "v.zarr", shape=volume.shape, dtype=volume.dtype, chunks=(2, 8, 16)
    )
    stored[:] = volume
    image = opened(tmp_path / "v.zarr")
    assert stored_chunks(image) == (2, 8, 16)
    np.testing.assert_array_equal(image[:], volume)


def test_files_that_are_not_zarr_have_no_stored_chunks(tmp_path, volume):
    np.save(tmp_path / "v.npy", volume)
    assert stored_chunks(opened(tmp_path / "v.npy")) is None


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
    np.testing.assert_array_equal(opened(tmp_path / "img.ome.zarr")[:], volume)


def test_zarr_group_without_multiscales_is_refused(tmp_path):
    zarr.open_group(tmp_path / "g.zarr", mode="w")
    with pytest.raises(ValueError, match="without OME-Zarr 'multiscales'"):
        opened(tmp_path / "g.zarr")


def test_missing_and_unreadable_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such file: .*absent\.tif"):
        opened(tmp_path / "absent.tif")
    (tmp_path / "fake.tif").write_text("not a tiff")
    with pytest.raises(ValueError, match=r"cannot read .*fake\.tif.* as tiff"):
        opened(tmp_path / "fake.tif")


def test_file_format_from_the_name(tmp_path):
    assert file_format("a.TIFF") == "tiff"
    assert file_format("b.ome.zarr") == "zarr"
    assert file_format("c.npy") == "npy"
    assert file_format(tmp_path) == "zarr"
    with pytest.raises(ValueError, match=r"format of 'notes\.txt'.* \.tif, \.tiff"):
        file_format("notes.txt")


def test_an_opened_input_pickles_without_its_pixels(tmp_path):
    big = np.arange(64 * 256 * 256, dtype=np.float32).reshape(64, 256, 256)  # 16 MiB
    np.save(tmp_path / "big.npy", big)
    sent = pickle.dumps(opened(tmp_path / "big.npy"))
    assert len(sent) < 50_000
    np.testing.assert_array_equal(pickle.loads(sent)[60:, 7:9], big[60:, 7:9])


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
        opened(path)


def test_tiff_without_pages_is_refused(tmp_path):
    (tmp_path / "empty.tif").write_bytes(b"II*\x00\x00\x00\x00\x00")
    with pytest.raises(ValueError, match="holds no image"):
        opened(tmp_path / "empty.tif")


def test_failed_reads_and_bad_weights_name_the_file(tmp_path):
    weights = np.ones((4, 6), np.float32)
    weights[3, 5] = -2
    np.save(tmp_path / "w.npy", weights)
    checked = opened(tmp_path / "w.npy", weights=True)
    np.testing.assert_array_equal(checked[:3], weights[:3])
    with pytest.raises(InputFileError, match=r"w\.npy' holds -2.0 at pixel \(3, 5\)"):
        checked[2:, 1:]
    (tmp_path / "w.npy").write_bytes((tmp_path / "w.npy").read_bytes()[:130])
    with pytest.raises(InputFileError, match=r"cannot read .*w\.npy"):
        checked[3:]


@pytest.mark.parametrize(
    ("name", "array", "said"),
    [
        ("rows.npy", np.zeros((0, 10), np.float32), r"0 pixels: .* shape \(0, 10\)"),
        ("one.npy", np.float32(3), r"a single value \(a 0-d array\), not an image"),
        ("rows.tif", np.zeros((0, 10), np.uint8), r"0 pixels: .* shape \(0, 10\)"),
        ("rows.zarr", np.zeros((4, 0), np.uint8), r"0 pixels: .* shape \(4, 0\)"),
    ],
)
def test_a_file_without_pixels_is_refused_by_name(tmp_path, name, array, said):
    path = tmp_path / name
    if name.endswith(".npy"):
        np.save(path, array)
    elif name.endswith(".tif"):
        with pytest.warns(UserWarning, match="zero-size"):
            tifffile.imwrite(path, array)
    else:
        zarr.create_array(path, shape=array.shape, dtype=array.dtype)
    with pytest.raises(ValueError, match=rf"'{tmp_path / name}'.*{said}"):
        opened(path)


@pytest.mark.parametrize("name", ["empty.npy", "empty.tif"])
def test_an_empty_file_is_said_empty(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(ValueError, match=rf"'{tmp_path / name}'.*the file is empty"):
        opened(tmp_path / name)
