"""Draw what ``per_label=True`` changes: touching cells stay apart.

A synthetic tissue: 40 touching cells (a Voronoi tiling of random seeds),
each with its own brightness, plus noise.  Blurred inside the mask of all
cells together, every cell's edge is averaged with its neighbours'; with
``per_label=True`` each cell is averaged with its own pixels only, so the
edges between cells stay sharp while the noise inside is smoothed away.

Writes ``docs/figures/per_label.png``.  Run: ``python docs/scripts/per_label.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian

FIGURE = Path(__file__).resolve().parents[1] / "figures" / "per_label.png"
SHAPE = (200, 200)
CELLS = 40
SIGMA = 5.0
PNG_METADATA = {"Software": None}  # no version stamp: re-runs give the same file


def tissue(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A noisy image of touching cells and their labels (1..CELLS).

    Every pixel belongs to its nearest seed; a 6-pixel border of background
    (label 0) frames the tissue.
    """
    rng = np.random.default_rng(seed)
    seeds = np.zeros(SHAPE, bool)
    rows, cols = rng.integers(0, SHAPE[0], CELLS), rng.integers(0, SHAPE[1], CELLS)
    seeds[rows, cols] = True
    numbered, _ = ndi.label(seeds)
    nearest = ndi.distance_transform_edt(~seeds, return_indices=True)[1]
    labels = numbered[tuple(nearest)]
    labels[:6], labels[-6:], labels[:, :6], labels[:, -6:] = 0, 0, 0, 0
    brightness = rng.uniform(40, 220, CELLS + 1)
    brightness[0] = 0
    image = brightness[labels] + rng.normal(0, 25, SHAPE)
    return image.astype(np.float32), labels.astype(np.uint16)


def main() -> None:
    image, labels = tissue()
    together = masked_gaussian(image, labels, SIGMA, outside="zero")
    apart = masked_gaussian(image, labels, SIGMA, outside="zero", per_label=True)
    panels = [
        ("image: 40 touching cells, noisy", image),
        ("mask of all cells together:\nneighbours bleed across edges", together),
        ("per_label=True:\neach cell with its own pixels", apart),
    ]
    fig = Figure(figsize=(10.5, 3.9), layout="constrained")
    for ax, (title, picture) in zip(fig.subplots(1, 3), panels, strict=True):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.contour(
            labels,
            levels=np.arange(0.5, CELLS + 1),
            colors="#ffcc00",
            linewidths=0.4,
            alpha=0.5,
        )
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    fig.suptitle(f"sigma = {SIGMA:g} px", fontsize=11)
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=110, metadata=PNG_METADATA)
    print(f"wrote {FIGURE}")


if __name__ == "__main__":
    main()
