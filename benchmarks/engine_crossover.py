"""Where the wide-kernel engines cross: band against lowrank, sigma by sigma.

``method="auto"`` switches from the banded products to the low-rank engine at
a kernel radius of ``_engines._LOWRANK_FROM_RADIUS``; this measures why.  Both
engines smooth the same pair of float32 arrays (numerator and weights, as
``_math.dense`` hands them over) of a 2048 x 2048 image, interleaved, and the
script prints the median milliseconds of each per sigma.

    .venv/bin/python benchmarks/engine_crossover.py --sigmas 20,30,40,50,60,100,200,400

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from napari_masked_blur._engines import gaussian_smooth, kernel_radius

ENGINES = ("band", "lowrank")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--sigmas", default="20,30,40,50,60,100,200,400")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    shape = (args.size, args.size)
    numerator = rng.random(shape, dtype=np.float32)
    weights = (rng.random(shape) > 0.5).astype(np.float32)
    print("| sigma | radius | " + " | ".join(f"{e} ms" for e in ENGINES) + " |")
    print("|---" * (len(ENGINES) + 2) + "|")
    for sigma in (float(s) for s in args.sigmas.split(",")):
        times: dict[str, list[float]] = {e: [] for e in ENGINES}
        for _ in range(args.rounds):
            for engine in ENGINES:
                arrays = [numerator.copy(), weights.copy()]
                start = time.perf_counter()
                gaussian_smooth(
                    arrays, (sigma, sigma), mode="constant", truncate=4.0,
                    method=engine,
                )  # fmt: skip
                times[engine].append(time.perf_counter() - start)
        radius = kernel_radius((sigma,), 4.0)[0]
        cells = [f"{1e3 * statistics.median(times[e]):.0f}" for e in ENGINES]
        print(f"| {sigma:g} | {radius} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
