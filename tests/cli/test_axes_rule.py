"""``blur`` without ``--axes``: the file's axis order says which are frames."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur import masked_gaussian
from napari_masked_blur._cli import blur as blur_command
from napari_masked_blur._files.settings_file import save_settings
from napari_masked_blur._math.settings import BlurSettings

SIGMA = 1.5


def blur(*arguments) -> int:
    return blur_command.main([str(a) for a in arguments])


@pytest.fixture
def movie():
    """Six (y, x) frames, frame 2 bright; one (y, x) region for all."""
    frames = np.random.default_rng(3).random((6, 10, 12)).astype(np.float32)
    frames[2] += 4.0
    mask = np.zeros((10, 12), np.uint8)
    mask[2:8, 3:10] = 1
    return frames, mask


def frame_by_frame(frames, mask):
    return np.stack([masked_gaussian(f, mask, SIGMA) for f in frames])


def write_ome_zarr(path, data, names):
    group = zarr.open_group(path, mode="w", zarr_format=2)
    group.create_array("0", shape=data.shape, dtype=data.dtype)[:] = data
    kinds = {"t": "time", "c": "channel"}
    axes = [{"name": n, "type": kinds.get(n, "space")} for n in names]
    group.attrs["multiscales"] = [
        {"version": "0.4", "axes": axes, "datasets": [{"path": "0"}]}
    ]


def write_tyx(path, frames):
    if path.name.endswith(".ome.zarr"):
        write_ome_zarr(path, frames, "tyx")
    elif path.name.endswith(".ome.tif"):
        tifffile.imwrite(path, frames, ome=True, metadata={"axes": "TYX"})
    else:  # ImageJ
        tifffile.imwrite(path, frames, imagej=True, metadata={"axes": "TYX"})


@pytest.mark.parametrize("name", ["movie.ome.tif", "movie.ome.zarr", "movie.tif"])
def test_a_tyx_file_is_not_smoothed_across_time(tmp_path, movie, capsys, name):
    frames, mask = movie
    write_tyx(tmp_path / name, frames)
    np.save(tmp_path / "roi.npy", mask)
    out = tmp_path / "out.npy"
    assert blur(tmp_path / name, tmp_path / "roi.npy", "--sigma", SIGMA, "-o", out) == 0
    assert "smoothing axes: y, x (t is frames)" in capsys.readouterr().err
    result = np.load(out)
    np.testing.assert_allclose(result, frame_by_frame(frames, mask), atol=1e-6)
    # The bright frame stays in its frame: its neighbours are as before.
    inside = mask.astype(bool)
    assert result[1][inside].mean() < frames[1][inside].mean() + 0.1


def test_explicit_axes_win_over_the_file(tmp_path, movie, capsys):
    frames, mask = movie
    write_tyx(tmp_path / "movie.ome.tif", frames)
    np.save(tmp_path / "roi.npy", mask)
    out = tmp_path / "out.npy"
    status = blur(
        tmp_path / "movie.ome.tif", tmp_path / "roi.npy", "--sigma", SIGMA,
        "--axes", "0,1,2", "-o", out,
    )  # fmt: skip
    assert status == 0
    assert "smoothing axes" not in capsys.readouterr().err
    want = masked_gaussian(frames, np.broadcast_to(mask, frames.shape), SIGMA)
    np.testing.assert_allclose(np.load(out), want, atol=1e-6)


def test_a_settings_file_keeps_its_axes_null_meaning_every_axis(tmp_path, movie):
    # What the widget saves when "smooth over" is every axis of the movie.
    frames, mask = movie
    write_tyx(tmp_path / "movie.ome.tif", frames)
    np.save(tmp_path / "roi.npy", mask)
    save_settings(BlurSettings(sigma=SIGMA), tmp_path / "s.json")
    out = tmp_path / "out.npy"
    status = blur(
        tmp_path / "movie.ome.tif", tmp_path / "roi.npy",
        "--settings", tmp_path / "s.json", "-o", out,
    )  # fmt: skip
    assert status == 0
    want = masked_gaussian(frames, np.broadcast_to(mask, frames.shape), SIGMA)
    np.testing.assert_allclose(np.load(out), want, atol=1e-6)


def test_an_unlabelled_4d_array_is_frames_of_volumes(tmp_path, capsys):
    movie = np.random.default_rng(4).random((3, 4, 8, 9)).astype(np.float32)
    mask = np.ones((4, 8, 9), bool)
    mask[:, :, :3] = False
    np.save(tmp_path / "movie.npy", movie)
    np.save(tmp_path / "mask.npy", mask)
    out = tmp_path / "out.npy"
    status = blur(
        tmp_path / "movie.npy", tmp_path / "mask.npy", "--sigma", SIGMA, "-o", out
    )
    assert status == 0
    assert "smoothing axes: z, y, x (t is frames)" in capsys.readouterr().err
    want = np.stack([masked_gaussian(v, mask, SIGMA) for v in movie])
    np.testing.assert_allclose(np.load(out), want, atol=1e-6)


def test_a_folder_run_applies_the_rule_file_by_file(tmp_path, movie, capsys):
    frames, mask = movie
    (tmp_path / "images").mkdir()
    write_tyx(tmp_path / "images" / "movie.ome.tif", frames)
    # Same pixels, no axis order: a volume, smoothed along every axis.
    np.save(tmp_path / "images" / "volume.npy", frames)
    np.save(tmp_path / "roi.npy", mask)
    status = blur(
        tmp_path / "images", tmp_path / "roi.npy", "--sigma", SIGMA,
        "-o", tmp_path / "out" / "{stem}.npy",
    )  # fmt: skip
    assert status == 0
    err = capsys.readouterr().err
    assert "smoothing axes: y, x (t is frames)" in err
    assert "smoothing axes: z, y, x\n" in err
    np.testing.assert_allclose(
        np.load(tmp_path / "out" / "movie.npy"),
        frame_by_frame(frames, mask),
        atol=1e-6,
    )
    volume = masked_gaussian(frames, np.broadcast_to(mask, frames.shape), SIGMA)
    np.testing.assert_allclose(
        np.load(tmp_path / "out" / "volume.npy"), volume, atol=1e-6
    )


def test_sigma_in_micrometres_needs_no_pixel_size_along_time(tmp_path, movie):
    frames, mask = movie
    tifffile.imwrite(
        tmp_path / "movie.ome.tif", frames, ome=True,
        metadata={"axes": "TYX", "PhysicalSizeY": 0.5, "PhysicalSizeX": 0.25},
    )  # fmt: skip
    np.save(tmp_path / "roi.npy", mask)
    out = tmp_path / "out.npy"
    status = blur(
        tmp_path / "movie.ome.tif", tmp_path / "roi.npy", "--sigma", "1",
        "--units", "um", "-o", out,
    )  # fmt: skip
    assert status == 0
    # 1 µm is 2 pixels along y and 4 along x, in each frame alone.
    want = np.stack([masked_gaussian(f, mask, (2.0, 4.0)) for f in frames])
    np.testing.assert_allclose(np.load(out), want, atol=1e-6)
