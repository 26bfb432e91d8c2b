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

    With exactly ``stack`` ([image, outputs..., mask], bottom to top) in the
    viewer and one output, the grid shows the image in one cell and the
    result under its mask in the other; otherwise one layer per cell.
    """
    grid = grid_of(viewer)
    if on == grid.enabled:
        return
    if on:
        # Packed from the top: the result and its mask share a cell.
        grid.stride = -2 if list(viewer.layers) == stack and len(stack) == 3 else 1
    grid.enabled = on
    viewer.reset_view()


def view_of(viewer: napari.viewer.Viewer) -> str:
    """Which of :data:`VIEWS` the viewer shows."""
    return VIEWS[1] if grid_of(viewer).enabled else VIEWS[0]
