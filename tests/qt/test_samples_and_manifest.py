"""The manifest's contributions as napari shows them: samples and the menu entry."""

from pathlib import Path

import numpy as np
import pytest

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


def manifest():
    import yaml

    import napari_masked_blur

    path = Path(napari_masked_blur.__file__).with_name("napari.yaml")
    return yaml.safe_load(path.read_text())["contributions"]


def test_the_manifest_contributes_every_filter_as_a_function():
    from napari_masked_blur import FILTERS

    contributions = manifest()
    wanted = [f"{PLUGIN}.masked_{name}" for name in FILTERS]
    commands = {c["id"]: c["python_name"] for c in contributions["commands"]}
    functions = [c for c in commands if c.startswith(f"{PLUGIN}.masked_")]
    assert functions == wanted, "napari.yaml lists other filters than FILTERS"
    for name in FILTERS:
        assert commands[f"{PLUGIN}.masked_{name}"] == (
            f"napari_masked_blur._qt.layer_functions:masked_{name}"
        )
    widgets = {w["command"]: w for w in contributions["widgets"]}
    assert all(widgets[c].get("autogenerate") for c in wanted)
    menu = [m["command"] for m in contributions["menus"]["napari/layers/filter"]]
    assert menu == [f"{PLUGIN}.widget", *wanted]


@pytest.mark.parametrize("name", ["gaussian", "local_std", "local_correlation"])
def test_each_function_is_the_public_filter_on_layer_data(name):
    from napari_masked_blur import FILTERS
    from napari_masked_blur._qt import layer_functions

    image = np.arange(20 * 30, dtype=np.float32).reshape(20, 30)
    other = np.sin(image / 7).astype(np.float32)
    mask = np.zeros((20, 30), np.uint8)
    mask[3:17, 4:25] = 1
    function = getattr(layer_functions, f"masked_{name}")
    if name == "local_correlation":
        got, expected = (
            function(image, other, mask, 2.0),
            FILTERS[name](image, other, mask, 2.0),
        )
    else:
        got, expected = function(image, mask, 2.0), FILTERS[name](image, mask, 2.0)
    np.testing.assert_array_equal(got, expected)
    assert function.__name__ == f"masked_{name}"


def test_npe2_validates_the_manifest_with_its_imports():
    import os
    import shutil
    import subprocess
    import sys

    npe2 = shutil.which("npe2", path=Path(sys.executable).parent)
    done = subprocess.run(
        [npe2, "validate", PLUGIN, "--imports"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid" in done.stdout


def test_a_function_widget_runs_from_the_plugins_menu(make_napari_viewer, qtbot):
    from napari_masked_blur import masked_local_mean

    viewer = make_napari_viewer(strict_qt=True)
    viewer.open_sample(PLUGIN, "coins")
    _, widget = viewer.window.add_plugin_dock_widget(
        PLUGIN, "Masked local mean (function)"
    )
    widget.sigma.value = 2.0
    widget()  # "Run", as the button does
    qtbot.waitUntil(lambda: len(viewer.layers) == 3, timeout=30_000)
    result = viewer.layers[-1]
    image, mask = viewer.layers["coins"].data, viewer.layers["coins mask"].data
    np.testing.assert_allclose(result.data, masked_local_mean(image, mask, 2.0))
