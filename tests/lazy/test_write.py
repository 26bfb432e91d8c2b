"""Chunk-by-chunk writers for TIFF, Zarr and .npy, atomic."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur._lazy.write import create_target, write_lazy


@pytest.mark.parametrize("name", ["out.npy", "out.tif", "out.zarr"])
def test_chunks_written_in_any_order_give_the_array(tmp_path, volume, name):
    target = create_target(tmp_path / name, volume.shape, volume.dtype, (4, 7, 9))
    blocks = da.from_array(volume, chunks=(4, 7, 9))
    slices = list(da.core.slices_from_chunks(blocks.chunks))
    for index in np.random.default_rng(1).permutation(len(slices)):
        target[slices[index]] = volume[slices[index]]
    written = {
        "out.npy": lambda p: np.load(p),
        "out.tif": tifffile.imread,
        "out.zarr": lambda p: zarr.open_array(p)[:],
    }[name](tmp_path / name)
    np.testing.assert_array_equal(written, volume)


def test_zarr_target_has_the_chunks_and_attributes(tmp_path):
    target = create_target(
        tmp_path / "o.zarr", (10, 10), np.float32, (4, 5), attributes={"sigma": 2}
    )
    assert target.chunks == (4, 5)
    assert zarr.open_array(tmp_path / "o.zarr").attrs["sigma"] == 2


def test_write_lazy_rechunks_misaligned_chunks_for_zarr(tmp_path, volume):
    irregular = da.from_array(volume, chunks=((1, 5), (7, 13), (30,)))
    write_lazy(irregular, tmp_path / "o.zarr", chunks=(2, 10, 10))
    stored = zarr.open_array(tmp_path / "o.zarr")
    assert stored.chunks == (2, 10, 10)
    np.testing.assert_array_equal(stored[:], volume)


def test_write_lazy_refuses_an_existing_output(tmp_path, volume):
    np.save(tmp_path / "o.npy", np.arange(2))
    with pytest.raises(FileExistsError, match="pass --overwrite"):
        write_lazy(da.from_array(volume), tmp_path / "o.npy")
    write_lazy(da.from_array(volume), tmp_path / "o.npy", overwrite=True)
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), volume)


def test_write_lazy_failure_leaves_the_folder_as_it_was(tmp_path, volume):
    np.save(tmp_path / "o.npy", np.arange(2))

    def failing_store(array, target):
        target[:1] = np.zeros((1, *array.shape[1:]), array.dtype)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_lazy(
            da.from_array(volume),
            tmp_path / "o.npy",
            overwrite=True,
            store=failing_store,
        )
    assert [p.name for p in tmp_path.iterdir()] == ["o.npy"]
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), np.arange(2))
