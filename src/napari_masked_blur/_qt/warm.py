"""Warms numba's plane loop on a thread of its own while the user looks on.

See :mod:`napari_masked_blur._blur.warm`: the first plane of a volume or a
movie would otherwise wait for numba's import and its compiled loop; while
it loads, planes of those types are reduced by numpy.
"""

from __future__ import annotations

import threading

import napari
import numpy as np

from napari_masked_blur._blur.warm import begin_warming, warm_plane_loop


class PlaneLoopWarmer:
    """Runs :func:`warm_plane_loop` once per type of image and mask, in the background.

    A plain daemon thread, not the live session's runner: the runner's
    thread stays free for the first plane itself, which then finds the loop
    ready (numba's compiler lock makes it wait for a compile under way
    rather than start another).
    """

    def __init__(self) -> None:
        self._done: set[tuple[str, str]] = set()
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
        key = (np.dtype(image.data.dtype).str, mask_dtype.str)
        if key in self._done:
            return
        self._done.add(key)
        begin_warming(*key)  # before the first plane is asked for
        thread = threading.Thread(
            target=warm_plane_loop, args=(key,), name="numba warm-up", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every warm-up; whether all ended."""
        for thread in self._threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self._threads)

    def close(self) -> None:
        """Start no more warm-ups (those running end on their own)."""
        self._closed = True
