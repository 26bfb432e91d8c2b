"""The manifest's contributions as napari shows them: samples and the menu entry."""

import numpy as np

PLUGIN = "napari-masked-blur"


def test_coins_sample_has_a_mask_over_several_coins(make_napari_viewer):
    viewer = make_napari_viewer(strict_qt=True)
    viewer.open_sample(PLUGIN, "coins")
    image, mask = viewer.layers
    assert image.data.shape == mask.data.shape == (303, 384)
    ids = np.unique(mask.data)
    assert list(ids) == [0, 1, 2, 3, 4, 5, 6]
    # each label is one coin: brighter than the background around it
    for label in ids[1:]:
        assert image.data[mask.data == label].mean() > image.data[mask.data == 0].mean()


def test_volume_sample_is_3d_anisotropic_with_two_labels(make_napari_viewer):
    viewer = make_napari_viewer(strict_qt=True)
    viewer.open_sample(PLUGIN, "volume")
    image, mask = viewer.layers
    assert image.data.shape == mask.data.shape == (40, 128, 128)
    assert tuple(image.scale) == tuple(mask.scale) == (2.0, 0.5, 0.5)
    assert f"{image.units[0]:~}" == "µm"
    assert list(np.unique(mask.data)) == [0, 1, 2]


def test_timelapse_sample_has_frames_cells_per_frame_and_one_roi(
    make_napari_viewer, qtbot
):
    viewer = make_napari_viewer(strict_qt=True)
    viewer.open_sample(PLUGIN, "timelapse")
    image, cells, roi = viewer.layers
    assert image.data.shape == cells.data.shape == (20, 128, 128)
    assert roi.data.shape == (128, 128)
    assert tuple(image.axis_labels) == ("t", "y", "x")
    # every cell in every frame, and the cells move
    assert all(len(np.unique(frame)) == 7 for frame in cells.data)
    assert not np.array_equal(cells.data[0], cells.data[-1])
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Masked Gaussian blur")
    assert widget["smooth_over"].current_choice == "y, x"
    widget["mask"].value = roi
    qtbot.waitUntil(
        lambda: (
            widget.session.plan is not None
            and widget.session.plan.complete
            and not widget.runner.busy
        ),
        timeout=60_000,
    )
    out = viewer.layers["drifting cells masked blur"].data
    from napari_masked_blur import masked_gaussian

    expected = masked_gaussian(image.data, roi.data, 3.0, axes=(1, 2))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-2)


def test_layers_filter_menu_opens_the_widget(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(strict_qt=True)
    menus = {
        a.text().replace("&", ""): a.menu() for a in viewer.window.layers_menu.actions()
    }
    filters = next(menu for text, menu in menus.items() if text.startswith("Filter"))
    filters.aboutToShow.emit()  # napari fills plugin entries when shown
    action = next(a for a in filters.actions() if "Masked Gaussian blur" in a.text())
    action.trigger()
    qtbot.waitUntil(lambda: len(viewer.window.dock_widgets) > 0, timeout=10_000)
    assert any("Masked Gaussian blur" in name for name in viewer.window.dock_widgets)
