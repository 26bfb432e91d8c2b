"""Hostile arguments and files: the command ends with 0 or 2, says one line
about what is wrong, and leaves nothing behind."""

from __future__ import annotations

import io
import json
import tempfile
from contextlib import redirect_stderr
from pathlib import Path

import numpy as np
import tifffile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from napari_masked_blur._cli import blur as blur_command

SHAPE = (3, 9, 10)
DTYPES = ["bool", "uint8", "int16", "uint16", "int64", "float32", ">f8", "complex64"]

HOSTILE_NUMBERS = ["0", "-1", "nan", "inf", "-inf", "1e400", "1e-300", "", "x", "1,2"]
HOSTILE_INTEGERS = ["0", "-3", "-1", str(2**70), str(-(2**70)), "1.5", "", "a"]

# Mostly sensible values, so that most runs get past the arguments.
numbers = st.one_of(
    st.floats(0.3, 3).map(lambda x: f"{x:.3g}"),
    st.floats(0.3, 3).map(lambda x: f"{x:.3g},{x:.3g},{x:.3g}"),
    st.sampled_from(HOSTILE_NUMBERS),
)
integers = st.one_of(
    st.integers(1, 4).map(str),
    st.just("1,2,3"),
    st.sampled_from(HOSTILE_INTEGERS),
)


@st.composite
def arrays(draw):
    """A small array of a hostile dtype, maybe with NaN, inf or negatives."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(st.sampled_from([SHAPE, SHAPE[1:], (3, 9, 11), (0, 9, 10)]))
    values = np.random.default_rng(draw(st.integers(0, 9))).normal(size=shape) * 3
    if dtype.kind in "fc":
        special = draw(st.sampled_from([None, np.nan, np.inf, -1.0]))
        if special is not None and values.size:
            values.flat[draw(st.integers(0, values.size - 1))] = special
    with np.errstate(invalid="ignore"):
        return values.astype(dtype)


@st.composite
def file_bytes(draw, name: str):
    """The bytes of a .npy or .tif file, whole or damaged."""
    array = draw(arrays())
    buffer = io.BytesIO()
    if name.endswith(".npy"):
        np.save(buffer, array)
    else:
        if array.dtype.kind in "bc" or array.size == 0:
            array = np.zeros(SHAPE, np.uint8)
        tifffile.imwrite(buffer, array)
    data = bytearray(buffer.getvalue())
    damage = draw(st.sampled_from(["none", "cut", "flip", "empty"]))
    if damage == "cut":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "flip":
        where = draw(st.integers(0, min(len(data), 200) - 1))
        data[where] ^= draw(st.integers(1, 255))
    elif damage == "empty":
        data = bytearray()
    return bytes(data)


@st.composite
def options(draw):
    """A few options, each drawn from sensible and absurd values."""
    chosen = ["--sigma", draw(numbers)]
    for option, values in [
        ("--truncate", numbers),
        ("--spacing", numbers),
        ("--labels", integers),
        ("--chunks", integers),
        ("--channel-axis", integers),
        ("--mode", st.sampled_from(["reflect", "missing", "wrap", "bogus"])),
        ("--outside", st.sampled_from(["keep", "nan", "fill", "zero", "?"])),
    ]:
        if draw(st.booleans()):
            chosen += [option, draw(values)]
    if draw(st.booleans()):
        chosen.append("--per-label")
    return chosen


def run(image: bytes, mask: bytes, chosen: list[str], output: str):
    """Run on the files ``image.npy`` and ``mask.tif`` made of these bytes;
    return the status, what was said and the folder before and after."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "image.npy").write_bytes(image)
        (folder / "mask.tif").write_bytes(mask)
        before = sorted(p.name for p in folder.iterdir())
        said = io.StringIO()
        arguments = [str(folder / "image.npy"), str(folder / "mask.tif"), *chosen]
        with redirect_stderr(said):
            status = blur_command.main([*arguments, "-o", str(folder / output)])
        after = sorted(p.name for p in folder.iterdir())
    return status, said.getvalue().replace("\r", "\n").splitlines(), before, after


def check_clean_end(status, lines, before, after, output) -> None:
    """Exit 0 with the output alone added (and a .npy output's record, its
    sidecar), or 2 with one error line and nothing added; never a traceback."""
    assert status in (0, 2), lines
    assert not any("Traceback" in line for line in lines)
    if status == 2:
        errors = [line for line in lines if "error:" in line]
        assert len(errors) == 1, lines
        assert after == before
    else:
        sidecar = [f"{output}.json"] if output.endswith(".npy") else []
        assert after == sorted({*before, output, *sidecar})


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OUTPUTS = st.sampled_from(["out.npy", "out.tif", "out.zarr", "out", "image.npy"])


@FUZZ
@given(image=arrays(), mask=arrays(), chosen=options(), output=OUTPUTS)
def test_hostile_arguments_end_cleanly(image, mask, chosen, output):
    image_file, mask_file = io.BytesIO(), io.BytesIO()
    np.save(image_file, image)
    if mask.dtype.kind in "bc" or mask.size == 0:
        mask = (mask != 0).astype(np.uint8) if mask.size else np.ones(SHAPE, "u1")
    tifffile.imwrite(mask_file, mask)
    result = run(image_file.getvalue(), mask_file.getvalue(), chosen, output)
    check_clean_end(*result, output)


@FUZZ
@given(image=file_bytes("image.npy"), mask=file_bytes("mask.tif"))
def test_damaged_files_end_cleanly(image, mask):
    result = run(image, mask, ["--sigma", "1"], "out.zarr")
    check_clean_end(*result, "out.zarr")


# Settings files: whatever they hold, a bounded read and one line.

json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@st.composite
def settings_texts(draw):
    """A settings document, sensible or hostile: deep, huge, junk, or odd keys."""
    kind = draw(st.sampled_from(["document", "deep", "huge", "junk", "values"]))
    if kind == "document":
        sigma = draw(st.sampled_from(HOSTILE_NUMBERS))
        return '{"format": 1, "sigma": ' + sigma + "}"
    if kind == "deep":
        depth = draw(st.integers(1, 200_000))
        return draw(st.sampled_from(["[", '{"a":'])) * depth
    if kind == "huge":
        return '{"format": 1, "sigma": 1' + " " * draw(st.integers(0, 2 << 20)) + "}"
    if kind == "junk":
        return draw(st.binary(max_size=64)).decode("latin-1")
    keys = st.sampled_from(["format", "sigma", "mode", "labels", "axes", "spacing"])
    document = draw(st.dictionaries(keys, json_values, max_size=4))
    return json.dumps({"format": 1, **document})


@FUZZ
@given(text=settings_texts())
def test_hostile_settings_files_end_cleanly(text):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        np.save(folder / "image.npy", np.ones(SHAPE, np.float32))
        np.save(folder / "mask.npy", np.ones(SHAPE, bool))
        (folder / "s.json").write_text(text, encoding="latin-1")
        before = sorted(p.name for p in folder.iterdir())
        said = io.StringIO()
        arguments = [str(folder / n) for n in ("image.npy", "mask.npy")]
        arguments += ["--settings", str(folder / "s.json")]
        with redirect_stderr(said):
            status = blur_command.main([*arguments, "-o", str(folder / "o.tif")])
        after = sorted(p.name for p in folder.iterdir())
    lines = said.getvalue().replace("\r", "\n").splitlines()
    check_clean_end(status, lines, before, after, "o.tif")


def test_an_endless_settings_file_is_one_error_line(tmp_path, capsys):
    np.save(tmp_path / "image.npy", np.ones(SHAPE, np.float32))
    np.save(tmp_path / "mask.npy", np.ones(SHAPE, bool))
    arguments = [str(tmp_path / n) for n in ("image.npy", "mask.npy")]
    status = blur_command.main(
        [*arguments, "--settings", "/dev/zero", "-o", str(tmp_path / "o.tif")]
    )
    assert status == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "/dev/zero: larger than 1 MiB" in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image.npy", "mask.npy"]


# A resumed batch: it keeps an existing output only when it is whole and made
# with the same settings; a damaged one refuses the batch and stays as it is.

DAMAGES = {
    ".npy": ["none", "cut", "record gone", "other settings"],
    ".tif": ["none", "cut"],
    ".zarr": ["none", "record gone", "other settings"],
}


def damage_output(output: Path, damage: str, where: int) -> None:
    """Damage the output of a batch as a failed copy, a disk or a user might."""
    import zarr

    if damage == "cut":
        data = output.read_bytes()
        output.write_bytes(data[: where % len(data)])
    elif damage == "record gone" and output.suffix == ".npy":
        Path(f"{output}.json").unlink()
    elif damage == "other settings" and output.suffix == ".npy":
        record = json.loads(Path(f"{output}.json").read_text())
        record["settings"]["sigma"] = 2.5
        Path(f"{output}.json").write_text(json.dumps(record))
    elif output.suffix == ".zarr":
        attributes = zarr.open_array(output).attrs
        record = attributes["napari-masked-blur"]
        if damage == "record gone":
            attributes["napari-masked-blur"] = {"note": "not a record"}
        elif damage == "other settings":
            record["settings"]["mode"] = "reflect"
            attributes["napari-masked-blur"] = record


def contents(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    suffix=st.sampled_from(sorted(DAMAGES)),
    data=st.data(),
    where=st.integers(0, 10**6),
)
def test_a_resumed_batch_never_keeps_a_damaged_output(suffix, data, where):
    damage = data.draw(st.sampled_from(DAMAGES[suffix]))
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        for folder in ("images", "masks"):
            (root / folder).mkdir()
        np.save(
            root / "images" / "a.npy", np.arange(90, dtype=np.float32).reshape(9, 10)
        )
        np.save(root / "masks" / "a.npy", np.ones((9, 10), bool))
        arguments = [str(root / "images"), str(root / "masks"), "--sigma", "1"]
        arguments += ["-o", str(root / "out" / f"{{stem}}{suffix}")]
        with redirect_stderr(io.StringIO()):
            assert blur_command.main(arguments) == 0
        damage_output(root / "out" / f"a{suffix}", damage, where)
        before = contents(root / "out")
        said = io.StringIO()
        with redirect_stderr(said):
            status = blur_command.main(arguments)
        lines = said.getvalue().splitlines()
        assert contents(root / "out") == before  # skipped or refused: untouched
    if damage == "none":
        assert status == 0 and any("skipping 1 of 1" in line for line in lines)
    else:
        errors = [line for line in lines if "error:" in line]
        assert status == 2 and len(errors) == 1, (damage, lines)
        assert "exist but are not what this run would write" in errors[0]
