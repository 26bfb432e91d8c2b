"""Chains of elementwise steps over large arrays, a block of pixels at a time.

A statistic's terms and finish are chains of numpy steps (subtract, multiply,
divide, square root, ...), each one pass over arrays of the image's size:
memory-bound, single-threaded, and each temporary a fresh allocation.  Run
over blocks of a few tens of thousands of pixels instead, the whole chain
works in the processor's cache, the temporaries are small, and the blocks
are shared by two threads (numpy releases the GIL in its loops): the local
standard deviation's finish took 50 ms as whole-array steps over a
1370 x 1370 window and 12 ms by blocks (2 cores, measured with
``docs/scripts`` free of other load: see the statistics page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

BLOCK = 1 << 15
"""Pixels per block: 128 KiB of float32 per array, a chain's arrays in L2."""
# Below this many pixels one thread does it all: a pool costs more.
_THREADS_FROM = 1 << 18


def by_blocks(
    step: Callable[[Sequence[np.ndarray]], None], arrays: Sequence[np.ndarray]
) -> None:
    """``step(views)`` over matching blocks of ``arrays`` (one shape).

    ``step`` receives one view per array, of one block of pixels, and works
    in place: what it writes into the views lands in ``arrays``.  The blocks
    are flat runs of pixels where every array is C-contiguous, else runs of
    whole rows along the first axis (a window of a larger image).
    """
    shape = arrays[0].shape
    size = arrays[0].size
    if size <= BLOCK or not shape:
        step(list(arrays))
        return
    if all(a.flags.c_contiguous for a in arrays):
        views, length, per = [a.reshape(-1) for a in arrays], size, BLOCK
    else:
        row = size // shape[0]
        views, length, per = list(arrays), shape[0], max(1, BLOCK // max(row, 1))
    starts = range(0, length, per)

    def run(part: range) -> None:
        for start in part:
            step([v[start : start + per] for v in views])

    if size < _THREADS_FROM or len(starts) < 2:
        run(starts)
        return
    halves = (starts[: len(starts) // 2], starts[len(starts) // 2 :])
    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(run, half) for half in halves]:
            done.result()
