"""How far a chunked blur is from the in-memory one: the float32 shift per window.

The in-memory blur of float32 (and 8/16-bit integer) data shifts the whole
image by the value of one weighted pixel before smoothing; the chunked blur
(``napari-masked-blur blur``, and dask input) shifts each window by its own
pixel, so rounding differs.  This prints, per case and chunking, the
largest error inside the mask against the float64 blur (the exact answer)
of the in-memory and of the chunked result, and the largest difference
between them: in float32 epsilons (1.19e-7) of the data's range there, and
the difference also in epsilons of the largest value, max|x|.

    .venv/bin/python benchmarks/chunked_accuracy.py

Not part of the test suite; tests/cli/test_blur.py checks the bound it finds.
"""

from __future__ import annotations

import numpy as np

from napari_masked_blur import masked_gaussian
from napari_masked_blur._lazy.windows import filter_windows
from napari_masked_blur._math.settings import check_options

EPS32 = float(np.finfo(np.float32).eps)


def cases():
    """(name, image, mask, sigma) for a few kinds of data, shape (24, 96, 96)."""
    rng = np.random.default_rng(0)
    shape = (24, 96, 96)
    blobs = rng.random(shape) > 0.25
    labels = np.where(blobs, 1 + (np.indices(shape)[2] // 40), 0).astype(np.int32)
    yield "uint16 0..4000", rng.integers(0, 4000, shape, np.uint16), blobs
    narrow = rng.integers(30000 - 300, 30000 + 300, shape, dtype=np.uint16)
    yield "uint16 30000 +- 300", narrow, blobs
    yield "float32 1e4 + N(0, 1)", (1e4 + rng.normal(size=shape)).astype("f4"), blobs
    yield "float32 0..1, two labels", rng.random(shape, np.float32), labels
    yield "uint8 0..255", rng.integers(0, 256, shape, np.uint8), blobs


# sigma 2 (radius 8): chunks of 12 planes give windows only; 16 planes leave
# a last chunk of 8 <= radius + 1 planes, computed by kernel taps (_math.taps).
CHUNKINGS = {"12 x 32 x 32": (12, 32, 32), "16 x 32 x 32": (16, 32, 32)}


def main() -> None:
    print(
        f"{'case':26} {'chunks':13} {'in-memory':>10} {'chunked':>9} "
        f"{'difference':>11} {'difference / max|x|':>20}"
    )
    for name, image, mask in cases():
        whole = masked_gaussian(image, mask, 2)
        exact = masked_gaussian(image.astype(np.float64), mask, 2)
        inside = mask != 0
        values = image[inside].astype(np.float64)
        span, top = float(np.ptp(values)), float(np.abs(values).max())

        def gap(a, b, inside=inside):
            return np.abs(a[inside].astype(np.float64) - b[inside]).max()

        for label, chunks in CHUNKINGS.items():
            options = check_options(image, mask, 2)
            chunked = filter_windows(image, mask, options, chunks=chunks).compute(
                scheduler="threads"
            )
            print(
                f"{name:26} {label:13} {gap(whole, exact) / span / EPS32:10.1f} "
                f"{gap(chunked, exact) / span / EPS32:9.1f} "
                f"{gap(chunked, whole) / span / EPS32:11.1f} "
                f"{gap(chunked, whole) / top / EPS32:20.2f}"
            )


if __name__ == "__main__":
    main()
