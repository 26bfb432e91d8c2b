"""Warms numba's plane loop on a thread of its own while the user looks on.

See :mod:`napari_masked_blur._math.warm`: the first plane of a volume or a
movie would otherwise wait for numba's import and its compiled loop; while
it loads, planes of those types are reduced by numpy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import napari
import numpy as np
from qtpy.QtCore import QTimer

from napari_masked_blur._math.warm import begin_warming, end_warming, warm_plane_loop

# The warm-up starts this long after the first result is written.  Importing
# numba and loading the loop hold the interpreter for about 0.6 s (0.16 s and
# 0.41 s, measured, cached on disk), and the main thread then waits for it:
# started 50 ms after the first plane was written, it held that plane's
# repaint back.  First plane of a 20 x 64 x 512 x 512 movie, from "live
# update" on to pixels, on a loaded 2-core machine (measured): 922, 931 and
# 1172 ms with this delay, 1079, 1667 and 1182 ms with no warm-up (numba
# loaded by the first plane itself).
START_DELAY_MS = 500


class PlaneLoopWarmer:
    """Runs :func:`warm_plane_loop` once per type of image and mask, in the background.

    A plain daemon thread, not the live session's runner: the runner's
    thread stays free for the planes, which take numpy's path until the
    loop is ready.  :meth:`warm_for` notes the types; the thread starts at
    :meth:`start_pending`: once the first result is on the screen, or, when
    the widget opens with no plane to compute ("live update" off), right
    away, so that the first plane the user asks for finds the loop loaded.

    Parameters
    ----------
    busy : callable, optional
        ``busy()``: whether a piece is being computed.  A warm-up started
        with nothing to compute (:meth:`start_pending` with ``idle``) that
        finds a piece under way waits for that piece's result on the
        screen: loading the loop holds the interpreter and would hold the
        piece back.
    """

    def __init__(self, busy: Callable[[], bool] | None = None) -> None:
        self._busy = busy
        self._done: set[tuple[str, str]] = set()
        self._pending: list[tuple[str, str]] = []
        self._threads: list[threading.Thread] = []
        self._closed = False

    def warm_for(
        self, image: napari.layers.Layer | None, mask: napari.layers.Layer | None
    ) -> None:
        """Warm the loop for ``image`` and ``mask`` if a plane of them will need it."""
        if self._closed or image is None or mask is None or image.ndim < 3:
            return
        if not isinstance(image.data, np.ndarray):
            return  # lazy outputs are computed by dask, block by block
        mask_dtype = np.dtype(mask.data.dtype)
        if isinstance(mask, napari.layers.Image) and mask_dtype.kind != "f":
            mask_dtype = np.dtype(np.float32)  # a certainty map
        key = begin_warming(image.data.dtype, mask_dtype)  # before any plane
        if key in self._done:
            end_warming(key)
            return
        self._done.add(key)
        self._pending.append(key)

    def start_pending(self, idle: bool = False) -> None:
        """Start the warm-ups noted so far, a moment from now.

        Called when a result is shown, and with ``idle`` when the layers are
        chosen with nothing to compute: then a piece under way a moment
        from now puts the warm-up off until its result shows.
        """
        if self._pending:
            QTimer.singleShot(START_DELAY_MS, lambda: self._start(idle))

    def _start(self, idle: bool = False) -> None:
        if idle and not self._closed and self._busy is not None and self._busy():
            return  # kept pending: the piece's result calls start_pending
        pending, self._pending = self._pending, []
        for key in pending:
            if self._closed:
                end_warming(key)  # never warmed: planes go back to the loop
                continue
            thread = threading.Thread(
                target=warm_plane_loop, args=(key,), name="numba warm-up", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    @property
    def warming(self) -> bool:
        """Whether a warm-up is noted or running (tests wait on it)."""
        return bool(self._pending) or any(t.is_alive() for t in self._threads)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every warm-up; whether all ended."""
        for thread in self._threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self._threads)

    def close(self) -> None:
        """Start no more warm-ups (those running end on their own)."""
        self._closed = True
        self._start()  # those noted but not started give their types back
