"""Peak memory of ``napari-masked-blur blur`` on a volume bigger than its limit.

Writes a float32 image and a uint8 label mask as Zarr v3 (or uncompressed
TIFF with ``--input tif``), lazily (never whole in memory), runs the command
in a subprocess under an address-space limit (``prlimit --as``) and reports
its peak resident memory (``/usr/bin/time -v``), checks a few output regions
against the exact in-memory blur of the same region, and deletes everything
it wrote.

    .venv/bin/python benchmarks/memory_batch.py --shape 256,2048,2048 --limit-gib 1

(4 GiB image + 1 GiB mask in chunks of 32x256x256, the process allowed 1 GiB
of address space: more than its memory, as address space also counts shared
libraries and thread stacks.)
Not part of the test suite: it takes minutes and several GB of disk.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dask.array as da
import numpy as np
import zarr

from napari_masked_blur._files.io import open_array
from napari_masked_blur._files.write import create_target
from napari_masked_blur._math.region import filter_region
from napari_masked_blur._math.settings import check_options

ENVIRONMENT = {"MALLOC_ARENA_MAX": "2", "OPENBLAS_NUM_THREADS": "1"}


def make_inputs(
    folder: Path, shape: tuple[int, ...], chunks: tuple[int, ...], suffix: str
) -> None:
    """A noisy image and blobby labels 0..3, chunk by chunk."""
    noise = da.random.default_rng(0).random(shape, chunks=chunks, dtype=np.float32)
    rows = da.arange(shape[-2], chunks=chunks[-2])[:, None]
    cols = da.arange(shape[-1], chunks=chunks[-1])[None, :]
    blobs = (da.sin(rows / 37.0) * da.cos(cols / 23.0) * 2 + 2).astype(np.uint8)
    labels = da.broadcast_to(blobs, shape).rechunk(chunks)
    image = 1000 * noise + np.float32(300) * labels
    for name, array in (("image", image), ("labels", labels)):
        path = folder / f"{name}{suffix}"
        da.store(array, create_target(path, shape, array.dtype, chunks), lock=False)


def run_blur(
    folder: Path, sigma: float, limit_gib: float, suffix: str
) -> tuple[int, float, str]:
    """Run the command; return its peak RSS in bytes, wall seconds, stderr."""
    limit = int(limit_gib * 2**30)
    command = ["prlimit", f"--as={limit}", "/usr/bin/time", "-v"]
    command += [sys.executable, "-m", "napari_masked_blur", "blur"]
    command += [str(folder / f"image{suffix}"), str(folder / f"labels{suffix}")]
    command += ["--sigma", str(sigma), "--per-label", "-o", str(folder / "out.zarr")]
    start = time.perf_counter()
    # Address space reserved but never used counts against --as: glibc's
    # 64 MiB per thread arena, OpenBLAS's per-thread buffers (no BLAS here).
    environment = {**os.environ, **ENVIRONMENT}
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env=environment
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"blur failed ({done.returncode}):\n{done.stderr[-3000:]}")
    peak_kib = int(
        re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)[1]
    )
    return peak_kib * 1024, seconds, done.stderr


def spot_check(
    folder: Path, sigma: float, shape: tuple[int, ...], suffix: str
) -> float:
    """Largest difference between the output and the exact blur of 3 regions."""
    image = open_array(folder / f"image{suffix}")
    labels = open_array(folder / f"labels{suffix}")
    out = zarr.open_array(folder / "out.zarr", mode="r")
    options = check_options(image, labels, sigma, per_label=True)
    worst = 0.0
    for fraction in (0.0, 0.37, 0.99):
        region = tuple(
            slice(int(fraction * (n - 40)), int(fraction * (n - 40)) + 40)
            for n in shape
        )
        exact = filter_region(image, labels, region, options)
        worst = max(worst, float(np.nanmax(np.abs(out[region] - exact))))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="256,2048,2048")
    parser.add_argument("--chunks", default="32,256,256")
    parser.add_argument("--sigma", type=float, default=2.0)
    parser.add_argument("--limit-gib", type=float, default=1.0)
    parser.add_argument("--folder", default=tempfile.gettempdir())
    parser.add_argument("--input", choices=("zarr", "tif"), default="zarr")
    args = parser.parse_args()
    shape = tuple(int(n) for n in args.shape.split(","))
    chunks = tuple(int(n) for n in args.chunks.split(","))
    folder = Path(tempfile.mkdtemp(prefix="memory_batch_", dir=args.folder))
    try:
        suffix = f".{args.input}"
        make_inputs(folder, shape, chunks, suffix)
        image_gib = np.prod(shape) * 4 / 2**30
        peak, seconds, log = run_blur(folder, args.sigma, args.limit_gib, suffix)
        error = spot_check(folder, args.sigma, shape, suffix)
        command = re.search(r'Command being timed: "(.*)"', log)[1]
        limit = int(args.limit_gib * 2**30)
        settings = " ".join(f"{k}={v}" for k, v in ENVIRONMENT.items())
        print(f"command:      {settings} prlimit --as={limit} {command}")
        stored = f"chunks {chunks}" if args.input == "zarr" else "uncompressed"
        print(
            f"input:        {args.input} float32 {shape}, {image_gib:.2f} GiB, {stored}"
        )
        print(f"limit:        {args.limit_gib:.2f} GiB address space")
        print(f"peak RSS:     {peak / 2**20:.0f} MiB")
        print(f"wall time:    {seconds:.1f} s")
        print(f"max |error|:  {error:.2e} (3 regions vs the exact in-memory blur)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
