"""Asks the engines' loader to warm numba's plane loop while the user looks on.

The displayed plane of a volume or movie is reduced by a loop compiled by
numba: compiled once per type of image and mask (about 1.3 s), cached on
disk (then about 0.2 s to load, after 0.4 s to import numba).  The first
plane would otherwise wait for that.  The widget notes the types as soon as
it knows the layers (:meth:`PlaneLoopWarmer.warm_for`); the loader's worker
gets the loop ready once nothing is being computed.  Until it is,
:func:`~napari_masked_blur._math.region.filter_region` reduces planes of
those types with numpy's taps, which need no compiled code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import napari
import numpy as np
from qtpy.QtCore import QTimer

from napari_masked_blur._engines import (
    LoopKey,
    compiled_loops,
    expect_loops,
    prepare_loops,
    unexpect_loops,
)
from napari_masked_blur._math.taps import plane_loop_key

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
    """Has the plane loop got ready once per type of image and mask, in the background.

    On the loader's worker (:func:`~napari_masked_blur._engines.prepare_loops`),
    not the live session's runner: the runner's thread stays free for the
    planes, which take numpy's path until the loop is ready.
    :meth:`warm_for` notes the types; the warm-up is queued at
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
        self._done: set[LoopKey] = set()
        self._pending: list[LoopKey] = []
        self._started: list[threading.Event] = []
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
        key = plane_loop_key(image.data.dtype, mask_dtype)
        if key in self._done or compiled_loops(key) is not None:
            return
        expect_loops(key)  # before any plane: planes take numpy's taps meanwhile
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
                unexpect_loops(key)  # never warmed: planes go back to the loop
            else:
                self._started.append(prepare_loops(key))

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for each warm-up; whether all ended."""
        return all(done.wait(timeout) for done in self._started)

    def close(self) -> None:
        """Start no more warm-ups (those running end on their own)."""
        self._closed = True
        self._start()  # those noted but not started give their types back
