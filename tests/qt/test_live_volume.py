"""Volumes in a real viewer: the displayed plane first, then the rest in chunks."""

import threading

import numpy as np
import pytest

import napari_masked_blur._qt.progress as progress_module
import napari_masked_blur._qt.session as session_module
from napari_masked_blur import masked_gaussian

PLUGIN, WIDGET = "napari-masked-blur", "Masked Gaussian blur"
TIMEOUT_MS = 60_000
SHAPE = (30, 40, 50)


def volume_and_mask():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 4000, SHAPE, dtype=np.uint16)
    mask = np.zeros(SHAPE, np.uint8)
    mask[3:27, 5:35, 5:45] = 1
    return image, mask


@pytest.fixture
def bars(monkeypatch):
    """Every progress bar the live session opens: [total, last n, closed]."""
    opened = []
    real = progress_module.progress

    class Recorded(real):
        def __init__(self, *args, **kwargs):
            self.record = [kwargs.get("total"), 0, False]  # tqdm refreshes in init
            opened.append(self.record)
            super().__init__(*args, **kwargs)

        def refresh(self, *args, **kwargs):
            self.record[1] = self.n
            return super().refresh(*args, **kwargs)

        def close(self):
            self.record[2] = True
            super().close()

    monkeypatch.setattr(progress_module, "progress", Recorded)
    return opened


@pytest.fixture
def volume(make_napari_viewer, regions, bars):
    viewer = make_napari_viewer()
    image, mask = volume_and_mask()
    image_layer = viewer.add_image(image, name="vol")
    labels = viewer.add_labels(mask, name="mask")
    viewer.dims.set_current_step(0, 20)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    return viewer, widget, image_layer, labels


def wait_complete(qtbot, widget):
    live = widget.session
    qtbot.waitUntil(
        lambda: live.plan is not None and live.plan.complete and not widget.runner.busy,
        timeout=TIMEOUT_MS,
    )


def output(viewer):
    return viewer.layers["vol masked blur"].data


def plane(z):
    return (slice(z, z + 1), slice(0, SHAPE[1]), slice(0, SHAPE[2]))


def test_displayed_plane_comes_first_then_the_whole_volume(volume, qtbot, regions):
    viewer, widget, image, labels = volume
    wait_complete(qtbot, widget)
    assert regions[0] == plane(20)
    assert None not in regions  # never the whole volume in one piece
    np.testing.assert_allclose(
        output(viewer), masked_gaussian(image.data, labels.data, 3.0), atol=0.4
    )


def test_volume_work_shows_a_progress_bar_that_closes(volume, qtbot, bars, monkeypatch):
    _, widget, _, _ = volume
    wait_complete(qtbot, widget)
    assert not bars, "a bar for work shorter than a second"
    monkeypatch.setattr(progress_module, "BUSY_AFTER_MS", 0)  # as if it were long
    widget["sigma"].value = 1.5
    wait_complete(qtbot, widget)
    assert bars, "no progress bar"
    total, last, closed = bars[-1]
    assert total == SHAPE[0] and closed and 0 < last <= total


def test_a_volume_shows_no_busy_bar_of_the_widget(volume, qtbot, monkeypatch):
    # Only the volume's own bar (see test_volume_work_shows_a_progress_bar...).
    _, widget, _, _ = volume
    wait_complete(qtbot, widget)
    gate, real = threading.Event(), session_module.run_piece

    def held(*args):
        assert gate.wait(TIMEOUT_MS / 1000), "the test never opened the gate"
        return real(*args)

    monkeypatch.setattr(session_module, "run_piece", held)
    with qtbot.waitSignal(widget.session.progress.timer.timeout, timeout=TIMEOUT_MS):
        widget["sigma"].value = 1.5  # the plane is held past the bar's delay
    assert widget.runner.busy and widget.session.progress.busy_bar is None
    gate.set()
    wait_complete(qtbot, widget)


def test_a_new_sigma_restarts_from_the_displayed_plane(volume, qtbot, regions):
    viewer, widget, image, labels = volume
    wait_complete(qtbot, widget)
    regions.clear()
    viewer.dims.set_current_step(0, 7)
    widget["sigma"].value = 1.5
    wait_complete(qtbot, widget)
    assert regions[0] == plane(7)
    np.testing.assert_allclose(
        output(viewer), masked_gaussian(image.data, labels.data, 1.5), atol=0.4
    )


def test_a_sigma_drag_and_a_paint_give_the_exact_plane(volume, qtbot):
    viewer, widget, image, labels = volume
    live = widget.session
    wait_complete(qtbot, widget)

    def shows_sigma(sigma):
        widget["sigma"].value = sigma
        qtbot.waitUntil(lambda: live.plan.is_done(plane(20)), timeout=TIMEOUT_MS)
        exact = masked_gaussian(image.data, labels.data, sigma)[20]
        np.testing.assert_allclose(output(viewer)[20], exact, atol=1e-6 * 4000)

    for sigma in (1.5, 2.0, 2.5, 3.5):
        shows_sigma(sigma)
    labels.brush_size = 6
    labels.paint((20, 20, 25), 0)
    shows_sigma(3.0)
    wait_complete(qtbot, widget)


def test_moving_to_a_plane_not_yet_done_computes_it_next(volume, qtbot, regions):
    viewer, widget, _, _ = volume
    live = widget.session
    qtbot.waitUntil(lambda: live.plan.is_done(plane(20)), timeout=TIMEOUT_MS)
    viewer.dims.set_current_step(0, 2)  # chunks wait while the view moves
    qtbot.waitUntil(lambda: live.plan.is_done(plane(2)), timeout=TIMEOUT_MS)
    assert plane(2) in regions[:3]
    wait_complete(qtbot, widget)


def test_moving_to_a_done_plane_computes_nothing(volume, qtbot, regions):
    viewer, widget, _, _ = volume
    wait_complete(qtbot, widget)
    count = len(regions)
    viewer.dims.set_current_step(0, 11)
    qtbot.waitUntil(lambda: not widget.session._settle.isActive(), timeout=5000)
    assert len(regions) == count


def test_painting_a_plane_patches_the_volume(volume, qtbot):
    viewer, widget, image, labels = volume
    wait_complete(qtbot, widget)
    before = output(viewer)
    labels.brush_size = 6
    labels.paint((20, 20, 25), 0)
    qtbot.waitUntil(
        lambda: np.allclose(
            output(viewer), masked_gaussian(image.data, labels.data, 3.0), atol=0.4
        ),
        timeout=TIMEOUT_MS,
    )
    wait_complete(qtbot, widget)
    assert output(viewer) is before


@pytest.mark.parametrize("ndisplay", [2, 3])
def test_undo_and_redo_off_the_displayed_plane_are_patched(volume, qtbot, ndisplay):
    viewer, widget, image, labels = volume
    viewer.dims.ndisplay = ndisplay
    wait_complete(qtbot, widget)
    before = output(viewer)
    labels.brush_size = 6
    labels.paint((8, 20, 25), 0)  # plane 8; plane 20 is the one displayed in 2D
    for step in (None, labels.undo, labels.redo):
        if step is not None:
            step()
        exact = masked_gaussian(image.data, labels.data, 3.0)
        # Noticed one turn of the event loop later: wait for the result itself.
        qtbot.waitUntil(
            lambda exact=exact: np.allclose(output(viewer), exact, atol=0.4),
            timeout=TIMEOUT_MS,
        )
        wait_complete(qtbot, widget)
    assert output(viewer) is before, "recomputed whole, not patched"


def test_3d_display_computes_the_whole_volume(volume, qtbot, regions):
    viewer, widget, image, labels = volume
    viewer.dims.ndisplay = 3
    regions.clear()
    widget["sigma"].value = 2.0
    wait_complete(qtbot, widget)
    thickness = [rows.stop - rows.start for rows, _, _ in regions]
    assert min(thickness) > 1, "in 3D no plane comes first: chunks only"
    np.testing.assert_allclose(
        output(viewer), masked_gaussian(image.data, labels.data, 2.0), atol=0.4
    )


def test_removing_the_image_while_the_volume_computes(volume, qtbot):
    viewer, widget, image, _ = volume
    live = widget.session
    qtbot.waitUntil(lambda: live.plan.is_done(plane(20)), timeout=TIMEOUT_MS)
    viewer.layers.remove(image)  # chunks of the rest are still to come
    qtbot.waitUntil(lambda: not widget.runner.busy, timeout=TIMEOUT_MS)
    assert live.plan is None


def test_closing_the_widget_while_the_volume_computes(volume, qtbot):
    viewer, widget, _, _ = volume
    live = widget.session
    qtbot.waitUntil(lambda: live.plan.is_done(plane(20)), timeout=TIMEOUT_MS)
    viewer.window.remove_dock_widget(widget.native)
    qtbot.waitUntil(lambda: not widget.runner.busy, timeout=TIMEOUT_MS)
    assert live.plan is None


def test_the_thumbnail_shows_the_result_once_the_work_is_done(volume, qtbot):
    viewer, widget, _, _ = volume
    wait_complete(qtbot, widget)
    for sigma in (1.5, 2.0, 2.5, 3.0):  # back to back, as in a drag
        widget["sigma"].value = sigma
        qtbot.waitUntil(lambda: widget.runner.busy, timeout=TIMEOUT_MS)
    wait_complete(qtbot, widget)
    out = viewer.layers["vol masked blur"]
    shown = out.thumbnail.copy()
    out.refresh()  # the thumbnail of the data as it is now
    np.testing.assert_array_equal(out.thumbnail, shown)


def test_in_3d_the_last_chunks_are_shown_too(volume, qtbot):
    # In 3D chunks are shown at most once a second; the last ones must not
    # wait for some later refresh.
    viewer, widget, _, _ = volume
    wait_complete(qtbot, widget)
    viewer.dims.ndisplay = 3
    wait_complete(qtbot, widget)
    out = viewer.layers["vol masked blur"]
    shown = []
    out.events.set_data.connect(lambda _event: shown.append(np.array(out.data)))
    widget["sigma"].value = 2.0
    qtbot.waitUntil(lambda: widget.runner.busy, timeout=TIMEOUT_MS)
    wait_complete(qtbot, widget)
    assert len(shown) >= 1
    np.testing.assert_array_equal(shown[-1], out.data)
