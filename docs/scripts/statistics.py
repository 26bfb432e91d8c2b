"""Draw the local standard deviation and z-score inside a mask, on the sample coins.

The sample image of the widget (skimage's coins with a mask of six coins,
:func:`napari_masked_blur._qt.samples.coins_with_mask`'s data, made without
napari or Qt).  Four panels: the image with the mask's outline; the local
standard deviation of the whole image, unmasked, where every coin's edge is
a bright ring (the step from coin to background is the largest "spread"
there is); the masked local standard deviation, each coin with its own
pixels only (``per_label=True``), which shows the relief stamped on the
coins instead; and the masked local z-score, each pixel against its own
coin's neighbourhood.

Writes ``docs/figures/statistics.png``.  Run:
``python docs/scripts/statistics.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from skimage.data import coins

from napari_masked_blur import masked_local_std, masked_local_zscore
from napari_masked_blur._qt.samples import coin_labels

FIGURE = Path(__file__).resolve().parents[1] / "figures" / "statistics.png"
SIGMA = 3.0
COINS = 6  # as the widget's sample
PNG_METADATA = {"Software": None}  # no version stamp: re-runs give the same file


def main() -> None:
    image = coins()
    labels = coin_labels(image, COINS)
    unmasked = masked_local_std(image, np.ones(image.shape, bool), SIGMA)
    std = masked_local_std(image, labels, SIGMA, per_label=True, outside="nan")
    zscore = masked_local_zscore(image, labels, SIGMA, per_label=True, outside="nan")
    top = float(np.nanpercentile(unmasked, 99.5))
    panels = [
        ("coins and the mask (6 coins)", image, "gray", (0, 255)),
        ("local std, no mask:\nthe coins' edges dominate", unmasked, "magma", (0, top)),
        ("masked_local_std, per_label:\nthe relief inside each coin", std, "magma",
         (0, top)),
        ("masked_local_zscore, per_label:\neach pixel against its coin", zscore,
         "RdBu_r", (-3, 3)),
    ]  # fmt: skip
    fig = Figure(figsize=(9.6, 8.4), layout="constrained")
    for ax, (title, picture, cmap, limits) in zip(
        fig.subplots(2, 2).ravel(), panels, strict=True
    ):
        shown = ax.imshow(
            picture, cmap=cmap, vmin=limits[0], vmax=limits[1], interpolation="nearest"
        )
        ax.contour(labels > 0, levels=[0.5], colors="#33cc66", linewidths=0.6)
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
        if cmap != "gray":
            fig.colorbar(shown, ax=ax, shrink=0.8)
    fig.suptitle(
        f"sigma = {SIGMA:g} px; outside the mask: NaN (not drawn)", fontsize=11
    )
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=100, metadata=PNG_METADATA)
    print(f"wrote {FIGURE}")


if __name__ == "__main__":
    main()
