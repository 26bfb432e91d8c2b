"""What the writers do when the disk says no, and what an output's record and
store may hold: each run in its own process, as the user runs it.

- a write that the system takes only in part (``os.pwrite`` returning a short
  count) is finished by further writes: the output holds every byte;
- a full disk (a 256 KiB tmpfs, when one can be mounted) ends the run with
  exit 1 and one line naming the output, and leaves nothing at its name;
- the record beside an ``.npy`` output is checked with it, before any work;
- ``--overwrite`` never replaces an ``.ome.zarr`` holding more than its image.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur import masked_gaussian

SHAPE = (16, 64, 64)  # float32: 256 KiB, as much as the small disk holds

# The command in a child process whose os.pwrite writes at most 1000 bytes
# a call, and returns how many it wrote, as the system may.
SHORT_WRITES = textwrap.dedent(
    """
    import os, sys

    real_pwrite = os.pwrite

    def short_pwrite(fd, data, position):
        return real_pwrite(fd, memoryview(data)[:1000], position)

    os.pwrite = short_pwrite
    from napari_masked_blur._cli import blur
    sys.exit(blur.main(sys.argv[1:]))
    """
)
BLUR = "import sys\nfrom napari_masked_blur._cli import blur\nsys.exit(blur.main())"


def run(script: str, *arguments) -> tuple[int, list[str]]:
    """``script`` in a child process with ``arguments``: exit status, stderr lines."""
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stderr.replace("\r", "\n").splitlines()


def said_line(lines: list[str]) -> str:
    """The command's one line about how it ended, no traceback anywhere."""
    assert not any("Traceback" in line for line in lines), lines
    said = [line for line in lines if line.startswith("napari-masked-blur blur:")]
    assert len(said) == 1, lines
    return said[0]


@pytest.fixture
def pair(tmp_path):
    """image.npy (float32, 1 + noise) and an all-inside mask.npy of SHAPE."""
    rng = np.random.default_rng(1)
    np.save(tmp_path / "image.npy", 1 + rng.random(SHAPE, np.float32))
    np.save(tmp_path / "mask.npy", np.ones(SHAPE, bool))
    return tmp_path


def blur_arguments(pair, output, *options) -> list[str]:
    """The image blurred in one chunk: each row of chunks is one long write."""
    arguments = [pair / "image.npy", pair / "mask.npy", "--sigma", "1"]
    chunks = ",".join(map(str, SHAPE))
    return [*map(str, arguments), "-o", str(output), "--chunks", chunks, *options]


@pytest.mark.parametrize("name", ["out.tif", "out.ome.tif", "out.npy"])
def test_short_writes_are_finished_and_the_output_is_whole(pair, name):
    status, lines = run(SHORT_WRITES, *blur_arguments(pair, pair / name))
    assert status == 0, lines
    read = np.load if name.endswith(".npy") else tifffile.imread
    expected = masked_gaussian(
        np.load(pair / "image.npy"), np.load(pair / "mask.npy"), 1
    )
    np.testing.assert_allclose(read(pair / name), expected, rtol=1e-5)


@pytest.mark.parametrize("name", ["out.tif", "out.ome.tif", "out.npy"])
def test_full_disk_in_one_long_write_fails_and_leaves_nothing(pair, small_disk, name):
    (small_disk / "keep.txt").write_text("mine")
    status, lines = run(BLUR, *blur_arguments(pair, small_disk / name))
    assert status == 1, lines
    said = said_line(lines)
    assert "No space left on device" in said and repr(str(small_disk / name)) in said
    assert [p.name for p in small_disk.iterdir()] == ["keep.txt"]
    assert not any(line.startswith("wrote ") for line in lines)


# The record beside an .npy output: checked with the output, before any work.


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_a_folder_where_the_record_goes_is_refused_before_any_work(pair, overwrite):
    (pair / "out.npy.json").mkdir()
    (pair / "out.npy.json" / "mine.txt").write_text("mine")
    status, lines = run(BLUR, *blur_arguments(pair, pair / "out.npy", *overwrite))
    assert status == 2
    assert "out.npy.json" in said_line(lines) and "not replaced" in said_line(lines)
    assert sorted(p.name for p in pair.iterdir()) == [
        "image.npy",
        "mask.npy",
        "out.npy.json",
    ]
    assert (pair / "out.npy.json" / "mine.txt").read_text() == "mine"


def test_a_file_where_the_record_goes_is_replaced_only_with_overwrite(pair):
    (pair / "out.npy.json").write_text("mine")
    status, lines = run(BLUR, *blur_arguments(pair, pair / "out.npy"))
    assert status == 2 and "pass --overwrite" in said_line(lines)
    assert (pair / "out.npy.json").read_text() == "mine"
    assert not (pair / "out.npy").exists()

    status, lines = run(BLUR, *blur_arguments(pair, pair / "out.npy", "--overwrite"))
    assert status == 0, lines
    assert '"settings"' in (pair / "out.npy.json").read_text()
    assert np.load(pair / "out.npy").shape == SHAPE


# --overwrite replaces an image store, never what else a store holds.


def test_overwrite_refuses_an_ome_zarr_holding_labels_and_notes(pair):
    pytest.importorskip("yaozarrs")
    output = pair / "out.ome.zarr"
    status, lines = run(BLUR, *blur_arguments(pair, output))
    assert status == 0, lines
    status, lines = run(BLUR, *blur_arguments(pair, output, "--overwrite"))
    assert status == 0, lines  # the image alone: replaced

    labels = zarr.open_group(output / "labels", mode="w")
    labels.create_array("cells", shape=(2,), dtype="u1")[:] = [3, 4]
    (output / "notes.txt").write_text("mine")
    before = sorted(str(p.relative_to(pair)) for p in pair.rglob("*"))
    status, lines = run(BLUR, *blur_arguments(pair, output, "--overwrite"))
    assert status == 2
    said = said_line(lines)
    assert "'labels', 'notes.txt'" in said and "refused" in said
    assert sorted(str(p.relative_to(pair)) for p in pair.rglob("*")) == before
    assert (output / "notes.txt").read_text() == "mine"
    np.testing.assert_array_equal(zarr.open_array(output / "labels" / "cells"), [3, 4])


def test_overwrite_refuses_a_zarr_group_in_place_of_an_array(pair):
    group = zarr.open_group(pair / "out.zarr", mode="w")
    group.create_array("theirs", shape=(3,), dtype="i4")[:] = [7, 8, 9]
    status, lines = run(BLUR, *blur_arguments(pair, pair / "out.zarr", "--overwrite"))
    assert status == 2 and "'theirs'" in said_line(lines)
    np.testing.assert_array_equal(zarr.open_array(pair / "out.zarr/theirs"), [7, 8, 9])
