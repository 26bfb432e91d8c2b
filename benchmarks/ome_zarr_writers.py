"""Write time of one OME-Zarr image with each library that writes NGFF metadata.

What docs/cli.md#formats compares: plain zarr-python (no metadata), yaozarrs
(the one the package uses), ome-zarr-models and ngff-zarr, each writing one
32 x 512 x 512 float32 dask array in chunks of 8 x 256 x 256 with scale
(2, 0.5, 0.5) µm; best of three, the first call's imports not counted.

    python -m venv /tmp/writers && /tmp/writers/bin/pip install \
        "dask[array]" zarr yaozarrs ome-zarr-models ngff-zarr
    /tmp/writers/bin/python benchmarks/ome_zarr_writers.py

Not part of the test suite: ome-zarr-models and ngff-zarr are no dependency.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dask.array as da
import numpy as np
import zarr

SHAPE, CHUNKS, SCALE = (32, 512, 512), (8, 256, 256), [2.0, 0.5, 0.5]


def plain(data: da.Array, out: Path) -> None:
    target = zarr.create_array(
        out, shape=SHAPE, dtype="float32", chunks=CHUNKS, zarr_format=3
    )
    da.store(data, target, lock=False)


def yaozarrs(data: da.Array, out: Path) -> None:
    from yaozarrs import DimSpec, v05
    from yaozarrs.write.v05 import prepare_image

    dims = [
        DimSpec(name=name, size=n, scale=s, unit="micrometer")
        for name, n, s in zip("zyx", SHAPE, SCALE, strict=True)
    ]
    image = v05.Image(multiscales=[v05.Multiscale.from_dims(dims, n_levels=1)])
    _, arrays = prepare_image(
        out, image, (SHAPE, "float32"), chunks=CHUNKS, writer="zarr",
        compression="zstd",
    )  # fmt: skip
    da.store(data, arrays["0"], lock=False)


def ome_zarr_models(data: da.Array, out: Path) -> None:
    from ome_zarr_models.v05.axes import Axis
    from ome_zarr_models.v05.image import Image
    from pydantic_zarr.v3 import ArraySpec

    grid = {"name": "regular", "configuration": {"chunk_shape": list(CHUNKS)}}
    spec = ArraySpec.from_array(
        np.broadcast_to(np.float32(0), SHAPE),
        chunk_grid=grid,
        dimension_names=list("zyx"),
    )
    axes = [Axis(name=n, type="space", unit="micrometer") for n in "zyx"]
    image = Image.new(
        array_specs=[spec], paths=["0"], axes=axes, scales=[SCALE],
        translations=[None],
    )  # fmt: skip
    group = image.to_zarr(zarr.storage.LocalStore(out), path="")
    da.store(data, group["0"], lock=False)


def ngff_zarr(data: da.Array, out: Path) -> None:
    import ngff_zarr as nz

    image = nz.to_ngff_image(
        data,
        dims=list("zyx"),
        scale=dict(zip("zyx", SCALE, strict=True)),
        axes_units=dict.fromkeys("zyx", "micrometer"),
    )
    multiscales = nz.to_multiscales(image, scale_factors=[], chunks=CHUNKS)
    nz.to_ngff_zarr(out, multiscales, version="0.5")


def best_of_three(write: Callable[[da.Array, Path], None], data: da.Array) -> float:
    times = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.zarr"
        write(data, out)  # imports
        for _ in range(3):
            shutil.rmtree(out)
            start = time.perf_counter()
            write(data, out)
            times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    data = da.from_array(rng.random(SHAPE, dtype=np.float32), chunks=CHUNKS)
    for write in (plain, yaozarrs, ome_zarr_models, ngff_zarr):
        print(f"{write.__name__:16s} {best_of_three(write, data):.3f} s")


if __name__ == "__main__":
    main()
