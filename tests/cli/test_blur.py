"""``napari-masked-blur blur``: files in, the in-memory result out, safely."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur import masked_gaussian
from napari_masked_blur._cli import blur as blur_command
from napari_masked_blur._cli.store import ClosableTarget, TargetClosed
from napari_masked_blur._command import main as cli_main


@pytest.fixture
def files(tmp_path):
    """An image (TIFF, .npy, Zarr) and a label mask (.npy) of shape (8, 40, 50)."""
    rng = np.random.default_rng(5)
    image = rng.integers(0, 4000, (8, 40, 50), dtype=np.uint16)
    labels = np.zeros(image.shape, np.int32)
    labels[:, 5:30, 5:25], labels[:, 10:38, 25:45] = 1, 2
    tifffile.imwrite(tmp_path / "image.tif", image)
    np.save(tmp_path / "image.npy", image)
    stored = zarr.create_array(
        tmp_path / "image.zarr",
        shape=image.shape,
        dtype=image.dtype,
        chunks=(3, 16, 16),
    )
    stored[:] = image
    np.save(tmp_path / "labels.npy", labels)
    return tmp_path, image, labels


def blur(*arguments) -> int:
    """Run the command; paths may be given as Path objects."""
    return blur_command.main([str(a) for a in arguments])


def read(path):
    if path.suffix == ".npy":
        return np.load(path)
    if path.suffix == ".tif":
        return tifffile.imread(path)
    return zarr.open_array(path)[:]


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("source", "output"),
    [("image.tif", "out.zarr"), ("image.npy", "out.tif"), ("image.zarr", "out.npy")],
)
def test_output_file_holds_the_in_memory_result(files, source, output, capsys):
    folder, image, labels = files
    status = blur(
        folder / source,
        folder / "labels.npy",
        "--sigma",
        "2",
        "-o",
        folder / output,
        "--chunks",
        "4,16,16",
    )
    assert status == 0
    expected = masked_gaussian(image, labels, 2)
    # Chunks shift their float32 data by their own value: a few ulps apart.
    tolerance = 1e-6 * float(np.ptp(image))
    np.testing.assert_allclose(read(folder / output), expected, atol=tolerance)
    captured = capsys.readouterr()
    assert captured.out == ""
    # Work this short shows no progress bar (bars are for work past a second).
    assert "Completed" not in captured.err


@pytest.mark.parametrize("chunks", ["12,32,32", "16,32,32"])
def test_chunked_output_is_within_float32_rounding_of_the_in_memory_one(
    tmp_path, chunks
):
    """Narrow-band data far from zero, where the per-window float32 shift
    matters most; "16" leaves a last chunk of 8 planes, made by kernel taps.
    benchmarks/chunked_accuracy.py measured at most 4.9 float32 epsilons of
    the largest value apart."""
    rng = np.random.default_rng(0)
    image = rng.integers(30000 - 300, 30000 + 300, (24, 96, 96), dtype=np.uint16)
    mask = rng.random(image.shape) > 0.25
    np.save(tmp_path / "image.npy", image)
    np.save(tmp_path / "mask.npy", mask)
    arguments = [tmp_path / "image.npy", tmp_path / "mask.npy", "--sigma", "2"]
    assert blur(*arguments, "-o", tmp_path / "out.npy", "--chunks", chunks) == 0
    difference = np.abs(np.load(tmp_path / "out.npy") - masked_gaussian(image, mask, 2))
    bound = 8 * np.finfo(np.float32).eps * float(image.max())
    assert difference[mask].max() <= bound


def test_every_option_reaches_the_blur(files):
    folder, image, labels = files
    arguments = ["--sigma", "1,2,2", "--spacing", "2,0.5,0.5", "--per-label"]
    arguments += ["--labels", "2", "--outside", "zero", "--mode", "reflect"]
    arguments += ["--truncate", "3"]
    status = blur(
        folder / "image.npy",
        folder / "labels.npy",
        *arguments,
        "-o",
        folder / "out.npy",
    )
    assert status == 0
    expected = masked_gaussian(
        image,
        labels,
        (1, 2, 2),
        spacing=(2, 0.5, 0.5),
        per_label=True,
        labels=[2],
        outside="zero",
        mode="reflect",
        truncate=3,
    )
    np.testing.assert_allclose(np.load(folder / "out.npy"), expected, atol=1e-3)


def test_channel_axis(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.random((20, 24, 3)).astype(np.float32)
    mask = rng.random((20, 24)) > 0.5
    np.save(tmp_path / "rgb.npy", image)
    np.save(tmp_path / "mask.npy", mask)
    status = blur(
        tmp_path / "rgb.npy",
        tmp_path / "mask.npy",
        "--sigma",
        "1.5",
        "--channel-axis",
        "-1",
        "-o",
        tmp_path / "out.tif",
    )
    assert status == 0
    expected = masked_gaussian(image, mask, 1.5, channel_axis=-1)
    np.testing.assert_allclose(
        tifffile.imread(tmp_path / "out.tif"), expected, atol=1e-6
    )


def test_zarr_output_is_chunked_like_the_zarr_input(files):
    folder, _, _ = files
    status = blur(
        folder / "image.zarr",
        folder / "labels.npy",
        "--sigma",
        "3",
        "-o",
        folder / "out.zarr",
    )
    assert status == 0
    out = zarr.open_array(folder / "out.zarr")
    assert out.chunks == (3, 16, 16)
    assert out.dtype == np.float32
    assert out.attrs["napari-masked-blur"]["settings"]["sigma"] == 3.0


def test_existing_output_is_kept_without_overwrite(files, capsys):
    folder, _, _ = files
    np.save(folder / "out.npy", np.arange(3))
    status = blur(
        folder / "image.npy",
        folder / "labels.npy",
        "--sigma",
        "1",
        "-o",
        folder / "out.npy",
    )
    assert status == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    np.testing.assert_array_equal(np.load(folder / "out.npy"), np.arange(3))


@pytest.mark.parametrize("output", ["out.npy", "out.zarr"])
def test_overwrite_replaces_the_old_output(files, output):
    folder, image, labels = files
    inputs = (folder / "image.npy", folder / "labels.npy")
    assert blur(*inputs, "--sigma", "1", "-o", folder / output) == 0
    assert blur(*inputs, "--sigma", "2", "-o", folder / output, "--overwrite") == 0
    expected = masked_gaussian(image, labels, 2)
    np.testing.assert_allclose(read(folder / output), expected, atol=1e-3)
    sidecar = [f"{output}.json"] if output.endswith(".npy") else []  # the record
    assert listing(folder) == sorted(
        ["image.tif", "image.npy", "image.zarr", "labels.npy", output, *sidecar]
    )


def test_bad_weight_found_midway_is_bad_input_and_leaves_the_old_output(files, capsys):
    folder, image, _ = files
    weights = np.ones(image.shape, np.float32)
    weights[7, 39, 49] = -1.0  # found only when the last chunk is computed
    np.save(folder / "weights.npy", weights)
    np.save(folder / "out.npy", np.arange(3))
    before = listing(folder)
    status = blur(
        folder / "image.npy",
        folder / "weights.npy",
        "--sigma",
        "1",
        "-o",
        folder / "out.npy",
        "--overwrite",
        "--chunks",
        "4,20,25",
    )
    assert status == 2
    message = capsys.readouterr().err.splitlines()[-1]
    assert "weights.npy' holds -1.0 at pixel (7, 39, 49)" in message
    assert "weights must be finite and >= 0; no output written" in message
    assert listing(folder) == before
    np.testing.assert_array_equal(np.load(folder / "out.npy"), np.arange(3))


def test_interrupt_leaves_no_partial_output(files, monkeypatch, capsys):
    folder, _, _ = files
    written = []

    def interrupted_store(result, target, args):
        target[:1] = np.zeros((1, *result.shape[1:]), result.dtype)
        written.append(target)
        raise KeyboardInterrupt

    monkeypatch.setattr(blur_command, "store_chunks", interrupted_store)
    before = listing(folder)
    status = blur(
        folder / "image.npy",
        folder / "labels.npy",
        "--sigma",
        "1",
        "-o",
        folder / "out.zarr",
    )
    assert status == 130
    assert len(written) == 1
    assert listing(folder) == before
    assert "stopped by Ctrl-C; no output written" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["absent.tif", "labels.npy", "--sigma", "1"], "no such file"),
        (["image.npy", "labels.npy", "--sigma", "-1"], "sigma must be finite and >= 0"),
        (["image.npy", "labels.npy", "--sigma", "1,2"], "sigma has 2 values"),
        (["image.npy", "small.npy", "--sigma", "1"], "does not match image shape"),
        (["image.npy", "notes.txt", "--sigma", "1"], "cannot tell the format"),
        (["image.npy", "fake.tif", "--sigma", "1"], "cannot read"),
        (["image.npy", "certainty.npy", "--sigma", "1", "--per-label"], "need an int"),
        (["image.npy", "labels.npy", "--sigma", "1", "--workers", "0"], "number > 0"),
        (["image.npy", "labels.npy", "--sigma", "1", "--chunks", "4,4"], "2 values"),
    ],
)
def test_bad_input_gives_a_message_and_status_2(files, capsys, arguments, message):
    folder, _, _ = files
    np.save(folder / "small.npy", np.ones((8, 40, 49), bool))
    (folder / "notes.txt").write_text("x")
    (folder / "fake.tif").write_text("x")
    np.save(folder / "certainty.npy", np.ones((8, 40, 50), np.float32))
    before = listing(folder)
    image, mask, *options = arguments
    status = blur(folder / image, folder / mask, *options, "-o", folder / "out.tif")
    assert status == 2
    assert message in capsys.readouterr().err
    assert listing(folder) == before


def test_output_may_not_be_an_input(files, capsys):
    folder, _, _ = files
    image = folder / "image.npy"
    status = blur(
        image, folder / "labels.npy", "--sigma", "1", "-o", image, "--overwrite"
    )
    assert status == 2
    assert "is the input" in capsys.readouterr().err


def test_unparsable_sigma_is_a_usage_error(files, capsys):
    folder, _, _ = files
    status = blur(
        folder / "image.npy",
        folder / "labels.npy",
        "--sigma",
        "wide",
        "-o",
        folder / "o.npy",
    )
    assert status == 2
    assert "expected numbers, got 'wide'" in capsys.readouterr().err


def test_help_documents_every_option_with_an_example(capsys):
    assert cli_main(["blur", "--help"]) == 0
    text = capsys.readouterr().out
    for option in (
        "--sigma",
        "--spacing",
        "--outside",
        "--labels",
        "--per-label",
        "--mode",
        "--truncate",
        "--channel-axis",
        "--chunks",
        "--overwrite",
        "--scheduler",
        "--workers",
        "--output",
    ):
        assert option in text
    assert "examples:\n  napari-masked-blur blur cells.tif" in text


@pytest.mark.slow
def test_local_cluster_of_worker_processes(files, capsys):
    folder, image, labels = files
    status = blur(
        folder / "image.tif",
        folder / "labels.npy",
        "--sigma",
        "2",
        "-o",
        folder / "out.zarr",
        "--workers",
        "2",
        "--chunks",
        "4,20,25",
    )
    assert status == 0, capsys.readouterr().err
    expected = masked_gaussian(image, labels, 2)
    np.testing.assert_allclose(read(folder / "out.zarr"), expected, atol=1e-3)


@pytest.mark.slow
def test_existing_scheduler_address(files):
    distributed = pytest.importorskip("distributed")
    folder, image, labels = files
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    )
    with cluster:
        status = blur(
            folder / "image.npy",
            folder / "labels.npy",
            "--sigma",
            "2",
            "-o",
            folder / "out.npy",
            "--scheduler",
            cluster.scheduler_address,
        )
    assert status == 0
    expected = masked_gaussian(image, labels, 2)
    np.testing.assert_allclose(np.load(folder / "out.npy"), expected, atol=1e-3)


def test_closed_target_refuses_later_writes_and_waits_for_those_under_way():
    entered, release, written = threading.Event(), threading.Event(), []

    class SlowTarget:
        def __setitem__(self, key, value):
            entered.set()
            release.wait(10)
            written.append(key)

    closable = ClosableTarget(SlowTarget())
    writer = threading.Thread(target=closable.__setitem__, args=("first", 1))
    writer.start()
    assert entered.wait(10)
    closer = threading.Thread(target=closable.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # the write under way holds close() back
    release.set()
    closer.join(10)
    writer.join(10)
    with pytest.raises(TargetClosed):
        closable["late"] = 2
    assert written == ["first"]
