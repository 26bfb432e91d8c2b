"""What "smooth over" offers for a layer's axis labels (no napari).

The rule itself is tested with it, in tests/math/test_frames.py.
"""

from __future__ import annotations

from napari_masked_blur._live.smooth_over import smooth_over_choices


def test_smooth_over_offers_the_default_first_and_each_choice_once():
    assert smooth_over_choices(("t", "y", "x")) == [
        ("y, x", (1, 2)),
        ("t, y, x", (0, 1, 2)),
    ]
    assert smooth_over_choices(("-4", "-3", "-2", "-1")) == [
        ("z, y, x", (1, 2, 3)),
        ("y, x", (2, 3)),
        ("t, z, y, x", (0, 1, 2, 3)),
    ]
    assert smooth_over_choices(("-2", "-1")) == [("y, x", (0, 1))]
