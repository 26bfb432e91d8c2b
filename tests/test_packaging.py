"""The napari manifest: one file, found by npe2 in an editable install and a wheel.

npe2 reads a plugin's manifest only from its package directory, so the real
file is ``src/napari_masked_blur/napari.yaml`` and the top-level
``napari.yaml`` is a relative symlink to it.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import distribution
from importlib.resources import files
from pathlib import Path

import pytest

npe2 = pytest.importorskip("npe2")

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "src" / "napari_masked_blur" / "napari.yaml"
DIST = "napari-masked-blur"


def test_top_level_manifest_is_a_relative_link_to_the_package_one():
    top = ROOT / "napari.yaml"
    assert top.is_symlink()
    assert os.readlink(top) == "src/napari_masked_blur/napari.yaml"
    assert top.resolve() == MANIFEST.resolve()


def test_installed_distribution_registers_the_plugin():
    (entry,) = distribution(DIST).entry_points.select(group="napari.manifest")
    assert entry.value == "napari_masked_blur:napari.yaml"
    assert Path(str(files("napari_masked_blur") / "napari.yaml")).read_bytes() == (
        MANIFEST.read_bytes()
    )
    manifest = npe2.PluginManifest.from_distribution(DIST)
    assert manifest.name == DIST
    # the docked widget, then one function per filter (tests/qt checks them)
    assert manifest.contributions.widgets[0].display_name == "Masked Gaussian blur"
    assert {s.key for s in manifest.contributions.sample_data} == {
        "coins",
        "volume",
        "timelapse",
    }


def _copy_source(target: Path) -> Path:
    skip = shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "site", "*.egg-info", "__pycache__", ".*cache"
    )
    return Path(shutil.copytree(ROOT, target, symlinks=True, ignore=skip))


@pytest.mark.slow
def test_built_wheel_ships_the_manifest_and_registers_the_plugin(tmp_path):
    source = _copy_source(tmp_path / "source")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist"],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo("napari_masked_blur/napari.yaml")
        assert (info.external_attr >> 16) & 0o170000 != 0o120000, "a symlink"
        assert archive.read(info) == MANIFEST.read_bytes()
        (entry_points,) = [
            n for n in archive.namelist() if n.endswith("entry_points.txt")
        ]
        assert "napari-masked-blur = napari_masked_blur:napari.yaml" in (
            archive.read(entry_points).decode()
        )

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--target", target, wheel],
        check=True,
    )  # fmt: skip
    probe = (
        "import npe2, napari_masked_blur as p;"
        "m = npe2.PluginManifest.from_distribution('napari-masked-blur');"
        "print(p.__file__); print(m.name, m.contributions.widgets[0].display_name)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert Path(out[0]).is_relative_to(target)
    assert out[1] == "napari-masked-blur Masked Gaussian blur"
