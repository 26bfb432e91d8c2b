"""The chunks a whole volume is computed in, nearest to the displayed plane first."""

from __future__ import annotations

import numpy as np

from napari_masked_blur import masked_gaussian
from napari_masked_blur._live.chunks import chunk_boxes, chunk_steps
from napari_masked_blur._math.region import filter_region
from napari_masked_blur._math.settings import check_options
from tests.math.test_region import assert_same_output, label_image


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
    options = check_options(image, mask, 1.5, per_label=True)
    out = np.empty_like(image)
    boxes = chunk_boxes(image.shape, axes=(0,), steps=(4,), start=(5,))
    for box in boxes:
        out[box] = filter_region(image, mask, box, options)
    assert_same_output(out, masked_gaussian(image, mask, 1.5, per_label=True))
