"""A float64 reference for the masked local statistics, written from their formulas.

For every pixel ``p`` and every offset ``o`` of the kernel (the sampled
Gaussian, ``truncate`` sigmas wide, normalised as scipy normalises it) the
weight of the pixel ``p + o`` is ``g(o) w(p + o)``; beyond the border the
image and weights are extended by the border rule (``"missing"``: weight
0).  The statistics are then the explicit weighted sums::

    S0 = sum g w                  mean = sum g w x / S0
    var = sum g w (x - mean)**2 / S0        (two passes: no cancellation)
    cov = sum g w (x - mean_x)(y - mean_y) / S0

The tests here check the reference itself on cases worked by hand; the
other statistics tests compare the package against it.
"""

from __future__ import annotations

import numpy as np

from napari_masked_blur._engines import gaussian_kernel1d

# scipy's border rules as numpy's pad modes.
PAD = {
    "missing": "constant",
    "reflect": "symmetric",
    "mirror": "reflect",
    "nearest": "edge",
    "wrap": "wrap",
}


def _shifted(image, weights, other, sigma, truncate, mode):
    """For every kernel offset: its weight and the shifted arrays."""
    kernels = [
        gaussian_kernel1d(s, int(truncate * s + 0.5)) if s > 0 else np.ones(1)
        for s in sigma
    ]
    radii = [len(k) // 2 for k in kernels]
    pads = [(r, r) for r in radii]
    padded = [np.pad(a, pads, mode=PAD[mode]) for a in (image, weights, other)]
    shape = image.shape
    for offset in np.ndindex(*(len(k) for k in kernels)):
        g = np.prod([k[o] for k, o in zip(kernels, offset, strict=True)])
        view = tuple(slice(o, o + n) for o, n in zip(offset, shape, strict=True))
        yield g, *(a[view] for a in padded)


def reference(
    statistic,
    image,
    weights,
    sigma,
    *,
    other=None,
    truncate=4.0,
    mode="missing",
):
    """The statistic at every pixel (NaN where no weight is in reach).

    ``weights`` are float; pixels missing (not finite) in ``image`` or
    ``other`` get weight 0.  No ``outside`` policy is applied.
    """
    x = np.asarray(image, np.float64)
    y = x if other is None else np.asarray(other, np.float64)
    w = np.asarray(weights, np.float64) * np.isfinite(x) * np.isfinite(y)
    x, y = np.where(w > 0, x, 0), np.where(w > 0, y, 0)
    s0, sx, sy = (np.zeros(x.shape) for _ in range(3))
    for g, xs, ws, ys in _shifted(x, w, y, sigma, truncate, mode):
        s0 += g * ws
        sx += g * ws * xs
        sy += g * ws * ys
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_x, mean_y = sx / s0, sy / s0
    vx, vy, cxy = (np.zeros(x.shape) for _ in range(3))
    for g, xs, ws, ys in _shifted(x, w, y, sigma, truncate, mode):
        vx += g * ws * (xs - mean_x) ** 2
        vy += g * ws * (ys - mean_y) ** 2
        cxy += g * ws * (xs - mean_x) * (ys - mean_y)
    with np.errstate(divide="ignore", invalid="ignore"):
        vx, vy, cxy = vx / s0, vy / s0, cxy / s0
        if statistic == "local_mean":
            return mean_x
        if statistic == "local_variance":
            return vx
        if statistic == "local_std":
            return np.sqrt(vx)
        if statistic == "local_zscore":
            deviation = np.asarray(image, np.float64) - mean_x
            # std 0: z is 0, but a missing pixel (NaN) stays NaN.
            return np.where(vx == 0, 0 * deviation, deviation / np.sqrt(vx))
        if statistic == "local_correlation":
            return cxy / np.sqrt(vx * vy)
    raise ValueError(statistic)


def test_the_reference_of_two_equal_weights_is_their_mean_and_half_their_spread():
    image = np.array([[2.0, 6.0]])
    weights = np.ones((1, 2))
    # sigma 100: every offset weighs the same; "missing" border: only the two.
    mean = reference("local_mean", image, weights, (0, 100))
    variance = reference("local_variance", image, weights, (0, 100))
    z = reference("local_zscore", image, weights, (0, 100))
    np.testing.assert_allclose(mean, [[4.0, 4.0]], rtol=1e-4)
    np.testing.assert_allclose(variance, [[4.0, 4.0]], rtol=1e-4)
    np.testing.assert_allclose(z, [[-1.0, 1.0]], rtol=1e-4)


def test_the_reference_leaves_out_weightless_and_missing_pixels():
    image = np.array([[2.0, 6.0, 1000.0, np.nan]])
    weights = np.array([[1.0, 1.0, 0.0, 1.0]])
    out = reference("local_std", image, weights, (0, 100))
    np.testing.assert_allclose(out[0, :2], [2.0, 2.0], rtol=1e-4)


def test_the_reference_correlates_a_line_with_its_multiples():
    x = np.array([[1.0, 5.0, 2.0, 4.0]])
    weights = np.ones_like(x)
    up = reference("local_correlation", x, weights, (0, 1.0), other=2 * x + 3)
    down = reference("local_correlation", x, weights, (0, 1.0), other=-x)
    np.testing.assert_allclose(up, 1.0)
    np.testing.assert_allclose(down, -1.0)


def test_the_reference_extends_the_border_as_the_mode_says():
    image = np.array([[0.0, 0.0, 9.0]])
    weights = np.ones_like(image)
    # "nearest" repeats the 9 beyond the right border; "missing" adds nothing.
    nearest = reference("local_mean", image, weights, (0, 1.0), mode="nearest")
    missing = reference("local_mean", image, weights, (0, 1.0), mode="missing")
    assert nearest[0, 2] > missing[0, 2]
