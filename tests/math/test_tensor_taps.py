"""The structure tensor over a thin region (the displayed plane), by taps.

Its gradient is made only at the rows rho's taps read, chunk by chunk, and
the products reduced by those taps (:mod:`napari_masked_blur._math.tensor_taps`):
the result must be the whole window's tensor cropped, in every case.
"""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur import BlurSettings
from napari_masked_blur._api.route import run_piece
from napari_masked_blur._math import region as region_module

NAME = "structure_tensor_eigenvalues"


@pytest.fixture
def taken(monkeypatch):
    """How many regions the tensor's taps computed (the route is really taken)."""
    calls = []
    original = region_module.tensor_tapped

    def counted(*args, **keywords):
        calls.append(args[3])  # the thin axis
        return original(*args, **keywords)

    monkeypatch.setattr(region_module, "tensor_tapped", counted)
    return calls


def volume(rng, shape=(16, 22, 20), dtype=np.uint16):
    image = (30000 + rng.normal(0, 50, shape)).astype(dtype)
    image[:, 5:9, 6:12] += 400  # a bright bar: a direction to find
    mask = np.zeros(shape, np.int32)
    mask[1:14, 3:12, 2:18] = 1
    mask[1:14, 12:20, 4:16] = 2
    return image, mask


def assert_region_is_whole(image, mask, settings, regions):
    options = settings.check(image, mask)
    whole = run_piece(image, mask, options, None)
    for region in regions:
        piece = run_piece(image, mask, options, region)
        expected = whole[(..., *region)]
        assert piece.shape == expected.shape
        scale = np.nanmax(np.abs(whole))
        np.testing.assert_allclose(
            piece, expected, rtol=1e-4, atol=1e-4 * scale, equal_nan=True
        )


def planes(shape, zs):
    return [(slice(z, z + 1), slice(0, shape[1]), slice(0, shape[2])) for z in zs]


@pytest.mark.parametrize("mode", ["reflect", "missing", "nearest", "mirror", "wrap"])
def test_the_displayed_plane_is_the_whole_tensor_in_every_mode(mode, rng, taken):
    image, mask = volume(rng)
    image = image.astype(np.float32)
    image[5, 7, 6] = np.nan  # missing data within the planes' reach
    image[12, 15, 9] = np.nan
    settings = BlurSettings(
        sigma=(1.5, 1.0, 1.2), rho=(2.0, 1.5, 1.0), filter=NAME, mode=mode,
        outside="nan",
    )  # fmt: skip
    regions = planes(image.shape, (0, 4, 8, 15))  # at the borders too
    assert_region_is_whole(image, mask, settings, regions)
    assert taken == [0] * len(regions)


def test_thin_along_y_or_x_and_a_few_planes(rng, taken):
    image, mask = volume(rng)
    settings = BlurSettings(sigma=1.2, rho=1.8, filter=NAME, outside="fill")
    regions = [
        (slice(0, 16), slice(10, 11), slice(0, 20)),  # thin along y
        (slice(0, 16), slice(0, 22), slice(7, 9)),  # thin along x
        (slice(6, 9), slice(2, 20), slice(3, 17)),  # three planes, cropped
    ]
    assert_region_is_whole(image, mask, settings, regions)
    assert taken == [1, 2, 0]


def test_spacing_labels_and_certainty_weights(rng, taken):
    image, labels = volume(rng)
    settings = BlurSettings(
        sigma=2.0, rho=3.0, spacing=(2.0, 1.0, 0.8), filter=NAME, labels=(2,)
    )
    assert_region_is_whole(image, labels, settings, planes(image.shape, (3, 10)))
    certainty = rng.uniform(0.0, 3.0, image.shape).astype(np.float32)
    certainty[labels == 0] = 0
    settings = BlurSettings(sigma=1.0, rho=2.5, filter=NAME)
    assert_region_is_whole(image, certainty, settings, planes(image.shape, (0, 7)))
    assert taken == [0, 0, 0, 0]


def test_float64_and_a_rho_wider_than_the_volume(rng, taken):
    image, mask = volume(rng, (9, 22, 20), np.float64)
    settings = BlurSettings(sigma=1.0, rho=4.0, filter=NAME, mode="mirror")
    assert_region_is_whole(image, mask, settings, planes(image.shape, (0, 4, 8)))
    assert taken == [0, 0, 0]


def test_a_row_of_an_image_and_a_mask_of_fewer_axes(rng, taken):
    image, mask = volume(rng)
    settings = BlurSettings(sigma=1.3, filter=NAME)  # rho: 2 sigma
    row = [(slice(11, 12), slice(0, 20))]
    assert_region_is_whole(image[4], mask[4], settings, row)
    # One 2D mask for every plane: broadcast along z.
    assert_region_is_whole(image, mask[6] > 0, settings, planes(image.shape, (7,)))
    assert taken == [0, 0]


def test_a_piece_no_longer_wanted_stops_between_chunks(rng):
    from napari_masked_blur._math.steps import Superseded, stoppable

    image, mask = volume(rng)
    options = BlurSettings(sigma=1.0, rho=3.0, filter=NAME).check(image, mask)
    asked = []

    def wanted():
        asked.append(True)
        return len(asked) < 2  # wanted for the first chunk only

    with pytest.raises(Superseded), stoppable(wanted):
        run_piece(image, mask, options, planes(image.shape, (8,))[0])
    assert len(asked) == 2


def test_the_plane_of_a_movie_of_volumes(rng, taken):
    frames = np.stack([volume(rng)[0] for _ in range(3)])
    mask = np.broadcast_to(volume(rng)[1], frames.shape)
    settings = BlurSettings(sigma=1.2, filter=NAME, axes=(1, 2, 3))  # t is a frame
    regions = [
        (slice(t, t + 1), slice(z, z + 1), slice(0, 22), slice(0, 20))
        for t, z in ((0, 0), (1, 7), (2, 15))
    ]
    assert_region_is_whole(frames, mask, settings, regions)
    assert taken == [1, 1, 1]
