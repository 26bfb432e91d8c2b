"""The masked blur of two commits side by side: did a change make it slower?

Each commit's ``src`` (a temporary ``git worktree`` of ``--base``, and this
checkout) is imported by a warm worker process of its own; the parent asks
them in turn, case by case, the order swapped every round, so that a busy
machine slows both alike.  Prints a Markdown table of the median
milliseconds of each and their ratio.

    .venv/bin/python benchmarks/compare_commits.py --base fb50e8a --rounds 11

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# Narrow kernels (the fused pass), wider ones (the engines) and a volume.
CASES = {
    **{f"2048x2048 sigma {s}": ((2048, 2048), s) for s in (1, 3, 5, 10, 20)},
    "64x512x512 sigma 3": ((64, 512, 512), 3),
}
# Background loaders (numba's loops) finish within this after the first calls.
SETTLE_S = 15


def ball(shape: tuple[int, ...]) -> np.ndarray:
    """A disk (ball) mask, 0.4 of the shortest side in radius, centred."""
    grid = np.indices(shape)
    centre = [(n - 1) / 2 for n in shape]
    radius = 0.4 * min(shape)
    return sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) <= radius**2


def worker() -> None:
    """Answer each case name on stdin with the milliseconds of one call."""
    from napari_masked_blur import masked_gaussian

    rng = np.random.default_rng(0)
    data = {
        shape: (rng.integers(0, 4000, shape).astype(np.uint16), ball(shape))
        for shape, _ in CASES.values()
    }
    for shape, sigma in CASES.values():
        masked_gaussian(*data[shape], sigma)  # compile or load every loop
    time.sleep(SETTLE_S)  # a benchmark's warm-up: let the loaders finish
    print("ready", flush=True)
    for line in sys.stdin:
        shape, sigma = CASES[line.strip()]
        start = time.perf_counter()
        masked_gaussian(*data[shape], sigma)
        print(f"{(time.perf_counter() - start) * 1e3:.3f}", flush=True)


def start_worker(src: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(src))
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"the worker for {src} did not start")
    return process


def compare(trees: dict[str, Path], rounds: int) -> dict[tuple[str, str], float]:
    """Median milliseconds per (tree, case), rounds interleaved."""
    workers = {name: start_worker(src) for name, src in trees.items()}
    times: dict[tuple[str, str], list[float]] = {
        (t, c): [] for t in trees for c in CASES
    }
    try:
        for r in range(rounds):
            order = list(trees) if r % 2 == 0 else list(trees)[::-1]
            for case in CASES:
                for name in order:
                    process = workers[name]
                    process.stdin.write(case + "\n")
                    process.stdin.flush()
                    times[(name, case)].append(float(process.stdout.readline()))
    finally:
        for process in workers.values():
            process.stdin.close()
            process.wait()
    return {key: statistics.median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1", help="the commit to compare")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "-q", "--detach", base, args.base])
        try:
            trees = {f"before ({args.base})": base / "src", "after": ROOT / "src"}
            medians = compare(trees, args.rounds)
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", base])
    before, after = trees
    print(f"| case | {before} | {after} | after / before |")
    print("|---|---|---|---|")
    for case in CASES:
        b, a = medians[(before, case)], medians[(after, case)]
        print(f"| {case} | {b:.1f} ms | {a:.1f} ms | {a / b:.2f} |")


if __name__ == "__main__":
    main()
