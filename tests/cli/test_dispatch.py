"""The napari-masked-blur command: top-level help and dispatch."""

from __future__ import annotations

import subprocess
import sys

from napari_masked_blur._command import main


def test_help_names_every_subcommand(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for word in ("blur", "bench", "IMAGE [MASK]", "--sample", "--screenshot"):
        assert word in text


def test_python_dash_m_runs_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "napari_masked_blur", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "napari-masked-blur blur IMAGE MASK" in result.stdout


def test_anything_but_a_subcommand_goes_to_the_demo(capsys):
    assert main(["--no-such-option"]) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_the_demo_reports_a_missing_image_before_opening_napari(tmp_path, capsys):
    assert main([str(tmp_path / "absent.npy")]) == 1
    assert "napari-masked-blur: no such file" in capsys.readouterr().err
