"""Latency of the live widget and how long the UI thread is ever blocked.

Opens napari (needs a display: run under ``xvfb-run -a``) with a random
float32 image and a label mask, docks the widget through the manifest, then
moves the sigma slider to each of ``--steps`` values, waiting for each result
to land.  Reports, in medians over the steps:

- latency: from setting sigma to the output layer holding the new result;
- blur: the worker's own time (the status line's figure);
- longest UI stall: the largest gap between ticks of a 5 ms QTimer on the
  main thread from setting sigma until the result arrives, i.e. while the
  blur runs in its thread (a frozen UI shows up as a long gap).

    xvfb-run -a .venv/bin/python benchmarks/widget_latency.py --size 2048

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048, help="image is size x size")
    parser.add_argument("--steps", type=int, default=9)
    args = parser.parse_args()

    import napari
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication

    from napari_masked_blur._demo import wait_until

    rng = np.random.default_rng(0)
    image = rng.normal(100, 10, (args.size, args.size)).astype(np.float32)
    mask = np.zeros(image.shape, np.uint8)
    mask[args.size // 8 : -args.size // 8, args.size // 8 : -args.size // 8] = 1
    viewer = napari.Viewer(show=True)
    viewer.add_image(image, name="image")
    viewer.add_labels(mask, name="mask")
    _, widget = viewer.window.add_plugin_dock_widget(
        "napari-masked-blur", "Masked Gaussian blur"
    )
    wait_until(lambda: not widget.runner.busy, timeout_s=300)
    out = viewer.layers["image masked blur"]

    ticks: list[float] = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    applied: list[float] = []
    out.events.data.connect(lambda _: applied.append(time.perf_counter()))
    latencies, blurs, stalls = [], [], []
    for step in range(args.steps):
        QApplication.processEvents()  # the previous result's redraw, not ours
        applied.clear()
        ticks.clear()
        timer.start()
        start = time.perf_counter()
        widget["sigma"].value = 2.0 + 2.0 * step
        wait_until(lambda: bool(applied), timeout_s=300)
        latencies.append(applied[0] - start)
        timer.stop()
        wait_until(lambda: not widget.runner.busy, timeout_s=300)
        blurs.append(float(widget["status"].value.rsplit(": ", 1)[1].rstrip(" s")))
        # Gaps until the result arrived: the blur in its thread, not the redraw.
        during = [start, *(t for t in ticks if t <= applied[0]), applied[0]]
        stalls.append(float(np.max(np.diff(during))))
    viewer.close()
    print(
        f"{args.size}x{args.size} float32, sigma 2..{2 + 2 * (args.steps - 1)} px, "
        f"{args.steps} steps (medians): latency {statistics.median(latencies):.3f} s, "
        f"blur {statistics.median(blurs):.3f} s, "
        f"longest UI stall {1000 * statistics.median(stalls):.0f} ms"
    )


if __name__ == "__main__":
    main()
