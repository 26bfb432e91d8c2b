"""The napari-masked-blur command: top-level help and dispatch."""

from __future__ import annotations

import subprocess
import sys

from napari_masked_blur._cli import main


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
