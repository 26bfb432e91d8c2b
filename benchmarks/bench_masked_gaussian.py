"""asv benchmarks: the masked blur, engine by engine, beside the seed recipe.

Run from the repository root, against the installed package:
``asv run --config benchmarks/asv.conf.json --python=same`` (``pip install
asv``).  The side-by-side table with the peers is ``napari-masked-blur bench``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from napari_masked_blur import masked_gaussian
from napari_masked_blur._blur.options import BlurOptions
from napari_masked_blur._blur.region import blur_region
from napari_masked_blur._cli.bench_peers import disk_case, seed_recipe
from napari_masked_blur._engines import METHODS, gaussian_smooth


class MaskedGaussian2D:
    """2048x2048 uint16, disk mask: time and peak memory against sigma."""

    params: ClassVar[Any] = ([1.0, 3.0, 10.0, 30.0], ["auto", "seed recipe"])
    param_names: ClassVar[list[str]] = ["sigma", "method"]
    timeout = 120

    def setup(self, sigma: float, method: str) -> None:
        self.image, self.mask = disk_case((2048, 2048))

    def time_blur(self, sigma: float, method: str) -> None:
        blur(self.image, self.mask, sigma, method)

    def peakmem_blur(self, sigma: float, method: str) -> None:
        blur(self.image, self.mask, sigma, method)


class MaskedGaussian3D:
    """64x512x512 uint16, ball mask, isotropic and anisotropic sigma."""

    params: ClassVar[Any] = (
        [(3.0, 3.0, 3.0), (1.0, 3.0, 3.0)],
        ["auto", "seed recipe"],
    )
    param_names: ClassVar[list[str]] = ["sigma", "method"]
    timeout = 120

    def setup(self, sigma: tuple[float, ...], method: str) -> None:
        self.image, self.mask = disk_case((64, 512, 512))

    def time_blur(self, sigma: tuple[float, ...], method: str) -> None:
        blur(self.image, self.mask, sigma, method)

    def peakmem_blur(self, sigma: tuple[float, ...], method: str) -> None:
        blur(self.image, self.mask, sigma, method)


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
        self.options = BlurOptions.check(self.image, self.mask, sigma)
        blur_region(self.image, self.mask, self.plane, self.options)

    def time_plane(self, sigma: float) -> None:
        blur_region(self.image, self.mask, self.plane, self.options)


class SmallBlur:
    """A small blur: per-call overhead, what a slider drag pays on every step."""

    params: ClassVar[Any] = list(METHODS)
    param_names: ClassVar[list[str]] = ["method"]

    def setup(self, method: str) -> None:
        self.image, self.mask = disk_case((256, 256))

    def time_small_blur(self, method: str) -> None:
        masked_gaussian(self.image, self.mask, 2.0, method=method)


def blur(image, mask, sigma, method):
    if method == "seed recipe":
        sigmas = (sigma,) * image.ndim if isinstance(sigma, float) else sigma
        return seed_recipe(image, mask, sigmas)
    return masked_gaussian(image, mask, sigma, method=method)
