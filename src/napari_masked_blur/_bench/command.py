"""``napari-masked-blur bench``: our masked blur beside the seed recipe and the peers.

Every contender computes the same thing, the normalized convolution
``G*(x w) / G*w`` of a uint16 image inside a mask, with nothing beyond the
image border:

- ours: :func:`masked_gaussian` with its defaults (``method="auto"``);
- the seed recipe: ``scipy.ndimage.gaussian_filter`` on ``image * mask`` and
  on ``mask`` in float64, then divide;
- OpenCV in place: the fastest route by hand, ``cv2.GaussianBlur`` in
  float32 with every elementwise step in place;
- DIPlib's ``NormalizedConvolution`` (it picks FIR, IIR or FFT itself);
- astropy's ``convolve_fft`` with the masked pixels set to NaN (2D only);
- and, as a reference rather than a contender, the *floor*: two bare
  ``cv2.GaussianBlur`` calls on float32 arrays made beforehand (2D only).

Peers that are not installed are left out (``pip install
napari-masked-blur[bench]`` installs them all).  The measuring is in
:mod:`.measure`; ``docs/scripts/benchmarks_plot.py`` draws the plot
from the JSON this command writes.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from napari_masked_blur._bench.measure import (
    SLOW_S,
    CaseResult,
    first_calls,
    run_case,
    to_json,
)
from napari_masked_blur._bench.peers import (
    OpenCVFloor,
    installed_peers,
    ours,
    seed_recipe,
)
from napari_masked_blur._files.atomic import write_text_atomic

SIGMAS_2D = (0.7, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
# 2048 x 2048, and 2160 x 3240 (7 MP, neither square nor a power of two).
SHAPES_2D = ((2048, 2048), (2160, 3240))
TABLE_CASES = (
    *(((shape), (s, s)) for shape in SHAPES_2D for s in SIGMAS_2D),
    ((64, 512, 512), (3.0, 3.0, 3.0)),
    ((64, 512, 512), (1.0, 3.0, 3.0)),
)
# The targets the table is read against (the speed issue's).
SEED_OVER_OURS = 15.0
PEER_RATIO = {"narrow": 0.8, "wide": 0.5}  # ours / fastest peer, sigma < 10 / >= 10
FLOOR_RATIO = 1.2
MEMORY = 1.5


def table(results: Sequence[CaseResult], peers: Sequence[str]) -> str:
    """Markdown table: milliseconds, the ratios of medians, error and memory."""
    names = ["ours", "seed recipe", *peers, "floor"]
    head = ["case", *(f"{n} ms" for n in names)]
    head += ["seed / ours", "ours / fastest peer", "ours / floor"]
    head += ["ours: peak memory", "ours: max error / range"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [r.label(), *(_ms(r.ms.get(n)) for n in names)]
        cells.append(f"{r.ms['seed recipe'] / r.ms['ours']:.1f}x")
        fastest = r.fastest_peer(peers)
        cells.append("-" if fastest is None else f"{r.ms['ours'] / fastest:.2f}x")
        floor = r.ms.get("floor")
        cells.append("-" if floor is None else f"{r.ms['ours'] / floor:.2f}x")
        cells.append("-" if np.isnan(r.memory) else f"{r.memory:.2f}x")
        cells.append(f"{r.error:.1e}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def shortfalls(results: Sequence[CaseResult], peers: Sequence[str]) -> list[str]:
    """One line per case and target that the results miss, saying by how much."""
    lines = []
    for r in results:
        seed = r.ms["seed recipe"] / r.ms["ours"]
        if seed < SEED_OVER_OURS:
            lines.append(f"{r.label()}: {seed:.1f}x the seed recipe's speed, not 15x")
        fastest = r.fastest_peer(peers)
        limit = PEER_RATIO["wide" if max(r.sigma) >= 10 else "narrow"]
        if fastest is not None and r.ms["ours"] / fastest > limit:
            ratio = r.ms["ours"] / fastest
            lines.append(f"{r.label()}: {ratio:.2f}x the fastest peer, not {limit}x")
        floor = r.ms.get("floor")
        if floor is not None and r.ms["ours"] / floor > FLOOR_RATIO:
            ratio = r.ms["ours"] / floor
            lines.append(f"{r.label()}: {ratio:.2f}x the floor, not {FLOOR_RATIO}x")
        if r.memory > MEMORY:
            lines.append(f"{r.label()}: peak memory {r.memory:.2f}x, not {MEMORY}x")
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def machine() -> str:
    """One line: CPUs, OS, and the versions of everything measured."""
    import os

    import scipy

    versions = [f"numpy {np.__version__}", f"scipy {scipy.__version__}"]
    for label, module in [
        ("numba", "numba"),
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="napari-masked-blur bench",
        description="Time the masked blur beside the seed recipe and the peers. "
        "`bench latency` times the live widget in a napari viewer instead; "
        "`bench statistics` the local statistics.",
    )
    parser.add_argument("--rounds", type=int, default=5, help="runs per contender")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="write the results here (the plot script reads them)",
    )
    parser.add_argument(
        "--cases",
        default=None,
        help="only the cases whose label contains this text, e.g. 2048x2048",
    )
    parser.add_argument(
        "--no-first-call", action="store_true", help="skip the fresh-process probes"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["latency"]:  # the live widget in a real viewer
        from napari_masked_blur._bench.latency import main as latency_main

        return latency_main(argv[1:])
    if argv[:1] == ["statistics"]:  # the local statistics and their peers
        from napari_masked_blur._bench.statistics import main as statistics_main

        return statistics_main(argv[1:])
    if argv[:1] == ["derivatives"]:  # the masked derivatives beside their peers
        from napari_masked_blur._bench.derivatives import main as derivatives_main

        return derivatives_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    peers = installed_peers()
    contenders = {"ours": ours, "seed recipe": seed_recipe, **peers}
    if "OpenCV in place" in peers:
        contenders["floor"] = OpenCVFloor()
    results = []
    for shape, sigma in TABLE_CASES:
        if args.cases and args.cases not in CaseResult(shape, sigma).label():
            continue
        results.append(run_case(shape, sigma, contenders, args.rounds))
        print(f"  {results[-1].label()} done", file=sys.stderr, flush=True)
    text = table(results, list(peers))
    print(text)
    missed = shortfalls(results, list(peers))
    print("\n".join(["targets missed:", *missed] if missed else ["no target missed"]))
    first = None if args.no_first_call else first_calls((2048, 2048), 3.0)
    if first is not None:
        for name, probe in first.items():
            penalty = 1e3 * (probe["first"] - probe["later"])
            print(
                f"first call ({name}): {penalty:.0f} ms slower than later calls; "
                f"fused loops ready after {probe['ready']:.2f} s"
            )
    if args.json is not None:
        command = "napari-masked-blur bench " + " ".join(argv)
        about = {"command": command.strip(), "machine": machine()}
        about |= {"rounds": args.rounds, "slow_s": SLOW_S, "peers": list(peers)}
        write_text_atomic(args.json, to_json(results, **about, first_call=first))
        print(f"wrote {args.json}")
    return 0
