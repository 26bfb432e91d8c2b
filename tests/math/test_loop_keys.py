"""Which compiled loops the live pieces will call: the keys the widget warms."""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur._engines import loop_key
from napari_masked_blur._math.loop_keys import live_loop_keys
from napari_masked_blur._math.settings import BlurSettings

STATISTICS = ("local_variance", "local_std", "local_zscore", "local_correlation")


def keys(shape, sigma, dtype=np.uint16, mask=np.uint8, **settings):
    image = np.zeros((2,) * len(shape), dtype)  # only the types are read
    options = BlurSettings(sigma=sigma, **settings).check(image, image.astype(mask))
    return live_loop_keys(shape, dtype, mask, options)


@pytest.mark.parametrize("name", STATISTICS)
def test_a_large_image_warms_the_fused_moments_for_a_statistic(name):
    want = [loop_key("moments", np.uint16, np.uint8, np.float32)]
    assert keys((2048, 2048), 3.0, filter=name) == want
    # A movie's frame: the time axis is never smoothed.
    assert keys((5, 1024, 1024), (0.0, 2.0, 2.0), filter=name) == want
    # A volume, in chunks of planes smoothed across them.
    assert keys((64, 512, 512), 3.0, filter=name) == want


@pytest.mark.parametrize("name", STATISTICS)
def test_statistics_warm_nothing_where_their_pieces_take_the_engines(name):
    assert keys((100, 100), 3.0, filter=name) == []  # too small for the pass
    assert keys((2048, 2048), 30.0, filter=name) == []  # too wide a kernel
    assert keys((2048, 2048), 3.0, filter=name, method="opencv") == []
    # A movie of volumes: its windows have four axes, which the pass refuses.
    assert keys((3, 20, 512, 512), (0.0, 1.0, 2.0, 2.0), filter=name) == []


def test_the_masked_gaussian_keeps_its_keys():
    assert keys((2048, 2048), 3.0) == [
        loop_key("fused", np.uint16, np.uint8, np.float32)
    ]
    assert keys((64, 512, 512), 3.0)[0][0] == "planes"
