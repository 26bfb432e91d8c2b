"""``napari-masked-blur bench statistics``: the local statistics beside their peers.

Every case is a uint16 image (noise in [0, 1000)) inside a centred disk
(ball) mask, as in ``bench``; each contender runs once per round, in turn,
and the table gives medians and ratios of medians of the same run:

- ours: :func:`masked_local_std` and :func:`masked_local_correlation` (of the
  image and the image flipped), with their defaults;
- our own :func:`masked_gaussian` on the same image and sigma, the
  reference the statistics' targets are written against;
- the peers: the fastest recipe a skilled user writes for a masked local
  standard deviation (three OpenCV ``GaussianBlur`` of float32 ``f w``,
  ``f**2 w`` and ``w`` in 2D; the same with scipy in any dimension).  They
  are read from a Python file given with ``--peers`` (functions
  ``opencv_local_std`` and ``scipy_local_std``, each ``(image, mask,
  sigma)``), so the recipes measured are exactly the ones named there.

Then the paint latency: :func:`~napari_masked_blur._api.route.run_piece`
over the patch a brush stroke of 20 x 20 pixels makes (the stroke's box
grown by the filter's reach, as the live view asks for it), medians of
many strokes at different places.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from napari_masked_blur._api.gaussian import masked_gaussian
from napari_masked_blur._api.route import run_piece
from napari_masked_blur._api.statistics import (
    masked_local_correlation,
    masked_local_std,
)
from napari_masked_blur._bench.measure import warm_up
from napari_masked_blur._bench.peers import disk_case
from napari_masked_blur._engines import moments_ready
from napari_masked_blur._files.atomic import write_text_atomic
from napari_masked_blur._math.boxes import grow_box
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.settings import BlurSettings

CASES = (
    ((2048, 2048), 1.0),
    ((2048, 2048), 3.0),
    ((2048, 2048), 10.0),
    ((64, 512, 512), 3.0),
)
PEER_NAMES = ("opencv_local_std", "scipy_local_std")
# The targets (the statistics issue's).
STD_OVER_PEER = 0.8
STD_OVER_GAUSSIAN = 1.6
CORRELATION_OVER_GAUSSIAN = 2.5
PAINT_MS = 30.0
PAINT_CASE = ((2048, 2048), 3.0)
BRUSH = 20

Contender = Callable[[np.ndarray, np.ndarray, float], object]


def load_peers(path: Path | None) -> dict[str, Contender]:
    """The peer recipes of the file ``path`` that it holds (none without a file)."""
    if path is None:
        return {}
    spec = importlib.util.spec_from_file_location("statistics_peers", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"--peers {str(path)!r} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, name) for name in PEER_NAMES if hasattr(module, name)}


def contenders(peers: dict[str, Contender], ndim: int) -> dict[str, Contender]:
    """Ours, our masked Gaussian and the peers that take ``ndim`` dimensions."""
    flipped: dict[int, np.ndarray] = {}

    def correlation(image: np.ndarray, mask: np.ndarray, sigma: float) -> object:
        other = flipped.setdefault(id(image), np.ascontiguousarray(image[::-1]))
        return masked_local_correlation(image, other, mask, sigma)

    chosen: dict[str, Contender] = {
        "local_std": masked_local_std,
        "local_correlation": correlation,
        "masked_gaussian": masked_gaussian,
    }
    for name, peer in peers.items():
        if ndim == 2 or not name.startswith("opencv"):
            chosen[name] = peer
    return chosen


def time_case(
    shape: tuple[int, ...], sigma: float, peers: dict[str, Contender], rounds: int
) -> dict[str, float]:
    """Median milliseconds of each contender, interleaved rounds."""
    image, mask = disk_case(shape)
    warm_up(image, mask, (sigma,) * len(shape))
    moments_ready((image.dtype, mask.dtype, output_dtype(image.dtype)), wait=True)
    chosen = contenders(peers, len(shape))
    times: dict[str, list[float]] = {name: [] for name in chosen}
    for function in chosen.values():  # first calls: imports, caches
        function(image, mask, sigma)
    for _ in range(rounds):
        for name, function in chosen.items():
            start = time.perf_counter()
            function(image, mask, sigma)
            times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def paint_latency(filter_name: str, strokes: int) -> float:
    """Median milliseconds of ``run_piece`` over a brush stroke's patch."""
    shape, sigma = PAINT_CASE
    image, mask = disk_case(shape)
    other = np.ascontiguousarray(image[::-1])
    options = BlurSettings(sigma=sigma, filter=filter_name).check(image, mask)
    partner = other if filter_name == "local_correlation" else None
    rng = np.random.default_rng(0)
    times = []
    for _ in range(strokes + 1):
        y, x = (int(rng.integers(n // 3, 2 * n // 3 - BRUSH)) for n in shape)
        stroke = (slice(y, y + BRUSH), slice(x, x + BRUSH))
        patch = grow_box(stroke, options.reach, shape)
        start = time.perf_counter()
        run_piece(image, mask, options, patch, other=partner)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times[1:])  # the first warms up


def viewer_paint_latency(filter_name: str, repeats: int) -> float:
    """Median milliseconds from a brush dab to the refreshed output, in napari.

    The widget docked in a real viewer (as ``bench latency`` does for the
    blur) on 2048 x 2048 uint16 at sigma 3 with ``filter_name`` chosen; each
    dab (brush 10) is timed from the moment its pixels are in the mask until
    the output layer is refreshed with the patch.  Needs a display.
    """
    from napari_masked_blur._bench.latency_viewer import Session

    rng = np.random.default_rng(0)
    shape = PAINT_CASE[0]
    image = rng.integers(0, 4000, shape, dtype=np.uint16)
    mask = np.zeros(shape, np.uint8)
    mask[shape[0] // 8 : -shape[0] // 8, shape[1] // 8 : -shape[1] // 8] = 1
    session = Session(image, mask, sigma=PAINT_CASE[1])
    session.widget["filter"].value = filter_name
    session.wait(session.complete)
    name = "image masked " + filter_name.replace("_", " ")
    session.output = session.viewer.layers[name]
    session.output.events.set_data.connect(session._on_refresh)
    labels, times = session.labels, []
    labels.brush_size = 10
    for _ in range(repeats):
        point = tuple(int(v) for v in rng.integers(40, np.array(shape) - 40))
        value = 1 - int(labels.data[point])  # a dab that changes nothing sends nothing
        times.append(
            session.time_to_refresh(
                lambda p=point, v=value: labels.paint(p, v), lambda: True, after=True
            )
        )
    session.close()
    return 1e3 * statistics.median(times)


def table(rows: Sequence[tuple[str, dict[str, float]]], peers: Sequence[str]) -> str:
    """Markdown: milliseconds, then the ratios the targets are about."""
    names = ["local_std", "local_correlation", "masked_gaussian", *peers]
    head = ["case", *(f"{n} ms" for n in names)]
    head += ["std / fastest peer", "std / gaussian", "correlation / gaussian"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, ms in rows:
        cells = [label, *(_ms(ms.get(n)) for n in names)]
        fastest = min((ms[p] for p in peers if p in ms), default=None)
        cells.append("-" if fastest is None else f"{ms['local_std'] / fastest:.2f}x")
        cells.append(f"{ms['local_std'] / ms['masked_gaussian']:.2f}x")
        cells.append(f"{ms['local_correlation'] / ms['masked_gaussian']:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def shortfalls(
    rows: Sequence[tuple[str, dict[str, float]]],
    peers: Sequence[str],
    paint: dict[str, float],
) -> list[str]:
    """One line per target missed, saying by how much."""
    missed = []
    for label, ms in rows:
        fastest = min((ms[p] for p in peers if p in ms), default=None)
        if fastest is not None and ms["local_std"] / fastest > STD_OVER_PEER:
            ratio = ms["local_std"] / fastest
            missed.append(f"{label}: std {ratio:.2f}x the fastest peer, not 0.8x")
        for name, limit in [
            ("local_std", STD_OVER_GAUSSIAN),
            ("local_correlation", CORRELATION_OVER_GAUSSIAN),
        ]:
            ratio = ms[name] / ms["masked_gaussian"]
            if ratio > limit:
                missed.append(
                    f"{label}: {name} {ratio:.2f}x our masked Gaussian, not {limit}x"
                )
    for name, ms in paint.items():
        if ms > PAINT_MS:
            missed.append(f"paint latency {name}: {ms:.1f} ms, not <= {PAINT_MS} ms")
    return missed


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the statistics benchmark and print its table; the exit status."""
    parser = argparse.ArgumentParser(
        prog="napari-masked-blur bench statistics",
        description="Time the masked local statistics beside their peers and "
        "our masked Gaussian, and their paint latency.",
    )
    parser.add_argument("--rounds", type=int, default=7, help="runs per contender")
    parser.add_argument(
        "--peers",
        type=Path,
        help="a Python file holding the peer recipes opencv_local_std and "
        "scipy_local_std (image, mask, sigma); without it, no peers",
    )
    parser.add_argument(
        "--cases", default=None, help="only the cases whose label holds this text"
    )
    parser.add_argument(
        "--strokes", type=int, default=40, help="brush strokes timed per statistic"
    )
    parser.add_argument(
        "--viewer",
        action="store_true",
        help="also time brush dabs in the widget in a real napari viewer "
        "(needs a display: run under xvfb-run without one)",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        help="also write the table, the paint latency and how they were "
        "measured to this Markdown file (docs/snippets/statistics_bench.md)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    try:
        peers = load_peers(args.peers)
    except (OSError, ValueError) as error:
        parser.error(f"--peers: {error}")
    rows = []
    for shape, sigma in CASES:
        label = f"{'x'.join(map(str, shape))} sigma={sigma:g}"
        if args.cases and args.cases not in label:
            continue
        rows.append((label, time_case(shape, sigma, peers, args.rounds)))
        print(f"  {label} done", file=sys.stderr, flush=True)
    print(table(rows, list(peers)))
    paint = {
        name: paint_latency(name, args.strokes)
        for name in ("local_std", "local_zscore", "local_correlation")
    }
    lines = [
        f"paint latency {name}, 2048x2048 sigma 3, {BRUSH}px brush: {ms:.1f} ms"
        for name, ms in paint.items()
    ]
    if args.viewer:  # the same dabs through the widget, napari's work included
        for name in ("local_std", "local_zscore"):
            ms = viewer_paint_latency(name, args.strokes)
            paint[f"{name} in napari"] = ms
            lines.append(
                f"paint-to-pixels in napari, {name}, 2048x2048 sigma 3, brush 10: "
                f"{ms:.1f} ms"
            )
    print("\n".join(lines))
    missed = shortfalls(rows, list(peers), paint)
    print("\n".join(["targets missed:", *missed] if missed else ["no target missed"]))
    if args.markdown is not None:
        command = " ".join(["napari-masked-blur bench statistics", *argv_of(argv)])
        text = "\n\n".join(
            [
                f"Made by `{command}` on {_machine()}; medians of "
                f"{args.rounds} interleaved rounds, milliseconds.",
                table(rows, list(peers)),
                "\n".join(f"- {line}" for line in lines),
            ]
        )
        write_text_atomic(args.markdown, text + "\n")
    return 0


def argv_of(argv: Sequence[str] | None) -> list[str]:
    """The arguments as given (the peers' file by its name only)."""
    words = list(sys.argv[2:] if argv is None else argv)
    return [Path(w).name if w.endswith(".py") else w for w in words]


def _machine() -> str:
    import os
    import platform

    import cv2
    import scipy

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    return (
        f"{cpus or os.cpu_count()} CPUs, {platform.platform()}, numpy "
        f"{np.__version__}, scipy {scipy.__version__}, OpenCV {cv2.__version__}"
    )
