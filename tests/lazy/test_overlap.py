"""Dask arrays in, lazy dask arrays out (map_overlap), equal to the in-memory result."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from napari_masked_blur import masked_gaussian, normalized_convolution
from napari_masked_blur._lazy.overlap import filter_lazy
from napari_masked_blur._math.settings import check_options

MODES = ("missing", "reflect", "nearest", "mirror", "wrap")
OUTSIDES = ("keep", "zero", "nan", "fill")


def close(lazy: da.Array, expected: np.ndarray) -> None:
    """Equal within 1e-4 of the expected value range, NaN where it is NaN."""
    assert isinstance(lazy, da.Array)
    value_range = np.nanmax(expected) - np.nanmin(expected)
    np.testing.assert_allclose(
        lazy.compute(), expected, rtol=0, atol=1e-4 * value_range, equal_nan=True
    )


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


def test_a_2d_mask_serves_every_frame_in_every_lazy_path(rng, stripes):
    from napari_masked_blur._lazy.multiscale import filter_multiscale
    from napari_masked_blur._lazy.windows import filter_windows

    movie = rng.random((3, *stripes.shape)).astype(np.float32)
    options = check_options(movie, stripes, 1.5, axes=(1, 2), per_label=True)
    expected = masked_gaussian(movie, stripes, 1.5, axes=(1, 2), per_label=True)
    lazy = filter_lazy(da.from_array(movie, chunks=(1, 20, 20)), stripes, options)
    windows = filter_windows(movie, stripes, options, chunks=(1, 16, 45))
    pyramid = filter_multiscale([movie, movie[:, ::2, ::2]], stripes, options)
    for out in (lazy, windows, pyramid[0]):
        np.testing.assert_allclose(out.compute(), expected, rtol=1e-5, atol=1e-6)
    assert pyramid[1].shape == (3, 20, 23)
