"""Wide kernels: our time and accuracy against DIPlib's beyond the table's sigmas.

DIPlib's ``NormalizedConvolution`` switches to recursive (IIR) filters for
large sigma, so its time grows little, at the price of accuracy; ours uses
the low-rank engine there, exact to rounding.  This prints, for
a 2048 x 2048 uint16 image inside a disk-shaped mask, the median time of
both (same run) and the largest deviation inside the mask from the float64
definition (scipy, "constant" border: both treat beyond the border as
missing), over the value range there.

    .venv/bin/python benchmarks/large_sigma.py --sigmas 10,30,50,100,200,400,800

Needs the ``bench`` extra (DIPlib).  Not part of the test suite.

With ``--budget`` it checks instead that a kernel far wider than the image
costs what one about as wide as the image costs: each case runs in a fresh
process, which reports the blur's wall time and its peak resident memory
(``resource.getrusage``); a case over ``--time-factor`` times the reference's
time (plus 0.1 s) or ``--memory-mib`` above its peak fails, and the command
exits 1.  No DIPlib needed:

    .venv/bin/python benchmarks/large_sigma.py --budget
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--sigmas", default="10,30,50,100,200,400,800")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", action="store_true")
    parser.add_argument("--time-factor", type=float, default=3.0)
    parser.add_argument("--memory-mib", type=float, default=64.0)
    args = parser.parse_args()
    if args.budget:
        raise SystemExit(budget(args.time_factor, args.memory_mib))
    import diplib as dip

    n = args.size
    rows, cols = np.mgrid[:n, :n]
    mask = (rows - n / 2) ** 2 + (cols - n / 2) ** 2 < (0.45 * n) ** 2
    image = np.random.default_rng(0).integers(0, 4000, (n, n), dtype=np.uint16)
    span = float(image[mask].max()) - float(image[mask].min())
    columns = ["sigma", "ours ms", "DIPlib ms", "DIPlib/ours"]
    columns += ["ours err/range", "DIPlib err/range"]
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for sigma in (float(s) for s in args.sigmas.split(",")):
        exact = _definition(image, mask, sigma)
        ours = masked_gaussian(image, mask, sigma)
        theirs = np.asarray(
            dip.NormalizedConvolution(
                image.astype(np.float32), mask.astype(np.float32), [sigma, sigma]
            )
        )
        ours_ms = _median_ms(lambda s=sigma: masked_gaussian(image, mask, s), args)
        theirs_ms = _median_ms(
            lambda s=sigma: dip.NormalizedConvolution(
                image.astype(np.float32), mask.astype(np.float32), [s, s]
            ),
            args,
        )
        ours_err = np.abs(ours - exact)[mask].max() / span
        theirs_err = np.abs(theirs - exact)[mask].max() / span
        print(
            f"| {sigma:g} | {ours_ms:.0f} | {theirs_ms:.0f} | "
            f"{theirs_ms / ours_ms:.2f} | {ours_err:.1e} | {theirs_err:.1e} |"
        )


def _definition(image: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    weights = mask.astype(np.float64)
    numerator = ndi.gaussian_filter(image * weights, sigma, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        return numerator / ndi.gaussian_filter(weights, sigma, mode="constant")


def _median_ms(run, args) -> float:
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


# (label, image side, keyword arguments of masked_gaussian); the first case of
# each side is its reference: sigma as large as the image.
BUDGET_CASES = (
    ("sigma 128 (reference)", 128, {"sigma": 128.0}),
    ("sigma 1e5", 128, {"sigma": 1e5}),
    ("sigma 1e6", 128, {"sigma": 1e6}),
    ("sigma 1e7", 128, {"sigma": 1e7}),
    ("sigma 1e300", 128, {"sigma": 1e300}),
    ("sigma 2, spacing 1e-300", 128, {"sigma": 2.0, "spacing": 1e-300}),
    ("sigma 1e4, truncate 1e12", 128, {"sigma": 1e4, "truncate": 1e12}),
    ("sigma 2048 (reference)", 2048, {"sigma": 2048.0}),
    ("sigma 1e4", 2048, {"sigma": 1e4}),
    ("sigma 1e300, reflect", 2048, {"sigma": 1e300, "mode": "reflect"}),
)

_CHILD = """
import json, resource, sys, time
import numpy as np
from napari_masked_blur import masked_gaussian
side, arguments = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
image = rng.random((side, side), dtype=np.float32)
mask = rng.random((side, side)) > 0.3
start = time.perf_counter()
masked_gaussian(image, mask, **arguments)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps([seconds, peak]))
"""


def budget(time_factor: float, memory_mib: float) -> int:
    """Run :data:`BUDGET_CASES`, print a table; 1 if a case is over budget."""
    print("| image | case | s | peak MiB | within budget |")
    print("|---|---|---|---|---|")
    failed, reference = 0, (0.0, 0)
    for label, side, arguments in BUDGET_CASES:
        seconds, peak = json.loads(
            subprocess.run(
                [sys.executable, "-c", _CHILD, json.dumps([side, arguments])],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        if "reference" in label:
            reference = (seconds, peak)
        within = (
            seconds <= time_factor * reference[0] + 0.1
            and peak <= reference[1] + memory_mib * 2**20
        )
        failed += not within
        print(
            f"| {side}x{side} | {label} | {seconds:.3f} | {peak / 2**20:.0f} | "
            f"{'yes' if within else 'NO'} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    main()
