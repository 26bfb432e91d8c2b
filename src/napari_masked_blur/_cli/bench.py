"""``napari-masked-blur bench``: our masked blur beside the seed recipe and the peers.

Every contender computes the same thing, the normalized convolution
``G*(x w) / G*w`` of a uint16 image inside a mask, with nothing beyond the
image border:

- ours: :func:`masked_gaussian` with its defaults (``method="auto"``);
- the seed recipe: ``scipy.ndimage.gaussian_filter`` on ``image * mask`` and
  on ``mask`` in float64, then divide;
- the same recipe on OpenCV's ``GaussianBlur`` in float32;
- DIPlib's ``NormalizedConvolution`` (it picks FIR, IIR or FFT itself);
- astropy's ``convolve_fft`` with the masked pixels set to NaN (2D only).

Peers that are not installed are left out (``pip install
napari-masked-blur[bench]`` installs them all).  Contenders run in rounds, each
once per round in turn, so a busy machine slows them all alike; the table
gives the median per contender and the ratios of those medians.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from napari_masked_blur._api import masked_gaussian
from napari_masked_blur._cli.bench_peers import (
    Contender,
    disk_case,
    installed_peers,
    ours,
    seed_recipe,
)

TABLE_CASES = (
    ((2048, 2048), (1.0, 1.0)),
    ((2048, 2048), (3.0, 3.0)),
    ((2048, 2048), (10.0, 10.0)),
    ((2048, 2048), (30.0, 30.0)),
    ((64, 512, 512), (3.0, 3.0, 3.0)),
    ((64, 512, 512), (1.0, 3.0, 3.0)),
)
PLOT_SIGMAS = (1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0, 200.0, 400.0)
# One run is enough for a contender this slow: rounds would only add minutes.
_SLOW_S = 2.0


# --- measuring ----------------------------------------------------------------


@dataclass
class CaseResult:
    """Median milliseconds per contender for one case, and our accuracy."""

    shape: tuple[int, ...]
    sigma: tuple[float, ...]
    ms: dict[str, float | None] = field(default_factory=dict)
    error: float = float("nan")

    def label(self) -> str:
        size = "x".join(str(n) for n in self.shape)
        sigma = (
            f"{self.sigma[0]:g}"
            if len(set(self.sigma)) == 1
            else "(" + ", ".join(f"{s:g}" for s in self.sigma) + ")"
        )
        return f"{size} sigma={sigma}"


def run_case(
    shape: tuple[int, ...],
    sigma: tuple[float, ...],
    contenders: dict[str, Contender],
    rounds: int,
) -> CaseResult:
    """Time every contender in ``rounds`` rounds; check ours against the seed."""
    image, mask = disk_case(shape)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    outputs: dict[str, np.ndarray | None] = {}
    for _ in range(rounds):
        for name, contender in contenders.items():
            if name in outputs and (outputs[name] is None or times[name][0] > _SLOW_S):
                continue  # cannot take this case, or too slow to repeat
            start = time.perf_counter()
            outputs[name] = contender(image, mask, sigma)
            times[name].append(time.perf_counter() - start)
    result = CaseResult(shape, sigma)
    for name in contenders:
        usable = outputs[name] is not None
        result.ms[name] = 1e3 * statistics.median(times[name]) if usable else None
    reference = outputs["seed recipe"][mask]
    span = float(reference.max() - reference.min())
    result.error = float(np.max(np.abs(outputs["ours"][mask] - reference))) / span
    return result


def peak_extra_memory(shape: tuple[int, ...], sigma: tuple[float, ...]) -> float:
    """Peak memory of one call beyond its inputs, in units of the image as float32.

    Counts what numpy allocates (OpenCV's outputs included), as seen by
    :mod:`tracemalloc`; scratch buffers inside C libraries are not counted.
    """
    image, mask = disk_case(shape)
    tracemalloc.start()
    masked_gaussian(image, mask, sigma)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (image.size * 4)


_FIRST_CALL = """
import time
from napari_masked_blur import masked_gaussian
from napari_masked_blur._cli.bench_peers import disk_case
image, mask = disk_case(({shape}))
times = []
for _ in range(4):
    start = time.perf_counter()
    masked_gaussian(image, mask, {sigma})
    times.append(time.perf_counter() - start)
print(times[0] - min(times[1:]))
"""


def first_call_penalty(shape: tuple[int, ...], sigma: float) -> float:
    """Seconds the first call in a fresh process takes beyond a later one."""
    code = _FIRST_CALL.format(shape=", ".join(map(str, shape)) + ",", sigma=sigma)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


# --- reporting ----------------------------------------------------------------


def table(results: Sequence[CaseResult], peers: Sequence[str]) -> str:
    """Markdown table: milliseconds, then seed and best peer time over ours."""
    names = ["ours", "seed recipe", *peers]
    head = ["case", *(f"{n} ms" for n in names), "seed/ours", "best peer/ours"]
    head.append("ours: max error / range")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [r.label(), *(_ms(r.ms.get(n)) for n in names)]
        peer_times = [r.ms[p] for p in peers if r.ms.get(p) is not None]
        cells.append(f"{r.ms['seed recipe'] / r.ms['ours']:.1f}x")
        best = f"{min(peer_times) / r.ms['ours']:.2f}x" if peer_times else "-"
        cells += [best, f"{r.error:.1e}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def plot(results: Sequence[CaseResult], names: Sequence[str], path: Path) -> None:
    """Log-log plot of milliseconds against sigma, one line per contender."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    for name in names:
        points = [(r.sigma[0], r.ms[name]) for r in results if r.ms.get(name)]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=name)
    axes.set(xscale="log", yscale="log", xlabel="sigma (pixels)", ylabel="ms")
    axes.set_title("Masked blur of a 2048x2048 uint16 image (disk mask)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def machine() -> str:
    """One line: CPUs, OS, and the versions of everything measured."""
    import os

    import scipy

    versions = [f"numpy {np.__version__}", f"scipy {scipy.__version__}"]
    for label, module in [
        ("OpenCV", "cv2"),
        ("DIPlib", "diplib"),
        ("astropy", "astropy"),
    ]:
        with contextlib.suppress(ImportError):
            versions.append(f"{label} {__import__(module).__version__}")
    cpus = (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count()
    )
    return (
        f"{cpus} CPUs, {platform.platform()}, Python {platform.python_version()}, "
        + ", ".join(versions)
    )


PAGE = """# Benchmarks

Masked Gaussian blur (normalized convolution) of a uint16 image inside a
disk-shaped mask, nothing beyond the border.  "ours" is `masked_gaussian` with
its defaults; the seed recipe is `scipy.ndimage.gaussian_filter` on
`image * mask` and `mask` in float64, then divide; OpenCV is that recipe on
`cv2.GaussianBlur` (float32); DIPlib is `NormalizedConvolution`; astropy is
`convolve_fft` with the masked pixels as NaN.  Median of {rounds} rounds (a
contender slower than {slow:g} s runs once); ratios are of medians, measured in
the same run.  "max error / range": our largest deviation inside the mask from
the float64 seed recipe, over the value range there.

Made by `{command}` on {machine}.

{table}

- Peak extra memory, 64x512x512 sigma=3: {memory:.2f}x the image as float32
  (numpy allocations, by tracemalloc).
- First call in a fresh process, 2048x2048 sigma=3: {first_ms:.0f} ms slower than
  the calls after it (no JIT compilation anywhere).

![Milliseconds against sigma, 2048x2048](images/{plot_name})
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table, write the page; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["latency"]:  # the live widget in a real viewer
        from napari_masked_blur._cli.bench_latency import main as latency_main

        return latency_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="napari-masked-blur bench",
        description="Time the masked blur beside the seed recipe and the peers. "
        "`bench latency` times the live widget in a napari viewer instead.",
    )
    parser.add_argument("--rounds", type=int, default=5, help="runs per contender")
    parser.add_argument(
        "--docs",
        type=Path,
        default=Path("docs"),
        help="write benchmarks.md and images/bench_time_vs_sigma.png here",
    )
    parser.add_argument("--no-write", action="store_true", help="only print")
    parser.add_argument(
        "--quick", action="store_true", help="plot only the table's sigmas"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    peers = installed_peers()
    contenders = {"ours": ours, "seed recipe": seed_recipe, **peers}
    results = []
    for shape, sigma in TABLE_CASES:
        results.append(run_case(shape, sigma, contenders, args.rounds))
        print(f"  {results[-1].label()} done", file=sys.stderr, flush=True)
    text = table(results, list(peers))
    print(text)
    memory = peak_extra_memory((64, 512, 512), (3.0, 3.0, 3.0))
    first = first_call_penalty((2048, 2048), 3.0)
    print(f"peak extra memory 64x512x512 sigma=3: {memory:.2f}x the image as float32")
    print(f"first call in a fresh process: {1e3 * first:.0f} ms slower than later ones")
    if args.no_write:
        return 0
    sweep = [r for r in results if len(r.shape) == 2]
    if not args.quick:
        done = {r.sigma[0] for r in sweep}
        for s in PLOT_SIGMAS:
            if s not in done:
                sweep.append(run_case((2048, 2048), (s, s), contenders, args.rounds))
        sweep.sort(key=lambda r: r.sigma[0])
    plot_name = "bench_time_vs_sigma.png"
    plot(sweep, list(contenders), args.docs / "images" / plot_name)
    command = "napari-masked-blur bench " + " ".join(argv or [])
    page = PAGE.format(
        rounds=args.rounds,
        slow=_SLOW_S,
        command=command.strip(),
        machine=machine(),
        table=text,
        memory=memory,
        first_ms=1e3 * first,
        plot_name=plot_name,
    )
    (args.docs / "benchmarks.md").write_text(page, encoding="utf-8")
    print(f"wrote {args.docs / 'benchmarks.md'} and {args.docs / 'images' / plot_name}")
    return 0
