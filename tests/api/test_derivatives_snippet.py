""" "Copy as Python" of a derivative filter rebuilds its result bit for bit."""

from __future__ import annotations

import types

import numpy as np
import pytest

from napari_masked_blur import BlurSettings
from napari_masked_blur._api.route import run
from napari_masked_blur._qt.snippet import LayerSource, python_snippet

SETTINGS = [
    BlurSettings(sigma=1.5, order=(0, 1)),
    BlurSettings(sigma=(1.0, 2.0), order=2, outside="nan", mode="reflect"),
    BlurSettings(sigma=1.2, filter="gaussian_gradient_magnitude", spacing=(2, 1)),
    BlurSettings(sigma=1.2, filter="gaussian_laplace", outside="fill"),
    BlurSettings(sigma=1.0, filter="difference_of_gaussians", high_sigma=(2, 3)),
    BlurSettings(sigma=1.0, filter="hessian_eigenvalues", per_label=True),
    BlurSettings(sigma=1.0, filter="structure_tensor_eigenvalues", rho=2.5),
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: s.filter)
def test_the_snippet_rebuilds_the_result_bit_for_bit(settings, rng):
    image = (30000 + rng.normal(0, 60, (30, 34))).astype(np.uint16)
    mask = np.zeros(image.shape, np.uint8)
    mask[4:26, 5:18], mask[4:26, 18:30] = 1, 2
    text = python_snippet(
        settings, LayerSource("cells"), LayerSource("mask"), version="test"
    )
    layers = {"cells": types.SimpleNamespace(data=image)}
    layers["mask"] = types.SimpleNamespace(data=mask)
    namespace = {"viewer": types.SimpleNamespace(layers=layers)}
    exec(text, namespace)
    expected = run(image, mask, settings.check(image, mask))
    np.testing.assert_array_equal(namespace["blurred"], expected)
