"""Asks the engines' loader for numba's loops as soon as the layers are known.

The displayed plane of a volume is reduced by a loop compiled by numba, a
2D image or a movie's frame by the fused pass (:mod:`napari_masked_blur.
_math.loop_keys` says which, for which types).  Compiling one set of loops
takes one to a few seconds, loading it from numba's cache about 0.6 s with
numba's import; the pieces would otherwise wait for that.  The widget calls
:meth:`LoopWarmer.warm_for` when the layers are chosen and with each new
set of options: the keys not asked for yet are queued at once on the
loader's one worker (one compile at a time, in the order asked).  Until a
key is ready the pieces take routes that need no compiled code (for the
plane loop, a few large numpy calls: :mod:`napari_masked_blur._math.
plane_sums`), and the widget's pieces never compile
(:func:`~napari_masked_blur._engines.never_compile`).

No delay before the warm-up: the first plane no longer goes through the
loop, so loading it beside that plane holds back only numpy's few calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import napari
import numpy as np

from napari_masked_blur._engines import (
    LoopKey,
    compiled_loops,
    prepare_loops,
)
from napari_masked_blur._math.loop_keys import live_loop_keys
from napari_masked_blur._math.options import BlurOptions


class LoopWarmer:
    """Has the loops the live pieces will call got ready, in the background.

    Parameters
    ----------
    options : callable
        ``options(image, mask)``: the widget's checked options for these
        layers (a ``ValueError`` where they do not fit: nothing to warm).
    """

    def __init__(
        self, options: Callable[[napari.layers.Image, napari.layers.Layer], BlurOptions]
    ) -> None:
        self._options = options
        self._asked: set[LoopKey] = set()
        self._started: list[threading.Event] = []
        self._closed = False

    def warm_for(
        self,
        image: napari.layers.Layer | None,
        mask: napari.layers.Layer | None,
        options: BlurOptions | None = None,
    ) -> list[LoopKey]:
        """Queue the loops ``image`` and ``mask`` will need; the keys queued now.

        ``options``: as the pieces will get them (None: asked of the widget).
        """
        if self._closed or image is None or mask is None:
            return []
        if not isinstance(image.data, np.ndarray):
            return []  # lazy outputs are computed by dask, block by block
        if options is None:
            try:
                options = self._options(image, mask)
            except ValueError:
                return []
        mask_dtype = np.dtype(mask.data.dtype)
        if isinstance(mask, napari.layers.Image) and mask_dtype.kind != "f":
            mask_dtype = np.dtype(np.float32)  # a certainty map
        keys = live_loop_keys(image.data.shape, image.data.dtype, mask_dtype, options)
        queued = [k for k in keys if k not in self._asked]
        for key in queued:
            self._asked.add(key)
            if compiled_loops(key) is None:
                self._started.append(prepare_loops(key))
        return queued

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for each warm-up; whether all ended."""
        return all(done.wait(timeout) for done in self._started)

    def close(self) -> None:
        """Ask for no more loops (those queued are got ready all the same)."""
        self._closed = True
