"""The start of a session on a volume, fresh processes: ``bench latency --part first``.

What a new user meets first: the widget open on a 256 x 1024 x 1024 uint16
volume, the mask layer added (the widget chooses it), the first displayed
plane, then the first sigma changes while numba's plane loop is still being
compiled or loaded in the background.  Four settings, each run in a process
of its own (:func:`first_latency` starts them, interleaved, ``repeats``
rounds):

- numba's cache cold (``NUMBA_CACHE_DIR`` an empty folder: every loop is
  compiled) or warm (the folder a cold run of the same round filled);
- the event loop idle, or busy: a timer runs Python on the main thread for
  :data:`BUSY_MS` of every :data:`BUSY_EVERY_MS` (an event loop doing work
  of its own, as napari does while the user moves the mouse).

Figures, from the action to the canvas having drawn the displayed plane of
the output: the first plane (mask layer added), and each of the first
:data:`CHANGES` sigma changes after it (a pause of :data:`HAND_PAUSE_S`
between them, the user's hand), and when the loops were ready.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

import numpy as np

CHANGES = 6
HAND_PAUSE_S = 0.1
BUSY_MS, BUSY_EVERY_MS = 10, 20
SIGMAS = (2.5, 3.5)
SETTINGS = [(cache, loop) for cache in ("cold", "warm") for loop in ("idle", "busy")]


def first_latency(
    shape: Sequence[int], repeats: int, changes: int = CHANGES
) -> list[tuple[str, str]]:
    """The rows of the table: medians over ``repeats`` rounds of fresh processes."""
    runs: dict[tuple[str, str], list[dict]] = {key: [] for key in SETTINGS}
    with tempfile.TemporaryDirectory(prefix="nmb-numba-cache-") as caches:
        for round_ in range(repeats):
            for loop in ("idle", "busy"):
                cache_dir = os.path.join(caches, f"{round_}-{loop}")
                os.mkdir(cache_dir)  # empty: the cold run fills it, the warm reads
                for cache in ("cold", "warm"):
                    runs[cache, loop].append(
                        _run_child(shape, changes, cache_dir, busy=loop == "busy")
                    )
    size = "x".join(map(str, shape))
    rows = []
    for (cache, loop), samples in runs.items():
        label = f"{size}, {cache} cache, {loop} loop"
        first = [s["first_plane_s"] for s in samples]
        rows.append((f"layers chosen to first plane, {label}", _ms(first)))
        per_change = list(zip(*(s["changes_s"] for s in samples), strict=True))
        values = ", ".join(_ms_only(c) for c in per_change)
        worst = max(max(s["changes_s"]) for s in samples)
        rows.append(
            (
                f"sigma changes 1-{changes} after it, {label}",
                f"{values} (slowest of all {worst * 1e3:.0f} ms)",
            )
        )
        ready = [s["loops_ready_s"] for s in samples]
        rows.append((f"loops ready after layers chosen, {label}", _ms(ready)))
    return rows


def _run_child(shape, changes, cache_dir, busy) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    command = [sys.executable, "-m", __name__, "--shape", *map(str, shape)]
    command += ["--changes", str(changes)] + (["--busy"] if busy else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the session failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ms(samples: Sequence[float]) -> str:
    return f"{statistics.median(samples) * 1e3:.0f} ms (n={len(samples)})"


def _ms_only(samples: Sequence[float]) -> str:
    return f"{statistics.median(samples) * 1e3:.0f}"


# --- the child: one session ---------------------------------------------------------


def session(shape: Sequence[int], changes: int, busy: bool) -> dict:
    """One session's figures (seconds), in this process."""
    from qtpy.QtCore import QTimer

    from napari_masked_blur._bench.latency_viewer import Session
    from napari_masked_blur._engines import wait_for_loops

    rng = np.random.default_rng(0)
    image = rng.integers(0, 4000, shape, dtype=np.uint16)
    mask = np.zeros(shape, np.uint8)
    mask[:, shape[1] // 8 : -shape[1] // 8, shape[2] // 8 : -shape[2] // 8] = 1
    view = Session(image, None, sigma=3.0)
    busy_timer = QTimer()
    if busy:
        busy_timer.setInterval(BUSY_EVERY_MS)
        busy_timer.timeout.connect(_python_work)
        busy_timer.start()
    ready = _LoopsReady()
    ready.start()
    first = view.time_to_draw(lambda: view.add_mask(mask), view.plane_done)
    changes_s = []
    for i in range(changes):
        pause_end = time.perf_counter() + HAND_PAUSE_S
        view.wait(lambda end=pause_end: time.perf_counter() >= end)
        sigma = SIGMAS[i % 2]
        changes_s.append(
            view.time_to_draw(
                lambda s=sigma: setattr(view.widget["sigma"], "value", s),
                view.plane_done,
            )
        )
    view.wait(ready.check)
    busy_timer.stop()
    wait_for_loops(600)  # the cache filled for the warm run
    view.close()
    return {"first_plane_s": first, "changes_s": changes_s, "loops_ready_s": ready.at}


def _python_work() -> None:
    """:data:`BUSY_MS` of Python holding the interpreter (the busy event loop)."""
    end = time.perf_counter() + BUSY_MS / 1e3
    while time.perf_counter() < end:
        pass


class _LoopsReady:
    """When the loader had no loop left to get ready, from :meth:`start` on."""

    def __init__(self) -> None:
        from qtpy.QtCore import QTimer

        self._start = 0.0
        self.at = float("nan")
        self._poll = QTimer()
        self._poll.setInterval(5)
        self._poll.timeout.connect(self.check)

    def start(self) -> None:
        """From now on (the layers are about to be chosen)."""
        self._start = time.perf_counter()
        self._poll.start()

    def check(self) -> bool:
        """Whether every loop asked for is settled (and when it was first seen)."""
        from napari_masked_blur._engines import loops_pending

        if loops_pending():
            return False
        if self.at != self.at:  # NaN: first seen now
            self.at = time.perf_counter() - self._start
            self._poll.stop()
        return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m " + __name__)
    parser.add_argument("--shape", type=int, nargs=3, default=(256, 1024, 1024))
    parser.add_argument("--changes", type=int, default=CHANGES)
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(session(args.shape, args.changes, args.busy)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
