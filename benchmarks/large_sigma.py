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
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--sigmas", default="10,30,50,100,200,400,800")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
