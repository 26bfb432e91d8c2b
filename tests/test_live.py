"""The region a paint needs (_live); patches equal to a full recompute (_region)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian
from napari_masked_blur._core import MODES, OUTSIDE_POLICIES
from napari_masked_blur._live import (
    atom_box,
    box_union,
    changed_box,
    chunk_boxes,
    chunk_steps,
    grow_box,
    paint_box,
    plane_box,
    update_box,
)
from napari_masked_blur._region import (
    blur_chunks,
    blur_region,
    patch,
    tap_matrix,
    update_patch,
)

SCIPY_MODE = {"missing": "constant"}
HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class SliceKeyAtom(NamedTuple):
    """The shape of napari >= 0.8's paint-history atom (only slice_key is read)."""

    slice_key: tuple[slice, ...]
    mask: np.ndarray | None
    old_values: np.ndarray
    new_value: int


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


# ------------------------------------------------------------------- boxes


def test_atom_with_slice_key_gives_its_box():
    atom = SliceKeyAtom((slice(2, 5), slice(0, 3)), None, np.zeros(9), 1)
    assert atom_box(atom, (10, 10)) == (slice(2, 5), slice(0, 3))


def test_index_tuple_atom_gives_bounding_box_of_its_indices():
    atom = ((np.array([4, 1, 3]), np.array([7, 2, 9])), np.zeros(3), 1)
    assert atom_box(atom, (10, 10)) == (slice(1, 5), slice(2, 10))


def test_atom_that_changed_nothing_has_no_box():
    atom = ((np.array([], int), np.array([], int)), np.zeros(0), 1)
    assert atom_box(atom, (10, 10)) is None


def test_paint_box_holds_every_atom():
    atoms = [
        SliceKeyAtom((slice(2, 5), slice(0, 3)), None, np.zeros(9), 1),
        ((np.array([8]), np.array([6])), np.zeros(1), 1),
    ]
    assert paint_box(atoms, (10, 10)) == (slice(2, 9), slice(0, 7))


def test_union_with_nothing_is_the_other_box():
    box = (slice(1, 2),)
    assert box_union(None, box) == box
    assert box_union(box, None) == box


def test_grow_box_is_clipped_to_the_image():
    box = (slice(1, 3), slice(6, 8))
    assert grow_box(box, (2, 3), (10, 9)) == (slice(0, 5), slice(3, 9))


def test_update_box_places_the_block_at_the_displayed_plane():
    # Displayed axes (2, 1) in that order: offset and block shape follow them.
    box = update_box(
        offset=(5, 3), block_shape=(4, 2), displayed=(2, 1), position=(7, 0, 0)
    )
    assert box == (slice(7, 8), slice(3, 5), slice(5, 9))


def test_changed_box_bounds_the_differences():
    before = np.zeros((6, 7), np.uint8)
    after = before.copy()
    after[1, 5] = 2
    after[4, 2] = 1
    assert changed_box(before, after) == (slice(1, 5), slice(2, 6))
    assert changed_box(before, before.copy()) is None


def test_plane_box_is_whole_on_display_and_one_index_elsewhere():
    assert plane_box((4, 5, 6), displayed=(1, 2), position=(3, 0, 0)) == (
        slice(3, 4),
        slice(0, 5),
        slice(0, 6),
    )


# ------------------------------------------------------------- tap matrix


@HYPOTHESIS
@given(
    n=st.integers(1, 30),
    sigma=st.floats(0.3, 6),
    mode=st.sampled_from(MODES),
    data=st.data(),
)
def test_tap_matrix_rows_are_scipy_gaussian_filter1d(n, sigma, mode, data):
    start = data.draw(st.integers(0, n - 1))
    stop = data.draw(st.integers(start + 1, n))
    line = np.random.default_rng(n).normal(size=n)
    expected = ndi.gaussian_filter1d(line, sigma, mode=SCIPY_MODE.get(mode, mode))
    taps = tap_matrix(n, slice(start, stop), sigma, 4.0, mode)
    np.testing.assert_allclose(taps @ line, expected[start:stop], atol=1e-12)


def test_tap_matrix_keeps_a_constant_line_constant_except_missing():
    for mode in ("reflect", "nearest", "mirror", "wrap"):
        np.testing.assert_allclose(tap_matrix(5, slice(0, 5), 4.0, 4.0, mode).sum(1), 1)
    # "missing" loses the weight beyond the border: the edge row sums below 1.
    assert tap_matrix(5, slice(0, 1), 4.0, 4.0, "missing").sum() < 1


# ---------------------------------------------------------- patch == full


def label_image(rng, shape):
    """Blobs of labels 1..3 on background 0, touching each other."""
    coarse = rng.integers(0, 4, size=tuple(max(n // 4, 1) for n in shape))
    zoom = [n / c for n, c in zip(shape, coarse.shape, strict=True)]
    return ndi.zoom(coarse, zoom, order=0)[tuple(slice(0, n) for n in shape)]


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
    options = {
        "mode": mode,
        "outside": outside,
        "per_label": per_label,
        "labels": labels,
    }
    output = masked_gaussian(image, mask, sigma, **options)
    row, height, col, width = stroke
    box = (
        slice(row, min(row + height, shape[0])),
        slice(col, min(col + width, shape[1])),
    )
    mask[box] = new_label  # a brush or an eraser (label 0), at the border too
    update_patch(output, image, mask, box, sigma, **options)
    assert_same_output(output, masked_gaussian(image, mask, sigma, **options))


def test_stroke_across_label_boundary_with_per_label_stays_apart():
    image = np.zeros((12, 20), np.float32)
    image[:, 10:] = 1000
    mask = np.ones((12, 20), np.uint8)
    mask[:, 10:] = 2
    output = masked_gaussian(image, mask, 2.0, per_label=True)
    mask[5:7, 6:14] = 1  # label 1 painted across into label 2's side
    box = update_patch(
        output, image, mask, (slice(5, 7), slice(6, 14)), 2.0, per_label=True
    )
    assert box == (slice(0, 12), slice(0, 20))  # radius 8 reaches everywhere
    assert_same_output(output, masked_gaussian(image, mask, 2.0, per_label=True))
    # label 2's pixels still see only label 2's values
    np.testing.assert_allclose(output[mask == 2], 1000, rtol=1e-6)


def test_patch_touches_only_the_stroke_grown_by_the_radius():
    image = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    mask = np.ones((64, 64), bool)
    box, values = patch(image, mask, (slice(30, 32), slice(40, 41)), 1.0)
    assert box == (slice(26, 36), slice(36, 45))  # radius int(4 * 1 + 0.5) = 4
    assert values.shape == (10, 9)


def test_patch_of_an_rgb_image_updates_every_channel():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 255, size=(20, 25, 3), dtype=np.uint8)
    mask = rng.random((20, 25)) < 0.5
    output = masked_gaussian(image, mask, 1.5, channel_axis=-1)
    mask[0:4, 20:25] = True
    update_patch(
        output, image, mask, (slice(0, 4), slice(20, 25)), 1.5, channel_axis=-1
    )
    assert_same_output(output, masked_gaussian(image, mask, 1.5, channel_axis=-1))


def test_patch_with_certainty_weights_and_missing_pixels():
    rng = np.random.default_rng(4)
    image = rng.normal(size=(20, 20)).astype(np.float32)
    image[3, 4] = np.nan
    weights = rng.random((20, 20)).astype(np.float32)
    output = masked_gaussian(image, weights, 2.0, outside="fill")
    weights[2:6, 2:6] = 0
    update_patch(
        output, image, weights, (slice(2, 6), slice(2, 6)), 2.0, outside="fill"
    )
    assert_same_output(output, masked_gaussian(image, weights, 2.0, outside="fill"))


def test_region_must_match_the_mask():
    image = np.zeros((5, 5))
    with pytest.raises(ValueError, match="region"):
        blur_region(image, image > 0, (slice(0, 2),), 1.0)
    with pytest.raises(ValueError, match="empty"):
        blur_region(image, image > 0, (slice(3, 3), slice(0, 5)), 1.0)


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
    full = masked_gaussian(
        image, mask, sigma, mode=mode, outside=outside, labels=[1, 2]
    )
    box = plane_box(shape, displayed=(1, 2), position=(plane, 0, 0))
    got = blur_region(
        image, mask, box, sigma, mode=mode, outside=outside, labels=[1, 2]
    )
    assert_same_output(got, full[box])


@pytest.mark.parametrize("per_label", [False, True])
def test_plane_of_a_4d_stack_shown_on_its_last_two_axes(per_label):
    rng = np.random.default_rng(5)
    shape = (3, 6, 14, 15)
    image = rng.normal(size=shape).astype(np.float32)
    mask = label_image(rng, shape)
    full = masked_gaussian(image, mask, 1.3, mode="reflect", per_label=per_label)
    box = plane_box(shape, displayed=(2, 3), position=(1, 4, 0, 0))
    got = blur_region(image, mask, box, 1.3, mode="reflect", per_label=per_label)
    assert_same_output(got, full[box])


def test_plane_shown_along_a_non_leading_axis():
    rng = np.random.default_rng(6)
    image = rng.normal(size=(12, 9, 11)).astype(np.float32)
    mask = rng.random((12, 9, 11)) < 0.6
    full = masked_gaussian(image, mask, 1.0, mode="wrap")
    box = plane_box(image.shape, displayed=(0, 2), position=(0, 8, 0))
    assert_same_output(blur_region(image, mask, box, 1.0, mode="wrap"), full[box])


def test_chunk_boxes_tile_the_volume_once_nearest_first():
    boxes = chunk_boxes((10, 4, 4), axes=(0,), steps=(3,), start=(7,))
    assert boxes[0] == (slice(6, 9), slice(0, 4), slice(0, 4))
    cover = np.zeros((10, 4, 4), int)
    for box in boxes:
        cover[box] += 1
    assert np.all(cover == 1)
    firsts = [box[0].start for box in boxes]
    assert firsts.index(3) < firsts.index(0)  # the neighbour before the far end


def test_chunk_steps_take_radius_plus_one_planes_within_the_budget():
    shape, radius = (256, 1024, 1024), (12, 12, 12)
    assert chunk_steps(shape, (0,), radius) == [13]
    (step,) = chunk_steps(shape, (0,), radius, budget=100 * 2**20)
    assert step * 1024 * 1024 * 20 <= 100 * 2**20
    assert chunk_steps(shape, (0,), radius, budget=1) == [1]  # never zero
    assert chunk_steps((5, 6, 100, 100), (0, 1), (2, 2, 2, 2)) == [1, 3]


def test_chunks_assemble_the_full_result():
    rng = np.random.default_rng(7)
    image = rng.normal(size=(11, 10, 9)).astype(np.float32)
    mask = label_image(rng, (11, 10, 9))
    out = np.empty_like(image)
    boxes = chunk_boxes(image.shape, axes=(0,), steps=(4,), start=(5,))
    for box, values in blur_chunks(image, mask, boxes, 1.5, per_label=True):
        out[box] = values
    assert_same_output(out, masked_gaussian(image, mask, 1.5, per_label=True))


def test_chunk_generator_computes_nothing_until_asked_and_stops_between_chunks():
    class CountingMask(np.ndarray):
        reads = 0

        def __getitem__(self, key):
            CountingMask.reads += 1
            return np.asarray(self)[key]

    image = np.ones((8, 5, 5), np.float32)
    mask = np.ones((8, 5, 5), bool).view(CountingMask)
    boxes = chunk_boxes(image.shape, axes=(0,), steps=(2,), start=(0,))
    chunks = blur_chunks(image, mask, boxes, 1.0)
    assert CountingMask.reads == 0
    first_box, first = next(chunks)
    chunks.close()
    assert CountingMask.reads == 1
    assert first_box == boxes[0]
    np.testing.assert_allclose(first, 1)


def test_wrap_patch_at_the_border_reaches_the_far_side():
    image = np.arange(20 * 20, dtype=np.float32).reshape(20, 20)
    mask = np.ones((20, 20), bool)
    output = masked_gaussian(image, mask, 1.0, mode="wrap")
    mask[0, 0] = False
    box = update_patch(
        output, image, mask, (slice(0, 1), slice(0, 1)), 1.0, mode="wrap"
    )
    assert box == (slice(0, 20), slice(0, 20))
    assert_same_output(output, masked_gaussian(image, mask, 1.0, mode="wrap"))
