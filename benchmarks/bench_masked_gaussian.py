"""asv benchmarks: the masked blur, engine by engine, beside the seed recipe.

"auto" is what users get: the fused pass (one compiled pass over the image)
for narrow kernels, the engines for wide ones.  "opencv in place" is the
fastest route by hand and "floor" two bare OpenCV blurs of ready float32
arrays (the reference every two-array method pays); ``Fused`` times the
fused pass on its own.

Run from the repository root, against the installed package:
``asv run --config benchmarks/asv.conf.json --python=same`` (``pip install
asv``).  The side-by-side table with the peers is ``napari-masked-blur bench``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from napari_masked_blur import masked_gaussian
from napari_masked_blur._bench.measure import warm_up
from napari_masked_blur._bench.peers import (
    OpenCVFloor,
    disk_case,
    opencv_recipe,
    seed_recipe,
)
from napari_masked_blur._engines import (
    BORDER_MODES,
    METHODS,
    fused_masked_blur,
    gaussian_smooth,
)
from napari_masked_blur._math.region import filter_region
from napari_masked_blur._math.settings import check_options

BY_HAND = ["seed recipe", "opencv in place", "floor"]


class MaskedGaussian2D:
    """uint16, disk mask: time and peak memory against sigma and size."""

    params: ClassVar[Any] = (
        [0.7, 1.0, 3.0, 10.0, 30.0],
        ["auto", *BY_HAND],
        ["2048x2048", "2160x3240"],
    )
    param_names: ClassVar[list[str]] = ["sigma", "method", "size"]
    timeout = 180

    def setup(self, sigma: float, method: str, size: str) -> None:
        shape = tuple(int(n) for n in size.split("x"))
        self.image, self.mask = disk_case(shape)
        warm_up(self.image, self.mask, (sigma, sigma))
        if method == "floor":
            FLOOR(self.image, self.mask, (sigma, sigma))  # its arrays, made here

    def time_blur(self, sigma: float, method: str, size: str) -> None:
        blur(self.image, self.mask, sigma, method)

    def peakmem_blur(self, sigma: float, method: str, size: str) -> None:
        blur(self.image, self.mask, sigma, method)


class MaskedGaussian3D:
    """64x512x512 uint16, ball mask, isotropic and anisotropic sigma."""

    params: ClassVar[Any] = (
        [(3.0, 3.0, 3.0), (1.0, 3.0, 3.0)],
        ["auto", "seed recipe", "opencv in place"],
    )
    param_names: ClassVar[list[str]] = ["sigma", "method"]
    timeout = 120

    def setup(self, sigma: tuple[float, ...], method: str) -> None:
        self.image, self.mask = disk_case((64, 512, 512))
        warm_up(self.image, self.mask, sigma)

    def time_blur(self, sigma: tuple[float, ...], method: str) -> None:
        blur(self.image, self.mask, sigma, method)

    def peakmem_blur(self, sigma: tuple[float, ...], method: str) -> None:
        blur(self.image, self.mask, sigma, method)


class Fused:
    """The fused pass alone over a whole 2048x2048 uint16 image, disk mask."""

    params: ClassVar[Any] = ([1.0, 3.0], list(BORDER_MODES), ["keep", "fill"])
    param_names: ClassVar[list[str]] = ["sigma", "mode", "outside"]
    timeout = 120

    def setup(self, sigma: float, mode: str, outside: str) -> None:
        self.image, self.mask = disk_case((2048, 2048))
        warm_up(self.image, self.mask, (sigma, sigma))
        self.out = np.empty(self.image.shape, np.float32)

    def time_fused(self, sigma: float, mode: str, outside: str) -> None:
        fused_masked_blur(
            self.image, self.mask, self.out, (slice(0, 2048), slice(0, 2048)),
            (sigma, sigma), mode=mode, truncate=4.0, shift=500.0,
            certainty=False, outside=outside,
        )  # fmt: skip


class Engines:
    """The bare engines on numerator and weights, float32, 2048x2048."""

    params: ClassVar[Any] = (
        [1.0, 3.0, 10.0, 30.0, 100.0],
        [m for m in METHODS if m != "auto"],
    )
    param_names: ClassVar[list[str]] = ["sigma", "method"]
    timeout = 120

    def setup(self, sigma: float, method: str) -> None:
        image, mask = disk_case((2048, 2048))
        self.weights = mask.astype("float32")
        self.numerator = image * self.weights

    def time_smooth(self, sigma: float, method: str) -> None:
        gaussian_smooth(
            [self.numerator.copy(), self.weights.copy()],
            (sigma, sigma),
            mode="constant",
            truncate=4.0,
            method=method,
        )


class DisplayedPlane:
    """One plane of a 64x1024x1024 uint16 volume, as the live widget shows it:
    the planes within reach reduced along the hidden axis, then a 2D blur."""

    params: ClassVar[Any] = [2.0, 3.0, 6.0]
    param_names: ClassVar[list[str]] = ["sigma"]
    timeout = 120

    def setup(self, sigma: float) -> None:
        self.image, self.mask = disk_case((64, 1024, 1024))
        self.plane = (slice(32, 33), slice(0, 1024), slice(0, 1024))
        # Checked once, as the live widget does before it asks for planes;
        # the first call pays numba's compile, outside the timing.
        self.options = check_options(self.image, self.mask, sigma)
        filter_region(self.image, self.mask, self.plane, self.options)

    def time_plane(self, sigma: float) -> None:
        filter_region(self.image, self.mask, self.plane, self.options)


class SmallBlur:
    """A small blur: per-call overhead, what a slider drag pays on every step."""

    params: ClassVar[Any] = list(METHODS)
    param_names: ClassVar[list[str]] = ["method"]

    def setup(self, method: str) -> None:
        self.image, self.mask = disk_case((256, 256))

    def time_small_blur(self, method: str) -> None:
        masked_gaussian(self.image, self.mask, 2.0, method=method)


FLOOR = OpenCVFloor()
BY_HAND_CALLS = {
    "seed recipe": seed_recipe,
    "opencv in place": opencv_recipe,
    "floor": FLOOR,
}


def blur(image, mask, sigma, method):
    if method in BY_HAND_CALLS:
        sigmas = (sigma,) * image.ndim if isinstance(sigma, float) else sigma
        return BY_HAND_CALLS[method](image, mask, sigmas)
    return masked_gaussian(image, mask, sigma, method=method)
