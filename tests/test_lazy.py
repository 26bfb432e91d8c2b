"""Dask arrays in, lazy dask arrays out, equal to the in-memory result."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from napari_masked_blur import masked_gaussian, normalized_convolution
from napari_masked_blur._lazy import (
    blur_region,
    downsampling_factors,
    masked_gaussian_windows,
    multiscale_masked_gaussian,
    nearest_subsample,
)

MODES = ("missing", "reflect", "nearest", "mirror", "wrap")
OUTSIDES = ("keep", "zero", "nan", "fill")


def close(lazy: da.Array, expected: np.ndarray) -> None:
    """Equal within 1e-4 of the expected value range, NaN where it is NaN."""
    assert isinstance(lazy, da.Array)
    value_range = np.nanmax(expected) - np.nanmin(expected)
    np.testing.assert_allclose(
        lazy.compute(), expected, rtol=0, atol=1e-4 * value_range, equal_nan=True
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(6)


@pytest.fixture
def stripes() -> np.ndarray:
    """Labels 1..3 in diagonal bands that cross every chunk border, 0 between."""
    rows, cols = np.indices((40, 45))
    return np.where((rows + cols) % 13 < 10, (rows + cols) // 13 % 3 + 1, 0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("outside", OUTSIDES)
@pytest.mark.parametrize("per_label", [False, True])
def test_every_mode_and_outside_matches_in_memory(
    rng, stripes, mode, outside, per_label
):
    image = rng.uniform(0, 1000, stripes.shape).astype(np.float32)
    expected = masked_gaussian(
        image, stripes, 2.5, mode=mode, outside=outside, per_label=per_label
    )
    lazy = masked_gaussian(
        da.from_array(image, chunks=(11, 16)),
        stripes,
        2.5,
        mode=mode,
        outside=outside,
        per_label=per_label,
    )
    close(lazy, expected)


def test_output_keeps_the_input_chunks(rng, stripes):
    image = da.from_array(rng.random(stripes.shape), chunks=(7, (20, 5, 20)))
    out = masked_gaussian(image, stripes, 2)
    assert out.chunks == image.chunks
    assert out.dtype == np.float64


def test_chunks_thinner_than_the_kernel_radius_stay_exact(rng, stripes):
    image = rng.random(stripes.shape).astype(np.float32)
    lazy = masked_gaussian(da.from_array(image, chunks=(3, 4)), stripes, 3.0)
    assert lazy.chunks == da.from_array(image, chunks=(3, 4)).chunks
    close(lazy, masked_gaussian(image, stripes, 3.0))


def test_radius_longer_than_an_axis_stays_exact(rng):
    image = rng.random((6, 50))
    mask = rng.random((6, 50)) > 0.3
    for mode in MODES:
        lazy = masked_gaussian(da.from_array(image, chunks=(2, 10)), mask, 4, mode=mode)
        close(lazy, masked_gaussian(image, mask, 4, mode=mode))


def test_per_label_values_never_cross_between_touching_labels_across_chunks():
    # Two labels meet at column 5, which is also a chunk border.
    image = np.zeros((4, 10), np.float32)
    image[:, 5:] = 100
    labels = np.ones((4, 10), np.uint8)
    labels[:, 5:] = 2
    out = masked_gaussian(
        da.from_array(image, chunks=(2, 5)), labels, 3, per_label=True
    ).compute()
    np.testing.assert_allclose(out, image, atol=1e-3)


def test_mask_as_dask_and_image_as_numpy(rng, stripes):
    image = rng.integers(0, 255, stripes.shape, dtype=np.uint8)
    mask = da.from_array(stripes, chunks=(9, 9))
    lazy = masked_gaussian(image, mask, 1.5, labels=[1, 3])
    assert lazy.chunks == mask.chunks
    close(lazy, masked_gaussian(image, stripes, 1.5, labels=[1, 3]))


def test_channel_axis_first_and_last(rng, stripes):
    for axis in (0, -1):
        image = np.moveaxis(rng.random((3, *stripes.shape)), 0, axis)
        lazy = masked_gaussian(
            da.from_array(image, chunks=8), stripes, 2, channel_axis=axis
        )
        assert lazy.shape == image.shape
        close(lazy, masked_gaussian(image, stripes, 2, channel_axis=axis))


def test_channel_axis_with_per_label_and_fill(rng, stripes):
    image = rng.random((*stripes.shape, 2)).astype(np.float32)
    options = {"channel_axis": -1, "per_label": True, "outside": "fill"}
    lazy = masked_gaussian(da.from_array(image, chunks=10), stripes, 2, **options)
    close(lazy, masked_gaussian(image, stripes, 2, **options))


def test_anisotropic_spacing_in_3d(rng):
    image = rng.random((12, 20, 20)).astype(np.float32)
    mask = rng.random(image.shape) > 0.4
    options = {"spacing": (2.0, 0.5, 0.5), "mode": "reflect"}
    lazy = masked_gaussian(da.from_array(image, chunks=(4, 7, 9)), mask, 1.0, **options)
    close(lazy, masked_gaussian(image, mask, 1.0, **options))


def test_nan_pixels_are_missing_data_across_chunks(rng):
    image = rng.random((30, 30))
    image[rng.random(image.shape) > 0.8] = np.nan
    mask = np.ones(image.shape, bool)
    lazy = masked_gaussian(da.from_array(image, chunks=8), mask, 2, outside="fill")
    close(lazy, masked_gaussian(image, mask, 2, outside="fill"))


def test_float_certainty_mask(rng):
    image = rng.random((30, 33)).astype(np.float32)
    certainty = rng.random(image.shape).astype(np.float32)
    certainty[:, :10] = 0
    lazy = masked_gaussian(image, da.from_array(certainty, chunks=7), 2)
    close(lazy, masked_gaussian(image, certainty, 2))


def test_normalized_convolution_with_certainty_matches(rng):
    image = rng.random((25, 31))
    weights = rng.random(image.shape)
    lazy_out, lazy_certainty = normalized_convolution(
        da.from_array(image, chunks=6), weights, 2, mode="wrap", return_certainty=True
    )
    out, certainty = normalized_convolution(
        image, weights, 2, mode="wrap", return_certainty=True
    )
    close(lazy_out, out)
    close(lazy_certainty, certainty)
    assert lazy_out.chunks == lazy_certainty.chunks == da.from_array(image, 6).chunks


def test_sigma_zero_returns_the_input_as_float(rng):
    image = rng.integers(0, 100, (10, 10), dtype=np.uint16)
    mask = np.ones(image.shape, bool)
    out = masked_gaussian(da.from_array(image, chunks=3), mask, 0)
    np.testing.assert_array_equal(out.compute(), image.astype(np.float32))


def test_shape_mismatch_raises_before_any_compute():
    image = da.zeros((10, 10), chunks=5)
    with pytest.raises(ValueError, match=r"mask shape \(10, 9\)"):
        masked_gaussian(image, np.ones((10, 9), bool), 1)


def test_bad_options_raise_before_any_compute():
    image = da.zeros((10, 10), chunks=5)
    mask = np.ones((10, 10), bool)
    with pytest.raises(ValueError, match="unknown mode 'edge'"):
        masked_gaussian(image, mask, 1, mode="edge")
    with pytest.raises(ValueError, match="sigma must be finite"):
        masked_gaussian(image, mask, -1)
    with pytest.raises(ValueError, match=r"labels and per_label need"):
        masked_gaussian(image, mask.astype(np.float32), 1, per_label=True)


def test_negative_weights_raise_when_computed():
    weights = np.ones((10, 10), np.float32)
    weights[7, 8] = -1
    lazy = masked_gaussian(da.zeros((10, 10), chunks=5), weights, 1)
    with pytest.raises(ValueError, match="weights must be finite and >= 0"):
        lazy.compute()


def test_nothing_is_computed_until_asked():
    calls = []

    def counted(block):
        calls.append(block.shape)
        return block

    image = da.ones((20, 20), chunks=10).map_blocks(counted, meta=np.empty((0, 0)))
    out = masked_gaussian(image, np.ones((20, 20), bool), 1)
    assert calls == []
    out.compute()
    assert len(calls) == 4


@settings(max_examples=25, deadline=None)
@given(
    shape=st.tuples(st.integers(3, 24), st.integers(3, 24)),
    chunk=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    sigma=st.tuples(st.floats(0, 3), st.floats(0, 3)),
    mode=st.sampled_from(MODES),
    seed=st.integers(0, 2**16),
)
def test_any_chunking_gives_the_in_memory_result(shape, chunk, sigma, mode, seed):
    rng = np.random.default_rng(seed)
    image = rng.random(shape)
    labels = rng.integers(0, 3, shape)
    lazy = masked_gaussian(
        da.from_array(image, chunks=chunk), labels, sigma, mode=mode, per_label=True
    )
    close(lazy, masked_gaussian(image, labels, sigma, mode=mode, per_label=True))


def test_runs_unchanged_on_a_distributed_cluster(rng, stripes):
    distributed = pytest.importorskip("distributed")
    image = rng.random(stripes.shape).astype(np.float32)
    lazy = masked_gaussian(
        da.from_array(image, chunks=12), stripes, 2, per_label=True, mode="reflect"
    )
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, distributed.Client(cluster, timeout="30s") as client:
        assert len(client.scheduler_info()["workers"]) == 2
        computed = client.compute(lazy).result(timeout=60)
    expected = masked_gaussian(image, stripes, 2, per_label=True, mode="reflect")
    np.testing.assert_allclose(computed, expected, atol=1e-4, equal_nan=True)


# --- one region, for showing a plane of a big volume -------------------------


class RecordingArray:
    """A sliceable array that remembers which windows were read."""

    def __init__(self, array: np.ndarray) -> None:
        self.array, self.shape, self.dtype = array, array.shape, array.dtype
        self.ndim, self.size = array.ndim, array.size
        self.reads: list[tuple[slice, ...]] = []

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray:
        self.reads.append(key)
        return self.array[key]


def test_blur_region_reads_only_the_kernel_reach(rng):
    volume = rng.random((40, 30, 30)).astype(np.float32)
    mask = rng.random(volume.shape) > 0.5
    image = RecordingArray(volume)
    plane = blur_region(image, mask, (slice(20, 21), slice(None), slice(None)), 1.0)
    expected = masked_gaussian(volume, mask, 1.0)[20:21]
    np.testing.assert_allclose(plane, expected, atol=1e-5)
    assert image.reads == [(slice(16, 25), slice(0, 30), slice(0, 30))]


def test_blur_region_of_a_dask_volume_with_channels(rng):
    volume = rng.random((2, 16, 20))
    mask = rng.integers(0, 3, (16, 20))
    region = (slice(3, 9), slice(15, None))
    options = {"channel_axis": 0, "per_label": True, "mode": "wrap"}
    out = blur_region(da.from_array(volume, chunks=4), mask, region, 2, **options)
    expected = masked_gaussian(volume, mask, 2, **options)[:, 3:9, 15:]
    np.testing.assert_allclose(out, expected, atol=1e-6)


# --- chunks that read their own windows (streaming files) -----------------


@pytest.mark.parametrize("mode", MODES)
def test_windowed_chunks_match_in_memory(rng, stripes, mode):
    image = rng.random((*stripes.shape, 2)).astype(np.float32)
    options = {"mode": mode, "per_label": True, "outside": "fill", "channel_axis": 2}
    lazy = masked_gaussian_windows(image, stripes, 2.0, chunks=(9, 14, 1), **options)
    assert lazy.chunks == ((9, 9, 9, 9, 4), (14, 14, 14, 3), (2,))
    close(lazy, masked_gaussian(image, stripes, 2.0, **options))


def test_windowed_chunks_read_each_window_once_and_nothing_else(rng):
    volume = rng.random((20, 30))
    image, mask = RecordingArray(volume), RecordingArray(volume > 0.5)
    lazy = masked_gaussian_windows(image, mask, 1.0, chunks=(10, 15))
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


# --- multiscale: exact at full resolution, sigma scaled on coarser levels ----


def test_multiscale_level_zero_is_exact_and_levels_use_scaled_sigma(rng):
    full = rng.random((32, 48)).astype(np.float32)
    mask = rng.random(full.shape) > 0.3
    levels = [full, full[::2, ::2], full[::4, ::4]]
    pyramid = multiscale_masked_gaussian(levels, mask, 4.0, outside="zero")
    close(pyramid[0], masked_gaussian(full, mask, 4.0, outside="zero"))
    for level, factor, out in zip(levels[1:], (2, 4), pyramid[1:], strict=True):
        level_mask = mask[::factor, ::factor]
        close(out, masked_gaussian(level, level_mask, 4.0 / factor, outside="zero"))


def test_multiscale_coarse_level_approximates_the_downsampled_result():
    # A smooth image and a wide blur: the coarse level tracks full resolution.
    rows, cols = np.indices((64, 64))
    full = (np.sin(rows / 9) + np.cos(cols / 7)).astype(np.float32)
    mask = np.ones(full.shape, bool)
    mask[:, 40:] = False
    pyramid = multiscale_masked_gaussian([full, full[::2, ::2]], mask, 4.0)
    downsampled = masked_gaussian(full, mask, 4.0)[::2, ::2]
    error = np.abs(pyramid[1].compute() - downsampled).max()
    assert error < 0.05 * (full.max() - full.min())


def test_multiscale_accepts_a_mask_per_level_and_checks_their_number(rng):
    full = rng.random((16, 16))
    masks = [full > 0.5, full[::2, ::2] > 0.5]
    pyramid = multiscale_masked_gaussian([full, full[::2, ::2]], masks, 2)
    close(pyramid[1], masked_gaussian(full[::2, ::2], masks[1], 1.0))
    with pytest.raises(ValueError, match="got 1 mask levels for 2 image levels"):
        multiscale_masked_gaussian([full, full[::2, ::2]], masks[:1], 2)


def test_nearest_subsample_picks_every_f_th_pixel_and_keeps_label_ids():
    labels = np.arange(36).reshape(6, 6)
    np.testing.assert_array_equal(
        nearest_subsample(labels, (3, 2)), [[0, 3], [12, 15], [24, 27]]
    )
    lazy = nearest_subsample(da.from_array(labels, chunks=4), (3, 2))
    np.testing.assert_array_equal(lazy.compute(), [[0, 3], [12, 15], [24, 27]])
    assert downsampling_factors((6, 6), (3, 2)) == (2.0, 3.0)
