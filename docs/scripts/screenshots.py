"""Real screenshots of napari with the widget docked, for the docs.

Run from the repository root (it starts a virtual display itself when there
is none)::

    .venv/bin/python docs/scripts/screenshots.py

Each picture is the whole napari window: the widget docked on the right, and
the live result (under the mask) side by side with the original.  Written to
docs/images/.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _display import rerun_without_display

OUT = Path(__file__).resolve().parents[1] / "images"
WINDOW = (1400, 800)


def main() -> int:
    status = rerun_without_display(WINDOW)
    if status is not None:
        return status
    OUT.mkdir(parents=True, exist_ok=True)
    shoot("coins", {"sigma": 8.0}, OUT / "widget-coins.png")
    shoot(
        "volume",
        {"physical": True, "sigma": 2.0, "outside": "zero"},
        OUT / "widget-volume.png",
    )
    shoot_paint(OUT / "widget-paint.png")
    shoot_sigmas((2.0, 8.0, 20.0), OUT / "widget-sigmas.png")
    return 0


def shoot(sample: str, settings: dict, path: Path) -> None:
    """Open ``sample`` as the demo does, apply ``settings``, save the window."""
    from napari_masked_blur._cli.demo import open_viewer, wait_until

    viewer, widget = open_viewer([], sample)
    for name, value in settings.items():
        widget[name].value = value
    if not wait_until(lambda: not widget.runner.busy, timeout_s=120):
        raise RuntimeError(f"the blur of the {sample} sample did not finish")
    viewer.window.resize(*WINDOW)
    viewer.reset_view()
    viewer.screenshot(str(path), canvas_only=False)
    print(f"wrote {path} ({widget['status'].value})")
    viewer.close()


# A brush stroke (row, column pairs in pixels) from the middle of the third
# row of coins down through the bottom row: two coins that are not in the
# sample's mask, and the background between them.
STROKE = ((200.0, 105.0), (265.0, 110.0))
STROKE_LABEL = 7  # a new id: the sample's mask has labels 1-6


def shoot_paint(path: Path) -> None:
    """The coins after painting a stroke into the mask: the output follows it."""
    import numpy as np

    from napari_masked_blur._cli.demo import open_viewer, wait_until

    viewer, widget = open_viewer([], "coins")
    widget["sigma"].value = 8.0
    wait_until(lambda: not widget.runner.busy, timeout_s=120)
    mask = widget["mask"].value
    mask.brush_size = 24
    (r0, c0), (r1, c1) = STROKE
    # Dabs along the line, as a mouse drag paints them; each fires the
    # layer's paint event, exactly as the brush does.
    for row, col in zip(np.linspace(r0, r1, 14), np.linspace(c0, c1, 14), strict=True):
        mask.paint((row, col), STROKE_LABEL)
    wait_until(lambda: False, timeout_s=0.3)  # let the deferred update start
    if not wait_until(lambda: not widget.runner.busy, timeout_s=120):
        raise RuntimeError("the blur after painting did not finish")
    viewer.window.resize(*WINDOW)
    viewer.reset_view()
    viewer.screenshot(str(path), canvas_only=False)
    print(f"wrote {path} ({widget['status'].value})")
    viewer.close()


def shoot_sigmas(sigmas: tuple[float, ...], path: Path) -> None:
    """The output layer alone on the canvas at each sigma, in one row."""
    from matplotlib.figure import Figure

    from napari_masked_blur._cli.demo import open_viewer, wait_until

    viewer, widget = open_viewer([], "coins")
    widget["view"].value = "overlay"  # one view: the output fills the canvas
    for layer in (widget["image"].value, widget["mask"].value):
        layer.visible = False
    viewer.window.resize(*WINDOW)
    shots = []
    for sigma in sigmas:
        widget["sigma"].value = sigma
        wait_until(lambda: False, timeout_s=0.3)
        if not wait_until(lambda: not widget.runner.busy, timeout_s=120):
            raise RuntimeError(f"the blur at sigma {sigma} did not finish")
        viewer.reset_view()
        shots.append(_crop_to_content(viewer.screenshot(canvas_only=True)))
    viewer.close()
    fig = Figure(figsize=(4.0 * len(sigmas), 3.6), layout="constrained")
    for ax, sigma, shot in zip(
        fig.subplots(1, len(sigmas)), sigmas, shots, strict=True
    ):
        ax.imshow(shot)
        ax.set_title(f"sigma {sigma:g} px", fontsize=12)
        ax.set_axis_off()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    print(f"wrote {path}")


def _crop_to_content(shot):
    """The screenshot without the black canvas around the image."""
    import numpy as np

    lit = shot[..., :3].max(axis=-1) > 0
    rows, cols = np.nonzero(lit)
    return shot[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]


if __name__ == "__main__":
    sys.exit(main())
