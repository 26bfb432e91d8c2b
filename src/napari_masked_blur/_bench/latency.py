"""``napari-masked-blur bench latency``: how fast the live widget answers, in a viewer.

Drives the real widget (docked through the plugin manifest) in a real napari
viewer, so every figure includes napari's own work (events, re-slicing):

- paint-to-pixels: a dab of the brush on a 2048 x 2048 image at sigma 3, from
  the moment its pixels are in the mask to the moment the output layer has
  been refreshed with the patch; at the end of a stroke (napari's ``paint``
  event) and during a drag (``labels_update``);
- slider-to-pixels: sigma changed on a 256 x 1024 x 1024 uint16 volume shown
  in 2D, until the displayed plane of the output is refreshed; and how many
  refreshes of that plane a slider dragged at 30 moves per second gives
  (three drags of 3 s, one after the other);
- plane-to-pixels: the viewer moved to another plane, until that plane of
  the output shows, once the volume is done and while it is not;
- memory: the peak of what the widget allocates (tracemalloc) while a whole
  volume is computed, and during a drag, as the output plus the working
  set;
- time-lapses (:mod:`.scrub`, measured first, in a fresh process):
  scrubbing a 20 x 64 x 512 x 512 movie to a frame not yet done, the first
  plane of a session, and memory while scrubbing and filling.

Needs a display; without one it runs itself again under ``xvfb-run``.  The
figures are medians.  Times are wall-clock, so a busy machine shows in them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from napari_masked_blur._bench.latency_viewer import Session, ms, table
from napari_masked_blur._files.atomic import write_text_atomic

__all__ = ["main", "table", "write_page"]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the latency table; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="napari-masked-blur bench latency",
        description="Latency of the live widget in a real napari viewer (medians).",
    )
    parser.add_argument("--repeats", type=int, default=15, help="samples per figure")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (512^2, 32x256^2, 4x16x128^2): a smoke run",
    )
    parser.add_argument(
        "--part",
        choices=("all", "paint", "volume", "scrub", "first"),
        default="all",
        help="only the 2D paint figures, the volume figures, the time-lapse "
        "(scrub) figures or the start of a session on a volume (first: fresh "
        "processes, numba's cache cold and warm, the event loop idle and busy)",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="PATH",
        help="also write the table as a Markdown page here (docs/latency.md)",
    )
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    if not os.environ.get("DISPLAY"):
        return _rerun_under_xvfb(argv)
    image_shape = (512, 512) if args.quick else (2048, 2048)
    volume_shape = (32, 256, 256) if args.quick else (256, 1024, 1024)
    rng = np.random.default_rng(0)
    rows = []
    if args.part in ("all", "scrub"):  # first: numba's loop not loaded yet
        from napari_masked_blur._bench.scrub import scrub_latency

        movie_shape = (4, 16, 128, 128) if args.quick else (20, 64, 512, 512)
        rows += scrub_latency(movie_shape, args.repeats, rng)
    if args.part in ("all", "paint"):
        rows += paint_latency(image_shape, args.repeats, rng)
    if args.part in ("all", "volume"):
        rows += volume_latency(volume_shape, args.repeats, rng)
    if args.part in ("all", "first"):
        from napari_masked_blur._bench.first_plane import first_latency

        rows += first_latency(volume_shape, args.repeats)
    print(table(rows))
    if args.markdown is not None:
        write_page(args.markdown, rows, argv)
        print(f"wrote {args.markdown}")
    return 0


def write_page(
    path: Path, rows: Sequence[tuple[str, str]], argv: Sequence[str]
) -> None:
    """The table as a Markdown page, with how it was measured (atomic write)."""
    command = " ".join(["napari-masked-blur bench latency", *argv])
    page = "\n".join(
        [
            "# Latency in napari",
            "",
            f"Measured with `{command}` on {time.strftime('%Y-%m-%d')},",
            f"{os.cpu_count()} cores, in a real viewer (without a display, under",
            "Xvfb with Mesa's software renderer: every repaint is then drawn by",
            "the CPU while it holds the interpreter).  Medians; wall-clock times.",
            "Memory is what numpy allocated (tracemalloc), untouched pages",
            "included.",
            "",
            table(rows),
            "",
        ]
    )
    write_text_atomic(path, page)


def _rerun_under_xvfb(argv: Sequence[str] | None) -> int:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print(
            "bench latency needs a display: set DISPLAY or install xvfb",
            file=sys.stderr,
        )
        return 2
    command = [xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m"]
    command += [
        "napari_masked_blur._bench.latency",
        *(sys.argv[1:] if argv is None else argv),
    ]
    return subprocess.call(command)


# --- the measurements ---------------------------------------------------------------


def paint_latency(shape, repeats, rng) -> list[tuple[str, str]]:
    image = rng.integers(0, 4000, shape, dtype=np.uint16)
    mask = np.zeros(shape, np.uint8)
    mask[shape[0] // 8 : -shape[0] // 8, shape[1] // 8 : -shape[1] // 8] = 1
    session = Session(image, mask, sigma=3.0)
    labels = session.labels
    labels.brush_size = 10
    strokes, drags = [], []
    for _ in range(repeats):
        point = tuple(int(v) for v in rng.integers(40, np.array(shape) - 40))
        value = 1 - int(labels.data[point])  # a dab that changes nothing sends nothing
        strokes.append(
            session.time_to_refresh(
                lambda p=point, v=value: labels.paint(p, v), lambda: True, after=True
            )
        )
    with labels.block_history():  # one long stroke: napari sends labels_update
        for i in range(repeats):
            point = (shape[0] // 2, 40 + 7 * i)
            value = 1 - int(labels.data[point])
            drags.append(
                session.time_to_refresh(
                    lambda p=point, v=value: labels.paint(p, v),
                    lambda: True,
                    after=True,
                )
            )
    session.close()
    size = "x".join(map(str, shape))
    return [
        (f"paint-to-pixels, stroke end, {size}, sigma 3", ms(strokes)),
        (f"paint-to-pixels, during a drag, {size}, sigma 3", ms(drags)),
    ]


def volume_latency(shape, repeats, rng) -> list[tuple[str, str]]:
    image = rng.integers(0, 4000, shape, dtype=np.uint16)
    mask = np.zeros(shape, np.uint8)
    mask[:, shape[1] // 8 : -shape[1] // 8, shape[2] // 8 : -shape[2] // 8] = 1
    session = Session(image, mask, sigma=3.0)
    widget, dims = session.widget, session.viewer.dims
    # The whole volume once more, the output already there: what the widget
    # allocates on top of it is its working set.
    tracemalloc.start()
    widget["sigma"].value = 2.5
    session.wait(session.complete)
    _, working_set = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    output_bytes = session.output.data.nbytes
    size = "x".join(map(str, shape))
    done_moves = [
        session.time_to_refresh(
            lambda z=z: dims.set_current_step(0, z), session.plane_done, after=False
        )
        for z in rng.integers(0, shape[0], repeats)
    ]
    sliders, fresh_moves = [], []
    for i in range(repeats):
        sigma = 2.0 + (i % 2)  # alternate, so every change is a change
        sliders.append(
            session.time_to_refresh(
                lambda s=sigma: setattr(widget["sigma"], "value", s),
                session.plane_done,
                after=False,
            )
        )
        z = int(rng.integers(0, shape[0]))
        fresh_moves.append(
            session.time_to_refresh(
                lambda z=z: dims.set_current_step(0, z), session.plane_done, after=False
            )
        )
    rates = [drag_rate(session, seconds=3.0) for _ in range(3)]
    # Memory in a drag of its own: tracing every allocation slows the drag.
    tracemalloc.start()
    drag_rate(session, seconds=1.0)
    _, drag_set = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    session.close()
    return [
        (f"slider-to-pixels, {size} uint16, displayed plane", ms(sliders)),
        (
            f"slider drag at 30 moves/s, {size}: plane updates per second",
            f"{statistics.median(rates):.1f} (drags: "
            + ", ".join(f"{rate:.1f}" for rate in rates)
            + ")",
        ),
        (f"plane-to-pixels, {size}, volume done", ms(done_moves)),
        (f"plane-to-pixels, {size}, volume not done", ms(fresh_moves)),
        (
            f"memory while computing {size}: output + working set",
            f"{output_bytes / 2**20:.0f} MiB + {working_set / 2**20:.0f} MiB",
        ),
        (
            "memory during a drag: output + working set",
            f"{output_bytes / 2**20:.0f} MiB + {drag_set / 2**20:.0f} MiB",
        ),
    ]


def drag_rate(session: Session, seconds: float) -> float:
    """Refreshes of the displayed plane per second while sigma moves 30 times/s."""
    from qtpy.QtCore import QTimer

    slider = session.widget["sigma"]
    steps = iter(range(10**6))
    mover = QTimer()
    mover.setInterval(33)
    mover.timeout.connect(
        lambda: setattr(slider, "value", 1.0 + next(steps) % 40 * 0.1)
    )
    seen = session.refreshed
    start = time.perf_counter()
    mover.start()
    session.wait(lambda: time.perf_counter() - start >= seconds)
    mover.stop()
    return (session.refreshed - seen) / (time.perf_counter() - start)


if __name__ == "__main__":
    sys.exit(main())
