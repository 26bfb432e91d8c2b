"""masked_gaussian and normalized_convolution: the specification, by example."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian, normalized_convolution

SCIPY_MODE = {"missing": "constant"}


def reference(image, weights, sigma, mode="missing", truncate=4.0):
    """The float64 definition G*(x w) / G*w, written as plainly as possible."""
    x = np.asarray(image, np.float64)
    w = np.asarray(weights, np.float64) * np.isfinite(x)
    x = np.where(np.isfinite(x), x, 0)
    kw = {"mode": SCIPY_MODE.get(mode, mode), "truncate": truncate, "cval": 0.0}
    num = ndi.gaussian_filter(x * w, sigma, **kw)
    den = ndi.gaussian_filter(w, sigma, **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def disk_mask(shape, radius_fraction=0.35):
    grids = np.indices(shape, sparse=True)
    r2 = sum((g - (s - 1) / 2) ** 2 for g, s in zip(grids, shape, strict=True))
    return r2 < (radius_fraction * min(shape)) ** 2


@pytest.fixture
def rng():
    return np.random.default_rng(1)


def test_outside_pixels_do_not_leak_in(rng):
    image = rng.integers(0, 1000, (40, 50)).astype(np.uint16)
    mask = disk_mask(image.shape)
    changed = image.copy()
    changed[~mask] = 65535 - changed[~mask]
    a = masked_gaussian(image, mask, 4)
    b = masked_gaussian(changed, mask, 4)
    np.testing.assert_array_equal(a[mask], b[mask])


def test_outside_keeps_original_values_by_default(rng):
    image = rng.integers(0, 1000, (30, 30)).astype(np.uint16)
    mask = disk_mask(image.shape)
    out = masked_gaussian(image, mask, 3)
    np.testing.assert_array_equal(out[~mask], image[~mask])


@pytest.mark.parametrize("mode", ["reflect", "nearest", "mirror", "wrap"])
def test_all_ones_mask_equals_gaussian_filter(rng, mode):
    image = rng.random((33, 41))
    out = masked_gaussian(image, np.ones(image.shape, bool), (2, 3.5), mode=mode)
    expected = ndi.gaussian_filter(image, (2, 3.5), mode=mode)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_all_ones_mask_in_missing_mode_equals_gaussian_filter_away_from_border(rng):
    image = rng.random((60, 60)).astype(np.float32)
    out = masked_gaussian(image, np.ones(image.shape, bool), 2)
    expected = ndi.gaussian_filter(image.astype(np.float64), 2)
    np.testing.assert_allclose(out[8:-8, 8:-8], expected[8:-8, 8:-8], atol=1e-5)


@pytest.mark.parametrize("mode", ["missing", "reflect", "nearest", "mirror", "wrap"])
def test_constant_image_stays_constant_inside_and_at_the_border(mode):
    image = np.full((20, 25), 100, np.uint16)
    mask = np.zeros(image.shape, bool)
    mask[:12, :9] = True  # touches the top-left corner
    mask[15:, 20:] = True  # and the bottom-right one
    out = masked_gaussian(image, mask, 5, mode=mode)
    np.testing.assert_allclose(out, 100, rtol=1e-6)


def test_zero_outside_then_blur_would_darken_the_edge_but_this_does_not():
    image = np.full((21, 21), 50.0)
    mask = np.zeros(image.shape, bool)
    mask[:, :11] = True
    naive = ndi.gaussian_filter(image * mask, 3)
    out = masked_gaussian(image, mask, 3)
    assert naive[10, 10] < 30  # the usual recipe: edge pulled halfway to 0
    assert out[10, 10] == pytest.approx(50.0)


def test_one_bright_pixel_spreads_as_the_normalized_kernel():
    # 1D, sigma 1, truncate 4: g(k) = exp(-k²/2) for |k| <= 4.
    image = np.zeros(9)
    image[4] = 1.0
    out = masked_gaussian(image, np.ones(9, bool), 1.0)
    g = np.exp(-0.5 * np.arange(-4, 5) ** 2)
    # Pixel 4: the whole kernel lies inside the image, so G*w = 1.
    assert out[4] == pytest.approx(1 / g.sum())
    assert out[4] == pytest.approx(0.3989435, abs=1e-7)  # 1 / 2.5066208
    # Pixel 5: the kernel's k=+4 tap falls beyond the border ("missing").
    assert out[5] == pytest.approx(g[5] / g[:-1].sum())
    assert out[5] == pytest.approx(0.2420038, abs=1e-7)  # 0.6065307 / 2.5062853


def test_sigma_zero_returns_the_input():
    image = np.arange(12, dtype=np.uint16).reshape(3, 4)
    mask = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 1, 1]], bool)
    out = masked_gaussian(image, mask, 0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, image)
    # With "fill", a pixel outside the mask has nothing within a zero reach.
    filled = masked_gaussian(image, mask, 0, outside="fill")
    np.testing.assert_array_equal(filled[mask], image[mask])
    assert np.isnan(filled[~mask]).all()


def test_sigma_zero_on_one_axis_smooths_only_the_others(rng):
    image = rng.random((5, 30, 30))
    mask = np.ones(image.shape, bool)
    out = masked_gaussian(image, mask, (0, 2, 2), mode="reflect")
    for t in range(5):
        expected = ndi.gaussian_filter(image[t], 2, mode="reflect")
        np.testing.assert_allclose(out[t], expected, atol=1e-12)


def test_nan_pixels_are_missing_data_and_do_not_spread():
    image = np.arange(25, dtype=np.float64).reshape(5, 5)
    image[2, 2] = np.nan
    mask = np.ones(image.shape, bool)
    out = masked_gaussian(image, mask, 1)
    assert np.isfinite(out).all()
    weights = np.ones(image.shape)
    weights[2, 2] = 0
    np.testing.assert_allclose(out, reference(image, weights, 1), atol=1e-12)
    # By symmetry the hole is filled with the mean of its ring: 12.
    assert out[2, 2] == pytest.approx(12.0)


def test_inf_pixels_are_missing_data_too():
    image = np.ones((7, 7), np.float32)
    image[3, 3] = np.inf
    out = masked_gaussian(image, np.ones((7, 7), bool), 2)
    np.testing.assert_allclose(out, 1.0, rtol=1e-6)


def test_nan_outside_the_mask_is_kept_with_keep():
    image = np.ones((5, 5))
    image[0, 0] = np.nan
    mask = np.ones((5, 5), bool)
    mask[0, 0] = False
    out = masked_gaussian(image, mask, 1)
    assert np.isnan(out[0, 0])
    np.testing.assert_allclose(out[mask], 1.0)


def test_labels_selects_which_ids_are_inside(rng):
    image = rng.random((20, 30))
    mask = np.zeros((20, 30), np.uint16)
    mask[:, :10], mask[:, 10:20], mask[:, 20:] = 1, 2, 3
    only_two = masked_gaussian(image, mask, 2, labels=2)
    np.testing.assert_allclose(only_two, masked_gaussian(image, mask == 2, 2))
    one_and_three = masked_gaussian(image, mask, 2, labels=[1, 3])
    np.testing.assert_allclose(one_and_three, masked_gaussian(image, mask != 2, 2))


def test_label_ids_are_never_weights(rng):
    image = rng.random((20, 20))
    ones = disk_mask(image.shape).astype(np.uint8)
    sevens = ones * 7
    np.testing.assert_array_equal(
        masked_gaussian(image, ones, 2), masked_gaussian(image, sevens, 2)
    )


def test_per_label_does_not_bleed_between_touching_labels():
    mask = np.zeros((20, 20), np.int32)
    mask[:, :10], mask[:, 10:] = 1, 2
    image = np.where(mask == 1, 100.0, 200.0)
    bleeding = masked_gaussian(image, mask, 4)
    assert bleeding[10, 9] > 100.5  # the plain mask mixes the two labels
    out = masked_gaussian(image, mask, 4, per_label=True)
    np.testing.assert_allclose(out, image, rtol=1e-12)


def test_per_label_equals_each_label_alone(rng):
    image = rng.random((40, 40)) * 100
    mask = rng.integers(0, 4, (40, 40)).astype(np.uint8)
    mask = ndi.median_filter(mask, 5)  # blobs that touch each other
    out = masked_gaussian(image, mask, 2.5, per_label=True, outside="zero")
    for k in np.unique(mask[mask > 0]):
        alone = masked_gaussian(image, mask, 2.5, labels=int(k))
        np.testing.assert_allclose(out[mask == k], alone[mask == k], atol=1e-12)
    np.testing.assert_array_equal(out[mask == 0], 0)


def test_per_label_with_huge_and_negative_ids(rng):
    image = rng.random((12, 12))
    mask = np.zeros((12, 12), np.int64)
    mask[:6], mask[6:, :6] = 2**40, -3
    out = masked_gaussian(image, mask, 2, per_label=True)
    for k in (2**40, -3):
        alone = masked_gaussian(image, mask, 2, labels=k)
        np.testing.assert_allclose(out[mask == k], alone[mask == k], atol=1e-12)
    np.testing.assert_array_equal(out[mask == 0], image[mask == 0])


def test_per_label_with_fill_fills_background_from_all_labels(rng):
    image = rng.random((15, 15))
    mask = np.zeros((15, 15), np.uint8)
    mask[2:7, 2:7], mask[8:13, 8:13] = 1, 2
    out = masked_gaussian(image, mask, 2, per_label=True, outside="fill")
    union = masked_gaussian(image, mask > 0, 2, outside="fill")
    np.testing.assert_allclose(out[mask == 0], union[mask == 0], atol=1e-12)


def test_float_weights_are_a_certainty_map():
    # Two pixels, weights 1 and 3, sigma large enough that each sees the other
    # with (almost) equal kernel weight: the result leans 3:1 toward pixel 1.
    image = np.array([0.0, 100.0])
    weights = np.array([1.0, 3.0])
    out = normalized_convolution(image, weights, 100.0)
    assert out[0] == pytest.approx(75.0, abs=1e-3)
    assert out[1] == pytest.approx(75.0, abs=1e-3)


def test_scaling_all_weights_changes_nothing(rng):
    image = rng.random((25, 25))
    weights = rng.random((25, 25))
    a = normalized_convolution(image, weights, 2)
    b = normalized_convolution(image, weights * 0.01, 2)
    np.testing.assert_allclose(a, b, rtol=1e-10)


def test_float_mask_in_masked_gaussian_is_a_certainty_map(rng):
    image = rng.random((25, 25))
    weights = rng.random((25, 25))
    weights[weights < 0.3] = 0
    out = masked_gaussian(image, weights, 2)
    expected = reference(image, weights, 2)
    np.testing.assert_allclose(out[weights > 0], expected[weights > 0], atol=1e-12)
    np.testing.assert_array_equal(out[weights == 0], image[weights == 0])


def test_certainty_is_the_smoothed_weights(rng):
    image = rng.random((20, 20))
    weights = disk_mask((20, 20)).astype(float)
    out, certainty = normalized_convolution(image, weights, 2, return_certainty=True)
    np.testing.assert_allclose(
        certainty, ndi.gaussian_filter(weights, 2, mode="constant"), atol=1e-12
    )
    assert out.shape == certainty.shape


def test_no_weight_in_reach_gives_nan():
    image = np.arange(30, dtype=float)
    weights = np.zeros(30)
    weights[0] = 1
    out = normalized_convolution(image, weights, 1.0)  # reach: 4 pixels
    np.testing.assert_allclose(out[:5], 0.0)
    assert np.isnan(out[5:]).all()


def test_spacing_makes_sigma_physical(rng):
    image = rng.random((30, 30))
    mask = disk_mask(image.shape)
    physical = masked_gaussian(image, mask, 2.0, spacing=(2.0, 0.5))
    pixels = masked_gaussian(image, mask, (1.0, 4.0))
    np.testing.assert_array_equal(physical, pixels)


@pytest.mark.parametrize("channel_axis", [0, -1])
def test_channel_axis_smooths_each_channel_alone(rng, channel_axis):
    channels = [rng.random((20, 24)) for _ in range(3)]
    image = np.stack(channels, axis=channel_axis)
    mask = disk_mask((20, 24))
    out = masked_gaussian(image, mask, (1, 2), channel_axis=channel_axis)
    assert out.shape == image.shape
    for c, channel in enumerate(channels):
        got = np.take(out, c, axis=channel_axis)
        np.testing.assert_array_equal(got, masked_gaussian(channel, mask, (1, 2)))


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.bool_, np.float32),
        (np.uint8, np.float32),
        (np.int8, np.float32),
        (np.uint16, np.float32),
        (np.int16, np.float32),
        (np.float16, np.float32),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int32, np.float64),
        (np.uint32, np.float64),
        (np.int64, np.float64),
        (np.uint64, np.float64),
    ],
)
def test_output_dtype_table(dtype, expected):
    image = np.ones((6, 6), dtype)
    mask = np.ones((6, 6), bool)
    assert masked_gaussian(image, mask, 1).dtype == expected
    assert normalized_convolution(image, mask, 1).dtype == expected


def test_float32_result_is_within_1e4_of_the_range_of_the_float64_definition(rng):
    image = rng.integers(0, 65535, (128, 128)).astype(np.uint16)
    mask = disk_mask(image.shape)
    out = masked_gaussian(image, mask, 3)
    expected = reference(image, mask, 3)
    error = np.abs(out[mask] - expected[mask]).max()
    assert error <= 1e-4 * np.ptp(image)


@pytest.mark.parametrize(
    "outside, expected_outside",
    [("zero", 0.0), ("nan", np.nan)],
)
def test_outside_policies_zero_and_nan(rng, outside, expected_outside):
    image = rng.random((15, 15))
    mask = disk_mask(image.shape)
    out = masked_gaussian(image, mask, 2, outside=outside)
    np.testing.assert_array_equal(out[~mask], expected_outside)
    np.testing.assert_allclose(out[mask], masked_gaussian(image, mask, 2)[mask])


def test_outside_fill_fills_holes_and_extrapolates():
    image = np.full((15, 15), 7.0)
    mask = np.zeros((15, 15), bool)
    mask[3:8, 3:8] = True
    mask[5, 5] = False  # a hole
    out = masked_gaussian(image, mask, 1.5, outside="fill")
    assert out[5, 5] == pytest.approx(7.0)  # hole filled
    assert out[1, 5] == pytest.approx(7.0)  # extrapolated 2 px beyond the mask
    # Reach is int(4 * 1.5 + 0.5) = 6 px along each axis: (13, 13) is 6 px
    # from the mask's corner (7, 7) on both axes, (14, 14) is 7.
    assert out[13, 13] == pytest.approx(7.0)
    assert np.isnan(out[14, 14])


def test_all_zero_mask_returns_the_image_as_float_without_warnings():
    image = np.arange(20, dtype=np.uint8).reshape(4, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = masked_gaussian(image, np.zeros((4, 5), bool), 3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, image)


def test_inputs_are_never_modified(rng):
    image = rng.random((20, 20)).astype(np.float32)
    image[3, 3] = np.nan
    mask = rng.integers(0, 3, (20, 20)).astype(np.uint8)
    image_before, mask_before = image.copy(), mask.copy()
    for per_label in (False, True):
        for outside in ("keep", "zero", "nan", "fill"):
            masked_gaussian(image, mask, 2, per_label=per_label, outside=outside)
    weights = rng.random((20, 20))
    weights_before = weights.copy()
    normalized_convolution(image, weights, 2)
    np.testing.assert_array_equal(image, image_before)
    np.testing.assert_array_equal(mask, mask_before)
    np.testing.assert_array_equal(weights, weights_before)


def test_works_in_one_and_four_dimensions(rng):
    for shape in [(50,), (4, 6, 8, 10)]:
        image = rng.random(shape)
        mask = rng.random(shape) > 0.3
        out = masked_gaussian(image, mask, 1.5, outside="fill")
        np.testing.assert_allclose(out, reference(image, mask, 1.5), atol=1e-12)


@pytest.mark.parametrize("mode", ["missing", "reflect", "nearest", "mirror", "wrap"])
def test_every_mode_matches_the_definition(rng, mode):
    image = rng.random((17, 23))
    mask = rng.random((17, 23)) > 0.4
    out = masked_gaussian(image, mask, (2, 3), mode=mode, truncate=2.5)
    expected = reference(image, mask, (2, 3), mode=mode, truncate=2.5)
    np.testing.assert_allclose(out[mask], expected[mask], atol=1e-12)


@pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf])
def test_negative_or_non_finite_weights_are_named(bad):
    weights = np.ones((4, 4))
    weights[1, 2] = bad
    with pytest.raises(ValueError, match=r"weights.*\(1, 2\)"):
        normalized_convolution(np.ones((4, 4)), weights, 1)
    with pytest.raises(ValueError, match=r"weights.*\(1, 2\)"):
        masked_gaussian(np.ones((4, 4)), weights, 1)


@pytest.mark.parametrize("method", ["auto", "scipy", "opencv", "band", "lowrank"])
def test_data_far_from_zero_keeps_1e4_of_its_range_in_float32(rng, method):
    # 30000 ± 150: float32 rounding of the raw values would be ~1e-4 of the
    # range; the core shifts the data before smoothing, so it stays far below.
    image = (30000 + rng.random((96, 96)) * 300).astype(np.float32)
    mask = disk_mask(image.shape, 0.45)
    mask[40:50, 40:50] = False
    out = masked_gaussian(image, mask, 20, method=method)
    expected = reference(image, mask, 20)
    assert out.dtype == np.float32
    error = np.abs(out[mask] - expected[mask]).max()
    assert error <= 1e-5 * np.ptp(image)
