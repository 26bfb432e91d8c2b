"""``napari-masked-blur blur --filter local_*``: the statistics from files,
``--other`` for the correlation, folders, settings files and the record."""

from __future__ import annotations

import json

import numpy as np
import pytest

from napari_masked_blur import (
    BlurSettings,
    masked_local_correlation,
    masked_local_std,
    masked_local_zscore,
)
from napari_masked_blur._cli import blur as blur_command
from napari_masked_blur._command import main as cli_main
from napari_masked_blur._files.settings_file import save_settings

# Large images queue their fused pass's loops: let that worker finish.
pytestmark = pytest.mark.usefixtures("loops_settled")


def blur(*arguments) -> int:
    return blur_command.main([str(a) for a in arguments])


@pytest.fixture
def files(tmp_path):
    """uint16 at 30,000 ± 10, a second channel, a label mask: (6, 30, 34)."""
    rng = np.random.default_rng(8)
    image = rng.integers(29990, 30011, (6, 30, 34)).astype(np.uint16)
    other = (image // 2 + rng.integers(0, 6, image.shape)).astype(np.uint16)
    labels = np.zeros(image.shape, np.uint8)
    labels[:, 3:20, 4:30] = 1
    labels[:, 20:28, 4:30] = 2
    for name, array in [("image", image), ("other", other), ("labels", labels)]:
        np.save(tmp_path / f"{name}.npy", array)
    return tmp_path, image, other, labels


def test_the_command_computes_a_statistic_as_the_function_does(files, capsys):
    folder, image, _, labels = files
    out = folder / "std.npy"
    arguments = ["blur", folder / "image.npy", folder / "labels.npy", "--per-label"]
    arguments += ["--filter", "local_std", "--sigma", "1.5", "-o", out]
    status = cli_main([str(a) for a in arguments])
    assert status == 0
    # One chunk holds the whole volume: the same computation, bit for bit.
    want = masked_local_std(image, labels, 1.5, per_label=True)
    np.testing.assert_array_equal(np.load(out), want)
    record = json.loads((folder / "std.npy.json").read_text())
    assert record["settings"]["filter"] == "local_std"
    assert record["settings"]["outside"] == "zero"  # the filter's default
    assert "other" not in record
    assert capsys.readouterr().out == ""


def test_chunks_give_the_in_memory_statistic(files):
    folder, image, _, labels = files
    out = folder / "z.tif"
    arguments = [folder / "image.npy", folder / "labels.npy", "--sigma", "2"]
    assert (
        blur(*arguments, "--filter", "local_zscore", "-o", out, "--chunks", "2,9,11")
        == 0
    )
    import tifffile

    want = masked_local_zscore(image, labels, 2)
    np.testing.assert_allclose(tifffile.imread(out), want, rtol=1e-4, atol=1e-4)


def test_the_correlation_reads_other_and_records_it(files):
    folder, image, other, labels = files
    out = folder / "r.npy"
    status = blur(
        folder / "image.npy", folder / "labels.npy", "--filter", "local_correlation",
        "--other", folder / "other.npy", "--sigma", "2", "-o", out,
    )  # fmt: skip
    assert status == 0
    want = masked_local_correlation(image, other, labels, 2)
    np.testing.assert_array_equal(np.load(out), want)
    record = json.loads((folder / "r.npy.json").read_text())
    assert record["other"].endswith("other.npy")


def test_a_settings_file_repeats_the_correlation_bit_for_bit(files):
    folder, image, other, labels = files
    settings = BlurSettings(
        sigma=(0.0, 1.5, 2.0), filter="local_correlation", outside="fill",
        mode="reflect", axes=(1, 2),
    )  # fmt: skip
    save_settings(settings, folder / "coloc.json")
    out = folder / "again.npy"
    status = blur(
        folder / "image.npy", folder / "labels.npy", "--settings",
        folder / "coloc.json", "--other", folder / "other.npy", "-o", out,
    )  # fmt: skip
    assert status == 0
    want = masked_local_correlation(image, other, labels, **settings.kwargs)
    np.testing.assert_array_equal(np.load(out), want)
    record = json.loads((folder / "again.npy.json").read_text())
    assert BlurSettings.from_dict(record["settings"]) == settings


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--filter", "local_correlation"], "needs a second image: --other FILE"),
        (["--filter", "local_std", "--other", "OTHER"], "local_std takes one"),
        (["--filter", "local_std", "--outside", "keep"], "intensities beside a spread"),
        (["--filter", "local_zscore", "--outside", "fill"], "outside 'fill' does not"),
    ],
)
def test_bad_combinations_are_one_line_and_exit_2(files, capsys, extra, message):
    folder = files[0]
    extra = [str(folder / "other.npy") if e == "OTHER" else e for e in extra]
    status = blur(
        folder / "image.npy", folder / "labels.npy", "--sigma", "1",
        "-o", folder / "out.npy", *extra,
    )  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0]
    assert not (folder / "out.npy").exists()


def test_folders_pair_each_image_with_its_other_by_pattern(tmp_path):
    rng = np.random.default_rng(9)
    (tmp_path / "red").mkdir()
    (tmp_path / "green").mkdir()
    (tmp_path / "out").mkdir()
    mask = np.zeros((20, 24), bool)
    mask[3:17, 2:21] = True
    np.save(tmp_path / "mask.npy", mask)
    pairs = {}
    for stem in ("a", "b"):
        red = rng.normal(100, 5, (20, 24)).astype(np.float32)
        green = (red * (1 if stem == "a" else -1) + 300).astype(np.float32)
        np.save(tmp_path / "red" / f"{stem}.npy", red)
        np.save(tmp_path / "green" / f"{stem}_green.npy", green)
        pairs[stem] = (red, green)
    status = blur(
        tmp_path / "red", tmp_path / "mask.npy", "--filter", "local_correlation",
        "--other", tmp_path / "green", "--other-pattern", "{stem}_green.npy",
        "--sigma", "2", "-o", tmp_path / "out",
    )  # fmt: skip
    assert status == 0
    for stem, (red, green) in pairs.items():
        got = np.load(tmp_path / "out" / f"{stem}.npy")
        np.testing.assert_array_equal(
            got, masked_local_correlation(red, green, mask, 2)
        )
    np.testing.assert_allclose(np.load(tmp_path / "out" / "a.npy")[mask], 1, atol=1e-4)
    np.testing.assert_allclose(np.load(tmp_path / "out" / "b.npy")[mask], -1, atol=1e-4)


def test_a_folder_without_an_images_other_stops_before_any_work(tmp_path, capsys):
    for folder in ("red", "green", "out"):
        (tmp_path / folder).mkdir()
    np.save(tmp_path / "mask.npy", np.ones((4, 4), bool))
    np.save(tmp_path / "red" / "a.npy", np.ones((4, 4)))
    np.save(tmp_path / "red" / "b.npy", np.ones((4, 4)))
    np.save(tmp_path / "green" / "a.npy", np.ones((4, 4)))
    status = blur(
        tmp_path / "red", tmp_path / "mask.npy", "--filter", "local_correlation",
        "--other", tmp_path / "green", "--sigma", "1", "-o", tmp_path / "out",
    )  # fmt: skip
    assert status == 2
    assert "no --other file for" in capsys.readouterr().err
    assert list((tmp_path / "out").iterdir()) == []
