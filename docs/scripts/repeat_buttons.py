"""The "Repeat it" buttons and what Copy as Python copies, for docs/repeat.md.

Run from the repository root (it starts a virtual display itself when there
is none)::

    .venv/bin/python docs/scripts/repeat_buttons.py

Opens the coins sample as the demo does, sets sigma 8 and "fill", waits for
the blur, then writes:

- docs/images/widget-repeat.png: the docked widget, with the three buttons
  (Copy as Python, Save settings…, Load settings…) above its status line;
- docs/snippets/copy_as_python.md: the text the Copy as Python button put on
  the clipboard, as a Python code block.

It stops with an error if the copied code, run with the viewer in its
namespace, does not give back the output layer's data exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _display import rerun_without_display

DOCS = Path(__file__).resolve().parents[1]
IMAGE = DOCS / "images" / "widget-repeat.png"
SNIPPET = DOCS / "snippets" / "copy_as_python.md"
WINDOW = (1400, 800)


def main() -> int:
    status = rerun_without_display(WINDOW)
    if status is not None:
        return status
    import numpy as np
    from qtpy.QtCore import QPoint, QRect
    from qtpy.QtWidgets import QApplication

    from napari_masked_blur._cli.demo import open_viewer, wait_until

    viewer, widget = open_viewer([], "coins")
    widget["sigma"].value = 8.0
    widget["outside"].value = "fill"
    wait_until(lambda: False, timeout_s=0.3)
    if not wait_until(lambda: not widget.runner.busy, timeout_s=120):
        raise RuntimeError("the blur of the coins sample did not finish")
    widget["repeat"]["copy_python"].clicked.emit()
    text = QApplication.clipboard().text()
    namespace = {"viewer": viewer}
    exec(text, namespace)
    output = viewer.layers[f"{widget['image'].value.name} masked blur"].data
    if not np.array_equal(namespace["blurred"], output, equal_nan=True):
        raise RuntimeError("the copied code does not rebuild the output")
    SNIPPET.write_text("```python\n" + text + "```\n", encoding="utf-8")
    print(f"wrote {SNIPPET} (it rebuilds the output exactly)")

    viewer.window.resize(*WINDOW)
    wait_until(lambda: False, timeout_s=0.5)  # let the resize and redraw happen
    IMAGE.parent.mkdir(parents=True, exist_ok=True)
    # Down to the status line: below it the dock is empty.
    status = widget["status"].native
    bottom = status.mapTo(widget.native, QPoint(0, status.height())).y() + 8
    widget.native.grab(QRect(0, 0, widget.native.width(), bottom)).save(str(IMAGE))
    print(f"wrote {IMAGE}")
    viewer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
