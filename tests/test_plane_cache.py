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


TAPS = np.array([0.4, 0.2, 0.1])  # t_0, t_1, t_2: any numbers will do


def test_products_are_kept_from_the_third_sigma_for_one_plane(volume):
    image, mask = volume
    kept = PlaneProducts()
    asks = [
        kept.reduced(image, mask, 9, TAPS, "missing", None, np.float32)
        for _ in range(3)
    ]
    assert asks[0] is None and asks[1] is None
    numerator, weights = asks[2]
    # Worked by hand: t_0 P[9] + t_1 (P[8] + P[10]) + t_2 (P[7] + P[11]).
    inside = (mask != 0).astype(np.float64)
    planes = {
        k: (image[9 - k] * inside[9 - k], inside[9 - k]) for k in (-2, -1, 0, 1, 2)
    }
    expected_w = sum(TAPS[abs(k)] * planes[k][1] for k in planes)
    expected_n = sum(TAPS[abs(k)] * planes[k][0] for k in planes)
    np.testing.assert_allclose(weights, expected_w, rtol=1e-6)
    np.testing.assert_allclose(numerator, expected_n, rtol=1e-6)


@pytest.mark.parametrize(
    ("mode", "planes"),
    [
        # plane 1 of 20, taps out to 3: beyond the start the rule decides
        ("missing", {0: [1], 1: [0, 2], 2: [3], 3: [4]}),
        ("reflect", {0: [1], 1: [0, 2], 2: [0, 3], 3: [1, 4]}),
        ("mirror", {0: [1], 1: [0, 2], 2: [1, 3], 3: [2, 4]}),
        ("nearest", {0: [1], 1: [0, 2], 2: [0, 3], 3: [0, 4]}),
        ("wrap", {0: [1], 1: [0, 2], 2: [19, 3], 3: [18, 4]}),
    ],
)
def test_planes_beyond_the_ends_are_folded_by_the_border_rule(volume, mode, planes):
    image, mask = volume
    taps = np.array([1.0, 10.0, 100.0, 1000.0])
    kept = PlaneProducts()
    for _ in range(3):
        found = kept.reduced(image, mask, 1, taps, mode, None, np.float64)
    weights = found[1]
    inside = (mask != 0).astype(np.float64)
    expected = sum(taps[k] * inside[p] for k, ps in planes.items() for p in ps)
    np.testing.assert_array_equal(weights, expected)


def test_another_plane_starts_the_count_again(volume):
    image, mask = volume
    kept = PlaneProducts()
    for plane in (9, 9, 10):
        found = kept.reduced(image, mask, plane, TAPS, "missing", None, np.float32)
    assert found is None


@pytest.mark.parametrize("mode", ["missing", "reflect", "nearest", "mirror", "wrap"])
def test_a_sigma_drag_with_kept_products_matches_the_plain_result(volume, mode):
    image, mask = volume
    kept = PlaneProducts()
    for sigma in (1.0, 1.5, 2.0, 3.0, 2.5, 1.0):
        fast = blur_region(image, mask, PLANE, sigma, mode=mode, products=kept)
        plain = blur_region(image, mask, PLANE, sigma, mode=mode)
        np.testing.assert_allclose(fast, plain, rtol=0, atol=1e-6 * 4000)
    assert kept._pairs is not None  # the drag did use kept products


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


def test_pairs_beyond_the_budget_are_refused(volume):
    image, mask = volume
    pair_bytes = 5 * image.shape[1] * image.shape[2]  # uint32 and uint8 kept
    kept = PlaneProducts(budget=2 * pair_bytes)
    for _ in range(3):
        found = kept.reduced(image, mask, 9, TAPS, "missing", None, np.float32)
    assert found is None
    assert kept.reduced(image, mask, 9, TAPS[:2], "missing", None, np.float32)


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
    assert kept._pairs is not None


@pytest.mark.parametrize(
    ("image", "mask", "kept"),
    [
        (np.uint16, np.uint8, (np.uint32, np.uint8)),  # sums of 2 values; 0 to 2
        (np.int8, bool, (np.int16, np.uint8)),
        (np.int64, np.uint8, (np.float32, np.uint8)),  # no wider integer
        (bool, np.uint32, (np.uint8, np.uint8)),
        (np.float32, np.uint8, (np.float32, np.uint8)),  # NaN pixels get w = 0
        (np.uint16, np.float32, (np.float32, np.float32)),  # certainty weights
    ],
)
def test_pair_sums_are_kept_exactly_in_few_bytes(image, mask, kept):
    found = storage_dtypes(np.dtype(image), np.dtype(mask), np.dtype(np.float32))
    assert found == tuple(np.dtype(d) for d in kept)


def test_the_largest_integers_add_up_without_overflow():
    image = np.full((5, 4, 4), np.iinfo(np.uint16).max, np.uint16)
    mask = np.ones(image.shape, np.uint8)
    kept = PlaneProducts()
    for _ in range(3):
        found = kept.reduced(image, mask, 2, TAPS, "missing", None, np.float64)
    np.testing.assert_allclose(found[0], 65535.0 * (TAPS[0] + 2 * TAPS[1:].sum()))


@pytest.mark.parametrize("mode", ["missing", "reflect", "nearest", "mirror", "wrap"])
@pytest.mark.parametrize("plane", [0, 1, 18, 19])
def test_planes_at_the_ends_with_kernels_wider_than_the_volume(volume, mode, plane):
    # Sigma 4 reaches 16 planes each way, past both ends of the 20 there are;
    # sigma 6 (24 pairs) is more pairs than planes: refused, computed as usual.
    image, mask = volume
    region = (slice(plane, plane + 1), slice(None), slice(None))
    kept = PlaneProducts()
    for sigma in (1.0, 2.0, 4.0, 6.0, 3.0):
        fast = blur_region(image, mask, region, sigma, mode=mode, products=kept)
        plain = blur_region(image, mask, region, sigma, mode=mode)
        np.testing.assert_allclose(fast, plain, rtol=0, atol=1e-6 * 4000)
    assert kept._pairs is not None
