"""Real screenshots of napari with the widget docked, for the docs.

Run from the repository root (it starts a virtual display itself when there
is none)::

    .venv/bin/python docs/scripts/screenshots.py

Each picture is the whole napari window: the widget docked on the right, and
the original (under its mask) side by side with the live result.  Written to
docs/images/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "images"
WINDOW = (1400, 800)


def main() -> int:
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
        screen = f"-screen 0 {WINDOW[0] + 200}x{WINDOW[1] + 200}x24"
        command = ["xvfb-run", "-a", "-s", screen, sys.executable, *sys.argv]
        return subprocess.run(command, check=False).returncode
    # Pop-up notifications (napari warns about PyQt5 at start) would cover the
    # picture; settings from the environment are not saved to the user's file.
    os.environ["NAPARI_APPLICATION_GUI_NOTIFICATION_LEVEL"] = "error"
    OUT.mkdir(parents=True, exist_ok=True)
    shoot("coins", {"sigma": 8.0}, OUT / "widget-coins.png")
    shoot(
        "volume",
        {"physical": True, "sigma": 2.0, "outside": "zero"},
        OUT / "widget-volume.png",
    )
    return 0


def shoot(sample: str, settings: dict, path: Path) -> None:
    """Open ``sample`` as the demo does, apply ``settings``, save the window."""
    from napari_masked_blur._demo import open_viewer, wait_until

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


if __name__ == "__main__":
    sys.exit(main())
