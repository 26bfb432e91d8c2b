"""The time-lapse figures of ``napari-masked-blur bench latency``: scrubbing time.

A (t, z, y, x) uint16 movie with one (z, y, x) mask for every time point,
shown in 2D at its middle plane, sigma 2 over z, y and x (time is a frame
axis, never smoothed):

- scrub-to-pixels: the time slider moved to a frame not yet computed, until
  the canvas has drawn that frame's displayed plane (the rest of the movie
  fills in the background meanwhile); and to a frame already done;
- the first plane of a session: the widget opened first, "live update"
  turned off, the movie and its mask added; after a user's pause
  (:data:`~.latency_viewer.USER_PAUSE_S`, in which the widget warms numba's
  plane loop on a thread) from turning "live update" on until the canvas
  has drawn the first displayed plane, output layer made included, in a
  process that had not computed a plane yet; the same once more at the
  end, the same way (output and mask removed, "live update" off, the mask
  added again, the pause, "live update" on), and how much longer the first
  is than that and than a later plane (the median scrub to a frame not
  done);
- memory: the peak of what the widget allocates (tracemalloc) while
  scrubbing and while the background fills the movie, as the output plus
  the working set.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Sequence

import numpy as np

from napari_masked_blur._bench.latency_viewer import Session, ms


def scrub_latency(
    shape: Sequence[int], repeats: int, rng: np.random.Generator
) -> list[tuple[str, str]]:
    """The scrub rows of the table, for a movie of ``shape`` (t, z, y, x)."""
    image = rng.integers(0, 4000, shape, dtype=np.uint16)
    mask = np.zeros(shape[1:], np.uint8)
    mask[:, shape[2] // 8 : -shape[2] // 8, shape[3] // 8 : -shape[3] // 8] = 1
    session = Session(
        image,
        mask,
        sigma=2.0,
        axis_labels=("t", "z", "y", "x"),
        wait_all=False,
        first_plane=True,
    )
    dims, size = session.viewer.dims, "x".join(map(str, shape))
    fresh = []
    for _ in range(repeats):
        # A look at the frame first: the background fill goes on meanwhile,
        # so the next move may find a piece of it running.
        pause = time.perf_counter() + rng.uniform(0.3, 0.8)
        session.wait(lambda end=pause: time.perf_counter() >= end)
        frame = _frame_not_done(session, rng)
        if frame is None:
            break
        fresh.append(
            session.time_to_draw(
                lambda t=frame: dims.set_current_step(0, t), session.plane_done
            )
        )
    later = statistics.median(fresh) if fresh else float("nan")
    done = []
    for _ in range(repeats):
        frame = _other_frame_done(session, rng)
        if frame is None:
            break
        done.append(
            session.time_to_draw(
                lambda t=frame: dims.set_current_step(0, t), session.plane_done
            )
        )
    working_set = _fill_peak(session, rng)
    output_bytes = session.output.data.nbytes
    again = _first_plane_again(session, mask)
    session.close()
    first = session.first_plane_s
    return [
        (
            f"scrub-to-pixels, {size} uint16 TZYX, frame not done",
            ms(fresh) if fresh else "- (every frame done first)",
        ),
        (f"scrub-to-pixels, {size}, frame done", ms(done) if done else "-"),
        (
            "first plane (live on to pixels): first of a session, again",
            f"{first * 1e3:.0f} ms, {again * 1e3:.0f} ms: "
            f"{(first - again) * 1e3:+.0f} ms",
        ),
        (
            "first plane of a session over a later plane (scrub, not done)",
            f"{(first - later) * 1e3:+.0f} ms",
        ),
        (
            f"memory scrubbing and filling {size}: output + working set",
            f"{output_bytes / 2**20:.0f} MiB + {working_set / 2**20:.0f} MiB",
        ),
    ]


def _frame_not_done(session: Session, rng: np.random.Generator) -> int | None:
    """A frame whose plane at the displayed depth is not computed yet."""
    plan, step = session.plan, session.viewer.dims.current_step
    depth = step[1]
    undone = [t for t in range(plan.done.shape[0]) if not plan.done[t, depth]]
    undone = [t for t in undone if t != step[0]]  # a move that moves
    return int(rng.choice(undone)) if undone else None


def _other_frame_done(session: Session, rng: np.random.Generator) -> int | None:
    """Another frame whose plane at the displayed depth is computed."""
    plan, step = session.plan, session.viewer.dims.current_step
    done = [t for t in range(plan.done.shape[0]) if plan.done[t, step[1]]]
    done = [t for t in done if t != step[0]]
    return int(rng.choice(done)) if done else None


def _first_plane_again(session: Session, mask: np.ndarray) -> float:
    """The session's first plane measured again, the same way, numba loaded.

    The output and the mask are removed, "live update" turned off, the mask
    added again and "live update" turned on: the same steps as the first
    plane, which differs from this one only by what a session does once
    (imports, numba's loop, first calls).
    """
    viewer, widget = session.viewer, session.widget
    viewer.layers.remove(session.output)
    viewer.layers.remove(session.labels)
    widget["live"].value = False
    session.labels = viewer.add_labels(mask, name="mask")
    return session.first_plane_after_pause()


def _fill_peak(session: Session, rng: np.random.Generator) -> int:
    """Peak bytes allocated while scrubbing three frames, then filling the rest."""
    tracemalloc.start()
    for _ in range(3):
        frame = _frame_not_done(session, rng)
        if frame is not None:
            session.time_to_refresh(
                lambda t=frame: session.viewer.dims.set_current_step(0, t),
                session.plane_done,
                after=False,
            )
    start = time.perf_counter()
    session.wait(session.complete)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    session.fill_s = time.perf_counter() - start
    return peak
