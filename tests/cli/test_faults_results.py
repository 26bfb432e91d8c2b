"""Every error of ``napari-masked-blur blur`` is one line, naming the file or
the value, with exit status 2: argparse's own errors (no usage text before
them), settings files, inputs without pixels, metadata that cannot be true.

Also what an output keeps of the input's metadata: a time-lapse's time
step and unit in OME-Zarr and OME-TIFF.

Run as the user runs it, in a subprocess: what stderr holds is the whole
answer.  The fuzz at the end draws hostile arguments and files (the
strategies of :mod:`tests.cli.test_faults_fuzz`) and holds every refusal to
exactly one line.
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr
from pathlib import Path

import numpy as np
import pytest
import tifffile
from hypothesis import given
from hypothesis import strategies as st

from napari_masked_blur._cli import blur as blur_command
from tests.cli.test_faults_fuzz import (
    FUZZ,
    OUTPUTS,
    arrays,
    file_bytes,
    integers,
    numbers,
    options,
    run,
)

SRC = Path(__file__).resolve().parents[2] / "src"
PREFIX = "napari-masked-blur blur: error: "


def command(*arguments, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), *sys.path]))
    return subprocess.run(
        [sys.executable, "-m", "napari_masked_blur", "blur", *map(str, arguments)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def refused(done: subprocess.CompletedProcess) -> str:
    """The one line of a refusal: exit 2, nothing else on stderr or stdout."""
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(PREFIX), lines
    return lines[0]


@pytest.fixture
def folder(tmp_path):
    np.save(tmp_path / "img.npy", np.arange(90, dtype=np.float32).reshape(9, 10))
    tifffile.imwrite(tmp_path / "mask.tif", np.ones((9, 10), np.uint8))
    (tmp_path / "bad.json").write_text(json.dumps({"format": 1, "sigma": -1}))
    return tmp_path


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--sigma", "x"], "argument --sigma: expected numbers, got 'x'"),
        (["--sigma", "1", "--truncate", "x"], "--truncate: invalid float value: 'x'"),
        (["--sigma", "1", "--mode", "bogus"], "invalid choice: 'bogus'"),
        (["--sigma", "1", "--chunks", "0"], "chunks must be > 0, got '0'"),
        (["--sigma", "1", "--labels", "a"], "expected integers, got 'a'"),
        (["--sigma", "1", "--workers", "0"], "expected a whole number > 0, got '0'"),
        (["--sigma", "1", "--bogus"], "unrecognized arguments: --bogus"),
        ([], "--sigma is required"),
        (["--settings"], "argument --settings: expected one argument"),
        (["--settings", "bad.json"], "bad.json: sigma must be finite and >= 0"),
        (["--settings", "none.json"], "No such file or directory: 'none.json'"),
        (["--sigma", "nan"], "sigma must be finite and >= 0, got nan"),
        (["--sigma", "1", "--units", "furlong"], "unknown length unit 'furlong'"),
    ],
)
def test_an_argument_error_is_one_line_naming_the_value(folder, options, said):
    done = command("img.npy", "mask.tif", "-o", "out.tif", *options, cwd=folder)
    assert said in refused(done)
    assert not (folder / "out.tif").exists()


def test_a_missing_output_option_is_one_line(folder):
    line = refused(command("img.npy", "mask.tif", "--sigma", "1", cwd=folder))
    assert "the following arguments are required: -o/--output" in line


def _save(path: Path, array: np.ndarray) -> None:
    if path.suffix == ".npy":
        np.save(path, array)
    else:
        tifffile.imwrite(path, array)


@pytest.mark.filterwarnings("ignore:.*zero-size")
@pytest.mark.parametrize("role", ["image", "mask"])
@pytest.mark.parametrize(
    ("name", "array", "said"),
    [
        ("rows.npy", np.zeros((0, 10), np.float32), "0 pixels: its image has shape"),
        ("one.npy", np.float32(3), "a single value (a 0-d array), not an image"),
        ("rows.tif", np.zeros((0, 10), np.uint8), "0 pixels: its image has shape"),
        ("empty.npy", None, "the file is empty"),
        ("empty.tif", None, "the file is empty"),
    ],
)
def test_an_input_without_pixels_is_named_and_not_called_truncated(
    folder, role, name, array, said
):
    if array is None:
        (folder / name).write_bytes(b"")
    else:
        _save(folder / name, array)
    image, mask = (name, "mask.tif") if role == "image" else ("img.npy", name)
    line = refused(command(image, mask, "--sigma", "1", "-o", "o.tif", cwd=folder))
    assert f"'{name}'" in line and said in line
    assert "truncated" not in line


# --- what the metadata says: sizes that cannot be true, the time step ---------


def _ome_tiff(path: Path, axes: str, **sizes) -> None:
    shape = (4, 9, 10)
    volume = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    tifffile.imwrite(path, volume, ome=True, metadata={"axes": axes, **sizes})
    tifffile.imwrite(path.parent / "m.tif", np.ones(shape, np.uint8))


@pytest.mark.parametrize(
    ("size", "options", "output"),
    [
        (0.0, ["--units", "um"], "out.tif"),  # sigma / 0 µm: was taken as 1 µm
        (float("nan"), [], "out.ome.zarr"),  # was a bare NaN in zarr.json
        (-0.5, [], "out.ome.tif"),  # was written into the OME-XML
    ],
)
def test_an_impossible_pixel_size_is_refused_from_its_metadata(
    tmp_path, size, options, output
):
    _ome_tiff(tmp_path / "v.ome.tif", "ZYX", PhysicalSizeY=size, PhysicalSizeX=0.5)
    done = command(
        "v.ome.tif", "m.tif", "--sigma", "1", *options, "-o", output, cwd=tmp_path
    )
    line = refused(done)
    assert f"'v.ome.tif' has a pixel size {size!r} µm along its axis 1 (Y)" in line
    assert "from its metadata" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tif", "v.ome.tif"]


@pytest.mark.parametrize("output", ["out.ome.zarr", "out.ome.tif"])
def test_a_time_lapse_output_keeps_its_time_step_and_unit(tmp_path, output):
    _ome_tiff(
        tmp_path / "t.ome.tif", "TYX", PhysicalSizeY=0.5, PhysicalSizeX=0.5,
        TimeIncrement=2.5, TimeIncrementUnit="min",
    )  # fmt: skip
    done = command("t.ome.tif", "m.tif", "--sigma", "1", "-o", output, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    if output.endswith(".zarr"):
        ome = json.loads((tmp_path / output / "zarr.json").read_text())
        (multiscale,) = ome["attributes"]["ome"]["multiscales"]
        assert multiscale["axes"][0] == {"name": "t", "type": "time", "unit": "minute"}
        (scale,) = multiscale["datasets"][0]["coordinateTransformations"]
        assert scale["scale"] == [2.5, 0.5, 0.5]
    else:
        with tifffile.TiffFile(tmp_path / output) as tif:
            pixels = tifffile.xml2dict(tif.ome_metadata)["OME"]["Image"]["Pixels"]
        assert (pixels["TimeIncrement"], pixels["TimeIncrementUnit"]) == (2.5, "min")


# --- the fuzz: every refusal is exactly one line ------------------------------


def check_one_line(status, lines, before, after) -> None:
    """A refusal is exit 2 and one line on stderr; found only while reading
    the pixels (a damaged file, a negative weight), the lines of the work
    that began (its axes, its progress bar) come before that line."""
    said = [line for line in lines if not line.startswith("[") and line.strip()]
    if status == 2:
        errors = [line for line in said if line.startswith(PREFIX)]
        assert len(errors) == 1 and said[-1] == errors[0], lines
        # Before the work: the error alone.  Found while reading the pixels:
        # the lines of the work that began before it.  The axes line is said
        # only once every check has passed, and a progress bar only for work
        # past a second, so either shows that the work began.
        started = any(line.startswith(("[", "smoothing axes")) for line in lines)
        assert started or len(said) == 1, lines
        assert all(line.startswith("smoothing axes") for line in said[:-1]), lines
        assert after == before
    else:
        assert status == 0, lines
        assert not any("error" in line for line in said), lines


@st.composite
def more_options(draw):
    """The fuzz suite's options, and those of units, axes, filters, engines."""
    chosen = draw(options())
    for option, values in [
        ("--units", st.sampled_from(["um", "px", "furlong", "", "µm"])),
        ("--axes", integers),
        ("--filter", st.sampled_from(["gaussian", "local_mean", "bogus"])),
        ("--method", st.sampled_from(["auto", "band", "lowrank", "nope"])),
        ("--spacing", numbers),
        ("--settings", st.sampled_from(["", "absent.json"])),
    ]:
        if draw(st.booleans()):
            chosen += [option, draw(values)]
    return chosen


@FUZZ
@given(image=arrays(), mask=arrays(), chosen=more_options(), output=OUTPUTS)
def test_every_refusal_of_hostile_arguments_is_one_line(image, mask, chosen, output):
    image_file, mask_file = io.BytesIO(), io.BytesIO()
    np.save(image_file, image)
    if mask.dtype.kind in "bc" or mask.size == 0:
        mask = (mask != 0).astype(np.uint8) if mask.size else np.ones((9, 10), "u1")
    tifffile.imwrite(mask_file, mask)
    check_one_line(*run(image_file.getvalue(), mask_file.getvalue(), chosen, output))


@FUZZ
@given(
    image=file_bytes("image.npy"),
    mask=file_bytes("mask.tif"),
    output=st.sampled_from(["out.zarr", "out.ome.tif", "out.npy"]),
)
def test_every_refusal_of_a_damaged_file_is_one_line(image, mask, output):
    check_one_line(*run(image, mask, ["--sigma", "1"], output))


HOSTILE_STEPS = [0.0, -0.0, -1.0, float("nan"), float("inf"), 1e-300, 1e300, 0.5]


def _strict_json(text: str):
    """JSON as the standard has it: a bare NaN or Infinity is an error."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@FUZZ
@given(
    sizes=st.tuples(*[st.sampled_from(HOSTILE_STEPS)] * 2),
    time=st.sampled_from([None, *HOSTILE_STEPS]),
    units=st.sampled_from([[], ["--units", "um"]]),
    output=st.sampled_from(["out.ome.zarr", "out.ome.tif", "out.tif"]),
)
def test_hostile_metadata_ends_cleanly_and_is_never_written(sizes, time, units, output):
    metadata = {"axes": "TYX", "PhysicalSizeY": sizes[0], "PhysicalSizeX": sizes[1]}
    if time is not None:
        metadata["TimeIncrement"] = time
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        volume = np.linspace(0, 1, 3 * 9 * 10, dtype=np.float32).reshape(3, 9, 10)
        tifffile.imwrite(folder / "t.ome.tif", volume, ome=True, metadata=metadata)
        tifffile.imwrite(folder / "m.tif", np.ones((3, 9, 10), np.uint8))
        said = io.StringIO()
        with redirect_stderr(said):
            status = blur_command.main(
                [str(folder / "t.ome.tif"), str(folder / "m.tif"), "--sigma", "1",
                 *units, "-o", str(folder / output)]
            )  # fmt: skip
        lines = said.getvalue().replace("\r", "\n").splitlines()
        steps = [s for s in (*sizes, time) if s is not None]
        bad = [s for s in steps if not (math.isfinite(s) and s > 0)]
        if bad:  # refused, by name, with nothing written
            errors = [line for line in lines if not line.startswith("[")]
            assert status == 2 and len(errors) == 1, lines
            assert "'" + str(folder / "t.ome.tif") + "' has a " in errors[0]
            assert "from its metadata" in errors[0]
            assert not (folder / output).exists()
            return
        assert status == 0, lines
        if output.endswith(".zarr"):
            ome = _strict_json((folder / output / "zarr.json").read_text())
            (multiscale,) = ome["attributes"]["ome"]["multiscales"]
            (scale,) = multiscale["datasets"][0]["coordinateTransformations"]
            assert scale["scale"] == [1.0 if time is None else time, *sizes]


def test_a_batch_refused_for_many_problems_says_them_on_one_line(tmp_path):
    for folder in ("images", "masks"):
        (tmp_path / folder).mkdir()
    for stem in "abc":
        np.save(tmp_path / "images" / f"{stem}.npy", np.ones((5, 6), np.float32))
    np.save(tmp_path / "masks" / "a.npy", np.ones((5, 6), np.uint8))
    done = command("images", "masks", "--sigma", "1", "-o", "out/", cwd=tmp_path)
    line = refused(done)
    assert "2 problem(s), nothing done: no mask for 'images/b.npy'" in line
    assert "; no mask for 'images/c.npy' in 'masks'" in line
