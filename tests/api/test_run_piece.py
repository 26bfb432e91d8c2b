"""The live view's one compute function: whole image, or exactly a region of it."""

import numpy as np
import pytest

from napari_masked_blur import masked_gaussian
from napari_masked_blur._api.route import run_piece
from napari_masked_blur._math.settings import check_options


def image_and_mask(shape=(30, 40)):
    rng = np.random.default_rng(1)
    image = rng.normal(100, 20, shape).astype(np.float32)
    mask = np.zeros(shape, np.uint8)
    mask[3:25, 4:20] = 1
    mask[10:28, 22:37] = 2
    return image, mask


def test_whole_image_is_masked_gaussian_with_the_options():
    image, mask = image_and_mask()
    options = check_options(
        image, mask, (2.0, 3.0), outside="nan", labels=2, mode="reflect"
    )
    expected = masked_gaussian(
        image, mask, (2.0, 3.0), outside="nan", labels=2, mode="reflect"
    )
    np.testing.assert_array_equal(run_piece(image, mask, options, None), expected)


@pytest.mark.parametrize("mode", ["missing", "reflect", "wrap"])
@pytest.mark.parametrize("per_label", [False, True])
def test_region_equals_the_whole_result_cropped(mode, per_label):
    image, mask = image_and_mask()
    options = check_options(image, mask, (1.5, 2.5), mode=mode, per_label=per_label)
    region = (slice(5, 17), slice(18, 30))
    whole = run_piece(image, mask, options, None)
    np.testing.assert_allclose(
        run_piece(image, mask, options, region),
        whole[region],
        rtol=1e-5,
        atol=1e-4,
    )


def test_region_of_an_rgb_image_keeps_its_channels():
    image, mask = image_and_mask()
    rgb = np.stack([image, image / 2, image / 4], axis=-1)
    options = check_options(rgb, mask, (2.0, 2.0), channel_axis=-1)
    region = (slice(0, 10), slice(30, 40))
    part = run_piece(rgb, mask, options, region)
    assert part.shape == (10, 10, 3)
    np.testing.assert_allclose(
        part, run_piece(rgb, mask, options, None)[region], rtol=1e-5, atol=1e-4
    )
