"""Overlay or side by side: the viewer's grid mode, the mask always on top.

"Overlay" shows the result over the image with the mask above both;
"side by side" puts the original next to the result, the mask over the
result, so the brush and the painted region are seen while painting.
"""

from __future__ import annotations

import napari

VIEWS = ("overlay", "side by side")


def grid_of(viewer: napari.viewer.Viewer):
    """The viewer's grid settings (``viewer.canvas.grid`` since napari 0.9)."""
    canvas = getattr(viewer, "canvas", None)
    return canvas.grid if canvas is not None else viewer.grid


def set_side_by_side(viewer: napari.viewer.Viewer, on: bool, stack: list) -> None:
    """Side by side (``on``) or overlay.

    ``stack`` is [image, outputs..., mask].  When the mask is the top layer
    with the one output just under it, the grid packs layers two a cell from
    the top: the result under its mask in the first cell, the layer below
    (the original, or a kept result over it) in the next.  Otherwise one
    layer a cell.
    """
    grid = grid_of(viewer)
    if on == grid.enabled:
        return
    if on:
        top = list(viewer.layers)[-2:]
        paired = len(stack) == 3 and top == stack[1:] and None not in stack
        grid.stride = -2 if paired else 1
    grid.enabled = on
    viewer.reset_view()


def view_of(viewer: napari.viewer.Viewer) -> str:
    """Which of :data:`VIEWS` the viewer shows."""
    return VIEWS[1] if grid_of(viewer).enabled else VIEWS[0]
