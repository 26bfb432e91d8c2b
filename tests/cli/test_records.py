"""What an output records is enough to make it again, on any file.

A sigma in micrometres (``--units um``) takes each file's own pixel size, so
the record of a run, or of a batch, keeps sigma and its unit as the user gave
them, and a spacing only where the user gave one (``--spacing``): applying
any output's record (``--settings``) to any file of the batch gives, bit for
bit, what the batch made of that file.

Run as the user runs it, in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

SRC = Path(__file__).resolve().parents[2] / "src"
SHAPE = (4, 20, 24)
# Two files of one experiment at other pixel sizes (z, y, x in micrometres).
PIXEL_SIZES = {"a": (2.0, 0.5, 0.5), "b": (1.0, 0.25, 0.4)}


def command(*arguments, cwd: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), *sys.path]))
    done = subprocess.run(
        [sys.executable, "-m", "napari_masked_blur", "blur", *map(str, arguments)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def experiment(tmp_path):
    """images/{a,b}.ome.tif at the two pixel sizes, masks/{a,b}.ome.tif."""
    for folder in ("images", "masks"):
        (tmp_path / folder).mkdir()
    rng = np.random.default_rng(4)
    for stem, (z, y, x) in PIXEL_SIZES.items():
        image = (30_000 + 900 * rng.random(SHAPE)).astype(np.uint16)
        mask = np.zeros(SHAPE, np.uint8)
        mask[:, 3:17, 4:20] = 1
        sizes = {"PhysicalSizeZ": z, "PhysicalSizeY": y, "PhysicalSizeX": x}
        tifffile.imwrite(
            tmp_path / "images" / f"{stem}.ome.tif",
            image,
            ome=True,
            metadata={"axes": "ZYX", **sizes},
        )
        tifffile.imwrite(tmp_path / "masks" / f"{stem}.ome.tif", mask)
    return tmp_path


def settings_of(output: Path, into: Path) -> Path:
    """The settings part of a ``.npy`` output's record, as a settings file."""
    record = json.loads(output.with_name(output.name + ".json").read_text())
    into.write_text(json.dumps(record["settings"]))
    return into


def test_each_record_of_a_physical_batch_remakes_every_file_bit_for_bit(experiment):
    command(
        "images", "masks", "--sigma", "1.5,1,1", "--units", "um",
        "-o", "out/{stem}.npy", cwd=experiment,
    )  # fmt: skip
    for made_by in PIXEL_SIZES:
        settings = settings_of(
            experiment / "out" / f"{made_by}.npy", experiment / f"{made_by}.json"
        )
        recorded = json.loads(settings.read_text())
        assert recorded["sigma"] == [1.5, 1.0, 1.0] and recorded["units"] == "um"
        assert recorded["spacing"] is None  # the file's own, each time
        for stem in PIXEL_SIZES:
            again = experiment / f"{stem}_by_{made_by}.npy"
            command(
                f"images/{stem}.ome.tif", f"masks/{stem}.ome.tif",
                "--settings", settings, "-o", again, cwd=experiment,
            )  # fmt: skip
            batch = np.load(experiment / "out" / f"{stem}.npy")
            np.testing.assert_array_equal(np.load(again), batch)


def test_the_record_of_one_run_remakes_it_on_a_file_of_another_pixel_size(
    experiment,
):
    command(
        "images/a.ome.tif", "masks/a.ome.tif", "--sigma", "1.5", "--units", "um",
        "-o", "a.npy", cwd=experiment,
    )  # fmt: skip
    settings = settings_of(experiment / "a.npy", experiment / "a.json")
    assert json.loads(settings.read_text())["sigma"] == 1.5
    command(
        "images/b.ome.tif", "masks/b.ome.tif", "--settings", settings,
        "-o", "b_by_a.npy", cwd=experiment,
    )  # fmt: skip
    command(
        "images/b.ome.tif", "masks/b.ome.tif", "--sigma", "1.5", "--units", "um",
        "-o", "b.npy", cwd=experiment,
    )  # fmt: skip
    b = np.load(experiment / "b.npy")
    np.testing.assert_array_equal(np.load(experiment / "b_by_a.npy"), b)
    assert not np.array_equal(b, np.load(experiment / "a.npy"))  # other sizes


def test_a_spacing_the_user_gave_is_recorded_and_applied_as_given(experiment):
    command(
        "images/a.ome.tif", "masks/a.ome.tif", "--sigma", "1.5", "--units", "um",
        "--spacing", "3,1,1", "-o", "a.npy", cwd=experiment,
    )  # fmt: skip
    settings = settings_of(experiment / "a.npy", experiment / "a.json")
    assert json.loads(settings.read_text())["spacing"] == [3.0, 1.0, 1.0]
    command(
        "images/a.ome.tif", "masks/a.ome.tif", "--settings", settings,
        "-o", "again.npy", cwd=experiment,
    )  # fmt: skip
    again = np.load(experiment / "again.npy")
    np.testing.assert_array_equal(again, np.load(experiment / "a.npy"))
