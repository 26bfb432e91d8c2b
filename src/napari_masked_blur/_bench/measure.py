"""What ``napari-masked-blur bench`` measures: times, memory, the first call.

Contenders run in rounds, each once per round in turn, so a busy machine
slows them all alike; a case reports the median per contender, and every
ratio is of medians measured in the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from napari_masked_blur._api.gaussian import masked_gaussian
from napari_masked_blur._bench.peers import Contender, disk_case
from napari_masked_blur._engines import fused_ready
from napari_masked_blur._math.dtypes import output_dtype

# One run is enough for a contender this slow: rounds would only add minutes.
SLOW_S = 2.0
# Not contenders: references that compute something else.
REFERENCES = ("floor",)


@dataclass
class CaseResult:
    """Median milliseconds per contender for one case, our accuracy and memory."""

    shape: tuple[int, ...]
    sigma: tuple[float, ...]
    ms: dict[str, float | None] = field(default_factory=dict)
    error: float = float("nan")
    memory: float = float("nan")

    def label(self) -> str:
        size = "x".join(str(n) for n in self.shape)
        sigma = (
            f"{self.sigma[0]:g}"
            if len(set(self.sigma)) == 1
            else "(" + ", ".join(f"{s:g}" for s in self.sigma) + ")"
        )
        return f"{size} sigma={sigma}"

    def fastest_peer(self, peers: Sequence[str]) -> float | None:
        """The fastest peer's median milliseconds (None: no peer took the case)."""
        times = [self.ms[p] for p in peers if self.ms.get(p) is not None]
        return min(times) if times else None


def warm_up(image: np.ndarray, mask: np.ndarray, sigma: tuple[float, ...]) -> None:
    """One call of ours, then wait for the fused loops: time the steady state."""
    masked_gaussian(image, mask, sigma)
    fused_ready((image.dtype, mask.dtype, output_dtype(image.dtype)), wait=True)


def run_case(
    shape: tuple[int, ...],
    sigma: tuple[float, ...],
    contenders: dict[str, Contender],
    rounds: int,
    memory: bool = True,
) -> CaseResult:
    """Time every contender in ``rounds`` rounds; check ours against the seed."""
    image, mask = disk_case(shape)
    warm_up(image, mask, sigma)
    for name in REFERENCES:  # makes its arrays, outside the timing
        if name in contenders:
            contenders[name](image, mask, sigma)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    outputs: dict[str, np.ndarray | None] = {}
    for _ in range(rounds):
        for name, contender in contenders.items():
            if name in outputs and (outputs[name] is None or times[name][0] > SLOW_S):
                continue  # cannot take this case, or too slow to repeat
            start = time.perf_counter()
            outputs[name] = contender(image, mask, sigma)
            times[name].append(time.perf_counter() - start)
    result = CaseResult(shape, sigma)
    for name in contenders:
        usable = outputs[name] is not None
        result.ms[name] = 1e3 * statistics.median(times[name]) if usable else None
    reference = outputs["seed recipe"][mask]
    span = float(reference.max() - reference.min())
    result.error = float(np.max(np.abs(outputs["ours"][mask] - reference))) / span
    if memory:
        result.memory = peak_extra_memory(image, mask, sigma)
    return result


def peak_extra_memory(
    image: np.ndarray, mask: np.ndarray, sigma: tuple[float, ...]
) -> float:
    """Peak memory of one call beyond its inputs, in units of the image as float32.

    The result counts (it is one image as float32 here).  Counts what numpy
    allocates (OpenCV's outputs and the fused loops' scratch included), as
    seen by :mod:`tracemalloc`; scratch inside C libraries is not counted.
    """
    warm_up(image, mask, sigma)
    tracemalloc.start()
    masked_gaussian(image, mask, sigma)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (image.size * 4)


_FIRST_CALL = """
import json, time
import numpy as np
from napari_masked_blur import masked_gaussian
from napari_masked_blur._bench.peers import disk_case
from napari_masked_blur._engines import fused_ready
image, mask = disk_case(({shape}))
start = time.perf_counter()
masked_gaussian(image, mask, {sigma})
first = time.perf_counter() - start
deadline = time.perf_counter() + 120
while not fused_ready((image.dtype, mask.dtype, np.dtype(np.float32))):
    if time.perf_counter() > deadline:
        break
    time.sleep(0.01)
ready = time.perf_counter() - start
later = []
for _ in range(3):
    start = time.perf_counter()
    masked_gaussian(image, mask, {sigma})
    later.append(time.perf_counter() - start)
print(json.dumps({{"first": first, "later": min(later), "ready": ready}}))
"""


def first_calls(shape: tuple[int, ...], sigma: float) -> dict[str, dict[str, float]]:
    """The first call of a fresh process against later ones, in seconds.

    Twice, with numba's cache in a new folder: ``"install"`` (nothing
    compiled yet, as after an install) and ``"session"`` (a later session,
    which loads the compiled loops).  ``first`` and ``later``: the first
    call and the fastest of three once the fused loops are ready;
    ``ready``: from the first call until they are (on a background thread).
    """
    code = _FIRST_CALL.format(shape=", ".join(map(str, shape)) + ",", sigma=sigma)
    found = {}
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for name in ("install", "session"):
            done = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                check=True,
                env=environment,
            )
            found[name] = json.loads(done.stdout)
    return found


def to_json(results: Sequence[CaseResult], **about: object) -> str:
    """The results and what they were measured with, as JSON."""
    cases = [asdict(r) for r in results]
    return json.dumps({**about, "cases": cases}, indent=1)


def from_json(text: str) -> tuple[list[CaseResult], dict]:
    """The results and the rest of a :func:`to_json` text."""
    data = json.loads(text)
    results = []
    for case in data.pop("cases"):
        shape, sigma = tuple(case.pop("shape")), tuple(case.pop("sigma"))
        results.append(CaseResult(shape, sigma, **case))
    return results, data
