"""filter_whole and filter_region: the whole image, or exactly a region of it.

A region is computed from the input within the kernel's reach of it only, so
a patch (the box a mask change touched, grown by the kernel radius), the
displayed plane of a volume and a chunk all equal the full computation there.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian
from napari_masked_blur._live.edits import plane_box
from napari_masked_blur._math.boxes import grow_box, with_channel
from napari_masked_blur._math.dense import filter_dense
from napari_masked_blur._math.labels import per_label_filter
from napari_masked_blur._math.options import MODES
from napari_masked_blur._math.outside import OUTSIDE_POLICIES
from napari_masked_blur._math.region import filter_region, filter_whole
from napari_masked_blur._math.settings import check_options

HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def assert_same_output(actual, expected):
    """Equal within 1e-4 of the value range, NaN exactly where expected is NaN."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = expected[np.isfinite(expected)]
    scale = float(np.ptp(finite)) if finite.size else 1.0
    np.testing.assert_allclose(
        np.nan_to_num(actual),
        np.nan_to_num(expected),
        rtol=0,
        atol=1e-4 * max(scale, 1),
    )


def label_image(rng, shape):
    """Blobs of labels 1..3 on background 0, touching each other."""
    coarse = rng.integers(0, 4, size=tuple(max(n // 4, 1) for n in shape))
    zoom = [n / c for n, c in zip(shape, coarse.shape, strict=True)]
    return ndi.zoom(coarse, zoom, order=0)[tuple(slice(0, n) for n in shape)]


def patch_box(changed, options, shape):
    """The output box a mask change inside ``changed`` reaches: grown by the radius."""
    return grow_box(changed, options.radius, shape, wrap=options.mode == "wrap")


def update_patch(output, image, mask, changed, options):
    """Bring ``output`` up to date after the mask changed inside ``changed``.

    The output over ``changed`` grown by the kernel radius is recomputed by
    :func:`filter_region` and written into ``output`` (the full result from
    before the change).  Returns the box written.
    """
    box = patch_box(changed, options, mask.shape)
    values = filter_region(image, mask, box, options)
    output[with_channel(box, options.channel_axis)] = values
    return box


# ------------------------------------------------------------ the whole image


def test_filter_whole_smooths_each_label_alone_with_per_label():
    # sigma 100: the four pixels weigh almost alike (exp(-3**2 / 2e4) > 0.9995).
    image = np.array([0.0, 10.0, 100.0, 110.0])
    mask = np.array([1, 1, 2, 2], np.uint8)
    options = check_options(image, mask, 100.0, per_label=True)
    out = filter_whole(image, mask, options)
    np.testing.assert_allclose(out, [5, 5, 105, 105], atol=1e-2)
    np.testing.assert_array_equal(out, per_label_filter(image, mask, options))
    np.testing.assert_array_equal(
        out, masked_gaussian(image, mask, 100.0, per_label=True)
    )


def test_filter_whole_smooths_every_inside_pixel_together_without_per_label():
    image = np.array([0.0, 10.0, 100.0, 110.0])
    mask = np.array([1, 1, 2, 2], np.uint8)
    options = check_options(image, mask, 100.0)
    out = filter_whole(image, mask, options)
    np.testing.assert_allclose(out, [55, 55, 55, 55], atol=1e-1)
    np.testing.assert_array_equal(out, filter_dense(image, mask, options))
    np.testing.assert_array_equal(out, masked_gaussian(image, mask, 100.0))


def test_filter_whole_with_chosen_labels_leaves_the_others_outside():
    image = np.array([0.0, 10.0, 100.0, 110.0])
    mask = np.array([1, 1, 2, 2], np.uint8)
    options = check_options(image, mask, 100.0, labels=2)
    out = filter_whole(image, mask, options)
    np.testing.assert_allclose(out, [0, 10, 105, 105], atol=1e-2)
    np.testing.assert_array_equal(out, masked_gaussian(image, mask, 100.0, labels=2))


# ---------------------------------------------------------- patch == full


strokes = st.tuples(
    st.integers(0, 29), st.integers(1, 30), st.integers(0, 23), st.integers(1, 24)
)


@HYPOTHESIS
@given(
    stroke=strokes,
    new_label=st.integers(0, 3),
    mode=st.sampled_from(MODES),
    outside=st.sampled_from(OUTSIDE_POLICIES),
    per_label=st.booleans(),
    labels=st.sampled_from([None, 2, [1, 3]]),
    sigma=st.sampled_from([1.0, 2.5, (3.0, 0.7)]),
    seed=st.integers(0, 2**16),
)
def test_patch_after_a_stroke_equals_full_recompute(
    stroke, new_label, mode, outside, per_label, labels, sigma, seed
):
    rng = np.random.default_rng(seed)
    shape = (30, 24)
    image = rng.normal(100, 30, size=shape).astype(np.float32)
    mask = label_image(rng, shape)
    settings = {
        "mode": mode,
        "outside": outside,
        "per_label": per_label,
        "labels": labels,
    }
    options = check_options(image, mask, sigma, **settings)
    output = masked_gaussian(image, mask, sigma, **settings)
    row, height, col, width = stroke
    box = (
        slice(row, min(row + height, shape[0])),
        slice(col, min(col + width, shape[1])),
    )
    mask[box] = new_label  # a brush or an eraser (label 0), at the border too
    update_patch(output, image, mask, box, options)
    assert_same_output(output, masked_gaussian(image, mask, sigma, **settings))


def test_stroke_across_label_boundary_with_per_label_stays_apart():
    image = np.zeros((12, 20), np.float32)
    image[:, 10:] = 1000
    mask = np.ones((12, 20), np.uint8)
    mask[:, 10:] = 2
    options = check_options(image, mask, 2.0, per_label=True)
    output = masked_gaussian(image, mask, 2.0, per_label=True)
    mask[5:7, 6:14] = 1  # label 1 painted across into label 2's side
    box = update_patch(output, image, mask, (slice(5, 7), slice(6, 14)), options)
    assert box == (slice(0, 12), slice(0, 20))  # radius 8 reaches everywhere
    assert_same_output(output, masked_gaussian(image, mask, 2.0, per_label=True))
    # label 2's pixels still see only label 2's values
    np.testing.assert_allclose(output[mask == 2], 1000, rtol=1e-6)


def test_patch_touches_only_the_stroke_grown_by_the_radius():
    image = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    mask = np.ones((64, 64), bool)
    options = check_options(image, mask, 1.0)
    box = patch_box((slice(30, 32), slice(40, 41)), options, mask.shape)
    values = filter_region(image, mask, box, options)
    assert box == (slice(26, 36), slice(36, 45))  # radius int(4 * 1 + 0.5) = 4
    assert values.shape == (10, 9)


def test_patch_of_an_rgb_image_updates_every_channel():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 255, size=(20, 25, 3), dtype=np.uint8)
    mask = rng.random((20, 25)) < 0.5
    options = check_options(image, mask, 1.5, channel_axis=-1)
    output = masked_gaussian(image, mask, 1.5, channel_axis=-1)
    mask[0:4, 20:25] = True
    update_patch(output, image, mask, (slice(0, 4), slice(20, 25)), options)
    assert_same_output(output, masked_gaussian(image, mask, 1.5, channel_axis=-1))


def test_patch_with_certainty_weights_and_missing_pixels():
    rng = np.random.default_rng(4)
    image = rng.normal(size=(20, 20)).astype(np.float32)
    image[3, 4] = np.nan
    weights = rng.random((20, 20)).astype(np.float32)
    options = check_options(image, weights, 2.0, outside="fill")
    output = masked_gaussian(image, weights, 2.0, outside="fill")
    weights[2:6, 2:6] = 0
    update_patch(output, image, weights, (slice(2, 6), slice(2, 6)), options)
    assert_same_output(output, masked_gaussian(image, weights, 2.0, outside="fill"))


def test_wrap_patch_at_the_border_reaches_the_far_side():
    image = np.arange(20 * 20, dtype=np.float32).reshape(20, 20)
    mask = np.ones((20, 20), bool)
    options = check_options(image, mask, 1.0, mode="wrap")
    output = masked_gaussian(image, mask, 1.0, mode="wrap")
    mask[0, 0] = False
    box = update_patch(output, image, mask, (slice(0, 1), slice(0, 1)), options)
    assert box == (slice(0, 20), slice(0, 20))
    assert_same_output(output, masked_gaussian(image, mask, 1.0, mode="wrap"))


def test_region_must_match_the_mask():
    image = np.zeros((5, 5))
    options = check_options(image, image > 0, 1.0)
    with pytest.raises(ValueError, match="region"):
        filter_region(image, image > 0, (slice(0, 2),), options)
    with pytest.raises(ValueError, match="empty"):
        filter_region(image, image > 0, (slice(3, 3), slice(0, 5)), options)


def test_region_with_open_and_negative_slices_reads_as_numpy_does():
    rng = np.random.default_rng(9)
    image = rng.random((12, 10))
    mask = rng.random((12, 10)) > 0.3
    options = check_options(image, mask, 1.5, mode="reflect")
    full = masked_gaussian(image, mask, 1.5, mode="reflect")
    got = filter_region(image, mask, (slice(-4, None), slice(None, -3)), options)
    np.testing.assert_allclose(got, full[-4:, :-3], rtol=0, atol=1e-12)


# -------------------------------------------------------------- volumes


@HYPOTHESIS
@given(
    mode=st.sampled_from(MODES),
    outside=st.sampled_from(OUTSIDE_POLICIES),
    sigma=st.sampled_from([2.0, (1.0, 2.0, 0.0), (4.0, 1.0, 1.5)]),
    plane=st.integers(0, 6),
    seed=st.integers(0, 2**16),
)
def test_displayed_plane_equals_that_plane_of_the_full_volume(
    mode, outside, sigma, plane, seed
):
    rng = np.random.default_rng(seed)
    shape = (7, 16, 13)  # fewer planes than the kernel's reach along axis 0
    image = rng.integers(0, 4000, size=shape, dtype=np.uint16)
    mask = label_image(rng, shape)
    settings = {"mode": mode, "outside": outside, "labels": [1, 2]}
    with warnings.catch_warnings():
        # A random label image may lack id 1 or 2: the warning says so, and
        # the region must still equal the whole.
        warnings.filterwarnings("ignore", "label ids not in the mask", UserWarning)
        full = masked_gaussian(image, mask, sigma, **settings)
    box = plane_box(shape, displayed=(1, 2), position=(plane, 0, 0))
    options = check_options(image, mask, sigma, **settings)
    got = filter_region(image, mask, box, options)
    assert_same_output(got, full[box])


@pytest.mark.parametrize("per_label", [False, True])
def test_plane_of_a_4d_stack_shown_on_its_last_two_axes(per_label):
    rng = np.random.default_rng(5)
    shape = (3, 6, 14, 15)
    image = rng.normal(size=shape).astype(np.float32)
    mask = label_image(rng, shape)
    full = masked_gaussian(image, mask, 1.3, mode="reflect", per_label=per_label)
    box = plane_box(shape, displayed=(2, 3), position=(1, 4, 0, 0))
    options = check_options(image, mask, 1.3, mode="reflect", per_label=per_label)
    got = filter_region(image, mask, box, options)
    assert_same_output(got, full[box])


def test_plane_shown_along_a_non_leading_axis():
    rng = np.random.default_rng(6)
    image = rng.normal(size=(12, 9, 11)).astype(np.float32)
    mask = rng.random((12, 9, 11)) < 0.6
    full = masked_gaussian(image, mask, 1.0, mode="wrap")
    box = plane_box(image.shape, displayed=(0, 2), position=(0, 8, 0))
    options = check_options(image, mask, 1.0, mode="wrap")
    assert_same_output(filter_region(image, mask, box, options), full[box])
