"""The docked widget, through the real manifest, in a real viewer under Xvfb."""

import re
import threading

import numpy as np
import pytest
from qtpy.QtCore import QThreadPool

import napari_masked_blur._qt.session as session_module
import napari_masked_blur._qt.status as status_module
from napari_masked_blur import FILTERS, masked_gaussian
from napari_masked_blur._math.filters import filter_named
from napari_masked_blur._qt.control_settings import controls_settings
from napari_masked_blur._qt.output_layers import OUTPUT_KEY
from napari_masked_blur._qt.widget import NO_IMAGE_HINT, NO_MASK_HINT
from tests.qt.conftest import TIMEOUT_MS, dock, ramp_and_labels, wait_idle


def same_result(out, expected, image):
    """Equal up to float32 rounding: within 1e-6 of the image's value range.

    A patch is computed on a window, whose float32 shift (see
    ``_math.dense.smooth_filter``) may differ from the whole image's by a few ulps.
    """
    tolerance = 1e-6 * float(np.ptp(image))
    return np.allclose(out, expected, rtol=0, atol=tolerance, equal_nan=True)


def output_of(viewer, image_layer):
    return viewer.layers[f"{image_layer.name} masked blur"]


@pytest.fixture
def small(make_napari_viewer, qtbot):
    """Viewer with the small image (anisotropic, shifted, coloured) and its mask."""
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels()
    layer = viewer.add_image(
        image,
        name="ramp",
        scale=(2.0, 0.5),
        translate=(10.0, -3.0),
        units="micrometer",
        colormap="magma",
        contrast_limits=(10, 300),
    )
    labels = viewer.add_labels(
        mask, name="cells", scale=(2.0, 0.5), translate=(10.0, -3.0), units="micrometer"
    )
    widget = dock(viewer)
    wait_idle(qtbot, widget)
    return viewer, widget, layer, labels


@pytest.fixture
def gate(monkeypatch):
    """Hold every blur in its worker thread until ``gate.set()``."""
    event = threading.Event()
    real = session_module.run_piece

    def held(*args):
        assert event.wait(TIMEOUT_MS / 1000), "the test never opened the gate"
        return real(*args)

    monkeypatch.setattr(session_module, "run_piece", held)
    yield event
    event.set()


def test_output_equals_masked_gaussian_for_the_chosen_options(small, qtbot):
    viewer, widget, image, mask = small
    widget["sigma"].value = 4.0
    widget["outside"].value = "zero"
    widget["mode"].value = "reflect"
    wait_idle(qtbot, widget)
    expected = masked_gaussian(
        image.data, mask.data, 4.0, outside="zero", mode="reflect"
    )
    np.testing.assert_array_equal(output_of(viewer, image).data, expected)


def test_the_filter_choice_is_built_from_filters_and_hidden_with_one(small):
    _, widget, _, _ = small
    assert [value for value in widget["filter"].choices] == list(FILTERS)
    assert widget["filter"].value == "gaussian"
    # Hidden only with one filter (isHidden: hidden on purpose, not merely
    # not shown yet, as the widget is not on screen here).
    assert widget["filter"].native.isHidden() is (len(FILTERS) == 1)
    assert controls_settings(widget, *widget_layers(widget)).filter == "gaussian"
    # "outside" offers what the chosen filter allows
    assert list(widget["outside"].choices) == list(filter_named("gaussian").outside)


def widget_layers(widget):
    return widget["image"].value, widget["mask"].value


def test_output_lines_up_with_and_looks_like_the_input(small):
    viewer, _, image, _ = small
    out = output_of(viewer, image)
    for name in ("scale", "translate", "rotate", "shear", "units"):
        np.testing.assert_array_equal(getattr(out, name), getattr(image, name))
    np.testing.assert_array_equal(out.affine.affine_matrix, image.affine.affine_matrix)
    assert out.colormap.name == "magma"
    assert tuple(out.contrast_limits) == (10, 300)
    assert out.metadata[OUTPUT_KEY] == "ramp"


def test_output_layer_is_updated_in_place(small, qtbot):
    viewer, widget, image, _ = small
    out = output_of(viewer, image)
    for sigma in (1.0, 2.0, 7.5):
        widget["sigma"].value = sigma
        wait_idle(qtbot, widget)
    assert output_of(viewer, image) is out
    # the mask stays above the result, so the brush is seen
    assert [layer.name for layer in viewer.layers] == [
        "ramp",
        "ramp masked blur",
        "cells",
    ]


def test_inputs_are_never_modified(small, qtbot):
    _, widget, image, mask = small
    image_before, mask_before = image.data.copy(), mask.data.copy()
    image_data, mask_data = image.data, mask.data
    for outside in ("keep", "zero", "nan", "fill"):
        widget["outside"].value = outside
        wait_idle(qtbot, widget)
    widget["per_label"].value = True
    wait_idle(qtbot, widget)
    assert image.data is image_data and mask.data is mask_data
    np.testing.assert_array_equal(image.data, image_before)
    np.testing.assert_array_equal(mask.data, mask_before)


def test_slider_drag_applies_only_latest_result(small, qtbot):
    viewer, widget, image, mask = small
    out = output_of(viewer, image)
    sigmas = [round(0.5 + 0.5 * i, 1) for i in range(50)]
    expected = [masked_gaussian(image.data, mask.data, s) for s in sigmas]
    shown = []
    out.events.data.connect(lambda _: shown.append(out.data))
    for sigma in sigmas:
        widget["sigma"].value = sigma
    wait_idle(qtbot, widget)
    which = [
        next(i for i, e in enumerate(expected) if np.array_equal(e, s)) for s in shown
    ]
    assert which[-1] == len(sigmas) - 1
    assert which == sorted(set(which)), "an older result landed over a newer one"
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def test_painting_the_mask_updates_the_output(small, qtbot):
    viewer, widget, image, mask = small
    out = output_of(viewer, image)
    # paint() emits its paint event before writing the pixels: the widget
    # must read the mask afterwards.
    mask.paint((20, 31), 3, refresh=True)
    qtbot.waitUntil(lambda: 3 in mask.data, timeout=TIMEOUT_MS)
    expected = masked_gaussian(image.data, mask.data, widget["sigma"].value)
    qtbot.waitUntil(
        lambda: same_result(out.data, expected, image.data), timeout=TIMEOUT_MS
    )


def test_data_setitem_updates_the_output(small, qtbot):
    viewer, widget, image, mask = small
    out = output_of(viewer, image)
    rows, cols = np.meshgrid(np.arange(36, 40), np.arange(0, 50), indexing="ij")
    mask.data_setitem((rows.ravel(), cols.ravel()), 4)
    expected = masked_gaussian(image.data, mask.data, widget["sigma"].value)
    assert 4 in mask.data
    qtbot.waitUntil(
        lambda: same_result(out.data, expected, image.data), timeout=TIMEOUT_MS
    )


def test_undo_and_redo_update_the_output(small, qtbot):
    viewer, widget, image, mask = small
    out = output_of(viewer, image)
    sigma = widget["sigma"].value
    before = masked_gaussian(image.data, mask.data, sigma)
    rows, cols = np.meshgrid(np.arange(0, 5), np.arange(0, 50), indexing="ij")
    mask.data_setitem((rows.ravel(), cols.ravel()), 5)
    after = masked_gaussian(image.data, mask.data, sigma)
    qtbot.waitUntil(
        lambda: same_result(out.data, after, image.data), timeout=TIMEOUT_MS
    )
    mask.undo()
    qtbot.waitUntil(
        lambda: same_result(out.data, before, image.data), timeout=TIMEOUT_MS
    )
    mask.redo()
    qtbot.waitUntil(
        lambda: same_result(out.data, after, image.data), timeout=TIMEOUT_MS
    )


def test_replacing_layer_data_updates_the_output(small, qtbot):
    viewer, widget, image, mask = small
    image.data = image.data[::-1].copy()
    mask.data = mask.data[:, ::-1].copy()
    expected = masked_gaussian(image.data, mask.data, widget["sigma"].value)
    qtbot.waitUntil(
        lambda: np.array_equal(output_of(viewer, image).data, expected),
        timeout=TIMEOUT_MS,
    )


def test_one_label_and_per_label(small, qtbot):
    viewer, widget, image, mask = small
    assert widget["labels"].choices == (1, 2)  # none chosen: all
    widget["labels"].value = [2]
    widget["per_label"].value = True
    wait_idle(qtbot, widget)
    expected = masked_gaussian(image.data, mask.data, 3.0, labels=2, per_label=True)
    np.testing.assert_array_equal(output_of(viewer, image).data, expected)


def test_several_label_ids(small, qtbot):
    viewer, widget, image, mask = small
    widget["labels"].value = [1, 2]
    wait_idle(qtbot, widget)
    expected = masked_gaussian(image.data, mask.data, 3.0, labels=(1, 2))
    np.testing.assert_array_equal(output_of(viewer, image).data, expected)
    assert controls_settings(widget, image, mask).labels == (1, 2)


def test_sigma_in_physical_units_uses_the_layer_scale(small, qtbot):
    viewer, widget, image, mask = small  # scale (2.0, 0.5) µm
    widget["physical"].value = True
    widget["per_axis"].value = False
    widget["sigma"].value = 2.0  # µm: 1 px along rows, 4 px along columns
    wait_idle(qtbot, widget)
    assert widget["sigma"].label == "sigma (µm)"
    expected = masked_gaussian(image.data, mask.data, (1.0, 4.0))
    np.testing.assert_array_equal(output_of(viewer, image).data, expected)
    widget["per_axis"].value = True
    fields = widget["sigma_axes"]
    assert [f.label for f in fields] == ["y (µm)", "x (µm)"]
    assert not widget["sigma"].enabled  # the fields replace the slider
    fields["sigma_0"].value, fields["sigma_1"].value = 3.0, 1.0  # µm per axis
    wait_idle(qtbot, widget)
    expected = masked_gaussian(image.data, mask.data, (1.5, 2.0))
    np.testing.assert_array_equal(output_of(viewer, image).data, expected)
    widget["per_axis"].value = False
    assert widget["sigma"].enabled


def test_image_layer_as_mask_is_a_certainty_map(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    image, _ = ramp_and_labels()
    certainty = np.linspace(0, 1, image.size, dtype=np.float32).reshape(image.shape)
    layer = viewer.add_image(image, name="ramp")
    viewer.add_image(certainty, name="certainty")
    widget = dock(viewer)
    wait_idle(qtbot, widget)
    assert widget["mask"].value.name == "certainty"
    assert not widget["per_label"].enabled
    expected = masked_gaussian(image, certainty, widget["sigma"].value)
    np.testing.assert_array_equal(output_of(viewer, layer).data, expected)


def test_rgb_image_is_blurred_per_channel(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels()
    rgb = np.stack([image % 256, image // 4 % 256, image // 16 % 256], -1)
    layer = viewer.add_image(rgb.astype(np.uint8), name="rgb")
    viewer.add_labels(mask, name="cells")
    widget = dock(viewer)
    wait_idle(qtbot, widget)
    out = output_of(viewer, layer)
    assert out.rgb
    expected = masked_gaussian(layer.data, mask, 3.0, channel_axis=-1)
    np.testing.assert_array_equal(out.data, expected)


def test_shape_mismatch_notifies_with_both_shapes_and_keeps_the_output(
    small, qtbot, monkeypatch
):
    viewer, widget, image, mask = small
    out = output_of(viewer, image)
    before = out.data
    warnings = []
    monkeypatch.setattr(status_module, "show_warning", warnings.append)
    mask.data = np.zeros((40, 49), np.uint8)
    qtbot.waitUntil(lambda: bool(warnings), timeout=TIMEOUT_MS)
    assert "(40, 49)" in warnings[0] and "(40, 50)" in warnings[0]
    widget["sigma"].value = 9.0
    wait_idle(qtbot, widget)
    assert out.data is before
    assert len(warnings) == 1, "the same problem is reported once"


def test_without_layers_the_widget_says_what_to_add(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    widget = dock(viewer)
    assert widget["status"].value == NO_IMAGE_HINT
    assert not widget["run"].enabled
    viewer.add_image(np.ones((8, 8)), name="flat")
    qtbot.waitUntil(lambda: widget["status"].value == NO_MASK_HINT, timeout=TIMEOUT_MS)
    viewer.add_labels(np.ones((8, 8), np.uint8), name="all")
    wait_idle(qtbot, widget)
    assert "flat masked blur" in viewer.layers
    assert widget["status"].value.startswith("'flat', sigma 3 px: ")
    assert widget["run"].enabled and widget["run"].text == "Run again"


def test_live_off_waits_for_run(small, qtbot):
    viewer, widget, image, mask = small
    out = output_of(viewer, image)
    before = out.data
    widget["live"].value = False
    widget["sigma"].value = 6.0
    wait_idle(qtbot, widget)
    assert out.data is before
    widget["run"].clicked.emit()
    wait_idle(qtbot, widget)
    np.testing.assert_array_equal(out.data, masked_gaussian(image.data, mask.data, 6.0))
    assert re.fullmatch(r"'ramp', sigma 6 px: \d+\.\d\d s", widget["status"].value)


def test_long_work_shows_a_busy_bar_until_done(small, qtbot, gate):
    _, widget, _, _ = small
    widget["sigma"].value = 5.0
    qtbot.waitUntil(
        lambda: widget.session.progress.busy_bar is not None, timeout=TIMEOUT_MS
    )
    assert widget["status"].value.startswith("blurring 'ramp', sigma 5 px")
    gate.set()
    wait_idle(qtbot, widget)
    assert widget.session.progress.busy_bar is None


def test_removing_the_image_mid_computation(small, qtbot, gate):
    viewer, widget, image, _ = small
    out = output_of(viewer, image)
    before = out.data
    widget["sigma"].value = 8.0
    assert widget.runner.busy
    viewer.layers.remove(image)
    gate.set()
    wait_idle(qtbot, widget)
    assert out.data is before
    assert widget["image"].value is None and widget["status"].value == NO_IMAGE_HINT


def test_removing_the_mask_mid_computation(small, qtbot, gate):
    viewer, widget, image, mask = small
    out = output_of(viewer, image)
    before = out.data
    widget["sigma"].value = 8.0
    viewer.layers.remove(mask)
    gate.set()
    wait_idle(qtbot, widget)
    assert out.data is before
    assert widget["status"].value == NO_MASK_HINT


def test_closing_the_widget_mid_computation(small, qtbot, gate):
    viewer, widget, image, _ = small
    out = output_of(viewer, image)
    before = out.data
    inserted = len(viewer.layers.events.inserted.callbacks)
    widget["sigma"].value = 8.0
    viewer.window.remove_dock_widget(widget.native)
    gate.set()
    assert QThreadPool.globalInstance().waitForDone(TIMEOUT_MS)
    qtbot.waitUntil(lambda: not widget.runner.busy, timeout=TIMEOUT_MS)
    assert out.data is before
    assert len(viewer.layers.events.inserted.callbacks) < inserted
    with qtbot.waitSignal(widget.native.destroyed, timeout=TIMEOUT_MS):
        widget.native.deleteLater()


def test_closing_the_viewer_mid_computation(small, qtbot, gate):
    viewer, widget, _, _ = small
    widget["sigma"].value = 8.0
    assert widget.runner.busy
    viewer.close()
    gate.set()
    assert QThreadPool.globalInstance().waitForDone(TIMEOUT_MS)
    qtbot.waitUntil(lambda: not widget.runner.busy, timeout=TIMEOUT_MS)


def test_side_by_side_puts_the_original_next_to_the_result_under_its_mask(small):
    viewer, widget, _, _ = small
    widget["view"].value = "side by side"
    assert viewer.canvas.grid.enabled and viewer.canvas.grid.stride == -2
    # bottom to top: the original alone, then the result under the mask
    assert [layer.name for layer in viewer.layers] == [
        "ramp",
        "ramp masked blur",
        "cells",
    ]
    widget["view"].value = "overlay"
    assert not viewer.canvas.grid.enabled
    viewer.canvas.grid.enabled = True  # napari's own grid button
    assert widget["view"].value == "side by side"


def test_a_row_inserted_later_sits_just_above_the_status_line(small):
    from magicgui.widgets import Container, PushButton

    _, widget, _, _ = small
    row = Container(widgets=[PushButton(name="copy", text="Copy")], layout="horizontal")
    widget.insert_row(row)
    assert widget.index(widget["status"]) == widget.index(row) + 1
