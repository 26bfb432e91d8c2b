"""``napari-masked-blur blur``: blur files bigger than memory, chunk by chunk.

The image and mask are opened lazily (:mod:`napari_masked_blur._files.io`),
blurred lazily (:mod:`napari_masked_blur._lazy.windows`) and streamed into
the output with :func:`dask.array.store`: each output chunk is written as soon as it is
computed, so memory holds a few chunks (grown by the kernel radius) per
worker, never the volume.  The output is written under a temporary name in
its own directory and moved into place at the end
(:mod:`napari_masked_blur._files.atomic`): an error, Ctrl-C, SIGTERM or
SIGHUP (:mod:`.signals`) leaves no half-written output and never touches
an existing one.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from napari_masked_blur._api.registry import FILTERS
from napari_masked_blur._api.route import checked, run_windows
from napari_masked_blur._cli.arguments import (
    _chunks,
    _floats,
    _ints,
    _positive_int,
    grown_chunks,
)
from napari_masked_blur._cli.errors import InputError, OneLineParser, say
from napari_masked_blur._cli.filter_arguments import (
    add_filter_parameters,
    stacked_chunks,
)
from napari_masked_blur._cli.other_image import (
    add_other_options,
    inputs_read,
    open_other,
)
from napari_masked_blur._cli.repeat_options import (
    add_repeat_options,
    cli_settings,
    parse_args,
)
from napari_masked_blur._cli.signals import exit_status, stop_on_signals, stopped_line
from napari_masked_blur._cli.store import store_chunks
from napari_masked_blur._math.dtypes import output_dtype
from napari_masked_blur._math.options import MODES, BlurOptions
from napari_masked_blur._math.outside import OUTSIDE_POLICIES

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
2 bad arguments or input (a damaged input file too, even when found while
reading it), 128 + the signal's number when stopped: 130 Ctrl-C,
143 SIGTERM, 129 SIGHUP.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``napari-masked-blur blur``."""
    parser = OneLineParser(
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
    add_other_options(parser)
    add_filter_parameters(parser)
    _add_run_options(parser)
    add_repeat_options(parser)
    return parser


def _add_blur_options(parser: argparse.ArgumentParser) -> None:
    """The options of the filter itself, as in its function (``masked_gaussian``)."""
    parser.add_argument(
        "--filter",
        choices=list(FILTERS),
        default="gaussian",
        help="which masked filter: the name of its function without masked_ "
        "(default: %(default)s)",
    )
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
        help="pixels outside the mask: original value, 0, NaN, or filled "
        "from the nearby mask (default: the filter's own, keep for gaussian)",
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
        "alone; default: from the file's axis order (T and C axes are frames; "
        "with none, a 4D+ image is frames of z,y,x volumes), said on stderr",
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
    with stop_on_signals():
        try:
            from napari_masked_blur._cli.batch import run

            return run(args, blur_files)
        except InputError as error:
            return _say(f"error: {error}", 2)
        except KeyboardInterrupt as stop:
            return _say(stopped_line(stop), exit_status(stop))
        except FileExistsError as error:  # at the output, during the run
            return _say(f"failed: {error}", 1)
        except Exception as error:
            return _say(f"failed: {type(error).__name__}: {error}", 1)


def _say(message: str, status: int) -> int:
    return say("napari-masked-blur blur", message, status)


def blur_files(args: argparse.Namespace) -> int:
    """Check everything, then stream the blurred image into ``args.output``."""
    from napari_masked_blur._files.atomic import remove_stale_partials
    from napari_masked_blur._files.io import InputFileError
    from napari_masked_blur._files.outputs import output_hooks
    from napari_masked_blur._files.safety import output_path
    from napari_masked_blur._files.write import write_lazy

    output = output_path(args.output)
    result, chunks = _lazy_result(args, output)
    for note in getattr(args, "notes", ()):  # said once every check has passed
        print(note, file=sys.stderr)
    create, finish = output_hooks(
        output, args.record, args.pixel_info, args.channel_axis
    )
    for cleaned in remove_stale_partials(output.parent):
        _say(cleaned, 0)
    try:
        write_lazy(
            result,
            output,
            chunks=chunks,
            overwrite=args.overwrite,
            store=lambda array, target: store_chunks(array, target, args),
            create=create,
            finish=finish,
            inputs=inputs_read(args),
        )
    except InputFileError as error:  # found while reading: bad input all the same
        raise InputError(f"{error}; no output written") from None
    print(f"wrote {output} {result.shape} {result.dtype}", file=sys.stderr)
    return 0


def _lazy_result(args: argparse.Namespace, output: Path) -> tuple[Any, tuple]:
    """The blurred image as a dask array, every input check already done,
    and the chunk shape for a Zarr output."""
    from napari_masked_blur._files.formats import open_image
    from napari_masked_blur._files.io import open_input
    from napari_masked_blur._files.safety import check_output

    try:
        check_output(output, inputs_read(args), overwrite=args.overwrite)
        image = open_input(args.image, opener=lambda p: open_image(p, args.reader))
        mask = open_input(args.mask, weights=True, opener=open_image)
        options = checked(image, mask, cli_settings(args))
        other = open_other(args, options)
        out_chunks = _output_chunks(image, args.chunks)
        result = run_windows(
            image,
            mask,
            options,
            chunks=_work_chunks(out_chunks, image.shape, options),
            other=other,
        )
        out_chunks = stacked_chunks(result, image.ndim, out_chunks, output)
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        raise InputError(str(error)) from None
    return result, out_chunks


def _output_chunks(image: Any, chunks: int | tuple[int, ...] | None) -> tuple:
    """--chunks, else the input's Zarr chunks, else about 8 MiB of output each.

    A task holds about ten times its chunk (the window, weights, both
    smoothed arrays, the result), so small chunks keep memory low.
    """
    import dask.array as da

    from napari_masked_blur._files.io import stored_chunks

    if isinstance(chunks, int):
        chunks = (chunks,) * image.ndim
    if chunks is not None and len(chunks) != image.ndim:
        raise ValueError(
            f"--chunks has {len(chunks)} values {chunks} but the image has "
            f"{image.ndim} axes"
        )
    if chunks is not None:  # a chunk longer than its axis is the whole axis
        chunks = tuple(
            min(c, max(n, 1)) for c, n in zip(chunks, image.shape, strict=True)
        )
        chunks = grown_chunks(chunks, image.shape, output_dtype(image.dtype).itemsize)
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
    radius = list(options.reach)
    if options.channel_axis is not None:
        radius.insert(options.channel_axis, 0)
    return tuple(
        min(c * max(1, math.ceil(2 * r / c)), n)
        for c, r, n in zip(chunks, radius, shape, strict=True)
    )
