"""Chunk-by-chunk writers for TIFF, Zarr and .npy; the final move; the checks."""

from __future__ import annotations

import os
import subprocess

import dask.array as da
import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur._files import atomic
from napari_masked_blur._files.safety import check_output, output_path, store_root
from napari_masked_blur._files.write import create_target, write_lazy


@pytest.mark.parametrize("name", ["out.npy", "out.tif", "out.zarr"])
def test_chunks_written_in_any_order_give_the_array(tmp_path, volume, name):
    target = create_target(tmp_path / name, volume.shape, volume.dtype, (4, 7, 9))
    blocks = da.from_array(volume, chunks=(4, 7, 9))
    slices = list(da.core.slices_from_chunks(blocks.chunks))
    for index in np.random.default_rng(1).permutation(len(slices)):
        target[slices[index]] = volume[slices[index]]
    written = {
        "out.npy": lambda p: np.load(p),
        "out.tif": tifffile.imread,
        "out.zarr": lambda p: zarr.open_array(p)[:],
    }[name](tmp_path / name)
    np.testing.assert_array_equal(written, volume)


def test_zarr_target_has_the_chunks_and_attributes(tmp_path):
    target = create_target(
        tmp_path / "o.zarr", (10, 10), np.float32, (4, 5), attributes={"sigma": 2}
    )
    assert target.chunks == (4, 5)
    assert zarr.open_array(tmp_path / "o.zarr").attrs["sigma"] == 2


def test_write_lazy_rechunks_misaligned_chunks_for_zarr(tmp_path, volume):
    irregular = da.from_array(volume, chunks=((1, 5), (7, 13), (30,)))
    write_lazy(irregular, tmp_path / "o.zarr", chunks=(2, 10, 10))
    stored = zarr.open_array(tmp_path / "o.zarr")
    assert stored.chunks == (2, 10, 10)
    np.testing.assert_array_equal(stored[:], volume)


def test_write_lazy_refuses_an_existing_output(tmp_path, volume):
    np.save(tmp_path / "o.npy", np.arange(2))
    with pytest.raises(FileExistsError, match="pass --overwrite"):
        write_lazy(da.from_array(volume), tmp_path / "o.npy")
    write_lazy(da.from_array(volume), tmp_path / "o.npy", overwrite=True)
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), volume)


def test_write_lazy_failure_leaves_the_folder_as_it_was(tmp_path, volume):
    np.save(tmp_path / "o.npy", np.arange(2))

    def failing_store(array, target):
        target[:1] = np.zeros((1, *array.shape[1:]), array.dtype)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_lazy(
            da.from_array(volume),
            tmp_path / "o.npy",
            overwrite=True,
            store=failing_store,
        )
    assert [p.name for p in tmp_path.iterdir()] == ["o.npy"]
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), np.arange(2))


# The final move and the partials (_files.atomic), and the output checks.


@pytest.fixture(params=["renameat2", "link or rename"])
def moves(request, monkeypatch):
    """Run a test with renameat2, and again with the fallbacks used without it."""
    if request.param != "renameat2":
        monkeypatch.setattr(atomic, "_renameat2_call", lambda: None)
    return request.param


@pytest.mark.parametrize("there", ["file", "link", "dangling link", "folder"])
@pytest.mark.parametrize("kind", ["file", "folder"])
def test_final_move_never_replaces_what_appeared(tmp_path, moves, there, kind):
    partial, output = tmp_path / ".o.partial-h-1.zarr", tmp_path / "o.zarr"
    partial.mkdir() if kind == "folder" else partial.write_text("new")
    (tmp_path / "target").write_text("theirs")
    if there == "file":
        output.write_text("theirs")
    elif there == "folder":
        output.mkdir()
        (output / "zarr.json").write_text("theirs")
    else:
        output.symlink_to(tmp_path / ("target" if there == "link" else "absent"))
    with pytest.raises(FileExistsError, match="appeared while the result was"):
        atomic.move_into_place(partial, output, overwrite=False)
    assert os.path.lexists(partial)
    assert (tmp_path / "target").read_text() == "theirs"
    assert not (tmp_path / "absent").exists()


@pytest.mark.parametrize("there", ["file", "link", "folder"])
@pytest.mark.parametrize("kind", ["file", "folder"])
def test_final_move_with_overwrite_replaces_a_link_not_its_target(
    tmp_path, moves, there, kind
):
    partial, output = tmp_path / ".o.partial-h-1.zarr", tmp_path / "o.zarr"
    partial.mkdir() if kind == "folder" else partial.write_text("new")
    (tmp_path / "target").write_text("theirs")
    if there == "file":
        output.write_text("old")
    elif there == "folder":
        output.mkdir()
    else:
        output.symlink_to(tmp_path / "target")
    atomic.move_into_place(partial, output, overwrite=True)
    assert not output.is_symlink()
    assert output.is_dir() if kind == "folder" else output.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.zarr", "target"]
    assert (tmp_path / "target").read_text() == "theirs"


def dead_pid() -> int:
    """The id of a process that has ended."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    return ended.pid


def test_leftovers_of_dead_runs_are_cleaned_and_others_kept(tmp_path):
    host, dead = atomic.host_tag(), dead_pid()
    (tmp_path / f".a.partial-{host}-{dead}.npy").write_text("half")
    (tmp_path / f".b.partial-{host}-{dead}.zarr").mkdir()
    (tmp_path / f".c.old-{host}-{dead}.tif").write_text("old output")
    (tmp_path / f".d.old-{host}-{dead}.tif").write_text("older")
    (tmp_path / "d.tif").write_text("newer")
    kept = [f".e.partial-{host}-{os.getpid()}.npy", f".f.partial-elsewhere-{dead}.npy"]
    for name in kept:
        (tmp_path / name).write_text("in use")
    said = atomic.remove_stale_partials(tmp_path)
    assert len(said) == 4
    assert any(line.startswith(f"restored '{tmp_path / 'c.tif'}'") for line in said)
    assert (tmp_path / "c.tif").read_text() == "old output"
    assert (tmp_path / "d.tif").read_text() == "newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*kept, "c.tif", "d.tif"]
    )


@pytest.mark.parametrize(
    "name",
    [
        "out.npy",
        "out.ome.zarr",
        "archive.tar.gz",
        "settings",  # no suffix
        "blur.",
        ".hidden",
        ".hidden.json",
        "blur.v2-final",
        "my blur.json",
        "données.tif",
    ],
)
def test_every_partial_name_is_one_the_cleanup_finds(tmp_path, monkeypatch, name):
    dead = dead_pid()
    monkeypatch.setattr(atomic.os, "getpid", lambda: dead)  # as a killed run named
    atomic.partial_path(tmp_path / name).write_text("half written")
    atomic.partial_path(tmp_path / name, "old").write_text("old output")
    monkeypatch.undo()
    said = atomic.remove_stale_partials(tmp_path)
    assert len(said) == 2
    assert [p.name for p in tmp_path.iterdir()] == [name]  # put back under its name
    assert (tmp_path / name).read_text() == "old output"


def test_small_text_files_are_written_whole_under_their_name(tmp_path):
    atomic.write_text_atomic(tmp_path / "s.json", "{}\n")
    atomic.write_text_atomic(tmp_path / "s.json", '{"sigma": 2}\n')
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]
    assert (tmp_path / "s.json").read_text() == '{"sigma": 2}\n'


def test_a_failed_text_write_names_the_file_asked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'[^']*absent/s\.json'$"):
        atomic.write_text_atomic(tmp_path / "absent" / "s.json", "{}\n")
    assert list(tmp_path.iterdir()) == []


def test_write_lazy_refuses_an_output_inside_an_input_store(tmp_path, volume):
    group = zarr.open_group(tmp_path / "g.zarr", mode="w")
    group.create_array("img", shape=volume.shape, dtype=volume.dtype)[:] = volume
    with pytest.raises(ValueError, match=r"inside .*g\.zarr.*which holds the input"):
        write_lazy(
            da.from_array(volume),
            tmp_path / "g.zarr" / "out.zarr",
            inputs=[tmp_path / "g.zarr" / "img"],
        )
    assert store_root(tmp_path / "g.zarr" / "img") == tmp_path / "g.zarr"
    assert sorted(p.name for p in (tmp_path / "g.zarr").iterdir()) == [
        "img",
        "zarr.json",
    ]


def test_output_path_resolves_the_folder_not_the_name(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "link.npy").symlink_to(tmp_path / "elsewhere.npy")
    path = output_path(tmp_path / "alias" / "link.npy")
    assert path == tmp_path.resolve() / "real" / "link.npy"
    with pytest.raises(ValueError, match="symbolic link"):
        check_output(path, [], overwrite=True)
