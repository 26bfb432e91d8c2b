"""Draw the comparison that opens the docs: three ways to blur inside a mask.

From the plugin's 2D sample (skimage's coins, a mask over six coins), with the
same sigma for all three:

- "blur, then keep the mask": ``G*x`` inside the mask.  Pixels outside the
  mask leak in, so the dark background darkens every coin's rim.
- "zero outside, then blur": ``G*(x·m)`` inside the mask.  Nothing leaks in,
  but the zeros do: the rim is dragged toward 0, darker still.
- normalized convolution, ``G*(x·m) / G*m`` (:func:`masked_gaussian`): each
  pixel is the average of the mask pixels near it only.

Outside the mask all three keep the original pixels (``outside="keep"``).
Writes ``docs/figures/comparison.png`` (four panels) and
``docs/figures/edge_profile.png`` (one row of pixels across a coin).  Run
from anywhere: ``python docs/scripts/comparison.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import ndimage as ndi

from napari_masked_blur import masked_gaussian
from napari_masked_blur._qt.samples import coins_with_mask

FIGURES = Path(__file__).resolve().parents[1] / "figures"
SIGMA = 6.0
# The bottom row of coins: three inside the mask, three not.
STRIP = slice(222, 299)
# PNG metadata carries matplotlib's version; drop it so a re-run with an
# unchanged picture leaves the committed file unchanged.
PNG_METADATA = {"Software": None}


def recipes(image: np.ndarray, mask: np.ndarray, sigma: float) -> dict[str, np.ndarray]:
    """The three results, keyed by panel title; original pixels outside."""
    x = image.astype(np.float64)
    inside = mask > 0
    blur_then_mask = ndi.gaussian_filter(x, sigma, mode="constant")
    zero_then_blur = ndi.gaussian_filter(x * inside, sigma, mode="constant")
    return {
        "blur, then keep the mask:\noutside leaks in": np.where(
            inside, blur_then_mask, x
        ),
        "zero outside, then blur:\nthe edge darkens": np.where(
            inside, zero_then_blur, x
        ),
        "normalized convolution\n(masked_gaussian)": masked_gaussian(
            image, mask, sigma
        ),
    }


def outline(ax: Axes, mask: np.ndarray) -> None:
    """Draw the mask's edge on ``ax``."""
    ax.contour(mask > 0, levels=[0.5], colors="#ffcc00", linewidths=0.8)


def draw_comparison(
    image: np.ndarray, mask: np.ndarray, results: dict, rows: slice
) -> Figure:
    """Four strips of the same rows: the original with the mask outlined, then
    each recipe.  A strip of the image, not all of it, so a rim shows clearly."""
    panels = {"original, mask outlined": image.astype(np.float64), **results}
    height, width = rows.stop - rows.start, image.shape[1]
    fig = Figure(figsize=(8.0, 4 * 8.0 * height / width + 1.6), layout="constrained")
    axes = fig.subplots(4, 1)
    for ax, (title, picture) in zip(axes, panels.items(), strict=True):
        # One grey scale for all four, so a darker rim is really darker.
        ax.imshow(picture[rows], cmap="gray", vmin=0, vmax=255)
        outline(ax, mask[rows])
        ax.set_title(title.replace("\n", " "), fontsize=11, loc="left")
        ax.set_axis_off()
    fig.suptitle(f"Gaussian blur inside a mask, sigma = {SIGMA:g} px", fontsize=12)
    return fig


def draw_profile(
    image: np.ndarray, mask: np.ndarray, results: dict, row: int, cols: slice
) -> Figure:
    """The values along one image row, across a coin and its edges."""
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.subplots()
    columns = np.arange(cols.start, cols.stop)
    inside = mask[row, cols] > 0
    ax.fill_between(
        columns,
        0,
        255,
        where=inside,
        color="#ffcc00",
        alpha=0.15,
        step="mid",
        label="inside the mask",
    )
    ax.plot(columns, image[row, cols], color="0.6", lw=1, label="original")
    styles = ["#d62728", "#1f77b4", "k"]
    for (title, result), color in zip(results.items(), styles, strict=True):
        values = np.where(inside, result[row, cols], np.nan)
        ax.plot(columns, values, color=color, lw=1.8, label=title.replace("\n", " "))
    ax.set_xlim(cols.start, cols.stop - 1)
    ax.set_ylim(0, 255)
    ax.set_xlabel(f"column (row {row})")
    ax.set_ylabel("grey value")
    fig.legend(fontsize=8, loc="outside lower center", ncols=2)
    return fig


def coin_row(mask: np.ndarray, label: int) -> tuple[int, slice]:
    """The middle row of coin ``label`` and the columns across it, with margin."""
    rows, columns = np.nonzero(mask == label)
    row = int(np.median(rows))
    margin = 15
    lo = max(int(columns.min()) - margin, 0)
    hi = min(int(columns.max()) + margin + 1, mask.shape[1])
    return row, slice(lo, hi)


def main() -> None:
    (image, _, _), (mask, _, _) = coins_with_mask()
    results = recipes(image, mask, SIGMA)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig = draw_comparison(image, mask, results, STRIP)
    fig.savefig(FIGURES / "comparison.png", dpi=110, metadata=PNG_METADATA)
    row, cols = coin_row(mask, label=2)
    fig = draw_profile(image, mask, results, row, cols)
    fig.savefig(FIGURES / "edge_profile.png", dpi=110, metadata=PNG_METADATA)
    print(f"wrote {FIGURES / 'comparison.png'} and {FIGURES / 'edge_profile.png'}")


if __name__ == "__main__":
    main()
