"""Invariants of masked_gaussian over random shapes, sigmas, masks and options."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from napari_masked_blur import masked_gaussian, normalized_convolution
from tests.math.test_masked_blur import reference

MODES = ["missing", "reflect", "nearest", "mirror", "wrap"]

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=12)


@st.composite
def problems(draw):
    """An image (uint16 or float32), an integer label mask and options."""
    shape = draw(shapes)
    dtype = draw(st.sampled_from([np.uint16, np.float32]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    image = (rng.random(shape) * 1000).astype(dtype)
    mask = rng.integers(0, draw(st.integers(1, 4)), shape).astype(np.uint8)
    sigma = tuple(
        draw(st.sampled_from([0.0, 0.5, 1.0, 2.3, 5.0])) for _ in range(len(shape))
    )
    options = {
        "mode": draw(st.sampled_from(MODES)),
        "truncate": draw(st.sampled_from([1.0, 2.5, 4.0])),
    }
    return image, mask, sigma, options


common = settings(max_examples=60, deadline=None)


@common
@given(problems())
def test_inside_equals_the_float64_definition(problem):
    image, mask, sigma, options = problem
    out = masked_gaussian(image, mask, sigma, outside="fill", **options)
    expected = reference(image, mask > 0, sigma, **options)
    value_range = max(float(np.ptp(image)), 1.0)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    finite = ~np.isnan(expected)
    assert np.all(np.abs(out[finite] - expected[finite]) <= 1e-4 * value_range)


@common
@given(problems())
def test_inside_values_stay_within_the_inside_range(problem):
    # A normalized convolution is a weighted mean with non-negative weights.
    image, mask, sigma, options = problem
    inside = mask > 0
    out = masked_gaussian(image, mask, sigma, **options)
    if inside.any():
        low, high = image[inside].min(), image[inside].max()
        slack = 1e-5 * max(float(high), 1.0)
        assert out[inside].min() >= low - slack
        assert out[inside].max() <= high + slack
    np.testing.assert_array_equal(out[~inside], image[~inside])


@common
@given(problems(), st.integers(0, 2**32 - 1))
def test_changing_outside_pixels_never_changes_inside(problem, seed):
    image, mask, sigma, options = problem
    inside = mask > 0
    other = image.copy()
    noise = np.random.default_rng(seed).random(image.shape) * 1000
    other[~inside] = noise[~inside].astype(image.dtype)
    a = masked_gaussian(image, mask, sigma, **options)
    b = masked_gaussian(other, mask, sigma, **options)
    np.testing.assert_array_equal(a[inside], b[inside])


@common
@given(problems())
def test_per_label_is_each_label_alone_and_inputs_untouched(problem):
    image, mask, sigma, options = problem
    image_before, mask_before = image.copy(), mask.copy()
    out = masked_gaussian(image, mask, sigma, per_label=True, **options)
    for k in np.unique(mask[mask > 0]):
        own = mask == k
        alone = masked_gaussian(image, mask, sigma, labels=int(k), **options)
        np.testing.assert_allclose(out[own], alone[own], rtol=1e-6, atol=1e-3)
    np.testing.assert_array_equal(image, image_before)
    np.testing.assert_array_equal(mask, mask_before)


@common
@given(problems(), st.floats(0.01, 100))
def test_scaling_weights_changes_nothing(problem, scale):
    image, mask, sigma, options = problem
    weights = (mask > 0).astype(np.float64)
    a = normalized_convolution(image, weights, sigma, **options)
    b = normalized_convolution(image, weights * scale, sigma, **options)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-3)
