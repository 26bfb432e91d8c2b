"""Repeat a statistic: "Copy as Python" and the settings document name the
filter, pass the second image, and give the same array bit for bit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from napari_masked_blur import FILTERS, BlurSettings
from napari_masked_blur._api.route import run_piece
from napari_masked_blur._qt.snippet import LayerSource, python_snippet

# Large images queue their fused pass's loops: let that worker finish.
pytestmark = pytest.mark.usefixtures("loops_settled")


def viewer_of(**layers):
    return SimpleNamespace(
        layers={name: SimpleNamespace(data=data) for name, data in layers.items()}
    )


def live_result(settings, image, mask, other=None):
    """What the widget shows: the router's whole piece of the image."""
    return run_piece(image, mask, settings.check(image, mask), None, other=other)


@pytest.fixture
def layers():
    rng = np.random.default_rng(10)
    red = rng.integers(29990, 30011, (24, 30)).astype(np.uint16)
    green = (red // 3 + rng.integers(0, 4, red.shape)).astype(np.uint16)
    cells = np.zeros(red.shape, np.int32)
    cells[2:12, 3:27], cells[12:22, 3:27] = 1, 2
    return red, green, cells


@pytest.mark.parametrize("name", ["local_std", "local_zscore", "local_variance"])
def test_the_snippet_of_a_statistic_rebuilds_the_live_result(layers, name):
    red, _, cells = layers
    settings = BlurSettings(sigma=(1.5, 2.0), filter=name, per_label=True)
    text = python_snippet(settings, LayerSource("red"), LayerSource("cells"), "1")
    assert f"from napari_masked_blur import masked_{name}" in text
    namespace = {"viewer": viewer_of(red=red, cells=cells)}
    exec(text, namespace)
    np.testing.assert_array_equal(
        namespace["blurred"], live_result(settings, red, cells)
    )


def test_the_snippet_of_the_correlation_passes_other_and_rebuilds_it(layers):
    red, green, cells = layers
    settings = BlurSettings(sigma=2.0, filter="local_correlation", outside="zero")
    text = python_snippet(
        settings,
        LayerSource("red", path="/data/red.tif"),
        LayerSource("cells", path="/data/cells.npy"),
        "1",
        other=LayerSource("green"),
    )
    assert "masked_local_correlation(image, other, mask, sigma=2.0" in text
    assert 'other = viewer.layers["green"].data' in text
    assert 'save the layer "green" to "green.tif" first' in text
    assert "--other green.tif" in text and "--filter local_correlation" in text
    namespace = {"viewer": viewer_of(red=red, green=green, cells=cells)}
    exec(text, namespace)
    np.testing.assert_array_equal(
        namespace["blurred"], live_result(settings, red, cells, other=green)
    )


def test_a_snippet_of_the_correlation_without_its_second_image_is_refused():
    settings = BlurSettings(sigma=1, filter="local_correlation")
    with pytest.raises(ValueError, match="local_correlation filter without a second"):
        python_snippet(settings, LayerSource("a"), LayerSource("b"), "1")
    with pytest.raises(ValueError, match="local_std filter with a second"):
        python_snippet(
            BlurSettings(sigma=1, filter="local_std"),
            LayerSource("a"),
            LayerSource("b"),
            "1",
            other=LayerSource("c"),
        )


def test_a_settings_document_repeats_a_statistic_through_filters(layers):
    red, green, cells = layers
    for name in ("local_std", "local_correlation"):
        settings = BlurSettings(sigma=1.2, filter=name, mode="nearest")
        again = BlurSettings.from_json(settings.to_json())
        assert again == settings and again.filter == name
        arrays = (red, cells) if name == "local_std" else (red, green, cells)
        np.testing.assert_array_equal(
            FILTERS[again.filter](*arrays, **again.kwargs),
            live_result(settings, red, cells, *arrays[1:-1]),
        )
