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
    """``step(views)`` over matching blocks of ``arrays`` (same size, C order).

    ``step`` receives one flat view per array, of one block of pixels, and
    works in place: what it writes into the views lands in ``arrays``.
    Arrays that are not C-contiguous (never the case for the engines'
    outputs) are given whole.
    """
    size = arrays[0].size
    if size <= BLOCK or not all(a.flags.c_contiguous for a in arrays):
        step(list(arrays))
        return
    flat = [a.reshape(-1) for a in arrays]
    starts = range(0, size, BLOCK)

    def run(part: range) -> None:
        for start in part:
            step([a[start : start + BLOCK] for a in flat])

    if size < _THREADS_FROM:
        run(starts)
        return
    halves = (starts[: len(starts) // 2], starts[len(starts) // 2 :])
    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(run, half) for half in halves]:
            done.result()
