"""The screenshot of the Time-lapses page: the widget on the time-lapse sample.

Run from the repository root (it starts a virtual display itself when there
is none)::

    .venv/bin/python docs/scripts/timelapse.py

Opens **File > Open Sample > Drifting cells** as the demo does, keeps the
fixed 2D region of interest as the mask (one mask for every frame; the
per-frame cells layer is removed so that the grid shows the movie under its
mask next to the result), turns "sigma per axis" on, shows frame 12 and
saves the whole window to docs/images/widget-timelapse.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _display import rerun_without_display

OUT = Path(__file__).resolve().parents[1] / "images" / "widget-timelapse.png"
WINDOW = (1400, 860)
FRAME = 12


def main() -> int:
    status = rerun_without_display(WINDOW)
    if status is not None:
        return status
    from napari_masked_blur._cli.demo import open_viewer, wait_until

    viewer, widget = open_viewer([], "timelapse")
    viewer.layers.remove("cells (every frame)")
    widget["mask"].value = viewer.layers["ROI (all frames)"]
    widget["per_axis"].value = True
    widget["sigma_axes"]["sigma_1"].value = 2.0
    widget["sigma_axes"]["sigma_2"].value = 2.0
    viewer.dims.set_current_step(0, FRAME)

    def caught_up() -> bool:
        plan = widget.session.plan
        return plan is not None and plan.complete and not widget.runner.busy

    if not wait_until(caught_up, timeout_s=120):
        raise RuntimeError("the blur of the time-lapse sample did not finish")
    # off, then on again: the movie, the result under its mask
    widget["view"].value = "overlay"
    widget["view"].value = "side by side"
    viewer.window.resize(*WINDOW)
    wait_until(lambda: False, timeout_s=0.5)  # the grid and the size settle
    viewer.reset_view()
    wait_until(lambda: False, timeout_s=0.3)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    viewer.screenshot(str(OUT), canvas_only=False)
    print(f"wrote {OUT} ({widget['status'].value})")
    viewer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
