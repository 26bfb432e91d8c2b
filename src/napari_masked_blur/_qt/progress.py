"""The progress bars of a live session, in napari's activity dock.

Two kinds: a busy bar (no total) for a piece of work that runs longer than
:data:`BUSY_AFTER_MS`, and a bar of planes done while a volume is computed
in the background, once that has run as long.  Work shorter than a second
shows no bar: a bar that flashes for a tenth of a second says nothing.  A
volume shows only its own bar: its planes take a fraction of a second
each, and dragging sigma keeps the runner busy plane after plane, where
the busy bar's animation costs repaints that hold the interpreter
(measured under Xvfb: 8.5 plane updates a second with it, 9.4 without,
medians of two runs each).

napari's ``progress`` must be made and updated on the main thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from napari.utils import progress
from qtpy.QtCore import QTimer

BUSY_AFTER_MS = 1000  # show a bar only for work longer than this


class ProgressBars:
    """The busy bar and the volume bar of one live session.

    Parameters
    ----------
    still_busy : callable
        ``still_busy()`` tells, when the delay is over, whether a busy bar
        is still wanted (work runs, and it is not a volume's).
    """

    def __init__(self, still_busy: Callable[[], bool]) -> None:
        self._still_busy = still_busy
        self.busy_bar: progress | None = None
        self.volume_bar: progress | None = None
        self._volume_since: float | None = None  # when the volume's work began
        # No Qt parent: it must outlive the widget's native widget at close.
        self.timer = QTimer(singleShot=True)
        self.timer.setInterval(BUSY_AFTER_MS)
        self.timer.timeout.connect(self._show_busy)

    def busy(self, busy: bool) -> None:
        """Work started (the bar shows after the delay) or all work ended."""
        if busy:
            self.timer.start()
            return
        self.timer.stop()
        if self.busy_bar is not None:
            self.busy_bar.close()
            self.busy_bar = None

    def volume(self, done: int, total: int) -> None:
        """The volume's background work goes on, ``done`` of ``total`` planes
        done; its bar shows once it has run :data:`BUSY_AFTER_MS`."""
        if self._volume_since is None:
            self._volume_since = time.monotonic()
        waited = time.monotonic() - self._volume_since
        if self.volume_bar is None and waited * 1000 >= BUSY_AFTER_MS:
            self.volume_bar = progress(total=total, desc="Masked blur: volume")
            self.advance(done)

    def advance(self, done: int) -> None:
        """``done`` planes of the volume are computed (if its bar shows)."""
        if self.volume_bar is not None:
            self.volume_bar.n = done
            self.volume_bar.refresh()

    def volume_done(self) -> None:
        """The volume is complete, or its work was dropped: close its bar."""
        self._volume_since = None
        if self.volume_bar is not None:
            self.volume_bar.close()
            self.volume_bar = None

    def close(self) -> None:
        """Close both bars; safe at interpreter exit, when Qt may be gone."""
        with contextlib.suppress(RuntimeError):
            self.timer.stop()
            self.busy(False)
            self.volume_done()

    def _show_busy(self) -> None:
        if self.busy_bar is None and self._still_busy():
            self.busy_bar = progress(total=0, desc="Masked blur")
