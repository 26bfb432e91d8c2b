"""Draw what the certainty map ``G*w`` does: rebuild an image from a fifth of it.

Weights need not follow an object: here they mark which pixels were measured.
Four-fifths of skimage's coins are thrown away at random (weight 0), and the
rest kept (weight 1).  Blurring what is left, ``G*(x·w)``, is dark wherever
few pixels survived; the certainty ``G*w`` says how much data lies under each
pixel's kernel; their quotient, :func:`normalized_convolution`, is the
Gaussian average of the surviving pixels alone, and looks like the image.

Writes ``docs/figures/certainty.png``.  Run: ``python docs/scripts/certainty.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import ndimage as ndi

from napari_masked_blur import normalized_convolution
from napari_masked_blur._qt.samples import coins_with_mask

FIGURE = Path(__file__).resolve().parents[1] / "figures" / "certainty.png"
KEPT = 0.2  # fraction of pixels that keep weight 1
SIGMA = 2.0
PNG_METADATA = {"Software": None}  # no version stamp: re-runs give the same file


def main() -> None:
    (image, _, _), _ = coins_with_mask()
    weights = (np.random.default_rng(0).random(image.shape) < KEPT).astype(np.float32)
    sparse = image * weights
    plain = ndi.gaussian_filter(sparse, SIGMA, mode="constant")
    out, certainty = normalized_convolution(
        image, weights, SIGMA, return_certainty=True
    )
    panels = [
        (f"x·w: {KEPT:.0%} of the pixels kept", sparse, "gray", (0, 255)),
        ("G*(x·w): blur what is left", plain, "gray", (0, 255)),
        ("certainty G*w", certainty, "viridis", (0, float(certainty.max()))),
        ("G*(x·w) / G*w: normalized convolution", out, "gray", (0, 255)),
    ]
    fig = Figure(figsize=(8.4, 7.0), layout="constrained")
    for ax, (title, picture, cmap, (low, high)) in zip(
        fig.subplots(2, 2).flat, panels, strict=True
    ):
        shown = ax.imshow(picture, cmap=cmap, vmin=low, vmax=high)
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
        if cmap != "gray":
            fig.colorbar(shown, ax=ax, shrink=0.8)
    fig.suptitle(f"sigma = {SIGMA:g} px", fontsize=11)
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=110, metadata=PNG_METADATA)
    print(f"wrote {FIGURE}")


if __name__ == "__main__":
    main()
