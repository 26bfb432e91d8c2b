"""Time-lapses in a real viewer: time is never smoothed; a 2D mask serves all frames."""

import numpy as np
import pytest

import napari_masked_blur._qt.choices as choices_module
import napari_masked_blur._qt.status as status_module
from napari_masked_blur import masked_gaussian
from napari_masked_blur._engines import compiled_loops, loops_coming, wait_for_loops
from napari_masked_blur._math.taps import plane_loop_key

PLUGIN, WIDGET = "napari-masked-blur", "Masked Gaussian blur"
TIMEOUT_MS = 60_000
MOVIE = (6, 40, 48)


def on_its_way(image_dtype, mask_dtype):
    """Whether the plane loop for these types is coming or, already, ready."""
    key = plane_loop_key(image_dtype, mask_dtype)
    return loops_coming(key) or compiled_loops(key) is not None


def loop_ready(image_dtype, mask_dtype):
    return compiled_loops(plane_loop_key(image_dtype, mask_dtype)) is not None


def movie_and_masks():
    """A movie whose frame 3 is bright, a 3D label mask and one 2D ROI."""
    rng = np.random.default_rng(2)
    movie = rng.integers(100, 200, MOVIE).astype(np.uint16)
    movie[3] += 1000
    labels = np.zeros(MOVIE, np.uint8)
    for t in range(MOVIE[0]):
        labels[t, 5:30, 4 + 2 * t : 30 + 2 * t] = 1
    roi = np.zeros(MOVIE[1:], np.uint8)
    roi[8:32, 6:40] = 1
    return movie, labels, roi


def dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    return widget


def wait_complete(qtbot, widget):
    live = widget.session
    qtbot.waitUntil(
        lambda: live.plan is not None and live.plan.complete and not widget.runner.busy,
        timeout=TIMEOUT_MS,
    )


def out_of(viewer, name):
    return viewer.layers[f"{name} masked blur"].data


def close(out, expected):
    return np.allclose(out, expected, rtol=1e-5, atol=1e-3, equal_nan=True)


def test_a_labelled_movie_is_blurred_frame_by_frame(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    movie, labels, _ = movie_and_masks()
    viewer.add_image(movie, name="movie", axis_labels=("t", "y", "x"))
    viewer.add_labels(labels, name="cells", axis_labels=("t", "y", "x"))
    widget = dock(viewer)
    assert widget["smooth_over"].value == (1, 2)
    assert widget["smooth_over"].current_choice == "y, x"
    wait_complete(qtbot, widget)
    out = out_of(viewer, "movie")
    expected = masked_gaussian(movie, labels, 3.0, axes=(1, 2))
    assert close(out, expected)
    inside = labels[2] > 0  # the frame before the bright one keeps its level
    assert abs(out[2][inside].mean() - movie[2][inside].mean()) < 5
    widget["smooth_over"].value = (0, 1, 2)  # the user asks for time too
    wait_complete(qtbot, widget)
    assert close(out_of(viewer, "movie"), masked_gaussian(movie, labels, 3.0))


def test_an_unlabelled_4d_image_is_frames_of_volumes(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    rng = np.random.default_rng(3)
    movie = rng.random((3, 8, 24, 26)).astype(np.float32)
    mask = rng.random((8, 24, 26)) > 0.3  # one (z, y, x) mask for every time
    viewer.add_image(movie, name="tzyx")
    viewer.add_labels(mask.astype(np.uint16), name="roi")
    widget = dock(viewer)
    # numba's plane loop loads once the first result shows; numpy meanwhile
    assert on_its_way(np.float32, np.uint16)
    qtbot.waitUntil(lambda: loop_ready(np.float32, np.uint16), timeout=TIMEOUT_MS)
    assert widget["smooth_over"].current_choice == "z, y, x"
    widget["per_axis"].value = True
    assert [f.label for f in widget["sigma_axes"]] == ["z (px)", "y (px)", "x (px)"]
    widget["sigma_axes"]["sigma_1"].value = 1.0
    wait_complete(qtbot, widget)
    expected = masked_gaussian(movie, mask, (1.0, 3.0, 3.0), axes=(1, 2, 3))
    assert close(out_of(viewer, "tzyx"), expected)


@pytest.fixture
def roi_movie(make_napari_viewer, qtbot, regions):
    """A (t, y, x) movie with one 2D ROI, displayed at frame 4, caught up."""
    viewer = make_napari_viewer(strict_qt=True)
    movie, _, roi = movie_and_masks()
    viewer.add_image(movie, name="movie", axis_labels=("t", "y", "x"))
    labels = viewer.add_labels(roi, name="roi")
    viewer.dims.set_current_step(0, 4)
    widget = dock(viewer)
    wait_complete(qtbot, widget)
    return viewer, widget, movie, labels, regions


def test_a_2d_mask_serves_every_frame_and_painting_it_updates_them(roi_movie, qtbot):
    viewer, widget, movie, labels, regions = roi_movie
    assert regions[0][0] == slice(4, 5), "the displayed frame first"
    assert close(out_of(viewer, "movie"), masked_gaussian(movie, labels.data, 3.0,
                                                          axes=(1, 2)))  # fmt: skip
    before = out_of(viewer, "movie")
    regions.clear()
    rows, cols = np.meshgrid(np.arange(34, 38), np.arange(10, 14), indexing="ij")
    labels.data_setitem((rows.ravel(), cols.ravel()), 1)
    expected = masked_gaussian(movie, labels.data, 3.0, axes=(1, 2))
    qtbot.waitUntil(
        lambda: close(out_of(viewer, "movie"), expected), timeout=TIMEOUT_MS
    )
    wait_complete(qtbot, widget)
    assert out_of(viewer, "movie") is before, "patched, not recomputed whole"
    assert regions[0][0] == slice(4, 5), "the displayed frame first"
    assert regions[1][0] == slice(0, MOVIE[0]), "then every frame"


def test_scrubbing_time_computes_the_new_frame_first(roi_movie, qtbot):
    viewer, widget, movie, labels, regions = roi_movie
    widget["sigma"].value = 1.5  # a new plan, displayed at frame 4
    qtbot.waitUntil(lambda: bool(regions) and widget.runner.busy, timeout=TIMEOUT_MS)
    regions.clear()
    viewer.dims.set_current_step(0, 1)
    wait_complete(qtbot, widget)
    frame_1 = (slice(1, 2), slice(0, MOVIE[1]), slice(0, MOVIE[2]))
    assert frame_1 in regions
    firsts = [r for r in regions if r[0].start == 1]
    assert regions.index(firsts[0]) <= 1, "at most the piece running came before"
    expected = masked_gaussian(movie, labels.data, 1.5, axes=(1, 2))
    assert close(out_of(viewer, "movie"), expected)


def test_a_mask_that_cannot_broadcast_is_named_once(
    make_napari_viewer, qtbot, monkeypatch
):
    viewer = make_napari_viewer(strict_qt=True)
    movie, _, _ = movie_and_masks()
    viewer.add_image(movie, name="movie", axis_labels=("t", "y", "x"))
    warnings = []
    monkeypatch.setattr(status_module, "show_warning", warnings.append)
    viewer.add_labels(np.zeros((40, 47), np.uint8), name="wrong")
    widget = dock(viewer)
    qtbot.waitUntil(lambda: bool(warnings), timeout=TIMEOUT_MS)
    assert warnings[0].count("(40, 47)") == 1 and warnings[0].count("(6, 40, 48)") == 1
    assert "movie masked blur" not in viewer.layers
    assert not widget.runner.busy


def test_opened_with_live_off_the_widget_warms_the_plane_loop_at_once(
    make_napari_viewer, qtbot
):
    viewer = make_napari_viewer(strict_qt=True)
    widget = dock(viewer)
    widget["live"].value = False
    rng = np.random.default_rng(4)
    movie = rng.random((2, 6, 20, 22))  # float64: a type of its own
    mask = (rng.random((6, 20, 22)) > 0.4).astype(np.uint8)
    viewer.add_image(movie, name="tzyx")
    viewer.add_labels(mask, name="roi")
    # Nothing to compute, yet the loop loads: the first plane finds it ready.
    assert on_its_way(np.float64, np.uint8)
    assert "tzyx masked blur" not in viewer.layers
    qtbot.waitUntil(lambda: loop_ready(np.float64, np.uint8), timeout=TIMEOUT_MS)
    assert wait_for_loops(TIMEOUT_MS / 1000)
    assert not widget.runner.busy and "tzyx masked blur" not in viewer.layers
    widget["live"].value = True
    wait_complete(qtbot, widget)
    expected = masked_gaussian(movie, mask, 3.0, axes=(1, 2, 3))
    assert close(out_of(viewer, "tzyx"), expected)


def test_adding_a_layer_does_not_read_the_mask_again(
    make_napari_viewer, qtbot, monkeypatch
):
    reads = []
    real = choices_module.present_label_ids
    monkeypatch.setattr(
        choices_module, "present_label_ids", lambda data: reads.append(1) or real(data)
    )
    viewer = make_napari_viewer(strict_qt=True)
    movie, labels, _ = movie_and_masks()
    viewer.add_image(movie, name="movie", axis_labels=("t", "y", "x"))
    mask = viewer.add_labels(labels, name="cells", axis_labels=("t", "y", "x"))
    widget = dock(viewer)
    wait_complete(qtbot, widget)  # the output layer was added meanwhile
    assert widget["labels"].choices == (1,)
    read = len(reads)
    viewer.add_image(movie[:1], name="other")
    viewer.layers.remove("other")
    assert len(reads) == read, "the mask did not change"
    mask.selected_label = 3  # a new id painted joins the choices
    mask.paint((2, 10, 10), 3)
    qtbot.waitUntil(lambda: 3 in widget["labels"].choices, timeout=TIMEOUT_MS)
    wait_complete(qtbot, widget)
