"""Multiscale: exact at full resolution, sigma scaled on coarser levels."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from napari_masked_blur import masked_gaussian
from napari_masked_blur._lazy.multiscale import (
    downsampling_factors,
    filter_multiscale,
    nearest_subsample,
)
from napari_masked_blur._math.settings import check_options
from tests.lazy.test_overlap import close


def test_multiscale_level_zero_is_exact_and_levels_use_scaled_sigma(rng):
    full = rng.random((32, 48)).astype(np.float32)
    mask = rng.random(full.shape) > 0.3
    levels = [full, full[::2, ::2], full[::4, ::4]]
    options = check_options(full, mask, 4.0, outside="zero")
    pyramid = filter_multiscale(levels, mask, options)
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
    options = check_options(full, mask, 4.0)
    pyramid = filter_multiscale([full, full[::2, ::2]], mask, options)
    downsampled = masked_gaussian(full, mask, 4.0)[::2, ::2]
    error = np.abs(pyramid[1].compute() - downsampled).max()
    assert error < 0.05 * (full.max() - full.min())


def test_multiscale_accepts_a_mask_per_level_and_checks_their_number(rng):
    full = rng.random((16, 16))
    masks = [full > 0.5, full[::2, ::2] > 0.5]
    options = check_options(full, masks[0], 2)
    pyramid = filter_multiscale([full, full[::2, ::2]], masks, options)
    close(pyramid[1], masked_gaussian(full[::2, ::2], masks[1], 1.0))
    with pytest.raises(ValueError, match="got 1 mask levels for 2 image levels"):
        filter_multiscale([full, full[::2, ::2]], masks[:1], options)


def test_nearest_subsample_picks_every_f_th_pixel_and_keeps_label_ids():
    labels = np.arange(36).reshape(6, 6)
    np.testing.assert_array_equal(
        nearest_subsample(labels, (3, 2)), [[0, 3], [12, 15], [24, 27]]
    )
    lazy = nearest_subsample(da.from_array(labels, chunks=4), (3, 2))
    np.testing.assert_array_equal(lazy.compute(), [[0, 3], [12, 15], [24, 27]])
    assert downsampling_factors((6, 6), (3, 2)) == (2.0, 3.0)
