"""Measure each engine's error against the float64 definition; write a table.

The definition is ``G*(x·w) / G*w`` computed in float64 with
:func:`scipy.ndimage.gaussian_filter` (the border "missing" = zeros beyond the
edge for both numerator and weights).  For every engine (``method=``) and a
range of sigmas, the table gives the largest error inside the mask, as a
fraction of the image's value range: the figure the package promises to keep
below 1e-4.

Writes ``docs/snippets/engine_accuracy.md``, which "How it works" includes.
Run: ``python docs/scripts/engine_accuracy.py`` (about half a minute).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian
from napari_masked_blur._engines import METHODS

SNIPPET = Path(__file__).resolve().parents[1] / "snippets" / "engine_accuracy.md"
SIGMAS = (1.0, 3.0, 10.0, 30.0, 100.0)
SHAPE = (1024, 1024)


def holed_disk(shape: tuple[int, ...]) -> np.ndarray:
    """A disk mask with 5 % of its pixels punched out at random."""
    rows, cols = np.indices(shape)
    center = (np.array(shape) - 1) / 2
    mask = (rows - center[0]) ** 2 + (cols - center[1]) ** 2 < (0.4 * shape[0]) ** 2
    return mask & (np.random.default_rng(0).random(shape) > 0.05)


def wide_image(shape: tuple[int, ...]) -> np.ndarray:
    """uint16 values over most of their range: noise on a ramp, 0 to 60000."""
    ramp = np.linspace(0, 40000, shape[-1])
    noise = np.random.default_rng(1).integers(0, 20000, shape)
    return (ramp + noise).astype(np.uint16)


def offset_image(shape: tuple[int, ...]) -> np.ndarray:
    """uint16 values in a narrow band far from 0: 30000 plus noise up to 300.

    The hard case for float32: the rounding of sums near 30000 is measured
    against a value range of only 300.
    """
    noise = np.random.default_rng(2).integers(0, 300, shape)
    return (30000 + noise).astype(np.uint16)


def definition(image: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """The float64 normalized convolution, written as plainly as possible."""
    x, w = image.astype(np.float64), mask.astype(np.float64)
    numerator = ndi.gaussian_filter(x * w, sigma, mode="constant")
    denominator = ndi.gaussian_filter(w, sigma, mode="constant")
    with np.errstate(invalid="ignore"):  # 0/0 far outside the mask: unused
        return numerator / denominator


def relative_error(image: np.ndarray, mask: np.ndarray, sigma: float, method: str):
    """Largest error inside the mask, relative to the image's value range."""
    exact = definition(image, mask, sigma)
    ours = masked_gaussian(image, mask, sigma, method=method)
    value_range = float(image.max()) - float(image.min())
    return float(np.max(np.abs(ours[mask] - exact[mask]))) / value_range


def table(image: np.ndarray, mask: np.ndarray) -> str:
    """Markdown: one row per engine, one column per sigma."""
    engines = [m for m in METHODS if m != "auto"]
    head = "| engine | " + " | ".join(f"sigma {s:g}" for s in SIGMAS) + " |"
    lines = [head, "|---" * (len(SIGMAS) + 1) + "|"]
    for method in engines:
        errors = [relative_error(image, mask, s, method) for s in SIGMAS]
        lines.append(f"| `{method}` | " + " | ".join(f"{e:.1e}" for e in errors) + " |")
    return "\n".join(lines)


def main() -> None:
    mask = holed_disk(SHAPE)
    size = f"{SHAPE[0]} x {SHAPE[1]}"
    text = (
        "Largest error inside the mask, as a fraction of the image's value "
        f"range, {size} uint16 images, a holed disk mask (made by "
        "`docs/scripts/engine_accuracy.py`).\n\n"
        "Values spread over their range (noise on a ramp, 0 to 60000):\n\n"
        f"{table(wide_image(SHAPE), mask)}\n\n"
        "Values in a narrow band far from 0 (30000 plus noise up to 300):\n\n"
        f"{table(offset_image(SHAPE), mask)}\n"
    )
    SNIPPET.parent.mkdir(parents=True, exist_ok=True)
    SNIPPET.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
