"""Which box of the mask an edit changed, and which box is on display."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from napari_masked_blur._live.edits import (
    atom_box,
    changed_box,
    paint_box,
    plane_box,
    update_box,
)


class SliceKeyAtom(NamedTuple):
    """The shape of napari >= 0.8's paint-history atom (only slice_key is read)."""

    slice_key: tuple[slice, ...]
    mask: np.ndarray | None
    old_values: np.ndarray
    new_value: int


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


def test_a_box_of_a_2d_mask_reaches_every_frame():
    from napari_masked_blur._live.edits import broadcast_box

    box = (slice(2, 4), slice(5, 6))
    assert broadcast_box(box, (8, 9), (3, 4, 8, 9)) == (
        slice(0, 3), slice(0, 4), slice(2, 4), slice(5, 6),
    )  # fmt: skip
    assert broadcast_box((slice(0, 1), *box), (1, 8, 9), (3, 8, 9))[0] == slice(0, 3)
    assert broadcast_box(box, (8, 9), (8, 9)) == box


def test_the_frame_part_of_a_box_is_the_displayed_frame():
    from napari_masked_blur._live.edits import frame_part

    box = (slice(0, 5), slice(2, 4))
    assert frame_part(box, (0,), (3, 0)) == (slice(3, 4), slice(2, 4))
    assert frame_part((slice(3, 4), slice(2, 4)), (0,), (3, 0)) is None
    assert frame_part(box, (0,), (7, 0)) is None  # not on display
    assert frame_part(box, (), (3, 0)) is None  # no frames
