"""Gaussian engines: each is scipy's Gaussian, border and truncation included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian, normalized_convolution
from napari_masked_blur._engines import (
    BORDER_MODES,
    METHODS,
    _opencv,
    choose_engine,
    gaussian_kernel1d,
    gaussian_smooth,
    kernel_radius,
)

ENGINES = [m for m in METHODS if m != "auto"]
CORE_MODES = ("missing", "reflect", "nearest", "mirror", "wrap")
needs_cv2 = pytest.mark.skipif(_opencv.cv2 is None, reason="OpenCV not installed")


def smooth(array, sigma, mode, method, truncate=4.0):
    """One array through the engine interface (on a copy: arrays are scratch)."""
    return gaussian_smooth(
        [array.copy()], sigma, mode=mode, truncate=truncate, method=method
    )[0]


def takes(method, array, sigma, mode, truncate=4.0):
    if method != "opencv":
        return True
    return (
        _opencv.opencv_refusal(array.shape, sigma, mode, array.dtype, truncate) is None
    )


def definition(image, weights, sigma, mode="missing", truncate=4.0):
    """G*(x w) / G*w in float64 with scipy, NaN where no weight is in reach."""
    x = np.asarray(image, np.float64)
    w = np.asarray(weights, np.float64) * np.isfinite(x)
    x = np.where(np.isfinite(x), x, 0)
    kw = {"mode": "constant" if mode == "missing" else mode, "truncate": truncate}
    num = ndi.gaussian_filter(x * w, sigma, **kw)
    den = ndi.gaussian_filter(w, sigma, **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def assert_within_range_fraction(out, expected, fraction=1e-4):
    """Same NaNs, and elsewhere within ``fraction`` of the expected value range."""
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    span = np.nanmax(expected) - np.nanmin(expected)
    error = np.nanmax(np.abs(out.astype(np.float64) - expected))
    assert error <= fraction * max(span, 1e-30), (error, span)


# --- the kernel -------------------------------------------------------------


@pytest.mark.parametrize(("sigma", "truncate"), [(0.5, 4.0), (1.0, 4.0), (3.3, 2.5)])
def test_kernel_is_scipys_impulse_response(sigma, truncate):
    radius = kernel_radius([sigma], truncate)[0]
    impulse = np.zeros(2 * radius + 41)
    impulse[impulse.size // 2] = 1
    response = ndi.gaussian_filter1d(impulse, sigma, truncate=truncate, mode="constant")
    centre = slice(impulse.size // 2 - radius, impulse.size // 2 + radius + 1)
    np.testing.assert_allclose(gaussian_kernel1d(sigma, radius), response[centre])
    assert np.count_nonzero(response) == 2 * radius + 1


def test_kernel_radius_is_scipys_rounding():
    assert kernel_radius([1.0, 0.0, 2.6, 0.1], 4.0) == (4, 0, 10, 0)
    assert kernel_radius([3.0], 0.5) == (2,)


# --- every engine is scipy's gaussian_filter ----------------------------------

SHAPES_AND_SIGMAS = [
    ((53,), (2.5,)),
    ((40, 57), (3.0, 1.5)),
    ((31, 29), (0.0, 2.0)),
    ((7, 6), (4.0, 4.0)),  # kernel wider than the image
    ((9, 20, 23), (1.0, 0.0, 2.5)),
    ((9, 20, 23), (2.0, 3.0, 0.0)),
    ((4, 5, 6, 7), (1.0, 1.0, 0.0, 2.0)),
]


@pytest.mark.parametrize("method", ENGINES)
@pytest.mark.parametrize("mode", BORDER_MODES)
@pytest.mark.parametrize(("shape", "sigma"), SHAPES_AND_SIGMAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_engine_equals_gaussian_filter(method, mode, shape, sigma, dtype):
    rng = np.random.default_rng(0)
    array = (rng.random(shape) * (rng.random(shape) > 0.6)).astype(dtype)
    if not takes(method, array, sigma, mode):
        pytest.skip(f"{method} does not take this input")
    out = smooth(array, sigma, mode, method)
    expected = ndi.gaussian_filter(array.astype(np.float64), sigma, mode=mode)
    assert out.dtype == dtype and out.shape == shape
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=0, atol=tolerance * array.max())


@pytest.mark.parametrize("method", ENGINES)
@pytest.mark.parametrize("mode", BORDER_MODES)
def test_planes_of_zeros_between_data_are_smoothed_like_any_other(method, mode):
    # Empty planes (beyond the ends of a mask) still receive what the z pass
    # carries into them, whatever shortcut the in-plane pass takes.
    rng = np.random.default_rng(12)
    array = rng.random((11, 60, 64)).astype(np.float32)  # > 2**15: threads
    array[[0, 1, 5, 9, 10]] = 0
    sigma = (1.5, 2.0, 1.0)
    if not takes(method, array, sigma, mode):
        pytest.skip(f"{method} does not take this input")
    out = gaussian_smooth(
        [array.copy(), array[::-1].copy()],
        sigma,
        mode=mode,
        truncate=4.0,
        method=method,
    )
    for smoothed, source in zip(out, [array, array[::-1]], strict=True):
        expected = ndi.gaussian_filter(source.astype(np.float64), sigma, mode=mode)
        np.testing.assert_allclose(smoothed, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("method", ENGINES)
@pytest.mark.parametrize("truncate", [1.0, 2.0, 6.0])
def test_truncate_keeps_its_meaning(method, truncate):
    # One pixel: the response is non-zero exactly out to the radius.
    array = np.zeros((41, 43), np.float32)
    array[20, 21] = 1
    out = smooth(array, (3.0, 2.0), "constant", method, truncate)
    expected = ndi.gaussian_filter(
        array.astype(np.float64), (3.0, 2.0), truncate=truncate
    )
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(out != 0, expected != 0)


@pytest.mark.parametrize("method", ENGINES)
@pytest.mark.parametrize("mode", BORDER_MODES)
def test_exact_zero_where_nothing_is_in_reach(method, mode):
    # Sparse values, positive and negative, in a wide empty image: every pixel
    # whose box holds no value must come out exactly 0, not rounding noise.
    array = np.zeros((120, 150), np.float32)
    array[[5, 60, 100], [140, 30, 80]] = [1e3, -2.0, 1e-6]
    sigma = (6.0, 9.0)
    if not takes(method, array, sigma, mode):
        pytest.skip(f"{method} does not take this input")
    out = smooth(array, sigma, mode, method)
    size = [2 * r + 1 for r in kernel_radius(sigma, 4.0)]
    reach = ndi.maximum_filter(array != 0, size=size, mode=mode)
    assert np.all(out[~reach] == 0)
    assert np.all(out[reach & (array > 0)] > 0)


@pytest.mark.parametrize("method", ENGINES)
def test_numerator_and_weights_are_smoothed_alike(method):
    # Large enough (> 2**15 pixels) that engines smooth the two side by side.
    rng = np.random.default_rng(3)
    a, b = rng.random((2, 190, 180), np.float32)
    out_a, out_b = gaussian_smooth(
        [a.copy(), b.copy()], (2.0, 3.0), mode="reflect", truncate=4.0, method=method
    )
    # BLAS may block the sums differently with another thread count.
    alone_a = smooth(a, (2.0, 3.0), "reflect", method)
    np.testing.assert_allclose(out_a, alone_a, rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        out_b, smooth(b, (2.0, 3.0), "reflect", method), atol=1e-6
    )


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 12), min_size=1, max_size=3),
    sigma=st.floats(0.0, 5.0),
    truncate=st.floats(0.5, 5.0),
    mode=st.sampled_from(BORDER_MODES),
    method=st.sampled_from(ENGINES),
    seed=st.integers(0, 2**16),
)
def test_any_engine_any_input_is_gaussian_filter(
    shape, sigma, truncate, mode, method, seed
):
    array = np.random.default_rng(seed).random(shape).astype(np.float32)
    sigmas = (sigma,) * len(shape)
    if not takes(method, array, sigmas, mode, truncate):
        return
    out = smooth(array, sigmas, mode, method, truncate)
    expected = ndi.gaussian_filter(
        array.astype(np.float64), sigmas, mode=mode, truncate=truncate
    )
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6)


# --- choosing an engine -------------------------------------------------------


@needs_cv2
def test_auto_uses_opencv_then_band_then_lowrank_as_kernels_widen():
    shape, f32 = (2048, 2048), np.dtype(np.float32)
    assert choose_engine(shape, (3.0, 3.0), "constant", f32, 4.0) == "opencv"
    assert choose_engine(shape, (10.0, 10.0), "constant", f32, 4.0) == "band"
    assert choose_engine(shape, (49.0, 49.0), "constant", f32, 4.0) == "band"
    assert choose_engine(shape, (50.0, 50.0), "constant", f32, 4.0) == "lowrank"
    assert choose_engine(shape, (250.0, 250.0), "constant", f32, 4.0) == "lowrank"


def test_auto_never_gives_wrap_to_opencv():
    f32 = np.dtype(np.float32)
    assert choose_engine((512, 512), (2.0, 2.0), "wrap", f32, 4.0) == "band"


def test_without_opencv_auto_falls_back_to_numpy_and_stays_exact(monkeypatch):
    monkeypatch.setattr(_opencv, "cv2", None)
    f32 = np.dtype(np.float32)
    assert choose_engine((512, 512), (2.0, 2.0), "reflect", f32, 4.0) == "band"
    rng = np.random.default_rng(4)
    image, mask = rng.random((40, 50)), rng.random((40, 50)) > 0.3
    expected = definition(image, mask, 2.0)
    out = masked_gaussian(image, mask, 2.0, outside="fill")
    assert_within_range_fraction(out, expected)
    with pytest.raises(ValueError, match="not installed"):
        masked_gaussian(image, mask, 2.0, method="opencv")


def test_band_without_threadpoolctl_gives_the_same_result(monkeypatch):
    from napari_masked_blur._engines import _separable as _axes

    rng = np.random.default_rng(11)
    a, b = rng.random((2, 200, 190), np.float32)
    expected = gaussian_smooth(
        [a.copy(), b.copy()], (9.0, 12.0), mode="mirror", truncate=4.0, method="band"
    )
    monkeypatch.setattr(_axes, "_blas_controller", lambda: None)
    out = gaussian_smooth(
        [a.copy(), b.copy()], (9.0, 12.0), mode="mirror", truncate=4.0, method="band"
    )
    np.testing.assert_allclose(out[0], expected[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(out[1], expected[1], rtol=0, atol=1e-6)


@needs_cv2
def test_forcing_opencv_on_a_wrap_border_names_the_reason():
    with pytest.raises(ValueError, match=r"'opencv'.*'wrap'"):
        smooth(np.ones((8, 8), np.float32), (1.0, 1.0), "wrap", "opencv")


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="'fastest'"):
        smooth(np.ones((8, 8), np.float32), (1.0, 1.0), "reflect", "fastest")


# --- the whole normalized convolution, engine by engine -------------------------


def scene(shape, seed=5):
    """uint16 noise, a large masked block, isolated mask pixels, NaN-free."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 4000, shape).astype(np.uint16)
    mask = np.zeros(shape, bool)
    mask[tuple(slice(1, s // 2) for s in shape)] = True
    for _ in range(3):
        mask[tuple(rng.integers(s // 2 + 2, s) for s in shape)] = True
    return image, mask


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", CORE_MODES)
def test_every_engine_and_mode_meets_the_definition_within_1e4_of_the_range(
    method, mode
):
    image, mask = scene((90, 110))
    if method == "opencv" and (_opencv.cv2 is None or mode == "wrap"):
        pytest.skip("OpenCV cannot take this input")
    out = masked_gaussian(image, mask, 7.0, mode=mode, outside="fill", method=method)
    assert_within_range_fraction(out, definition(image, mask, 7.0, mode))


@pytest.mark.parametrize("method", METHODS)
def test_isolated_mask_pixels_beside_a_large_region_at_large_sigma(method):
    # The certainty of an isolated pixel is ~1/(2 pi sigma^2) of the region's:
    # an engine whose rounding is relative to the whole line (a float32 FFT)
    # would bury it in noise.
    if method == "opencv" and _opencv.cv2 is None:
        pytest.skip("OpenCV not installed")
    image, mask = scene((260, 240), seed=6)
    out = masked_gaussian(image, mask, 25.0, method=method)
    expected = np.where(mask, definition(image, mask, 25.0), image)
    assert_within_range_fraction(out[mask], expected[mask])


@pytest.mark.parametrize("method", METHODS)
def test_tiny_certainty_weights_still_count(method):
    if method == "opencv" and _opencv.cv2 is None:
        pytest.skip("OpenCV not installed")
    rng = np.random.default_rng(7)
    image = rng.random((60, 70)) * 100
    weights = np.where(rng.random((60, 70)) > 0.5, 1.0, 1e-6)
    weights[:, 40:] = 1e-5  # a region only tiny weights speak for
    out = normalized_convolution(image, weights, 3.0, method=method)
    assert_within_range_fraction(out, definition(image, weights, 3.0))


@pytest.mark.parametrize("method", METHODS)
def test_nan_pixels_are_missing_data_on_every_engine(method):
    if method == "opencv" and _opencv.cv2 is None:
        pytest.skip("OpenCV not installed")
    rng = np.random.default_rng(8)
    image = rng.random((50, 60)).astype(np.float32)
    image[rng.random(image.shape) > 0.9] = np.nan
    mask = rng.random(image.shape) > 0.2
    out = masked_gaussian(image, mask, 2.0, outside="fill", method=method)
    assert_within_range_fraction(out, definition(image, mask, 2.0))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("shape", "sigma"),
    [
        ((300,), 4.0),
        ((40, 30), (0.0, 2.0)),
        ((12, 30, 28), (1.0, 3.0, 3.0)),
        ((5, 6, 20, 22), (0.0, 1.0, 2.0, 2.0)),
    ],
)
def test_dimensions_and_anisotropic_sigma_on_every_engine(method, shape, sigma):
    if method == "opencv" and _opencv.cv2 is None:
        pytest.skip("OpenCV not installed")
    image, mask = scene(shape, seed=9)
    out = masked_gaussian(image, mask, sigma, mode="reflect", method=method)
    expected = np.where(mask, definition(image, mask, sigma, "reflect"), image)
    assert_within_range_fraction(out, expected)


@pytest.mark.parametrize("method", METHODS)
def test_float64_images_stay_float64_and_exact(method):
    if method == "opencv" and _opencv.cv2 is None:
        pytest.skip("OpenCV not installed")
    rng = np.random.default_rng(10)
    image = rng.random((40, 45)) * 1e6
    mask = rng.random(image.shape) > 0.4
    out = masked_gaussian(image, mask, 3.0, outside="fill", method=method)
    assert out.dtype == np.float64
    assert_within_range_fraction(out, definition(image, mask, 3.0), 1e-10)
