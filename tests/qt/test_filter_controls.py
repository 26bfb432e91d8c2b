"""The widget side of the filter family, with filters described in the test.

A filter's description says which parameters it takes, how many results it
gives and whether they are signed; the widget shows the chosen filter's
controls only, one output layer per result, and a diverging colormap
centred on 0 for a signed result.  The filters here are made in the test
(as tests/math/test_filter_description.py does); the router's piece is
replaced by one that computes them, so the widget's side is what is tested.
"""

import numpy as np
import pytest

import napari_masked_blur._qt.session as session_module
from napari_masked_blur._math import filters
from napari_masked_blur._math.filter import Filter
from napari_masked_blur._math.gaussian import GAUSSIAN
from napari_masked_blur._qt.output_layers import SIGNED_COLORMAP
from tests.qt.conftest import TIMEOUT_MS, dock, ramp_and_labels, wait_idle

# Two results of a second image, signed: image - other and other - image.
PAIR = Filter(
    name="pair_difference",
    title="pair difference (test)",
    terms=GAUSSIAN.terms,
    finish=GAUSSIAN.finish,
    outside=("zero", "nan"),
    default_outside="zero",
    parameters=("other",),
    outputs=("forward", "backward"),
    signed=True,
)
# The settings parameters of the derivatives: sliders and per-axis orders.
DERIVATIVE = Filter(
    name="derivative_test",
    title="derivative (test)",
    terms=GAUSSIAN.terms,
    finish=GAUSSIAN.finish,
    outside=("zero",),
    default_outside="zero",
    parameters=("high_sigma", "rho", "order"),
)


def pair_values(image, other, region):
    whole = np.stack([image - other, other - image]).astype(np.float32)
    return whole if region is None else whole[(slice(None), *region)]


@pytest.fixture
def family(monkeypatch, make_napari_viewer, qtbot):
    """The ramp, a second image and the labels; three filters to choose from."""
    monkeypatch.setattr(filters, "DESCRIPTIONS", (GAUSSIAN, PAIR, DERIVATIVE))
    real = session_module.run_piece
    calls = []

    def run_piece(image, mask, options, region=None, *, other=None):
        if options.filter.name == "gaussian":
            return real(image, mask, options, region)
        calls.append((region, other is not None))
        return pair_values(image.astype(np.float32), other, region)

    monkeypatch.setattr(session_module, "run_piece", run_piece)
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels()
    scale = {"scale": (2.0, 0.5)}
    viewer.add_image(image, name="ramp", **scale)
    viewer.add_image(image[::-1].astype(np.float32), name="flipped", **scale)
    viewer.add_labels(mask, name="cells", **scale)
    widget = dock(viewer)
    widget["image"].value = viewer.layers["ramp"]
    wait_idle(qtbot, widget)
    return viewer, widget, calls


def shown(widget, names):
    return {name: not widget[name].native.isHidden() for name in names}


def test_the_filter_choice_lists_every_filter(family):
    _, widget, _ = family
    assert widget["filter"].choices == (
        "gaussian",
        "pair_difference",
        "derivative_test",
    )
    assert not widget["filter"].native.isHidden()


def test_a_filter_shows_its_own_controls_only(family):
    _, widget, _ = family
    parameters = ("other", "high_sigma", "rho", "order")
    assert not any(shown(widget, parameters).values())  # the blur takes none
    widget["filter"].value = "pair_difference"
    assert shown(widget, parameters) == dict.fromkeys(parameters, False) | {
        "other": True
    }
    # the image itself is not offered as its own second image
    assert [c.name for c in widget["other"].choices] == ["flipped"]
    widget["filter"].value = "derivative_test"
    assert shown(widget, parameters) == dict.fromkeys(parameters, True) | {
        "other": False
    }
    assert [c.label for c in widget["order"]] == ["order along y", "order along x"]


def test_parameter_controls_give_the_settings_fields(family):
    _, widget, _ = family
    widget["filter"].value = "derivative_test"
    fields = widget.parameters.settings_fields(DERIVATIVE)
    assert fields == {"high_sigma": None, "rho": None, "order": 0}  # defaults
    widget["high_sigma"].value = 4.5
    widget["order"]["order_1"].value = 1
    fields = widget.parameters.settings_fields(DERIVATIVE)
    assert fields == {"high_sigma": 4.5, "rho": None, "order": (0, 1)}
    assert widget.parameters.settings_fields(PAIR) == {}


def test_one_signed_output_layer_per_result(family, qtbot):
    viewer, widget, calls = family
    widget["filter"].value = "pair_difference"
    wait_idle(qtbot, widget)
    assert calls and all(has_other for _, has_other in calls)
    forward = viewer.layers["ramp masked pair difference (forward)"]
    backward = viewer.layers["ramp masked pair difference (backward)"]
    image, other = viewer.layers["ramp"].data, viewer.layers["flipped"].data
    expected = pair_values(image.astype(np.float32), other, None)
    np.testing.assert_array_equal(forward.data, expected[0])
    np.testing.assert_array_equal(backward.data, expected[1])
    for layer in (forward, backward):
        np.testing.assert_array_equal(layer.scale, (2.0, 0.5))
        assert layer.colormap.name == SIGNED_COLORMAP
        low, high = layer.contrast_limits
        assert low == -high and high == np.abs(expected).max()
    # the blur's layer is gone; the mask stays on top
    names = [layer.name for layer in viewer.layers]
    assert "ramp masked blur" not in names and names[-1] == "cells"


def test_the_slider_and_painting_update_every_result(family, qtbot):
    viewer, widget, calls = family
    widget["filter"].value = "pair_difference"
    wait_idle(qtbot, widget)
    before = len(calls)
    widget["sigma"].value = 5.0
    wait_idle(qtbot, widget)
    assert len(calls) > before
    viewer.layers["cells"].paint((20, 20), 3, refresh=True)
    qtbot.waitUntil(
        lambda: any(region is not None for region, _ in calls[before:]),
        timeout=TIMEOUT_MS,
    )
    wait_idle(qtbot, widget)


def test_a_filter_without_its_second_image_is_refused(family, qtbot):
    viewer, widget, _ = family
    viewer.layers.remove("flipped")
    widget["filter"].value = "pair_difference"
    assert "needs a second image layer" in widget["status"].value
    wait_idle(qtbot, widget)


# --- the registry's own filters ----------------------------------------------------


@pytest.fixture
def two_images(make_napari_viewer, qtbot):
    """The ramp, a second image (noise, same shape) and the labels."""
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels()
    noise = np.random.default_rng(0).normal(100, 10, image.shape).astype(np.float32)
    viewer.add_image(image, name="ramp", scale=(2.0, 0.5))
    viewer.add_image(noise, name="noise", scale=(2.0, 0.5))
    viewer.add_labels(mask, name="cells", scale=(2.0, 0.5))
    widget = dock(viewer)
    widget["image"].value = viewer.layers["ramp"]
    wait_idle(qtbot, widget)
    return viewer, widget


@pytest.mark.parametrize(
    ("name", "signed"),
    [("local_variance", False), ("local_zscore", True), ("local_mean", False)],
)
def test_each_statistic_has_its_layer_and_look(two_images, qtbot, name, signed):
    from napari_masked_blur import FILTERS

    viewer, widget = two_images
    widget["filter"].value = name
    wait_idle(qtbot, widget)
    layer = viewer.layers[f"ramp masked {name.replace('_', ' ')}"]
    ramp, cells = viewer.layers["ramp"], viewer.layers["cells"]
    outside = widget["outside"].value
    expected = FILTERS[name](ramp.data, cells.data, 3.0, outside=outside)
    np.testing.assert_allclose(layer.data, expected, rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(layer.scale, ramp.scale)
    low, high = layer.contrast_limits
    finite = expected[np.isfinite(expected)]
    if signed:
        assert layer.colormap.name == SIGNED_COLORMAP and low == -high
        assert high == pytest.approx(np.abs(finite).max())
    else:
        assert (low, high) == pytest.approx((finite.min(), finite.max()))
    assert "ramp masked blur" not in viewer.layers  # one live result per image
    assert [layer.name for layer in viewer.layers][-1] == "cells"


def test_local_correlation_takes_the_second_image(two_images, qtbot):
    from napari_masked_blur import masked_local_correlation

    viewer, widget = two_images
    widget["filter"].value = "local_correlation"
    assert not widget["other"].native.isHidden()
    widget["other"].value = viewer.layers["noise"]
    wait_idle(qtbot, widget)
    ramp, noise = viewer.layers["ramp"].data, viewer.layers["noise"].data
    cells = viewer.layers["cells"].data
    expected = masked_local_correlation(
        ramp, noise, cells, 3.0, outside=widget["outside"].value
    )
    layer = viewer.layers["ramp masked local correlation"]
    np.testing.assert_allclose(layer.data, expected, rtol=1e-4, atol=1e-4)
    assert layer.colormap.name == SIGNED_COLORMAP
    # painting updates the correlation where it changed
    viewer.layers["cells"].paint((20, 31), 3, refresh=True)
    qtbot.waitUntil(lambda: 3 in viewer.layers["cells"].data, timeout=TIMEOUT_MS)
    wait_idle(qtbot, widget)
    expected = masked_local_correlation(
        ramp, noise, viewer.layers["cells"].data, 3.0, outside=widget["outside"].value
    )
    qtbot.waitUntil(
        lambda: np.allclose(layer.data, expected, rtol=1e-4, atol=1e-4, equal_nan=True),
        timeout=TIMEOUT_MS,
    )
