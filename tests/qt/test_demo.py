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
import tifffile

from napari_masked_blur._cli.demo import SAMPLES, main, open_viewer, read_array

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
    pixels = read_array(path)
    return pixels.shape[1], pixels.shape[0]


def test_command_opens_files_with_the_widget_and_the_first_blur(tmp_path):
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
    assert "layers: cells, cells_mask, cells masked blur" in done.stdout
    assert screenshot_size(shot) >= (1000, 600)  # the whole window, dock included


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
    viewer, widget = open_viewer([("cells", image)])
    try:
        assert [layer.name for layer in viewer.layers] == [
            "cells",
            "mask",
            "cells masked blur",
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
        assert names[:3] == [
            "drifting cells",
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
