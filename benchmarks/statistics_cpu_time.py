"""CPU time of the local statistics beside our masked Gaussian (2048 x 2048, or any).

Wall time on a machine shared with other jobs mostly measures the wait for
a core; the CPU time of the process (every thread) is what a call costs.
Interleaved rounds, medians; the Gaussian both on its default route (the
fused pass where it suits) and on the engines' (``method="opencv"``); the
statistics on their default route (the fused moments where they suit).

    .venv/bin/python benchmarks/statistics_cpu_time.py --rounds 11
    .venv/bin/python benchmarks/statistics_cpu_time.py --shape 64,512,512 --sigmas 3

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from napari_masked_blur import (
    masked_gaussian,
    masked_local_correlation,
    masked_local_std,
)
from napari_masked_blur._bench.peers import disk_case
from napari_masked_blur._engines import fused_ready, moments_ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--sigmas", default="1,3,10")
    parser.add_argument(
        "--shape", default="2048,2048", help="the image's shape, e.g. 64,512,512"
    )
    args = parser.parse_args()
    image, mask = disk_case(tuple(int(n) for n in args.shape.split(",")))
    other = np.ascontiguousarray(image[::-1])
    print(
        "| sigma | gaussian ms | gaussian (engines) ms | std ms | correlation ms "
        "| std / gaussian | std / gaussian (engines) | correlation / gaussian |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for sigma in (float(s) for s in args.sigmas.split(",")):
        masked_gaussian(image, mask, sigma)
        fused_ready((image.dtype, mask.dtype, np.dtype(np.float32)), wait=True)
        moments_ready((image.dtype, mask.dtype, np.dtype(np.float32)), wait=True)
        calls = {
            "gaussian": lambda s=sigma: masked_gaussian(image, mask, s),
            "engines": lambda s=sigma: masked_gaussian(image, mask, s, method="opencv"),
            "std": lambda s=sigma: masked_local_std(image, mask, s),
            "correlation": lambda s=sigma: masked_local_correlation(
                image, other, mask, s
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                start = time.process_time()
                call()
                times[name].append(time.process_time() - start)
        ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
        print(
            f"| {sigma:g} | {ms['gaussian']:.1f} | {ms['engines']:.1f} | "
            f"{ms['std']:.1f} | {ms['correlation']:.1f} | "
            f"{ms['std'] / ms['gaussian']:.2f}x | {ms['std'] / ms['engines']:.2f}x | "
            f"{ms['correlation'] / ms['gaussian']:.2f}x |"
        )


if __name__ == "__main__":
    main()
