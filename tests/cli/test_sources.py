"""Pairing images with masks and naming outputs, before any work."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from napari_masked_blur._cli import sources
from napari_masked_blur._cli.errors import InputError
from napari_masked_blur._cli.sources import is_many, plan_jobs, split_name


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("cells.ome.tif", ("cells", ".ome.tif")),
        ("cells.TIF", ("cells", ".TIF")),
        ("scan.czi", ("scan", ".czi")),
        ("notes.txt", ("notes", ".txt")),
    ],
)
def test_split_name_keeps_ome_suffixes_whole(name, parts):
    assert split_name(name) == parts


def test_folders_and_globs_are_many_files_and_zarr_stores_are_one(tmp_path):
    touch(tmp_path / "images", "a.tif")
    (tmp_path / "v.zarr").mkdir()
    touch(tmp_path, "odd[1].tif")
    assert is_many(tmp_path / "images")
    assert is_many(str(tmp_path / "images" / "*.tif"))
    assert not is_many(tmp_path / "v.zarr")
    assert not is_many(tmp_path / "odd[1].tif")  # an existing name, not a glob


def test_masks_pair_by_name_then_by_stem(tmp_path):
    touch(tmp_path / "images", "a.tif", "b.tif", ".hidden.tif", "notes.txt")
    touch(tmp_path / "masks", "a.tif", "b.npy")
    jobs = plan_jobs(str(tmp_path / "images"), str(tmp_path / "masks"), "out")
    assert [(j.image.name, j.mask.name, j.output) for j in jobs] == [
        ("a.tif", "a.tif", Path("out/a.tif")),
        ("b.tif", "b.npy", Path("out/b.tif")),
    ]


def test_glob_of_masks_with_a_pattern_and_unwritable_formats(tmp_path):
    touch(tmp_path, "s1.czi", "s1_mask.tif", "s2.czi", "s2_mask.tif")
    jobs = plan_jobs(
        str(tmp_path / "*.czi"),
        str(tmp_path / "*_mask.tif"),
        str(tmp_path / "out"),
        mask_pattern="{stem}_mask.tif",
    )
    assert [j.mask.name for j in jobs] == ["s1_mask.tif", "s2_mask.tif"]
    assert [j.output.name for j in jobs] == ["s1.ome.tif", "s2.ome.tif"]


def test_every_problem_is_listed_at_once(tmp_path):
    touch(tmp_path / "images", "a.tif", "a.npy", "b.tif")
    touch(tmp_path / "masks", "a.tif", "a.npy")
    with pytest.raises(InputError) as caught:
        plan_jobs(
            str(tmp_path / "images"),
            str(tmp_path / "masks"),
            str(tmp_path / "out" / "{stem}.tif"),
        )
    message = str(caught.value)
    assert message.startswith("2 problem(s), nothing done")
    assert "no mask for" in message and "b.tif" in message
    assert "would all be written to" in message


def test_output_file_name_for_many_images_is_refused(tmp_path):
    touch(tmp_path / "images", "a.tif")
    with pytest.raises(InputError) as caught:
        plan_jobs(str(tmp_path / "images"), str(tmp_path / "m.tif"), "out.tif")
    assert "-o 'out.tif': with a folder or glob IMAGE" in str(caught.value)
    assert "no such mask file" in str(caught.value)


def test_mask_pattern_needs_many_masks(tmp_path):
    touch(tmp_path / "images", "a.tif")
    touch(tmp_path, "m.tif")
    with pytest.raises(InputError, match="--mask-pattern needs a folder or glob"):
        plan_jobs(
            str(tmp_path / "images"), str(tmp_path / "m.tif"), "out", "{stem}.tif"
        )


def test_two_candidate_masks_are_named_as_two_candidates(tmp_path):
    touch(tmp_path / "images", "a.npy", "b.npy")
    touch(tmp_path / "masks", "a.tif", "a.tiff", "b.tif")
    with pytest.raises(InputError) as caught:
        plan_jobs(str(tmp_path / "images"), str(tmp_path / "masks"), "out")
    message = str(caught.value)
    assert message.startswith("1 problem(s), nothing done")
    assert "2 candidate masks for" in message and "a.npy" in message
    assert "'a.tif', 'a.tiff'; name one with --mask-pattern" in message


def counted(function, calls: dict[str, int], name: str):
    """``function``, its calls counted in ``calls[name]`` (a plain function,
    so that it binds as a method too)."""
    calls[name] = 0

    def call(*args, **kwargs):
        calls[name] += 1
        return function(*args, **kwargs)

    return call


def planning_work(tmp_path, monkeypatch, count: int) -> dict[str, int]:
    """How many listings, resolutions and name splits planning ``count``
    images (with masks by stem, the costliest pairing) takes."""
    root = tmp_path / str(count)
    touch(root / "images", *(f"c{i:05d}.tif" for i in range(count)))
    touch(root / "masks", *(f"c{i:05d}.npy" for i in range(count)))
    calls: dict[str, int] = {}
    with monkeypatch.context() as patch:
        patch.setattr(Path, "iterdir", counted(Path.iterdir, calls, "listings"))
        patch.setattr(sources.glob, "glob", counted(glob.glob, calls, "globs"))
        patch.setattr(Path, "resolve", counted(Path.resolve, calls, "resolutions"))
        split = counted(sources.split_name, calls, "splits")
        patch.setattr(sources, "split_name", split)
        jobs = plan_jobs(str(root / "images"), str(root / "masks"), str(root / "out"))
    assert len(jobs) == count
    return calls


def test_planning_work_grows_in_proportion_to_the_files(tmp_path, monkeypatch):
    small = planning_work(tmp_path, monkeypatch, 50)
    large = planning_work(tmp_path, monkeypatch, 400)
    assert large["listings"] == small["listings"] <= 2  # each folder listed once
    assert large["globs"] == small["globs"] == 0
    for work in ("resolutions", "splits"):  # a few per file, whatever the count
        assert large[work] <= 4 * 400, (work, small, large)
        assert large[work] - small[work] <= 4 * (400 - 50), (work, small, large)


def test_outputs_written_among_the_images_are_not_taken_for_images(tmp_path, capsys):
    images, masks = tmp_path / "images", tmp_path / "masks"
    touch(masks, "a.npy", "b.npy")
    touch(images, "a.npy", "b.npy", "a_smooth.npy", "b_smooth.npy")
    (images / "a_smooth.npy.json").write_text('{"settings": {"sigma": 1}}')
    (images / "b_smooth.npy.json").write_text('{"settings": {"sigma": 1}}')
    # a user's file that only looks like an output: it has no record
    touch(images, "a_smooth_smooth.npy")
    pattern = str(images / "{stem}_smooth.npy")
    with pytest.raises(InputError, match=r"no mask for .*a_smooth_smooth\.npy"):
        plan_jobs(str(images), str(masks), pattern)
    (images / "a_smooth_smooth.npy").unlink()
    jobs = plan_jobs(str(images), str(masks), pattern)
    assert [(j.image.name, j.output.name) for j in jobs] == [
        ("a.npy", "a_smooth.npy"),
        ("b.npy", "b_smooth.npy"),
    ]
    said = capsys.readouterr().err
    assert "leaving out 2 file(s) written by an earlier run" in said
    assert "'a_smooth.npy', 'b_smooth.npy'" in said


def test_a_missing_mask_names_the_file_looked_for_and_the_option(tmp_path):
    touch(tmp_path / "images", "cell.tif")
    touch(tmp_path / "masks", "cell_mask.tif")
    for pattern, looked_for in ((None, "'cell.tif'"), ("{stem}_m.tif", "'cell_m.tif'")):
        with pytest.raises(InputError) as caught:
            plan_jobs(
                str(tmp_path / "images"),
                str(tmp_path / "masks"),
                str(tmp_path / "out"),
                mask_pattern=pattern,
            )
        message = str(caught.value)
        assert f"(looked for {looked_for}" in message
        assert "--mask-pattern '{stem}_mask.tif'" in message
