"""``napari-masked-blur bench derivatives``: masked derivatives beside the peers.

Cases: 2048 x 2048 and 64 x 512 x 512 uint16 images inside a disk (ball)
mask, sigma 1, 3 and 10.  For each filter, ours
(:func:`~napari_masked_blur.masked_gaussian_gradient_magnitude`,
:func:`~napari_masked_blur.masked_gaussian_laplace`,
:func:`~napari_masked_blur.masked_hessian_eigenvalues`) runs in the same
interleaved rounds as its peers, and the table gives the medians and the
ratios of medians:

- the scipy recipe a skilled user writes from the formulas (float32,
  ``gaussian_filter(order=...)`` on ``f·w`` and ``w``, the quotient rule);
- DIPlib's ``NormalizedDifferentialConvolution``, one call per axis
  (gradient only; left out, and said so, when DIPlib is not installed);
- the *unmasked* scipy and scikit-image functions
  (``gaussian_gradient_magnitude``, ``gaussian_laplace``, ``hessian_matrix``
  + ``hessian_matrix_eigvals``): what a user pays today without the mask.

The peers' functions are read from a module file given with ``--peers``
(the project's shared peer module), by name; the Laplacian's scipy recipe,
which that module has not, is written here.  Targets: the masked gradient
magnitude and Laplacian at most 1.0x scipy's unmasked ones and 0.5x
DIPlib's; the Hessian eigenvalues at most 1.0x scikit-image's pipeline.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
from scipy import ndimage as ndi

from napari_masked_blur._api.derivatives import (
    masked_gaussian_gradient_magnitude,
    masked_gaussian_laplace,
    masked_hessian_eigenvalues,
)

SHAPES = ((2048, 2048), (64, 512, 512))
SIGMAS = (1.0, 3.0, 10.0)
SLOW_S = 20.0  # a contender slower than this in its first round runs once

# filter: (our function, [(peer label, name in the peers' module, target)])
FILTERS = {
    "gradient magnitude": (
        masked_gaussian_gradient_magnitude,
        [
            ("scipy recipe", "scipy_masked_gradient_magnitude", None),
            ("DIPlib per axis", "dip_masked_gradient", 0.5),
            ("scipy unmasked", "scipy_unmasked_gradient_magnitude", 1.0),
        ],
    ),
    "Laplacian": (
        masked_gaussian_laplace,
        [
            ("scipy recipe", None, None),
            ("scipy unmasked", "scipy_unmasked_laplace", 1.0),
        ],
    ),
    "Hessian eigenvalues": (
        masked_hessian_eigenvalues,
        [("skimage unmasked", "skimage_unmasked_hessian_eigvals", 1.0)],
    ),
}


def scipy_masked_laplace(image: np.ndarray, mask: np.ndarray, sigma: float):
    """The Laplacian by the quotient rule with scipy's derivative filters, float32."""
    f = image.astype(np.float32)
    w = mask.astype(np.float32)
    fw = f * w

    def g(array, order):
        return ndi.gaussian_filter(
            array, sigma, order=order, mode="constant", output=np.float32
        )

    n, d = g(fw, 0), g(w, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = n / d
        total = 0
        for axis in range(f.ndim):
            first = [0] * f.ndim
            first[axis] = 1
            second = [0] * f.ndim
            second[axis] = 2
            slope = (g(fw, first) - b * g(w, first)) / d
            total = (
                total + (g(fw, second) - 2 * slope * g(w, first) - b * g(w, second)) / d
            )
        return total


def load_peers(path: Path) -> ModuleType:
    """The peers' module at ``path``, imported by file name."""
    spec = importlib.util.spec_from_file_location("bench_peer_filters", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no Python module at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def contenders(filter_name: str, peers: ModuleType) -> tuple[dict, dict, list[str]]:
    """``{label: function}``, ``{label: target ratio}`` and the peers left out."""
    ours, listed = FILTERS[filter_name]
    found: dict[str, Callable] = {"ours": lambda i, m, s: ours(i, m, s)}
    targets, missing = {}, []
    for label, name, target in listed:
        function = scipy_masked_laplace if name is None else getattr(peers, name)
        found[label] = function
        if target is not None:
            targets[label] = target
    if "DIPlib per axis" in found and importlib.util.find_spec("diplib") is None:
        del found["DIPlib per axis"]
        targets.pop("DIPlib per axis", None)
        missing.append("DIPlib per axis (diplib is not installed)")
    return found, targets, missing


def time_case(
    functions: dict[str, Callable], image, mask, sigma: float, rounds: int
) -> dict[str, float]:
    """Median milliseconds of each function, in interleaved rounds."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for name, function in functions.items():  # warm: imports, compiled loops
        start = time.perf_counter()
        function(image, mask, sigma)
        times[name].append(time.perf_counter() - start)
    for _ in range(rounds):
        for name, function in functions.items():
            if times[name][0] > SLOW_S:
                continue
            start = time.perf_counter()
            function(image, mask, sigma)
            times[name].append(time.perf_counter() - start)
    return {
        name: 1e3 * statistics.median(t[1:] if len(t) > 1 else t)
        for name, t in times.items()
    }


def run(peers: ModuleType, rounds: int, cases: str | None) -> tuple[list[str], list]:
    """The table's lines and the targets missed."""
    head = "| filter | case | sigma | contender | ms | ours / contender | target |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    missed, notes = [], set()
    for shape in SHAPES:
        image, mask = peers.make(shape)
        label = "x".join(map(str, shape))
        for sigma in SIGMAS:
            for filter_name in FILTERS:
                if cases and cases not in f"{filter_name} {label} {sigma:g}":
                    continue
                functions, targets, missing = contenders(filter_name, peers)
                notes.update(missing)
                ms = time_case(functions, image, mask, sigma, rounds)
                for name, value in ms.items():
                    ratio = "" if name == "ours" else f"{ms['ours'] / value:.2f}x"
                    target = targets.get(name)
                    mark = "" if target is None else f"<= {target}x"
                    if target is not None and ms["ours"] / value > target:
                        mark += " missed"
                        missed.append(
                            f"{filter_name} {label} sigma {sigma:g} vs {name}"
                        )
                    lines.append(
                        f"| {filter_name} | {label} | {sigma:g} | {name} | "
                        f"{value:.0f} | {ratio} | {mark} |"
                    )
                print(f"  {filter_name} {label} sigma {sigma:g} done", file=sys.stderr)
    lines += [f"left out: {note}" for note in sorted(notes)]
    return lines, missed


# The live targets: a paint patch at 2048^2 and a slider change's displayed
# plane of a 256 x 1024^2 volume, both at sigma 3.
PATCH_TARGET_MS = 30
PLANE_TARGET_MS = 150

LIVE_FILTERS = (
    "gaussian_gradient_magnitude",
    "gaussian_laplace",
    "difference_of_gaussians",
    "hessian_eigenvalues",
    "structure_tensor_eigenvalues",
)


def live(rounds: int, missed: list[str]) -> list[str]:
    """What the live view computes, by :func:`~napari_masked_blur._api.route.run_piece`:
    a paint patch of 2048 x 2048 at sigma 3 (a 24-pixel brush box grown by the
    reach), and the displayed plane of a 256 x 1024 x 1024 volume at sigma 3.

    The table's lines; a figure over its target is added to ``missed``."""
    from napari_masked_blur._api.route import run_piece
    from napari_masked_blur._math.boxes import grow_box
    from napari_masked_blur._math.settings import BlurSettings

    rng = np.random.default_rng(0)
    image2 = (30000 + rng.normal(0, 50, (2048, 2048))).astype(np.uint16)
    mask2 = np.zeros(image2.shape, np.uint8)
    mask2[200:1800, 300:1900] = 1
    volume = (30000 + rng.normal(0, 50, (256, 1024, 1024))).astype(np.uint16)
    mask3 = np.zeros(volume.shape, np.uint8)
    mask3[:, 100:900, 120:950] = 1
    lines = [
        f"| filter | paint patch 2048x2048 ms (target <= {PATCH_TARGET_MS}) "
        f"| displayed plane 256x1024x1024 ms (target <= {PLANE_TARGET_MS}) |"
    ]
    lines.append("|---|---|---|")
    for name in LIVE_FILTERS:
        settings = BlurSettings(sigma=3.0, filter=name)
        flat, deep = settings.check(image2, mask2), settings.check(volume, mask3)
        brush = (slice(1000, 1024), slice(1000, 1024))
        patch = grow_box(brush, flat.reach, image2.shape)
        plane = (slice(128, 129), slice(0, 1024), slice(0, 1024))
        times: dict[str, list[float]] = {"patch": [], "plane": []}
        for _ in range(rounds + 1):  # the first round warms
            for key, (image, mask, options, region) in {
                "patch": (image2, mask2, flat, patch),
                "plane": (volume, mask3, deep, plane),
            }.items():
                start = time.perf_counter()
                run_piece(image, mask, options, region)
                times[key].append(time.perf_counter() - start)
        patch_ms, plane_ms = (
            1e3 * statistics.median(times[key][1:]) for key in ("patch", "plane")
        )
        lines.append(f"| {name} | {patch_ms:.1f} | {plane_ms:.0f} |")
        for what, ms, target in [
            ("paint patch", patch_ms, PATCH_TARGET_MS),
            ("displayed plane", plane_ms, PLANE_TARGET_MS),
        ]:
            if ms > target:
                missed.append(f"{name}: {what} {ms:.1f} ms > {target} ms")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table of the masked derivatives against their peers."""
    parser = argparse.ArgumentParser(
        prog="napari-masked-blur bench derivatives",
        description="Time the masked Gaussian derivatives beside their peers.",
    )
    parser.add_argument(
        "--peers", type=Path, required=True, help="the peers' module file"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs per contender")
    parser.add_argument(
        "--cases", default=None, help="only cases whose 'filter shape sigma' has this"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="also time the live view's pieces: a paint patch, the displayed plane",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    try:
        peers = load_peers(args.peers)
    except (OSError, ImportError) as error:
        parser.error(f"--peers: {error}")
    lines, missed = run(peers, args.rounds, args.cases)
    print("\n".join(lines))
    if args.live:
        print("\n".join(["", *live(args.rounds, missed)]))
    print("\n".join(["targets missed:", *missed] if missed else ["no target missed"]))
    return 0
