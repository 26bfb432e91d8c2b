"""``napari-masked-blur blur``: blur files bigger than memory, chunk by chunk.

The image and mask are opened lazily (:mod:`napari_masked_blur._lazy.io`),
blurred lazily (:mod:`napari_masked_blur._lazy.windows`) and streamed into
the output with :func:`dask.array.store`: each output chunk is written as soon as it is
computed, so memory holds a few chunks (grown by the kernel radius) per
worker, never the volume.  The output is written under a temporary name in
its own directory and renamed into place at the end: an error or Ctrl-C
leaves no half-written output and never touches an existing one.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from napari_masked_blur._blur.options import (
    MODES,
    OUTSIDE_POLICIES,
    BlurOptions,
    output_dtype,
)
from napari_masked_blur._cli.arguments import (
    _chunks,
    _floats,
    _ints,
    _positive_int,
)
from napari_masked_blur._cli.errors import InputError
from napari_masked_blur._cli.repeat import add_repeat_options, parse_args

DESCRIPTION = """\
Gaussian blur of IMAGE inside MASK by normalized convolution, streamed chunk
by chunk: files far bigger than memory are fine.  IMAGE and MASK may be files,
folders or globs.  Reads and writes TIFF, OME-TIFF, Zarr v3, OME-Zarr and
.npy by the name's ending (other formats read with the formats extra); the
output is float32 (float64 for float64 or 32/64-bit integer images).
"""

EXAMPLES = """\
examples:
  napari-masked-blur blur cells.tif nuclei_mask.tif --sigma 2 -o smooth.tif
  napari-masked-blur blur volume.zarr labels.zarr --sigma 1.0 \\
      --spacing 2.0,0.4,0.4 --per-label --outside zero -o blurred.zarr
  napari-masked-blur blur big.zarr mask.zarr --sigma 3 -o out.zarr \\
      --scheduler tcp://10.0.0.5:8786
  napari-masked-blur blur images/ masks/ --settings tuned.json -o smooth/

exit status: 0 done, 1 failed while running (or any file of a batch),
2 bad arguments or input, 130 interrupted.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``napari-masked-blur blur``."""
    parser = argparse.ArgumentParser(
        prog="napari-masked-blur blur",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("image", help="image file, or a folder or glob of them")
    parser.add_argument(
        "mask",
        help="mask file, shaped like the image (without its channel axis): "
        "nonzero = inside; integer labels; or floating certainty weights >= 0",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file; a folder or 'out/{stem}.tif' for many",
    )
    _add_blur_options(parser)
    _add_run_options(parser)
    add_repeat_options(parser)
    return parser


def _add_blur_options(parser: argparse.ArgumentParser) -> None:
    """The options of the blur itself, as in ``masked_gaussian``."""
    parser.add_argument(
        "--sigma",
        type=_floats,
        help="Gaussian standard deviation: one number, or one per axis "
        "(e.g. 1,3,3); in pixels, or in --units (required unless --settings)",
    )
    parser.add_argument(
        "--spacing",
        type=_floats,
        help="pixel size per axis (e.g. 2.0,0.4,0.4 for z,y,x in µm): makes "
        "--sigma physical",
    )
    parser.add_argument(
        "--outside",
        choices=OUTSIDE_POLICIES,
        default="keep",
        help="pixels outside the mask: original value, 0, NaN, or filled "
        "from the nearby mask (default: %(default)s)",
    )
    parser.add_argument(
        "--labels",
        type=_ints,
        help="only these label ids are inside the mask (e.g. 1,4,7)",
    )
    parser.add_argument(
        "--per-label",
        action="store_true",
        help="blur each label with its own pixels only: nothing crosses "
        "between touching labels",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="missing",
        help="beyond the image border: 'missing' (no data) or the scipy "
        "rule of that name (default: %(default)s)",
    )
    parser.add_argument(
        "--truncate",
        type=float,
        default=4.0,
        help="kernel radius in sigmas (default: %(default)s)",
    )
    parser.add_argument(
        "--channel-axis",
        type=int,
        help="axis of the image holding channels, each blurred alone",
    )
    parser.add_argument(
        "--axes",
        type=_ints,
        help="the axes to smooth (e.g. 1,2 for the y and x of a t,y,x movie; "
        "negative as --axes=-2,-1); the others are frames, each blurred "
        "alone; default: every axis but --channel-axis",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """How the work is chunked, where it runs and whether it may overwrite."""
    parser.add_argument(
        "--chunks",
        type=_chunks,
        help="chunk shape for the work and the Zarr output, one number per "
        "axis or one for all (e.g. 64,512,512); default: the input's Zarr "
        "chunks, else about 8 MiB of output each; larger chunks use more "
        "memory and recompute less margin",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUTPUT if it exists (only once the new one is complete)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on this dask.distributed scheduler (e.g. tcp://host:8786); "
        "its workers must see the input and output paths",
    )
    where.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="run on a local dask.distributed cluster of N worker processes "
        "(default: threads in this process)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``napari-masked-blur blur``; returns the exit status."""
    try:
        args = parse_args(build_parser(), argv)
    except SystemExit as stop:  # --help, or argparse's own usage error
        return int(stop.code or 0)
    try:
        from napari_masked_blur._cli.batch import run

        return run(args, blur_files)
    except InputError as error:
        print(f"napari-masked-blur blur: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "napari-masked-blur blur: interrupted; no output written", file=sys.stderr
        )
        return 130
    except Exception as error:
        print(
            f"napari-masked-blur blur: failed: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        return 1


def blur_files(args: argparse.Namespace) -> int:
    """Check everything, then stream the blurred image into ``args.output``."""
    from napari_masked_blur._lazy.outputs import output_hooks
    from napari_masked_blur._lazy.write import write_lazy

    output = Path(args.output).resolve()
    result, chunks = _lazy_result(args, output)
    create, finish = output_hooks(
        output, args.record, args.pixel_info, args.channel_axis
    )
    write_lazy(
        result,
        output,
        chunks=chunks,
        overwrite=args.overwrite,
        store=lambda array, target: _store(array, target, args),
        create=create,
        finish=finish,
    )
    print(f"wrote {output} {result.shape} {result.dtype}", file=sys.stderr)
    return 0


def _lazy_result(args: argparse.Namespace, output: Path) -> tuple[Any, tuple]:
    """The blurred image as a dask array, every input check already done,
    and the chunk shape for a Zarr output."""
    from napari_masked_blur._lazy.formats import open_image
    from napari_masked_blur._lazy.io import file_format
    from napari_masked_blur._lazy.windows import masked_gaussian_windows

    _check_output(output, [Path(args.image), Path(args.mask)], args.overwrite)
    try:
        file_format(output)
        image = open_image(args.image, args.reader)
        mask = open_image(args.mask)
        options = BlurOptions.check(
            image,
            mask,
            args.sigma,
            outside=args.outside,
            labels=args.labels,
            per_label=args.per_label,
            mode=args.mode,
            truncate=args.truncate,
            spacing=args.spacing,
            channel_axis=args.channel_axis,
            method=args.method,
            axes=args.axes,
        )
        out_chunks = _output_chunks(image, args.chunks)
        result = masked_gaussian_windows(
            image,
            mask,
            options,
            chunks=_work_chunks(out_chunks, image.shape, options),
        )
    except (FileNotFoundError, ValueError) as error:
        raise InputError(str(error)) from None
    return result, out_chunks


def _output_chunks(image: Any, chunks: int | tuple[int, ...] | None) -> tuple:
    """--chunks, else the input's Zarr chunks, else about 8 MiB of output each.

    A task holds about ten times its chunk (the window, weights, both
    smoothed arrays, the result), so small chunks keep memory low.
    """
    import dask.array as da

    from napari_masked_blur._lazy.io import stored_chunks

    if isinstance(chunks, int):
        chunks = (chunks,) * image.ndim
    if chunks is not None and len(chunks) != image.ndim:
        raise ValueError(
            f"--chunks has {len(chunks)} values {chunks} but the image has "
            f"{image.ndim} axes"
        )
    chunks = chunks or stored_chunks(image) or "auto"
    normalized = da.core.normalize_chunks(
        chunks, image.shape, limit="8MiB", dtype=output_dtype(image.dtype)
    )
    return tuple(axis[0] for axis in normalized)


def _work_chunks(
    chunks: tuple[int, ...], shape: tuple[int, ...], options: BlurOptions
) -> tuple[int, ...]:
    """Whole multiples of ``chunks`` at least twice the kernel radius long.

    Each task reads its chunk plus the radius on every side; a chunk much
    thinner than the radius would read mostly margin.  Multiples keep every
    Zarr output chunk inside one task.
    """
    radius = list(options.radius)
    if options.channel_axis is not None:
        radius.insert(options.channel_axis, 0)
    return tuple(
        min(c * max(1, math.ceil(2 * r / c)), n)
        for c, r, n in zip(chunks, radius, shape, strict=True)
    )


def _check_output(output: Path, inputs: list[Path], overwrite: bool) -> None:
    if any(output == path.resolve() for path in inputs):
        raise InputError(f"output {str(output)!r} is one of the inputs")
    if not output.parent.is_dir():
        raise InputError(f"output folder {str(output.parent)!r} does not exist")
    if output.exists() and not overwrite:
        raise InputError(
            f"output {str(output)!r} exists; pass --overwrite to replace it"
        )


def _store(result: Any, target: Any, args: argparse.Namespace) -> None:
    """Compute and write every chunk, with a progress bar on stderr."""
    import dask.array as da

    if args.scheduler is None and args.workers is None:
        from dask.diagnostics import ProgressBar

        closable = ClosableTarget(target)
        try:
            with ProgressBar(out=sys.stderr):
                da.store(result, closable, lock=False, scheduler="threads")
        finally:
            closable.close()
        return
    from distributed import Client, LocalCluster, progress

    if args.scheduler is not None:
        cluster = contextlib.nullcontext(args.scheduler)
    else:
        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        )
    # Leaving the block stops a local cluster's workers, or cancels the work
    # on a remote one, before the partial output is removed.
    with cluster as address, Client(address, timeout="30s") as client:
        future = client.compute(da.store(result, target, lock=False, compute=False))
        try:
            with contextlib.redirect_stdout(sys.stderr):
                progress(future, multi=False)
            future.result()
        finally:
            future.cancel()


class ClosableTarget:
    """A store target that can be shut: later writes are dropped, and
    :meth:`close` waits for the writes under way.

    After Ctrl-C dask's worker threads finish the chunks they hold; closing
    first means none of them writes (or, for Zarr, re-creates folders) in
    the partial output once it has been removed.
    """

    def __init__(self, target: Any) -> None:
        self.target, self.closed, self.writing = target, False, 0
        self.condition = threading.Condition()

    def __setitem__(self, key: Any, value: Any) -> None:
        with self.condition:
            if self.closed:
                return
            self.writing += 1
        try:
            self.target[key] = value
        finally:
            with self.condition:
                self.writing -= 1
                self.condition.notify_all()

    def close(self, timeout: float = 60.0) -> None:
        """Drop every later write; wait (up to ``timeout`` s) for those under way."""
        with self.condition:
            self.closed = True
            self.condition.wait_for(lambda: self.writing == 0, timeout)
