"""``napari-masked-blur blur`` loses nothing of the user's: outputs that would
replace or change an input, races and links at the output, damaged inputs."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur._api.gaussian import masked_gaussian
from napari_masked_blur._cli import blur as blur_command
from napari_masked_blur._cli.store import store_chunks


def blur(*arguments) -> int:
    return blur_command.main([str(a) for a in arguments])


def listing(folder):
    """Every path under ``folder``, hidden ones too, relative to it."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def error_line(capsys) -> str:
    """The command's one line about the error (after any progress bar)."""
    lines = capsys.readouterr().err.replace("\r", "\n").splitlines()
    assert not any("Traceback" in line for line in lines)
    said = [line for line in lines if line.startswith("napari-masked-blur blur:")]
    assert len(said) == 1, lines
    return said[0]


@pytest.fixture
def group(tmp_path):
    """A Zarr group ``grp.zarr`` holding the image, the mask and another array."""
    rng = np.random.default_rng(2)
    stored = zarr.open_group(tmp_path / "grp.zarr", mode="w")
    stored.create_array("img", shape=(6, 20, 24), dtype="u2")[:] = rng.integers(
        0, 900, (6, 20, 24)
    )
    stored.create_array("mask", shape=(6, 20, 24), dtype=bool)[:] = True
    stored.create_array("other", shape=(3,), dtype="i4")[:] = [7, 8, 9]
    np.save(tmp_path / "mask.npy", np.ones((6, 20, 24), bool))
    return tmp_path


# 1. An output never is, holds or lies inside an input or its Zarr store.


@pytest.mark.parametrize("output", ["grp.zarr", "grp.zarr/new.zarr", "grp.zarr/img"])
def test_output_may_not_replace_or_enter_the_group_holding_the_inputs(
    group, capsys, output
):
    before = listing(group)
    status = blur(
        group / "grp.zarr/img",
        group / "grp.zarr/mask",
        "--sigma",
        "2",
        "-o",
        group / output,
        "--overwrite",
    )
    assert status == 2
    assert "the input" in error_line(capsys)
    assert listing(group) == before
    assert list(zarr.open_array(group / "grp.zarr/other")[:]) == [7, 8, 9]


def test_output_may_not_replace_the_ome_zarr_image_read(tmp_path, capsys):
    image = zarr.open_group(tmp_path / "ome.zarr", mode="w")
    image.create_array("0", shape=(20, 24), dtype="f4")[:] = 1
    image.attrs["ome"] = {
        "version": "0.5",
        "multiscales": [{"datasets": [{"path": "0"}]}],
    }
    np.save(tmp_path / "mask.npy", np.ones((20, 24), bool))
    before = listing(tmp_path)
    for source in ("ome.zarr/0", "ome.zarr"):
        status = blur(
            tmp_path / source,
            tmp_path / "mask.npy",
            "--sigma",
            "1",
            "-o",
            tmp_path / "ome.zarr",
            "--overwrite",
        )
        assert status == 2
        assert "the input" in error_line(capsys)
    assert listing(tmp_path) == before


def test_output_may_not_be_an_input_reached_through_links(group, capsys):
    (group / "alias").symlink_to(group)
    os.link(group / "mask.npy", group / "hard.npy")
    for output in ("alias/mask.npy", "hard.npy"):
        status = blur(
            group / "grp.zarr/img",
            group / "mask.npy",
            "--sigma",
            "1",
            "-o",
            group / output,
            "--overwrite",
        )
        assert status == 2
        assert "is the input" in error_line(capsys)
    assert np.load(group / "mask.npy").all()


def test_output_may_not_be_a_folder_holding_an_input_file(tmp_path, capsys):
    (tmp_path / "box.zarr").mkdir()
    (tmp_path / "box.zarr" / "zarr.json").write_text('{"zarr_format": 3}')
    np.save(tmp_path / "box.zarr" / "image.npy", np.ones((5, 5)))
    status = blur(
        tmp_path / "box.zarr/image.npy",
        tmp_path / "box.zarr/image.npy",
        "--sigma",
        "1",
        "-o",
        tmp_path / "box.zarr",
        "--overwrite",
    )
    assert status == 2
    assert "holds the input" in error_line(capsys)
    assert (tmp_path / "box.zarr" / "image.npy").exists()


# 3. Races and links at the output; a folder as output.


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(4)
    np.save(tmp_path / "image.npy", rng.random((6, 20, 24), np.float32))
    np.save(tmp_path / "mask.npy", rng.random((6, 20, 24)) > 0.3)
    return tmp_path


def appearing_output(output, make):
    """A store that runs, then has another program ``make`` the output."""

    def store(result, target, args):
        store_chunks(result, target, args)
        make(output)

    return store


@pytest.mark.parametrize("name", ["out.npy", "out.zarr"])
def test_output_that_appears_during_the_run_is_not_replaced(
    pair, monkeypatch, capsys, name
):
    output = pair / name
    monkeypatch.setattr(
        blur_command,
        "store_chunks",
        appearing_output(output, lambda path: path.write_text("theirs")),
    )
    status = blur(pair / "image.npy", pair / "mask.npy", "--sigma", "1", "-o", output)
    assert status == 1
    assert "appeared while the result was computed" in error_line(capsys)
    assert output.read_text() == "theirs"
    assert listing(pair) == ["image.npy", "mask.npy", name]


def test_output_that_appears_during_the_run_is_replaced_with_overwrite(
    pair, monkeypatch
):
    output = pair / "out.npy"
    monkeypatch.setattr(
        blur_command,
        "store_chunks",
        appearing_output(output, lambda path: path.write_text("theirs")),
    )
    args = (pair / "image.npy", pair / "mask.npy", "--sigma", "1", "-o", output)
    assert blur(*args, "--overwrite") == 0
    assert np.load(output).shape == (6, 20, 24)
    # the .npy output's record comes as a sidecar, moved in right after the array
    assert listing(pair) == ["image.npy", "mask.npy", "out.npy", "out.npy.json"]


@pytest.mark.parametrize("target_exists", [True, False])
def test_symbolic_link_as_output_is_neither_followed_nor_replaced(
    pair, capsys, target_exists
):
    elsewhere = pair / "elsewhere"
    elsewhere.mkdir()
    if target_exists:
        np.save(elsewhere / "keep.npy", np.arange(4))
    (pair / "out.npy").symlink_to(elsewhere / "keep.npy")
    before = listing(pair)
    status = blur(
        pair / "image.npy",
        pair / "mask.npy",
        "--sigma",
        "1",
        "-o",
        pair / "out.npy",
        "--overwrite",
    )
    assert status == 2
    assert "is a symbolic link; it is neither followed nor replaced" in error_line(
        capsys
    )
    assert listing(pair) == before
    assert (pair / "out.npy").is_symlink()
    if target_exists:
        assert list(np.load(elsewhere / "keep.npy")) == [0, 1, 2, 3]


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
@pytest.mark.parametrize("name", ["somedir", "out.tif"])
def test_existing_folder_as_output_is_refused_clearly(pair, capsys, overwrite, name):
    (pair / name).mkdir()
    (pair / name / "notes.txt").write_text("mine")
    before = listing(pair)
    status = blur(
        pair / "image.npy",
        pair / "mask.npy",
        "--sigma",
        "1",
        "-o",
        pair / name,
        *overwrite,
    )
    assert status == 2
    message = error_line(capsys)
    assert "partial" not in message
    if name == "somedir":
        assert "is an existing folder; name the output file" in message
    elif overwrite:
        assert "is a folder that this output would not have written" in message
    assert listing(pair) == before


# 5. Damaged and empty inputs are bad input, named, before any output.


def damaged_files(folder):
    """name -> bytes of files that cannot be read as what their name says."""
    volume = np.random.default_rng(0).random((4, 16, 16)).astype(np.float32)
    tifffile.imwrite(folder / "good.tif", volume)
    tifffile.imwrite(folder / "zip.tif", volume, compression="zlib", tile=(16, 16))
    np.save(folder / "good.npy", volume)
    tif = (folder / "good.tif").read_bytes()
    npy = (folder / "good.npy").read_bytes()
    zipped = (folder / "zip.tif").read_bytes()
    return {
        "cut.tif": tif[: len(tif) // 2],
        "cut_zip.tif": zipped[: len(zipped) - 200],
        "header_only.tif": b"II*\x00\x08\x00\x00\x00",
        "no_pages.tif": b"II*\x00\x00\x00\x00\x00",
        "cut.npy": npy[: len(npy) // 2],
        "header_only.npy": npy[:128],
        "empty.npy": b"",
        "empty.tif": b"",
    }


@pytest.mark.parametrize(
    "name",
    [
        "cut.tif",
        "cut_zip.tif",
        "header_only.tif",
        "no_pages.tif",
        "cut.npy",
        "header_only.npy",
        "empty.npy",
        "empty.tif",
    ],
)
@pytest.mark.parametrize("role", ["image", "mask"])
def test_damaged_input_is_bad_input_named_before_any_output(
    tmp_path, capsys, name, role
):
    (tmp_path / name).write_bytes(damaged_files(tmp_path)[name])
    np.save(tmp_path / "ones.npy", np.ones((4, 16, 16), np.float32))
    before = listing(tmp_path)
    files = [tmp_path / name, tmp_path / "ones.npy"]
    if role == "mask":
        files.reverse()
    status = blur(*files, "--sigma", "1", "-o", tmp_path / "out.tif")
    assert status == 2
    message = error_line(capsys)
    assert f"{name}'" in message
    assert listing(tmp_path) == before


def test_nan_in_a_certainty_mask_is_bad_input_and_leaves_nothing(tmp_path, capsys):
    weights = np.ones((4, 16, 16), np.float32)
    weights[3, 15, 2] = np.nan
    np.save(tmp_path / "weights.npy", weights)
    np.save(tmp_path / "image.npy", np.ones((4, 16, 16), np.float32))
    before = listing(tmp_path)
    status = blur(
        tmp_path / "image.npy",
        tmp_path / "weights.npy",
        "--sigma",
        "1",
        "-o",
        tmp_path / "out.zarr",
        "--chunks",
        "2,8,8",
    )
    assert status == 2
    assert "weights.npy' holds nan at pixel (3, 15, 2)" in error_line(capsys)
    assert listing(tmp_path) == before


def test_chunks_longer_than_the_image_are_the_whole_axis(pair):
    # --chunks 2**70 once reached dask's chunk arithmetic and failed there.
    output = pair / "out.npy"
    arguments = (pair / "image.npy", pair / "mask.npy", "--sigma", "1")
    assert blur(*arguments, "--chunks", str(2**70), "-o", output) == 0
    expected = masked_gaussian(
        np.load(pair / "image.npy"), np.load(pair / "mask.npy"), 1.0
    )
    np.testing.assert_allclose(np.load(output), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--labels", str(2**70), "labels must be"),
        ("--truncate", "nan", "truncate must be a finite number, got nan"),
        ("--truncate", "inf", "truncate must be a finite number, got inf"),
    ],
)
def test_absurd_numbers_are_bad_input(pair, capsys, option, value, message):
    status = blur(
        pair / "image.npy",
        pair / "mask.npy",
        "--sigma",
        "1",
        option,
        value,
        "-o",
        pair / "out.npy",
    )
    assert status == 2
    assert message in error_line(capsys)
    assert listing(pair) == ["image.npy", "mask.npy"]
