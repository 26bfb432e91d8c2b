"""The router: one check at the edge, the same warnings, every path alike."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from napari_masked_blur import BlurSettings, masked_gaussian
from napari_masked_blur._api.route import call_settings, checked, run, run_lazy


def test_absent_label_ids_of_a_mask_in_memory_are_named():
    mask = np.zeros((4, 5), np.uint8)
    mask[1:3, 1:4] = 2
    with pytest.warns(UserWarning, match="label ids not in the mask: 7"):
        checked(np.ones((4, 5)), mask, BlurSettings(sigma=1, labels=(2, 7)))


def test_a_memory_mapped_mask_is_not_read_whole_for_a_warning(tmp_path):
    mask = np.lib.format.open_memmap(tmp_path / "m.npy", "w+", np.uint8, (4, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        options = checked(np.ones((4, 5)), mask, BlurSettings(sigma=1, labels=7))
    assert options.labels == (7,)


def test_call_settings_takes_the_arguments_named_as_settings():
    settings = call_settings(
        {"image": None, "sigma": 2, "per_label": 1, "mode": "wrap"}, "gaussian"
    )
    assert settings == BlurSettings(sigma=2.0, per_label=True, mode="wrap")


def test_dask_input_takes_the_lazy_path_and_equals_in_memory():
    da = pytest.importorskip("dask.array")
    image = np.random.default_rng(2).random((30, 40)).astype(np.float32)
    mask = image > 0.3
    options = BlurSettings(sigma=2, outside="nan").check(image, mask)
    lazy = run(da.from_array(image, chunks=(16, 16)), mask, options)
    assert type(lazy).__module__.startswith("dask")
    expected = masked_gaussian(image, mask, 2, outside="nan")
    np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-5, atol=1e-5)
    pyramid = run_lazy([image, image[::2, ::2]], mask, options)
    np.testing.assert_allclose(pyramid[0].compute(), expected, rtol=1e-5, atol=1e-5)
