"""``blur`` over folders and globs, ``--settings``, and what outputs record."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
import zarr

from napari_masked_blur import masked_gaussian
from napari_masked_blur._cli import blur as blur_command
from napari_masked_blur._files.settings_file import save_settings
from napari_masked_blur._math.settings import BlurSettings

SHAPE = (12, 14)


def blur(*arguments) -> int:
    return blur_command.main([str(a) for a in arguments])


def image_and_mask(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = rng.random(SHAPE).astype(np.float32)
    mask = np.zeros(SHAPE, np.uint8)
    mask[2:10, 3 + seed % 3 : 12] = 1
    return image, mask


@pytest.fixture
def folders(tmp_path):
    """images/{a,b,c}.npy and masks/{a,b,c}.npy; c's mask has the wrong shape."""
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    pairs = {}
    for seed, stem in enumerate("abc"):
        image, mask = image_and_mask(seed)
        np.save(tmp_path / "images" / f"{stem}.npy", image)
        np.save(tmp_path / "masks" / f"{stem}.npy", mask if stem != "c" else mask[:5])
        pairs[stem] = (image, mask)
    return tmp_path, pairs


def expected(pairs, stem, sigma=1.5):
    image, mask = pairs[stem]
    return masked_gaussian(image, mask, sigma)


def test_folder_run_goes_past_a_bad_file_then_resumes(folders, capsys):
    root, pairs = folders
    arguments = (root / "images", root / "masks", "--sigma", "1.5", "-o", root / "out")
    assert blur(*arguments) == 1
    err = capsys.readouterr().err
    assert "[1/3]" in err and "[3/3]" in err  # files done / total
    assert "1 failed" in err and "c.npy: " in err and "does not match" in err
    assert sorted(p.name for p in (root / "out").glob("*.npy")) == ["a.npy", "b.npy"]
    for stem in "ab":
        out = np.load(root / "out" / f"{stem}.npy")
        np.testing.assert_allclose(out, expected(pairs, stem), atol=1e-6)
    written = (root / "out" / "a.npy").stat().st_mtime_ns

    np.save(root / "masks" / "c.npy", pairs["c"][1])  # the bad file mended
    assert blur(*arguments) == 0
    err = capsys.readouterr().err
    assert "skipping 2 of 3" in err and "[1/1] " in err and "c.npy" in err
    assert "1 written, 2 skipped (complete), 0 failed" in err
    assert (root / "out" / "a.npy").stat().st_mtime_ns == written
    out = np.load(root / "out" / "c.npy")
    np.testing.assert_allclose(out, expected(pairs, "c"), atol=1e-6)

    assert blur(*arguments, "--overwrite") == 0
    assert "[3/3]" in capsys.readouterr().err


def test_mask_pattern_pairs_masks_beside_the_images(tmp_path):
    for seed, stem in enumerate(["x", "y"]):
        image, mask = image_and_mask(seed)
        np.save(tmp_path / f"{stem}.npy", image)
        np.save(tmp_path / f"{stem}_mask.npy", mask)
    out = tmp_path / "out"
    status = blur(
        tmp_path, tmp_path, "--mask-pattern", "{stem}_mask.npy", "--sigma", "1.5",
        "-o", out,
    )  # fmt: skip
    assert status == 0
    assert sorted(p.name for p in out.glob("*.npy")) == ["x.npy", "y.npy"]
    image, mask = image_and_mask(1)
    np.testing.assert_allclose(
        np.load(out / "y.npy"), masked_gaussian(image, mask, 1.5), atol=1e-6
    )


def test_glob_with_one_mask_for_all_and_a_name_pattern(tmp_path):
    _, mask = image_and_mask(0)
    np.save(tmp_path / "mask.npy", mask)
    for seed in range(2):
        tifffile.imwrite(tmp_path / f"cell{seed}.tif", image_and_mask(seed)[0])
    status = blur(
        tmp_path / "cell*.tif", tmp_path / "mask.npy", "--sigma", "1",
        "-o", tmp_path / "out" / "{stem}_smooth.zarr",
    )  # fmt: skip
    assert status == 0
    for seed in range(2):
        out = zarr.open_array(tmp_path / "out" / f"cell{seed}_smooth.zarr")
        want = masked_gaussian(image_and_mask(seed)[0], mask, 1)
        np.testing.assert_allclose(out[:], want, atol=1e-6)
        assert out.attrs["napari-masked-blur"]["image"].endswith(f"cell{seed}.tif")


@pytest.mark.parametrize(
    ("layout", "messages"),
    [
        ("empty", ["no images in"]),
        ("unpaired", ["no mask for", "b.npy", "c.npy"]),
        ("clash", ["would all be written to", "a.tif", "a.npy"]),
    ],
)
def test_batch_problems_stop_everything_before_work(tmp_path, capsys, layout, messages):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    image, mask = image_and_mask(0)
    output = tmp_path / "out"
    if layout != "empty":
        for stem in "abc":
            np.save(images / f"{stem}.npy", image)
        np.save(masks / "a.npy", mask)
    if layout == "clash":
        tifffile.imwrite(images / "a.tif", image)
        for stem in "bc":
            np.save(masks / f"{stem}.npy", mask)
        output = tmp_path / "out" / "{stem}.npy"
    assert blur(images, masks, "--sigma", "1", "-o", output) == 2
    err = capsys.readouterr().err
    assert "nothing done" in err
    for message in messages:
        assert message in err
    assert not (tmp_path / "out").exists()


def test_settings_file_gives_the_same_numbers_as_its_kwargs(tmp_path):
    image, mask = image_and_mask(4)
    labels = mask.astype(np.int32) * 2
    labels[:, :5] = 0
    labels[6:, 5:] = 3
    np.save(tmp_path / "image.npy", image)
    np.save(tmp_path / "labels.npy", labels)
    settings = BlurSettings(
        sigma=(1.0, 2.0), spacing=(0.5, 1.0), units="micrometer",
        outside="zero", per_label=True, mode="reflect", truncate=3.0,
    )  # fmt: skip
    save_settings(settings, tmp_path / "blur.json")
    out = tmp_path / "out.npy"
    status = blur(
        tmp_path / "image.npy", tmp_path / "labels.npy",
        "--settings", tmp_path / "blur.json", "-o", out,
    )  # fmt: skip
    assert status == 0
    want = masked_gaussian(image, labels, **settings.kwargs)
    np.testing.assert_allclose(np.load(out), want, atol=1e-6)
    recorded = json.loads((tmp_path / "out.npy.json").read_text())
    assert BlurSettings.from_dict(recorded["settings"]) == settings
    assert recorded["mask"].endswith("labels.npy") and recorded["version"]


def test_explicit_options_override_the_settings_file(tmp_path):
    image, mask = image_and_mask(2)
    np.save(tmp_path / "image.npy", image)
    np.save(tmp_path / "mask.npy", mask)
    save_settings(BlurSettings(sigma=3.0, outside="nan"), tmp_path / "blur.json")
    status = blur(
        tmp_path / "image.npy", tmp_path / "mask.npy", "--settings",
        tmp_path / "blur.json", "--sigma", "1", "-o", tmp_path / "out.tif",
    )  # fmt: skip
    assert status == 0
    want = masked_gaussian(image, mask, 1.0, outside="nan")
    np.testing.assert_allclose(tifffile.imread(tmp_path / "out.tif"), want, atol=1e-6)
    with tifffile.TiffFile(tmp_path / "out.tif") as tif:
        record = tif.shaped_metadata[0]["napari-masked-blur"]
    assert record["settings"]["sigma"] == 1.0
    assert record["settings"]["outside"] == "nan"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not JSON"),
        ('{"format": 1, "sigma": 1, "sigmaa": 2}', "'sigmaa'"),
        ('{"format": 99, "sigma": 1}', "format 99 is newer"),
        ('{"format": 1, "sigma": 1, "mode": "bounce"}', "'bounce'"),
    ],
)
def test_bad_settings_file_exits_2_naming_it(tmp_path, capsys, document, message):
    image, mask = image_and_mask(0)
    np.save(tmp_path / "image.npy", image)
    np.save(tmp_path / "mask.npy", mask)
    (tmp_path / "blur.json").write_text(document)
    status = blur(
        tmp_path / "image.npy", tmp_path / "mask.npy",
        "--settings", tmp_path / "blur.json", "-o", tmp_path / "out.npy",
    )  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "blur.json" in err
    assert not (tmp_path / "out.npy").exists()


def test_no_sigma_and_no_settings_is_a_usage_error(tmp_path, capsys):
    assert blur(tmp_path / "a.npy", tmp_path / "m.npy", "-o", tmp_path / "o.npy") == 2
    assert "--sigma is required" in capsys.readouterr().err


def test_sigma_in_micrometres_takes_the_pixel_sizes_from_the_file(tmp_path):
    image = np.random.default_rng(1).random((4, 12, 14)).astype(np.float32)
    mask = np.ones(image.shape, bool)
    mask[:, :, :4] = False
    tifffile.imwrite(
        tmp_path / "image.ome.tif", image, ome=True,
        metadata={"axes": "ZYX", "PhysicalSizeZ": 2.0, "PhysicalSizeY": 0.5,
                  "PhysicalSizeX": 0.5},
    )  # fmt: skip
    np.save(tmp_path / "mask.npy", mask)
    out = tmp_path / "out.ome.tif"
    status = blur(
        tmp_path / "image.ome.tif", tmp_path / "mask.npy", "--sigma", "1.5",
        "--units", "um", "-o", out,
    )  # fmt: skip
    assert status == 0
    want = masked_gaussian(image, mask, 1.5, spacing=(2.0, 0.5, 0.5))
    np.testing.assert_allclose(tifffile.imread(out), want, atol=1e-6)
    with tifffile.TiffFile(out) as tif:
        pixels = tifffile.xml2dict(tif.ome_metadata)["OME"]["Image"]["Pixels"]
    assert (pixels["PhysicalSizeZ"], pixels["PhysicalSizeX"]) == (2.0, 0.5)
    # The same in nanometres: 1500 nm.
    status = blur(
        tmp_path / "image.ome.tif", tmp_path / "mask.npy", "--sigma", "1500",
        "--units", "nm", "-o", tmp_path / "nm.npy",
    )  # fmt: skip
    assert status == 0
    np.testing.assert_allclose(np.load(tmp_path / "nm.npy"), want, atol=1e-6)


def test_sigma_in_micrometres_without_pixel_sizes_exits_2(tmp_path, capsys):
    image, mask = image_and_mask(0)
    tifffile.imwrite(tmp_path / "image.tif", image)
    np.save(tmp_path / "mask.npy", mask)
    status = blur(
        tmp_path / "image.tif", tmp_path / "mask.npy", "--sigma", "1",
        "--units", "um", "-o", tmp_path / "out.npy",
    )  # fmt: skip
    assert status == 2
    assert "records no pixel sizes" in capsys.readouterr().err


def test_ome_tiff_through_bioio_to_ome_zarr_at_the_same_scale(tmp_path):
    pytest.importorskip("bioio_ome_tiff")
    pytest.importorskip("yaozarrs")
    image = np.random.default_rng(2).random((4, 12, 14)).astype(np.float32)
    mask = np.ones(image.shape, np.uint8)
    mask[:, 6:, 6:] = 0
    metadata = {"axes": "ZYX", "PhysicalSizeZ": 1.0, "PhysicalSizeY": 0.25}
    metadata["PhysicalSizeX"] = 0.25
    tifffile.imwrite(tmp_path / "image.ome.tif", image, ome=True, metadata=metadata)
    tifffile.imwrite(tmp_path / "mask.ome.tif", mask, ome=True)
    out = tmp_path / "out.ome.zarr"
    status = blur(
        tmp_path / "image.ome.tif", tmp_path / "mask.ome.tif", "--reader", "bioio",
        "--sigma", "0.5", "--units", "um", "-o", out,
    )  # fmt: skip
    assert status == 0
    want = masked_gaussian(image, mask, 0.5, spacing=(1.0, 0.25, 0.25))
    group = zarr.open_group(out, mode="r")
    np.testing.assert_allclose(group["0"][:], want, atol=1e-6)
    (multiscale,) = group.attrs["ome"]["multiscales"]
    (scale,) = multiscale["datasets"][0]["coordinateTransformations"]
    assert scale["scale"] == [1.0, 0.25, 0.25]
    record = group.attrs["napari-masked-blur"]
    # Sigma as given, for any file's own pixel size; this file's beside it.
    assert record["settings"]["spacing"] is None
    assert record["settings"]["units"] == "um"
    assert record["spacing_from_file"] == [1.0, 0.25, 0.25]


@pytest.mark.slow
def test_workers_start_one_cluster_for_the_whole_batch(folders, monkeypatch):
    distributed = pytest.importorskip("distributed")
    root, pairs = folders
    np.save(root / "masks" / "c.npy", pairs["c"][1])
    started = []

    class CountedCluster(distributed.LocalCluster):
        def __init__(self, *args, **kwargs):
            started.append(kwargs["n_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(distributed, "LocalCluster", CountedCluster)
    status = blur(
        root / "images", root / "masks", "--sigma", "1.5", "--workers", "2",
        "-o", root / "out",
    )  # fmt: skip
    assert status == 0
    assert started == [2]
    for stem in "abc":
        out = np.load(root / "out" / f"{stem}.npy")
        np.testing.assert_allclose(out, expected(pairs, stem), atol=1e-6)
