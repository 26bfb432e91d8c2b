"""The viewer the latency benchmarks drive: napari, the widget docked, a clock.

Shared by :mod:`.latency` (paint, slider, planes) and :mod:`.scrub`
(time-lapses).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np

PLUGIN, WIDGET = "napari-masked-blur", "Masked Gaussian blur"
TIMEOUT_S = 600.0


# With ``first_plane``: how long the user looks at the widget, open on the
# movie and its mask with "live update" off, before turning it on.  The
# widget gets numba's plane loop ready meanwhile (from the moment it knows
# the layers).
USER_PAUSE_S = 2.0


class Session:
    """A viewer with the widget docked on one image and mask.

    Volumes are shown at their middle plane; 4D images (frames of volumes)
    at their middle plane.  With ``first_plane`` the widget is docked first,
    "live update" turned off, the layers added, and after
    :data:`USER_PAUSE_S` ``first_plane_s`` is the seconds from turning
    "live update" on until the canvas has painted the first displayed plane
    (:meth:`time_to_draw`): the first plane of a session.  Otherwise the
    layers come first and the widget computes as it opens.  With
    ``wait_all`` False only the displayed plane is waited for (the rest
    fills in the background).  With no ``mask`` the widget is docked on the
    image alone and waits for :meth:`add_mask`.
    """

    def __init__(
        self,
        image: np.ndarray,
        mask: np.ndarray | None,
        sigma: float,
        *,
        axis_labels: Sequence[str] | None = None,
        wait_all: bool = True,
        first_plane: bool = False,
    ) -> None:
        import napari
        from qtpy.QtWidgets import QApplication

        before = set(_gl_widgets())
        self.viewer = napari.Viewer(show=True)
        self.app = QApplication.instance()
        self.refreshed, self.refreshed_at = 0, 0.0
        # time_to_draw's condition, checked at each draw of the canvas
        self._until: Callable[[], bool] | None = None
        self.drawn_at = 0.0
        # napari has no public "painted" signal: Qt's frameSwapped of the
        # viewer's OpenGL canvas (the one made with it) fires once a frame
        # has been drawn and handed to the screen.
        canvases = set(_gl_widgets()) - before
        if not canvases:
            raise RuntimeError("no OpenGL canvas came with the viewer")
        for canvas in canvases:
            canvas.frameSwapped.connect(self._on_draw)
        if first_plane:
            self._dock()
            self.widget["live"].value = False
        self.image = self.viewer.add_image(image, name="image", axis_labels=axis_labels)
        if image.ndim >= 3:
            self.viewer.dims.set_current_step(image.ndim - 3, image.shape[-3] // 2)
        self.first_plane_s = float("nan")
        if mask is None:  # the mask comes later (add_mask): the widget waits
            self._dock()
            return
        self.labels = self.viewer.add_labels(mask, name="mask")
        if first_plane:
            self.widget["sigma"].value = sigma
            self.first_plane_s = self.first_plane_after_pause()
        else:
            self._dock()
            self.wait(lambda: self.plane_done() or self.complete())
            self.widget["sigma"].value = sigma
        self.wait(self.complete if wait_all else self.plane_done)
        self.output = self.viewer.layers["image masked blur"]
        self.output.events.set_data.connect(self._on_refresh)

    def first_plane_after_pause(self) -> float:
        """After :data:`USER_PAUSE_S`, seconds from "live update" on to pixels."""
        pause_end = time.perf_counter() + USER_PAUSE_S
        self.wait(lambda: time.perf_counter() >= pause_end)
        return self.time_to_draw(
            lambda: setattr(self.widget["live"], "value", True), self.plane_done
        )

    def add_mask(self, mask: np.ndarray) -> None:
        """Add the mask layer (a Session made without one): the widget chooses it."""
        self.labels = self.viewer.add_labels(mask, name="mask")

    def _dock(self) -> None:
        _, self.widget = self.viewer.window.add_plugin_dock_widget(PLUGIN, WIDGET)

    def _on_refresh(self, _event=None) -> None:
        self.refreshed += 1
        self.refreshed_at = time.perf_counter()

    def _on_draw(self) -> None:
        if self._until is not None and self._until():
            self.drawn_at, self._until = time.perf_counter(), None

    def time_to_draw(
        self, action: Callable[[], None], ready: Callable[[], bool]
    ) -> float:
        """Seconds from before ``action`` until a draw of the canvas finds ``ready()``.

        ``ready()`` (e.g. the displayed plane is done) is asked after each
        frame the canvas draws: results are written on the main thread, so
        the first frame that finds it true is the first to show them.
        """
        self._until = ready
        start = time.perf_counter()
        action()
        self.wait(lambda: self._until is None)
        return self.drawn_at - start

    @property
    def plan(self):
        return self.widget.session.plan

    def complete(self) -> bool:
        plan = self.plan
        return plan is not None and plan.complete and not self.widget.runner.busy

    def plane_done(self) -> bool:
        plan = self.plan
        plane = plan.displayed_plane() if plan is not None else None
        return plane is not None and plan.is_done(plane)

    def wait(self, condition: Callable[[], bool]) -> None:
        """Run the event loop until ``condition()``; raise after TIMEOUT_S.

        A real event loop, checked every millisecond, not a busy
        ``processEvents`` loop: between events the main thread sleeps and
        leaves the interpreter to the worker, as in a user's session.
        """
        from qtpy.QtCore import QEventLoop, QTimer

        loop, poll = QEventLoop(), QTimer()
        met = [condition()]
        deadline = time.perf_counter() + TIMEOUT_S

        def check() -> None:
            met[0] = met[0] or condition()
            if met[0] or time.perf_counter() > deadline:
                loop.quit()

        poll.setInterval(1)
        poll.timeout.connect(check)
        poll.start()
        if not met[0]:
            loop.exec_()
        poll.stop()
        if not met[0]:
            raise TimeoutError("the widget did not catch up")

    def time_to_refresh(
        self, action: Callable[[], None], ready: Callable[[], bool], *, after: bool
    ) -> float:
        """Seconds from ``action`` to the output refresh that makes ``ready()``.

        The clock starts after the action returns when ``after`` (a paint:
        from the moment its pixels are in the mask), else before it (a
        slider or plane move: napari's own work is part of the wait).
        """
        seen = self.refreshed
        start = time.perf_counter()
        action()
        if after:
            start = time.perf_counter()
        self.wait(lambda: self.refreshed > seen and ready())
        return self.refreshed_at - start

    def close(self) -> None:
        self.wait(lambda: not self.widget.runner.busy)
        self.viewer.close()


def _gl_widgets() -> list:
    """The OpenGL widgets of the application (napari's canvases among them)."""
    from qtpy.QtWidgets import QApplication

    try:
        from qtpy.QtOpenGLWidgets import QOpenGLWidget  # Qt 6
    except ImportError:
        from qtpy.QtWidgets import QOpenGLWidget  # Qt 5
    return [w for w in QApplication.allWidgets() if isinstance(w, QOpenGLWidget)]


def ms(samples: Sequence[float]) -> str:
    return f"{statistics.median(samples) * 1e3:.0f} ms (n={len(samples)})"


def table(rows: Sequence[tuple[str, str]]) -> str:
    """The figures as a Markdown table."""
    width = max(len(what) for what, _ in rows)
    lines = [f"| {'latency (median)':<{width}} | value |", f"|{'-' * (width + 2)}|---|"]
    lines += [f"| {what:<{width}} | {value} |" for what, value in rows]
    return "\n".join(lines)
