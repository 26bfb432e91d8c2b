"""First order against DIPlib's NormalizedDifferentialConvolution (skipped
without DIPlib)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_masked_blur import masked_gaussian

dip = pytest.importorskip("diplib")


@pytest.mark.parametrize("shape", [(60, 70), (20, 36, 40)])
def test_first_derivatives_agree_with_diplib(shape, rng):
    image = (30000 + rng.normal(0, 50, shape)).astype(np.float32)
    image += np.arange(shape[-1]) * 3.0  # a ramp along x
    mask = np.zeros(shape, np.float32)
    mask[tuple(slice(s // 6, s - s // 6) for s in shape)] = 1
    inside = mask > 0
    for axis in range(len(shape)):
        # DIPlib counts dimensions from x, numpy's axes from the first.
        theirs = np.asarray(
            dip.NormalizedDifferentialConvolution(
                image,
                mask,
                dimension=len(shape) - 1 - axis,
                sigmas=[2.0],
                method="gaussfir",
                truncation=4.0,
            )
        )
        order = tuple(int(a == axis) for a in range(len(shape)))
        ours = masked_gaussian(image, inside, 2.0, order=order)
        span = np.ptp(ours[inside])
        assert np.abs(ours[inside] - theirs[inside]).max() <= 1e-3 * span
