"""The one-command demo: ``napari-masked-blur [IMAGE [MASK]]``.

The command runs in a subprocess on the test's X display; ``--screenshot``
makes it save the window once the first blur is shown and exit, so the test
waits on the process (with a timeout), not on a clock.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from napari_masked_blur import masked_gaussian
from napari_masked_blur._cli.demo import SAMPLES, main, open_viewer, read_file

TIMEOUT_S = 180


def run_command(args, tmp_path):
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )


def screenshot_size(path: Path) -> tuple[int, int]:
    _, pixels, _ = read_file(path)
    return pixels.shape[1], pixels.shape[0]


def test_command_opens_files_with_the_widget_and_the_first_blur(tmp_path, qapp):
    image = (np.arange(60 * 80).reshape(60, 80) % 251).astype(np.uint8)
    mask = np.zeros((60, 80), np.uint16)
    mask[10:50, 10:40] = 1
    tifffile.imwrite(tmp_path / "cells.tif", image)
    np.save(tmp_path / "cells_mask.npy", mask)
    command = shutil.which("napari-masked-blur", path=Path(sys.executable).parent)
    shot = tmp_path / "window.png"
    args = [command, str(tmp_path / "cells.tif"), str(tmp_path / "cells_mask.npy")]
    done = run_command([*args, "--screenshot", str(shot)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "first blur shown: True" in done.stdout
    # the mask above the result, so the brush is seen
    assert "layers: cells, cells masked blur, cells_mask" in done.stdout
    # the whole window, dock included, sized to the screen (same display)
    screen = qapp.primaryScreen().availableGeometry()
    width, height = screenshot_size(shot)
    assert width >= 0.8 * screen.width() and height >= 0.8 * screen.height()


def test_python_m_opens_the_sample(tmp_path):
    shot = tmp_path / "sample.png"
    done = run_command(
        [sys.executable, "-m", "napari_masked_blur", "--screenshot", str(shot)],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "first blur shown: True" in done.stdout
    assert shot.stat().st_size > 0


def test_missing_file_is_a_message_and_exit_status_1(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere.tif")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_an_image_alone_gets_an_empty_mask_ready_to_paint(qtbot):
    image = np.arange(30 * 40, dtype=np.float32).reshape(30, 40)
    viewer, widget = open_viewer([("cells", image, {})])
    try:
        assert [layer.name for layer in viewer.layers] == [
            "cells",
            "cells masked blur",
            "mask",
        ]
        mask = viewer.layers["mask"]
        assert not mask.data.any() and mask.data.shape == image.shape
        assert mask.mode == "paint" and viewer.layers.selection.active is mask
        assert widget["mask"].value is mask
        assert viewer.canvas.grid.enabled
    finally:
        viewer.close()
        qtbot.waitUntil(lambda: not widget.runner.busy, timeout=30_000)


def test_demo_opens_the_timelapse_sample_smoothing_y_and_x(qtbot):
    viewer, widget = open_viewer([], "timelapse")
    try:
        names = [layer.name for layer in viewer.layers]
        assert names == [
            "drifting cells",
            "drifting cells masked blur",  # under the mask, seen while painting
            "cells (every frame)",
            "ROI (all frames)",
        ]
        assert widget["image"].value is viewer.layers["drifting cells"]
        assert tuple(widget["smooth_over"].value) == (1, 2)  # t is frames
        output = viewer.layers["drifting cells masked blur"]
        assert output.data.shape == (20, 128, 128)
        assert viewer.layers.selection.active is widget["mask"].value
    finally:
        viewer.close()
        qtbot.waitUntil(lambda: not widget.runner.busy, timeout=30_000)


def test_demo_samples_are_the_plugins_samples():
    import yaml

    import napari_masked_blur

    manifest = Path(napari_masked_blur.__file__).with_name("napari.yaml")
    keys = [
        s["key"]
        for s in yaml.safe_load(manifest.read_text())["contributions"]["sample_data"]
    ]
    assert tuple(keys) == SAMPLES


def imagej_movie(path, frames=5):
    """An ImageJ TYX hyperstack, 0.25 µm pixels, brightening 10 % a frame."""
    movie = np.stack(
        [np.full((30, 40), 100 * (1 + 0.1 * t), np.float32) for t in range(frames)]
    )
    movie[:, 10:20, 10:20] += 50
    tifffile.imwrite(
        path,
        movie,
        imagej=True,
        resolution=(4.0, 4.0),
        metadata={"axes": "TYX", "unit": "um"},
    )
    return movie


def test_demo_on_a_tyx_tiff_smooths_y_and_x_only(tmp_path, qtbot):
    movie = imagej_movie(tmp_path / "movie.tif")
    mask = np.zeros((30, 40), np.uint8)
    mask[5:25, 5:35] = 1
    tifffile.imwrite(tmp_path / "roi.tif", mask)
    files = [read_file(tmp_path / "movie.tif"), read_file(tmp_path / "roi.tif")]
    viewer, widget = open_viewer(files)
    try:
        layer = viewer.layers["movie"]
        assert tuple(layer.axis_labels) == ("t", "y", "x")
        np.testing.assert_allclose(layer.scale, (1.0, 0.25, 0.25))
        assert tuple(widget["smooth_over"].value) == (1, 2)  # t is frames
        assert widget["smooth_over"].current_choice == "y, x"
        expected = masked_gaussian(movie, mask, 3.0, axes=(1, 2))
        live = widget.session  # the frames are computed one by one
        qtbot.waitUntil(
            lambda: (
                live.plan is not None and live.plan.complete and not widget.runner.busy
            ),
            timeout=30_000,
        )
        out = viewer.layers["movie masked blur"].data
        np.testing.assert_allclose(out, expected, rtol=1e-5)
        # the frames were not mixed: each frame keeps its own level
        assert out[0, 15, 30] < out[-1, 15, 30]
    finally:
        viewer.close()
        qtbot.waitUntil(lambda: not widget.runner.busy, timeout=30_000)


def test_the_command_opens_a_png(tmp_path):
    import imageio.v3 as iio

    picture = (np.arange(50 * 60).reshape(50, 60) % 200).astype(np.uint8)
    iio.imwrite(tmp_path / "c.png", picture)
    name, pixels, options = read_file(tmp_path / "c.png")
    assert name == "c" and options == {}
    np.testing.assert_array_equal(pixels, picture)
    colour = np.stack([picture, picture // 2, picture // 3], axis=-1)
    iio.imwrite(tmp_path / "rgb.png", colour)
    _, pixels, options = read_file(tmp_path / "rgb.png")
    np.testing.assert_array_equal(pixels, colour)  # RGB, not OpenCV's BGR
    assert options == {"rgb": True, "axis_labels": ("y", "x")}


def test_the_window_fits_the_screen(qtbot):
    from qtpy.QtWidgets import QApplication

    viewer, widget = open_viewer([], "coins")
    try:
        screen = QApplication.primaryScreen().availableGeometry()
        window = viewer.window._qt_window.size()
        assert window.width() >= 0.8 * screen.width()
        assert window.height() >= 0.8 * screen.height()
        # the coins are fitted to the canvas left beside the dock
        zoom = viewer.scene.camera.zoom
        viewer.reset_view()
        assert viewer.scene.camera.zoom == pytest.approx(zoom)
    finally:
        viewer.close()
        qtbot.waitUntil(lambda: not widget.runner.busy, timeout=30_000)


def test_blur_reads_a_png_like_the_demo(tmp_path):
    import imageio.v3 as iio

    from napari_masked_blur._command import main as command

    picture = (np.arange(30 * 40).reshape(30, 40) % 200).astype(np.uint8)
    mask = np.zeros((30, 40), np.uint8)
    mask[5:25, 5:30] = 1
    iio.imwrite(tmp_path / "c.png", picture)
    iio.imwrite(tmp_path / "m.png", mask)
    out = tmp_path / "out.tif"
    argv = ["blur", str(tmp_path / "c.png"), str(tmp_path / "m.png"), "-o", str(out)]
    assert command([*argv, "--sigma", "2"]) == 0
    expected = masked_gaussian(picture, mask, 2.0)
    np.testing.assert_allclose(tifffile.imread(out), expected, rtol=1e-6)
