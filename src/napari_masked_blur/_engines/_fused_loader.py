"""numba and the fused pass's compiled loops, got ready on a background thread.

numba's import takes 0.4 s and compiling the loops for one type of image,
mask and result a few seconds (loading them from numba's cache, in a later
session, a fraction of that).  :data:`LOADER` does this on a thread of its
own, the first time a type is asked for, so that no call waits: until the
loops are ready the callers take the engines.  Imports :mod:`._fused_loops`
(and numba) only on that thread.
"""

from __future__ import annotations

import threading

import numpy as np


class _Loader:
    """numba and the compiled loops, got ready on one background thread.

    ``loops(key)`` returns the loops module once numba is imported and the
    loops for the types in ``key`` are compiled (or loaded from numba's
    cache); until then None, having queued the work.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: dict[tuple, object] = {}
        self._queued: dict[tuple, threading.Event] = {}
        self._failed: set[tuple] = set()

    def loops(self, key: tuple, wait: bool, start: bool = True) -> object | None:
        with self._lock:
            if key in self._ready or key in self._failed:
                return self._ready.get(key)
            if not start:
                return None
            done = self._queued.get(key)
            if done is None:
                done = self._queued[key] = threading.Event()
                threading.Thread(
                    target=self._prepare, args=(key, done), daemon=True,
                    name="napari-masked-blur fused loops",
                ).start()  # fmt: skip
        if wait:
            done.wait()
        with self._lock:
            return self._ready.get(key)

    def _prepare(self, key: tuple, done: threading.Event) -> None:
        try:
            from napari_masked_blur._engines import _fused_loops

            _warm(_fused_loops, *key)
        except Exception:  # no numba, or it cannot compile these: the engines stay
            with self._lock:
                self._failed.add(key)
        else:
            with self._lock:
                self._ready[key] = _fused_loops
        finally:
            done.set()


def _warm(loops: object, image: np.dtype, mask: np.dtype, out: np.dtype) -> None:
    """Run the loops once on a tiny input of these types: compile or load them."""
    shape = (1, 3, 3)
    taps = np.ones(1, out)
    index = np.zeros(3, np.int64)
    arrays = (np.zeros(shape, image), np.zeros(shape, mask), np.zeros(shape, out))
    flags = (False, image.kind == "f", out.type(0), out.type)
    loops.fused_block(
        *arrays, *flags, 0, taps, index[:1], 0, taps, index, 0, taps, index, 0,
        (0, 1), (0, 3), (0, 3), 3,
        np.zeros((2, 3), out), np.zeros((2, 1, 3), out), np.zeros((2, 3), out),
    )  # fmt: skip


LOADER = _Loader()
