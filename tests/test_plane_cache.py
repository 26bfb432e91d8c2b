"""PlaneProducts: the displayed plane's products kept while only sigma changes."""

import numpy as np
import pytest

from napari_masked_blur._plane_cache import PlaneProducts, storage_dtypes
from napari_masked_blur._region import blur_region

PLANE = (slice(9, 10), slice(None), slice(None))


@pytest.fixture
def volume():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 4000, (20, 24, 28), dtype=np.uint16)
    mask = (rng.random(image.shape) > 0.3).astype(np.uint8)
    return image, mask


def test_products_are_made_from_the_third_sigma_for_one_plane(volume):
    image, mask = volume
    kept = PlaneProducts()
    asks = [
        kept.products(image, mask, slice(5, 14), slice(9, 10), None, np.float32)
        for _ in range(3)
    ]
    assert asks[0] is None and asks[1] is None
    numerator, weights = asks[2]
    assert np.array_equal(weights, (mask[5:14] != 0).astype(np.float32))
    assert np.array_equal(numerator, image[5:14] * (mask[5:14] != 0))


def test_another_plane_starts_the_count_again(volume):
    image, mask = volume
    kept = PlaneProducts()
    for output in (slice(9, 10), slice(9, 10), slice(10, 11)):
        found = kept.products(image, mask, slice(5, 14), output, None, np.float32)
    assert found is None


@pytest.mark.parametrize("mode", ["missing", "reflect", "nearest", "mirror", "wrap"])
def test_a_sigma_drag_with_kept_products_matches_the_plain_result(volume, mode):
    image, mask = volume
    kept = PlaneProducts()
    for sigma in (1.0, 1.5, 2.0, 3.0, 2.5, 1.0):
        fast = blur_region(image, mask, PLANE, sigma, mode=mode, products=kept)
        plain = blur_region(image, mask, PLANE, sigma, mode=mode)
        np.testing.assert_allclose(fast, plain, rtol=0, atol=1e-6 * 4000)
    assert kept._stack is not None  # the drag did use kept products


def test_an_edit_after_invalidate_is_seen(volume):
    image, mask = volume
    mask = mask.copy()
    kept = PlaneProducts()
    for sigma in (1.0, 1.5, 2.0):
        blur_region(image, mask, PLANE, sigma, products=kept)
    mask[8:11, 5:15, 5:15] = 0
    kept.invalidate()
    for sigma in (2.5, 3.0, 3.5):
        fast = blur_region(image, mask, PLANE, sigma, products=kept)
        plain = blur_region(image, mask, PLANE, sigma)
        np.testing.assert_allclose(fast, plain, rtol=0, atol=1e-6 * 4000)


def test_planes_beyond_the_budget_are_refused(volume):
    image, mask = volume
    plane_bytes = 3 * image.shape[1] * image.shape[2]  # uint16 and uint8 kept
    kept = PlaneProducts(budget=4 * plane_bytes)
    for _ in range(3):
        found = kept.products(image, mask, slice(5, 14), slice(9, 10), None, np.float32)
    assert found is None


def test_certainty_maps_and_nan_pixels_keep_their_weights():
    rng = np.random.default_rng(4)
    image = rng.random((12, 10, 10)).astype(np.float32)
    image[6, 3, 3] = np.nan
    certainty = rng.random(image.shape).astype(np.float32)
    kept = PlaneProducts()
    for sigma in (1.0, 1.2, 1.4):
        fast = blur_region(
            image,
            certainty,
            (slice(6, 7), slice(None), slice(None)),
            sigma,
            products=kept,
        )
        plain = blur_region(
            image, certainty, (slice(6, 7), slice(None), slice(None)), sigma
        )
        np.testing.assert_allclose(fast, plain, rtol=0, atol=1e-6, equal_nan=True)
    assert kept._stack is not None


@pytest.mark.parametrize(
    ("image", "mask", "kept"),
    [
        (np.uint16, np.uint8, (np.uint16, np.uint8)),  # exact: value or 0, 0 or 1
        (np.int32, bool, (np.int32, np.uint8)),
        (bool, np.uint32, (np.uint8, np.uint8)),
        (np.float32, np.uint8, (np.float32, np.uint8)),  # NaN pixels get w = 0
        (np.uint16, np.float32, (np.float32, np.float32)),  # certainty weights
    ],
)
def test_products_are_kept_exactly_in_few_bytes(image, mask, kept):
    found = storage_dtypes(np.dtype(image), np.dtype(mask), np.dtype(np.float32))
    assert found == tuple(np.dtype(d) for d in kept)
