"""The blur command with the derivative filters: --filter, --order,
--high-sigma, --rho, folders, chunks, settings files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr

from napari_masked_blur import FILTERS, BlurSettings, save_settings
from napari_masked_blur._cli import blur as blur_command


def blur(*arguments) -> int:
    return blur_command.main([str(a) for a in arguments])


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(3)
    image = (30000 + rng.normal(0, 40, (10, 24, 22))).astype(np.uint16)
    mask = np.zeros(image.shape, np.uint8)
    mask[2:9, 3:20, 2:19] = 1
    np.save(tmp_path / "image.npy", image)
    np.save(tmp_path / "mask.npy", mask)
    return tmp_path, image, mask


CASES = [
    (["--filter", "gaussian", "--order", "0,1,2"], "gaussian", {"order": (0, 1, 2)}),
    (["--filter", "gaussian_gradient_magnitude"], "gaussian_gradient_magnitude", {}),
    (["--filter", "gaussian_laplace"], "gaussian_laplace", {}),
    (
        ["--filter", "difference_of_gaussians", "--high-sigma", "2.5"],
        "difference_of_gaussians",
        {"high_sigma": 2.5},
    ),
    (["--filter", "hessian_eigenvalues"], "hessian_eigenvalues", {}),
    (
        ["--filter", "structure_tensor_eigenvalues", "--rho", "1.5,2,2"],
        "structure_tensor_eigenvalues",
        {"rho": (1.5, 2.0, 2.0)},
    ),
]


@pytest.mark.parametrize("arguments, name, extra", CASES)
def test_chunked_output_is_the_function_result(files, arguments, name, extra):
    folder, image, mask = files
    out = folder / "out.zarr"
    status = blur(
        folder / "image.npy",
        folder / "mask.npy",
        "--sigma",
        1.2,
        *arguments,
        "--chunks",
        "4,10,22",
        "-o",
        out,
    )
    assert status == 0
    written = zarr.open_array(out, mode="r")[...]
    expected = FILTERS[name](image, mask, 1.2, **extra)
    assert written.shape == expected.shape
    np.testing.assert_allclose(written, expected, rtol=1e-4, atol=1e-3)


def test_a_settings_file_repeats_the_filter_and_its_parameter(files):
    folder, image, mask = files
    settings = BlurSettings(sigma=1.0, filter="difference_of_gaussians", high_sigma=2)
    save_settings(settings, folder / "dog.json")
    out = folder / "out.npy"
    assert (
        blur(
            folder / "image.npy",
            folder / "mask.npy",
            "--settings",
            folder / "dog.json",
            "-o",
            out,
        )
        == 0
    )
    expected = FILTERS["difference_of_gaussians"](image, mask, **settings.kwargs)
    np.testing.assert_allclose(np.load(out), expected, rtol=1e-4, atol=1e-3)
    record = json.loads((folder / "out.npy.json").read_text())
    assert record["settings"]["filter"] == "difference_of_gaussians"
    assert record["settings"]["high_sigma"] == 2.0


def test_folders_of_images_each_get_the_filter(files):
    folder, image, mask = files
    (folder / "images").mkdir()
    (folder / "masks").mkdir()
    for k in range(2):
        np.save(folder / "images" / f"c{k}.npy", image + k)
        np.save(folder / "masks" / f"c{k}.npy", mask)
    status = blur(
        folder / "images",
        folder / "masks",
        "--sigma",
        1.5,
        "--filter",
        "gaussian_laplace",
        "-o",
        folder / "out",
    )
    assert status == 0
    for k in range(2):
        expected = FILTERS["gaussian_laplace"](image + k, mask, 1.5)
        np.testing.assert_allclose(
            np.load(folder / "out" / f"c{k}.npy"), expected, rtol=1e-4, atol=1e-3
        )


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--filter", "gaussian_laplace", "--rho", "2"], "rho 2.0 does not apply"),
        (["--order", "1", "--outside", "keep"], "keep would leave the image's own"),
        (["--filter", "gaussian", "--order", "x"], "expected integers"),
        (["--filter", "hessian_eigenvalues", "-o", "h.ome.zarr"], "OME files"),
    ],
)
def test_bad_parameters_are_one_line_and_status_2(files, capsys, arguments, message):
    folder, _, _ = files
    if "-o" not in arguments:
        arguments = [*arguments, "-o", "out.tif"]
    arguments = [folder / a if a.endswith("zarr") else a for a in arguments]
    status = blur(folder / "image.npy", folder / "mask.npy", "--sigma", 1, *arguments)
    assert status == 2
    error = capsys.readouterr().err
    assert message in error
    assert error.count("napari-masked-blur blur:") == 1
