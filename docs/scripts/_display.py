"""What every screenshot script does first: a display, and no pop-ups.

Imported by the scripts beside it (run as ``python docs/scripts/NAME.py``,
so this folder is on ``sys.path``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def rerun_without_display(window: tuple[int, int]) -> int | None:
    """Prepare this process to draw napari windows of size ``window``.

    With no display and ``xvfb-run`` found, run the calling script again
    under a virtual screen 200 px larger each way and return its exit
    status; otherwise return None, after turning napari's pop-up
    notifications off (they would cover the picture; settings from the
    environment are not saved to the user's file).
    """
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
        screen = f"-screen 0 {window[0] + 200}x{window[1] + 200}x24"
        command = ["xvfb-run", "-a", "-s", screen, sys.executable, *sys.argv]
        return subprocess.run(command, check=False).returncode
    os.environ["NAPARI_APPLICATION_GUI_NOTIFICATION_LEVEL"] = "error"
    return None
