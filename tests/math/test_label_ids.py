"""The widget's list of label ids: exact for in-memory masks, never reads lazy ones."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from napari_masked_blur._math.labels import present_label_ids


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
def test_lists_nonzero_ids_in_ascending_order(dtype):
    mask = np.zeros((5, 6), dtype)
    mask[0, 0], mask[2, 3], mask[4, 5] = 7, 2, 7
    assert present_label_ids(mask) == [2, 7]


def test_negative_and_huge_ids_are_listed():
    mask = np.array([[0, -4], [3_000_000_000, 1]], np.int64)
    assert present_label_ids(mask) == [-4, 1, 3_000_000_000]


def test_a_bool_mask_has_the_one_id_1():
    assert present_label_ids(np.eye(3, dtype=bool)) == [1]


def test_float_masks_and_lazy_masks_offer_no_ids():
    assert present_label_ids(np.ones((3, 3), np.float32)) == []
    lazy = da.ones((4, 4), dtype=np.uint8, chunks=2)
    assert present_label_ids(lazy) == []


def test_a_zero_one_mask_and_an_empty_one():
    mask = np.zeros((4, 5), np.uint16)
    assert present_label_ids(mask) == []
    mask[2, 3] = 1
    assert present_label_ids(mask) == [1]
    assert present_label_ids(np.zeros((0, 3), np.uint8)) == []
