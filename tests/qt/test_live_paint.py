"""Painting the mask in a real viewer: the output is patched, never recomputed whole.

"Patched" is visible from outside: a whole recomputation replaces the output
layer's array, a patch writes into the same array object.
"""

import numpy as np
import pytest

from napari_masked_blur import masked_gaussian

PLUGIN, WIDGET = "napari-masked-blur", "Masked Gaussian blur"
TIMEOUT_MS = 30_000


@pytest.fixture
def painted(make_napari_viewer, qtbot):
    """A 120 x 150 image, a two-label mask, the widget docked and done."""
    viewer = make_napari_viewer()
    rng = np.random.default_rng(0)
    image = viewer.add_image(rng.integers(0, 4000, (120, 150), dtype=np.uint16))
    mask = np.zeros((120, 150), np.uint8)
    mask[10:110, 10:70] = 1
    mask[10:110, 70:140] = 2
    labels = viewer.add_labels(mask, name="mask")
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    widget["sigma"].value = 2.5
    widget["per_label"].value = True
    wait_caught_up(qtbot, widget)
    return viewer, widget, image, labels


def wait_caught_up(qtbot, widget):
    live = widget.session
    qtbot.waitUntil(
        lambda: not widget.runner.busy and live.plan is not None and live.plan.complete,
        timeout=TIMEOUT_MS,
    )


def output(viewer, image):
    return viewer.layers[f"{image.name} masked blur"]


def expected(image, labels):
    return masked_gaussian(image.data, labels.data, 2.5, per_label=True)


def matches(viewer, image, labels):
    out = output(viewer, image).data
    return np.allclose(out, expected(image, labels), rtol=0, atol=0.4)


def assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before):
    # Undo and redo are noticed one turn of the event loop after they happen:
    # wait for the result itself, not just for an idle runner.
    qtbot.waitUntil(lambda: matches(viewer, image, labels), timeout=TIMEOUT_MS)
    wait_caught_up(qtbot, widget)
    assert output(viewer, image).data is before, "recomputed whole, not patched"


def test_brush_stroke_across_labels_patches_only_its_reach(painted, qtbot, regions):
    viewer, widget, image, labels = painted
    before = output(viewer, image).data
    labels.brush_size = 6
    labels.paint((60, 70), 1)  # across the border between labels 1 and 2
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)
    (region,) = regions
    rows, cols = region  # stroke bbox grown by radius int(4 * 2.5 + 0.5) = 10
    assert rows.stop - rows.start < 40 and cols.stop - cols.start < 40


def test_erasing_at_the_border_is_patched(painted, qtbot):
    viewer, widget, image, labels = painted
    before = output(viewer, image).data
    labels.brush_size = 8
    labels.paint((12, 12), 0)
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)


def test_fill_and_polygon_are_patched(painted, qtbot):
    viewer, widget, image, labels = painted
    before = output(viewer, image).data
    labels.fill((5, 5), 2)  # the background, which touches every border
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)
    labels.paint_polygon(np.array([[30, 20], [50, 60], [30, 100]]), 0)
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)


def test_undo_and_redo_are_patched(painted, qtbot, regions):
    viewer, widget, image, labels = painted
    before = output(viewer, image).data
    labels.brush_size = 10
    labels.paint((90, 30), 2)
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)
    labels.undo()
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)
    labels.redo()
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)
    assert None not in regions


def test_output_follows_a_drag_before_the_stroke_ends(painted, qtbot):
    viewer, widget, image, labels = painted
    before = output(viewer, image).data
    labels.brush_size = 5
    with labels.block_history():  # what a mouse drag does: one stroke, many dabs
        for col in (20, 30, 40):
            labels.paint((100, col), 2)
            qtbot.waitUntil(lambda: matches(viewer, image, labels), timeout=TIMEOUT_MS)
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)


def test_changing_sigma_recomputes_the_whole_image(painted, qtbot, regions):
    viewer, widget, image, labels = painted
    widget["sigma"].value = 1.0
    wait_caught_up(qtbot, widget)
    assert regions == [None]
    np.testing.assert_allclose(
        output(viewer, image).data,
        masked_gaussian(image.data, labels.data, 1.0, per_label=True),
        atol=0.4,
    )


def test_painting_over_an_rgb_image_patches_every_channel(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    rng = np.random.default_rng(4)
    rgb = viewer.add_image(rng.integers(0, 255, (60, 70, 3), dtype=np.uint8), rgb=True)
    labels = viewer.add_labels(np.ones((60, 70), np.uint8), name="mask")
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    wait_caught_up(qtbot, widget)
    before = output(viewer, rgb).data
    labels.brush_size = 7
    labels.paint((30, 35), 0)

    def patched():
        expected = masked_gaussian(rgb.data, labels.data, 3.0, channel_axis=-1)
        return np.allclose(output(viewer, rgb).data, expected, rtol=0, atol=0.01)

    qtbot.waitUntil(patched, timeout=TIMEOUT_MS)
    wait_caught_up(qtbot, widget)
    assert output(viewer, rgb).data is before


def test_an_edit_in_place_then_a_refresh_is_patched(painted, qtbot):
    # No history entry: a script wrote into the data and asked for a refresh.
    viewer, widget, image, labels = painted
    before = output(viewer, image).data
    labels.data[40:50, 40:50] = 2
    labels.refresh()
    assert_patched_to_full_result(qtbot, viewer, widget, image, labels, before)
