"""Screenshots of what the widget says and shows, one per state, for the docs.

Run from the repository root (it starts a virtual display itself when there
is none)::

    .venv/bin/python docs/scripts/widget_states.py

The status states are pictures of the dock alone (``widget-state-*.png``);
the layouts are the whole window (``widget-overlay.png``,
``widget-kept.png``, ``widget-correlation.png``, ``widget-function.png``).
Written to docs/images/.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _display import rerun_without_display

OUT = Path(__file__).resolve().parents[1] / "images"
WINDOW = (1400, 800)
PLUGIN, WIDGET = "napari-masked-blur", "Masked Gaussian blur"


def main() -> int:
    status = rerun_without_display(WINDOW)
    if status is not None:
        return status
    OUT.mkdir(parents=True, exist_ok=True)
    for shoot in (
        states,
        overlay_and_keep,
        correlation,
        function_widget,
    ):
        shoot()
    return 0


def viewer_with(sample: str | None):
    import napari

    from napari_masked_blur._cli.demo import wait_until

    viewer = napari.Viewer(title="napari-masked-blur")
    viewer.window.resize(*WINDOW)
    if sample is not None:
        viewer.open_sample(PLUGIN, sample)
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)
    wait_until(lambda: not widget.runner.busy, timeout_s=120)
    return viewer, widget


def settle(widget=None) -> None:
    from napari_masked_blur._cli.demo import wait_until

    if widget is not None:
        wait_until(lambda: not widget.runner.busy, timeout_s=120)
    wait_until(lambda: False, timeout_s=0.4)  # repaint


def save_dock(widget, name: str) -> None:
    """The dock alone: its widget, as drawn."""
    path = OUT / name
    widget.native.parentWidget().grab().save(str(path))
    print(f"wrote {path} ({widget['status'].value})")


def save_window(viewer, widget, name: str) -> None:
    path = OUT / name
    viewer.reset_view()
    settle()
    viewer.screenshot(str(path), canvas_only=False)
    print(f"wrote {path} ({widget['status'].value})")


def states() -> None:
    """Empty viewer, up to date, out of date (live off), empty mask, refused."""
    viewer, widget = viewer_with(None)
    settle()
    save_dock(widget, "widget-state-no-image.png")
    viewer.open_sample(PLUGIN, "coins")
    settle(widget)
    save_dock(widget, "widget-state-done.png")
    widget["live"].value = False
    widget["sigma"].value = 6.0
    settle()
    save_dock(widget, "widget-state-out-of-date.png")
    widget["live"].value = True
    viewer.layers["coins mask"].data = np.zeros((303, 384), np.uint8)
    settle(widget)
    save_dock(widget, "widget-state-empty-mask.png")
    viewer.layers["coins mask"].data = np.zeros((300, 380), np.uint8)
    settle(widget)
    save_dock(widget, "widget-state-refused.png")
    viewer.close()


def overlay_and_keep() -> None:
    """Overlay with the mask on top; then a kept result beside a new sigma."""
    from napari_masked_blur._cli.demo import open_viewer

    viewer, widget = open_viewer([], "coins")
    widget["view"].value = "overlay"
    widget["sigma"].value = 8.0
    settle(widget)
    save_window(viewer, widget, "widget-overlay.png")
    widget["keep"].clicked.emit()
    widget["sigma"].value = 2.0
    settle(widget)
    widget["view"].value = "side by side"  # one layer a cell: four cells
    settle()
    save_window(viewer, widget, "widget-kept.png")
    viewer.close()


def correlation() -> None:
    """Local correlation of the coins with a shifted copy: a second image, a
    signed result on a diverging colormap."""
    viewer, widget = viewer_with("coins")
    coins = viewer.layers["coins"].data
    viewer.add_image(np.roll(coins, 3, axis=1), name="coins shifted")
    widget["filter"].value = "local_correlation"
    widget["other"].value = viewer.layers["coins shifted"]
    widget["sigma"].value = 4.0
    settle(widget)
    viewer.layers["coins shifted"].visible = False
    save_window(viewer, widget, "widget-correlation.png")
    viewer.close()


def function_widget() -> None:
    """A filter as a plain function: napari's own widget for it, from Plugins."""
    viewer, _ = viewer_with("coins")
    _, function = viewer.window.add_plugin_dock_widget(
        PLUGIN, "Masked local standard deviation (function)"
    )
    function.sigma.value = 4.0
    function()
    settle()
    path = OUT / "widget-function.png"
    viewer.screenshot(str(path), canvas_only=False)
    print(f"wrote {path}")
    viewer.close()


if __name__ == "__main__":
    raise SystemExit(main())
