"""What the widget tells the user: a status that is always true, words and
tooltips, a dock that keeps its width, the mask always above the result."""

import numpy as np
import pytest
from magicgui.widgets import Container
from qtpy.QtWidgets import QLabel

import napari_masked_blur._qt.status as status_module
from napari_masked_blur import masked_gaussian
from napari_masked_blur._qt.output_layers import OUTPUT_KEY
from napari_masked_blur._qt.status import EMPTY_MASK, OUT_OF_DATE
from napari_masked_blur._qt.widget import NO_IMAGE_HINT, NO_MASK_HINT, RESULT_REMOVED
from tests.qt.conftest import TIMEOUT_MS, dock, ramp_and_labels, wait_idle
from tests.qt.test_widget import gate  # noqa: F401  (a fixture)


@pytest.fixture
def small(make_napari_viewer, qtbot):
    """The ramp (scale 2 x 0.5 µm) and its labels, the widget docked after them."""
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels()
    scale = {"scale": (2.0, 0.5), "units": "micrometer"}
    layer = viewer.add_image(image, name="ramp", **scale)
    labels = viewer.add_labels(mask, name="cells", **scale)
    widget = dock(viewer)
    wait_idle(qtbot, widget)
    return viewer, widget, layer, labels


def names(viewer):
    return [layer.name for layer in viewer.layers]


def every_control(container):
    for control in container:
        yield control
        if isinstance(control, Container):
            yield from every_control(control)


# --- the status ----------------------------------------------------------------


def test_removed_layers_are_said_and_run_is_disabled(small, qtbot):
    viewer, widget, image, mask = small
    assert widget["status"].value.startswith("'ramp', sigma 3 px: ")
    assert widget["run"].text == "Run again"
    viewer.layers.remove("ramp masked blur")
    assert widget["status"].value == RESULT_REMOVED
    assert widget["run"].text == "Run" and widget["run"].enabled
    viewer.layers.remove(mask)
    assert widget["status"].value == NO_MASK_HINT and not widget["run"].enabled
    viewer.layers.remove(image)
    assert widget["status"].value == NO_IMAGE_HINT and not widget["run"].enabled


def test_with_live_off_a_change_is_out_of_date_until_run(small, qtbot):
    _, widget, image, _ = small
    widget["live"].value = False
    assert widget["run"].text == "Run again"  # nothing changed yet
    widget["sigma"].value = 5.0
    assert widget["status"].value == OUT_OF_DATE and widget["run"].text == "Run"
    widget["run"].clicked.emit()
    wait_idle(qtbot, widget)
    assert widget["status"].value.startswith("'ramp', sigma 5 px: ")
    assert widget["run"].text == "Run again"
    image.data = image.data + 1  # new data: the result is of the old
    assert widget["status"].value == OUT_OF_DATE


def test_an_empty_mask_says_paint_a_mask(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    image, _ = ramp_and_labels()
    viewer.add_image(image, name="ramp")
    labels = viewer.add_labels(np.zeros(image.shape, np.uint8), name="empty")
    widget = dock(viewer)
    wait_idle(qtbot, widget)
    assert widget["status"].value.endswith(EMPTY_MASK)
    labels.paint((20, 20), 4, refresh=True)
    qtbot.waitUntil(
        lambda: EMPTY_MASK not in widget["status"].value, timeout=TIMEOUT_MS
    )
    wait_idle(qtbot, widget)


def test_label_ids_absent_from_the_mask_say_paint_a_mask(small, qtbot):
    _, widget, _, mask = small
    mask.data = np.where(mask.data == 2, 0, mask.data).astype(np.uint8)
    qtbot.waitUntil(lambda: widget["labels"].choices == (1,), timeout=TIMEOUT_MS)
    wait_idle(qtbot, widget)
    assert EMPTY_MASK not in widget["status"].value


def test_work_in_progress_is_said(small, qtbot, gate):  # noqa: F811
    _, widget, _, _ = small
    widget["sigma"].value = 6.0
    assert widget["status"].value == "blurring 'ramp', sigma 6 px …"
    gate.set()
    wait_idle(qtbot, widget)
    assert widget["status"].value.startswith("'ramp', sigma 6 px: ")


def test_a_refusal_is_a_notification_and_the_status(small, qtbot, monkeypatch):
    _, widget, _, mask = small
    warnings = []
    monkeypatch.setattr(status_module, "show_warning", warnings.append)
    mask.data = np.zeros((7, 9), np.uint8)
    qtbot.waitUntil(lambda: bool(warnings), timeout=TIMEOUT_MS)
    assert "(7, 9)" in widget["status"].value
    assert widget["status"].tooltip == widget["status"].value  # the whole text


# --- words and tooltips --------------------------------------------------------


def test_every_control_has_a_tooltip(small):
    _, widget, _, _ = small
    widget["per_axis"].value = True  # the per-axis fields exist
    missing = [c.name for c in every_control(widget) if not c.tooltip]
    assert missing == []


def test_labels_and_choices_are_in_words(small):
    _, widget, _, _ = small
    assert widget["mode"].label == "beyond the image edge"
    assert widget["outside"].label == "outside the mask"
    mode_texts = [widget["mode"].native.itemText(i) for i in range(5)]
    assert mode_texts[0] == "no data" and widget["mode"].value == "missing"
    outside = widget["outside"].native
    assert [outside.itemText(i) for i in range(outside.count())] == [
        "keep",
        "0",
        "NaN",
        "fill from the mask",
    ]
    shown = {
        label.text()
        for label in widget.native.findChildren(QLabel)
        if label.isVisibleTo(widget.native)
    }
    assert not shown & {"repeat", "hint", "status", "sigma_axes"}


def test_time_is_counted_in_frames(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    movie = np.zeros((4, 20, 30), np.float32)
    viewer.add_image(movie, name="movie", axis_labels=("t", "y", "x"))
    viewer.add_labels(np.ones((20, 30), np.uint8), name="roi")
    widget = dock(viewer)
    wait_idle(qtbot, widget)
    widget["smooth_over"].value = (0, 1, 2)
    widget["per_axis"].value = True
    labels = [field.label for field in widget["sigma_axes"]]
    assert labels == ["t (frames)", "y (px)", "x (px)"]
    wait_idle(qtbot, widget)


def test_switching_to_image_units_keeps_the_blur(small, qtbot):
    viewer, widget, _, _ = small  # scale (2.0, 0.5) µm
    widget["sigma"].value = 3.0
    wait_idle(qtbot, widget)
    before = viewer.layers["ramp masked blur"].data.copy()
    widget["physical"].value = True
    wait_idle(qtbot, widget)
    # one sigma of 3 px is 6 µm along rows and 1.5 µm along columns
    assert widget["per_axis"].value
    assert [f.value for f in widget["sigma_axes"]] == [6.0, 1.5]
    assert [f.label for f in widget["sigma_axes"]] == ["y (µm)", "x (µm)"]
    np.testing.assert_array_equal(viewer.layers["ramp masked blur"].data, before)
    widget["physical"].value = False
    assert [f.value for f in widget["sigma_axes"]] == [3.0, 3.0]


def test_switching_units_of_square_pixels_keeps_one_slider(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    image, mask = ramp_and_labels()
    viewer.add_image(image, name="ramp", scale=(0.5, 0.5), units="micrometer")
    viewer.add_labels(mask, name="cells", scale=(0.5, 0.5))
    widget = dock(viewer)
    widget["sigma"].value = 4.0
    widget["physical"].value = True
    assert widget["sigma"].value == 2.0 and not widget["per_axis"].value
    wait_idle(qtbot, widget)
    expected = masked_gaussian(image, mask, 4.0)
    np.testing.assert_array_equal(viewer.layers["ramp masked blur"].data, expected)


# --- the layout: width, the mask on top, overlay and side by side, keep -----------


def dock_width(viewer, widget):
    return widget.native.parentWidget().width()


def test_the_dock_keeps_its_width_after_any_message(
    make_napari_viewer, qtbot, monkeypatch
):
    monkeypatch.setattr(status_module, "show_warning", lambda message: None)
    viewer = make_napari_viewer(strict_qt=True, show=True)
    viewer.window.resize(1400, 800)
    widget = dock(viewer)  # empty: the longest hint
    qtbot.waitUntil(lambda: widget.native.isVisible(), timeout=TIMEOUT_MS)
    width = dock_width(viewer, widget)
    seen = [widget["status"].value]
    image, mask = ramp_and_labels()
    viewer.add_image(image, name="a layer with a name much longer than a dock " * 2)
    seen.append(widget["status"].value)
    labels = viewer.add_labels(mask, name="cells")
    wait_idle(qtbot, widget)
    seen.append(widget["status"].value)
    labels.data = np.zeros((41, 49), np.uint8)  # the mask's shape is wrong
    qtbot.waitUntil(lambda: "(41, 49)" in widget["status"].value, timeout=TIMEOUT_MS)
    seen.append(widget["status"].value)
    for _ in range(3):  # let the layout settle
        qtbot.wait_until(lambda: True, timeout=100)
    assert dock_width(viewer, widget) == width, seen
    assert len(set(seen)) == len(seen) == 4


def test_the_mask_is_above_the_result_when_docked_after_the_layers(small):
    viewer, _, _, _ = small
    assert names(viewer) == ["ramp", "ramp masked blur", "cells"]


def test_the_mask_is_above_the_result_with_a_sample_opened_later(
    make_napari_viewer, qtbot
):
    viewer = make_napari_viewer(strict_qt=True)
    widget = dock(viewer)
    viewer.open_sample("napari-masked-blur", "coins")  # File > Open Sample
    qtbot.waitUntil(lambda: "coins masked blur" in viewer.layers, timeout=TIMEOUT_MS)
    wait_idle(qtbot, widget)
    assert names(viewer) == ["coins", "coins masked blur", "coins mask"]


def test_overlay_and_side_by_side_keep_the_mask_over_the_result(small):
    viewer, widget, _, _ = small
    for view in ("side by side", "overlay", "side by side"):
        widget["view"].value = view
        assert names(viewer)[-2:] == ["ramp masked blur", "cells"]
    assert viewer.canvas.grid.enabled and viewer.canvas.grid.stride == -2


def test_keep_this_result_copies_the_output_under_it(small, qtbot):
    viewer, widget, image, mask = small
    widget["keep"].clicked.emit()
    kept = viewer.layers["ramp masked blur (sigma 3 px)"]
    assert OUTPUT_KEY not in kept.metadata  # the user's now: never written
    np.testing.assert_array_equal(kept.scale, image.scale)
    assert names(viewer) == [
        "ramp",
        "ramp masked blur (sigma 3 px)",
        "ramp masked blur",
        "cells",
    ]
    widget["sigma"].value = 7.0
    wait_idle(qtbot, widget)
    np.testing.assert_array_equal(kept.data, masked_gaussian(image.data, mask.data, 3))
    # side by side: the live result under its mask, next to the kept one
    widget["view"].value = "side by side"
    assert viewer.canvas.grid.stride == -2
