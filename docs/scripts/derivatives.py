"""Draw what the mask changes in Gaussian derivatives: the leak it removes.

The sample coins (``napari_masked_blur._qt.samples.coins_with_mask``): six
coins in a Labels mask.  Top row, the gradient magnitude at sigma 3; bottom
row, the smallest Hessian eigenvalue (ridges and bright blobs are strongly
negative), both shown inside the mask only:

- unmasked (scipy's ``gaussian_gradient_magnitude``, scikit-image's
  ``hessian_matrix`` + ``hessian_matrix_eigvals``): the background leaks in
  and every coin's rim is the strongest edge and ridge of the picture;
- masked (``masked_gaussian_gradient_magnitude``,
  ``masked_hessian_eigenvalues``): the derivatives of the masked blur, with
  no rim: what is left is the coins' own relief.

Writes ``docs/figures/derivatives.png``.  Run:
``python docs/scripts/derivatives.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import ndimage as ndi
from skimage.feature import hessian_matrix, hessian_matrix_eigvals

from napari_masked_blur import (
    masked_gaussian_gradient_magnitude,
    masked_hessian_eigenvalues,
)
from napari_masked_blur._qt.samples import coins_with_mask

FIGURE = Path(__file__).resolve().parents[1] / "figures" / "derivatives.png"
SIGMA = 3.0
PNG_METADATA = {"Software": None}  # no version stamp: re-runs give the same file


def main() -> None:
    (image, _, _), (labels, _, _) = coins_with_mask()
    inside = labels > 0
    values = image.astype(np.float32)
    gradient = ndi.gaussian_gradient_magnitude(values, SIGMA)
    masked_gradient = masked_gaussian_gradient_magnitude(image, labels, SIGMA)
    hessian = hessian_matrix(values, SIGMA, order="rc", use_gaussian_derivatives=True)
    smallest = hessian_matrix_eigvals(hessian)[-1]
    masked_smallest = masked_hessian_eigenvalues(image, labels, SIGMA)[-1]
    shown = lambda a: np.where(inside, a, np.nan)  # noqa: E731
    # The scales of the masked panels: the rim of the unmasked ones saturates.
    top = float(np.nanpercentile(shown(masked_gradient), 99.5))
    low = float(np.nanpercentile(shown(masked_smallest), 0.5))
    panels = [
        ("image and mask (6 coins)", image, "gray", None, None),
        (
            "gradient magnitude, unmasked:\nthe rim leaks in",
            shown(gradient),
            "magma",
            0,
            top,
        ),
        (
            "masked gradient magnitude:\nthe coins' own relief",
            shown(masked_gradient),
            "magma",
            0,
            top,
        ),
        ("", None, None, None, None),
        (
            "smallest Hessian eigenvalue,\nunmasked: the rim is a ridge",
            shown(smallest),
            "RdBu_r",
            low,
            -low,
        ),
        (
            "masked smallest Hessian\neigenvalue: no rim",
            shown(masked_smallest),
            "RdBu_r",
            low,
            -low,
        ),
    ]
    fig = Figure(figsize=(11, 6.4), layout="constrained")
    for ax, (title, picture, cmap, vmin, vmax) in zip(
        fig.subplots(2, 3).flat, panels, strict=True
    ):
        ax.set_axis_off()
        if picture is None:
            continue
        ax.imshow(picture, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        if cmap == "gray":
            ax.contour(inside, levels=[0.5], colors="#ffcc00", linewidths=0.7)
        ax.set_title(title, fontsize=10)
    fig.suptitle(f"sigma = {SIGMA:g} px, shown inside the mask", fontsize=11)
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=100, metadata=PNG_METADATA)
    print(f"wrote {FIGURE}")


if __name__ == "__main__":
    main()
