"""Side by side: the viewer's grid mode, for the original beside the result."""

from __future__ import annotations

import napari


def grid_of(viewer: napari.viewer.Viewer):
    """The viewer's grid settings (``viewer.canvas.grid`` since napari 0.9)."""
    canvas = getattr(viewer, "canvas", None)
    return canvas.grid if canvas is not None else viewer.grid


def toggle_side_by_side(viewer: napari.viewer.Viewer, trio: list) -> None:
    """Switch between overlay and a grid of original and result.

    With exactly ``trio`` ([image, mask, output]) in the viewer the grid shows
    the image under its mask next to the result; otherwise one layer per cell.
    """
    grid = grid_of(viewer)
    if not grid.enabled:
        grid.stride = 2 if list(viewer.layers) == trio else 1
    grid.enabled = not grid.enabled
    viewer.reset_view()


def button_text(viewer: napari.viewer.Viewer) -> str:
    """What the grid button does next: back to overlay, or side by side."""
    return "Overlay" if grid_of(viewer).enabled else "Side by side"
