"""Regions and chunks that read their own windows from any sliceable array."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from napari_masked_blur import masked_gaussian
from napari_masked_blur._lazy.windows import filter_windows
from napari_masked_blur._math.region import filter_region
from napari_masked_blur._math.settings import check_options
from tests.lazy.test_overlap import MODES, close


class RecordingArray:
    """A sliceable array that remembers which windows were read."""

    def __init__(self, array: np.ndarray) -> None:
        self.array, self.shape, self.dtype = array, array.shape, array.dtype
        self.ndim, self.size = array.ndim, array.size
        self.reads: list[tuple[slice, ...]] = []

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray:
        self.reads.append(key)
        return self.array[key]


# --- one region, for showing a plane of a big volume -------------------------


def test_filter_region_reads_only_the_kernel_reach(rng):
    volume = rng.random((40, 30, 30)).astype(np.float32)
    mask = rng.random(volume.shape) > 0.5
    image = RecordingArray(volume)
    options = check_options(image, mask, 1.0)
    region = (slice(20, 21), slice(None), slice(None))
    plane = filter_region(image, mask, region, options)
    expected = masked_gaussian(volume, mask, 1.0)[20:21]
    np.testing.assert_allclose(plane, expected, atol=1e-5)
    assert image.reads == [(slice(16, 25), slice(0, 30), slice(0, 30))]


def test_filter_region_of_a_dask_volume_with_channels(rng):
    volume = rng.random((2, 16, 20))
    mask = rng.integers(0, 3, (16, 20))
    region = (slice(3, 9), slice(15, None))
    settings = {"channel_axis": 0, "per_label": True, "mode": "wrap"}
    lazy = da.from_array(volume, chunks=4)
    options = check_options(lazy, mask, 2, **settings)
    out = filter_region(lazy, mask, region, options)
    expected = masked_gaussian(volume, mask, 2, **settings)[:, 3:9, 15:]
    np.testing.assert_allclose(out, expected, atol=1e-6)


# --- chunks that read their own windows (streaming files) -----------------


@pytest.mark.parametrize("mode", MODES)
def test_windowed_chunks_match_in_memory(rng, stripes, mode):
    image = rng.random((*stripes.shape, 2)).astype(np.float32)
    settings = {"mode": mode, "per_label": True, "outside": "fill", "channel_axis": 2}
    options = check_options(image, stripes, 2.0, **settings)
    lazy = filter_windows(image, stripes, options, chunks=(9, 14, 1))
    assert lazy.chunks == ((9, 9, 9, 9, 4), (14, 14, 14, 3), (2,))
    close(lazy, masked_gaussian(image, stripes, 2.0, **settings))


def test_windowed_chunks_read_each_window_once_and_nothing_else(rng):
    volume = rng.random((20, 30))
    image, mask = RecordingArray(volume), RecordingArray(volume > 0.5)
    options = check_options(image, mask, 1.0)
    lazy = filter_windows(image, mask, options, chunks=(10, 15))
    assert image.reads == []
    lazy.compute(scheduler="sync")
    # radius 4: each chunk grown by 4 on every side, clipped to the image
    expected = [
        (slice(0, 14), slice(0, 19)),
        (slice(0, 14), slice(11, 30)),
        (slice(6, 20), slice(0, 19)),
        (slice(6, 20), slice(11, 30)),
    ]
    assert sorted(image.reads, key=str) == sorted(expected, key=str)
    assert sorted(mask.reads, key=str) == sorted(expected, key=str)
