"""``blur --settings FILE``, sigma in physical units, and what outputs record.

- :func:`parse_args`: a settings file (the JSON that the widget saves,
  :mod:`napari_masked_blur._math.settings`) becomes the parser's defaults,
  so every option given on the command line overrides it.
- :func:`prepare`: what the image file knows, read before any pixel: its
  channel axis and, for ``--units um`` without ``--spacing``, its pixel
  sizes; and the record each output carries (:func:`record`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from napari_masked_blur._cli.errors import InputError, OneLineParser
from napari_masked_blur._engines import METHODS
from napari_masked_blur._files.settings_file import load_settings
from napari_masked_blur._math.frames import rule_axes
from napari_masked_blur._math.settings import (
    BlurSettings,
    is_physical,
    package_version,
)

READERS = ("auto", "bioio")


def add_repeat_options(parser: argparse.ArgumentParser) -> None:
    """``--settings``, ``--units``, ``--method``, ``--mask-pattern``, ``--reader``."""
    group = parser.add_argument_group("settings, folders and formats")
    group.add_argument(
        "--settings",
        metavar="FILE",
        help="take the options from this settings file (JSON, as the widget's "
        "'Save settings...' writes it); options given here override it",
    )
    group.add_argument(
        "--units",
        metavar="UNIT",
        help="unit of --sigma and --spacing: px (default), or a length such "
        "as um, nm, mm; in a length without --spacing, the pixel sizes are "
        "read from each image file (OME-TIFF, ImageJ TIFF, OME-Zarr, bioio)",
    )
    group.add_argument(
        "--method",
        choices=METHODS,
        default="auto",
        help="the Gaussian engine (default: %(default)s)",
    )
    group.add_argument(
        "--mask-pattern",
        metavar="PATTERN",
        help="with a folder or glob IMAGE: the name of each image's mask in "
        "MASK, e.g. '{stem}_mask.tif' ({stem}: the image's name without its "
        "extension, {name}: with it); default: the image's own name",
    )
    group.add_argument(
        "--reader",
        choices=READERS,
        default="auto",
        help="'bioio' reads TIFF and Zarr through bioio too (the formats "
        "extra); other formats always are (default: %(default)s)",
    )


def parse_args(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    """Parse ``argv``; a ``--settings`` file gives the defaults.

    A bad settings file, or no sigma from either, is a usage error (exit 2)
    naming the file, the key and the value.
    """
    first = OneLineParser(prog=parser.prog, add_help=False)
    first.add_argument("--settings")
    known, _ = first.parse_known_args(argv)
    if known.settings is not None:
        try:
            settings = load_settings(known.settings)
        except (OSError, ValueError) as error:
            parser.error(f"--settings: {error}")
        parser.set_defaults(**settings_defaults(settings))
    args = parser.parse_args(argv)
    if args.sigma is None:
        parser.error("--sigma is required (or --settings FILE holding sigma)")
    return args


def settings_defaults(settings: BlurSettings) -> dict[str, Any]:
    """The settings as the parser's destinations (``axes`` only when set)."""
    values = {f.name: getattr(settings, f.name) for f in fields(settings)}
    if values["axes"] is None:
        del values["axes"]
    if values["labels"] is not None:
        values["labels"] = list(values["labels"])
    return values


def prepare(args: argparse.Namespace) -> None:
    """Read what ``args.image`` says of itself; set ``args`` from it.

    Sets ``args.pixel_info`` (for the output's metadata), the channel axis
    the file names (unless ``--channel-axis``), sigma and spacing in pixels
    of this file for a physical ``--units`` without ``--spacing``,
    ``args.record``, the document the output carries, and ``args.notes``,
    lines for stderr once every check has passed (the axes chosen by rule).

    The record's settings keep sigma as given, before this file's pixel
    size divides it: a physical sigma without ``--spacing`` is recorded
    without a spacing, so applied to any file (``--settings``) it takes that
    file's pixel size, as a batch does.  The size read from this file is
    noted beside the settings (``spacing_from_file``).

    Raises
    ------
    InputError
        The file cannot be read, or has no pixel sizes for ``--units``.
    """
    from napari_masked_blur._files.formats import pixel_info

    try:
        info = pixel_info(args.image, args.reader)
    except (FileNotFoundError, ValueError) as error:
        raise InputError(str(error)) from None
    args.pixel_info, args.notes = info, []
    if args.channel_axis is None:
        args.channel_axis = info.channel_axis
    if args.axes is None and getattr(args, "settings", None) is None:
        args.axes = axes_by_rule(args, info)
    try:
        args.record = record(args)
    except ValueError as error:
        raise InputError(str(error)) from None
    if is_physical(args.units) and args.spacing is None:
        args.sigma, args.spacing = physical_sigma(args, info)
        args.record["spacing_from_file"] = list(args.spacing)


def axes_by_rule(args: argparse.Namespace, info: Any) -> tuple[int, ...] | None:
    """The axes to smooth when neither ``--axes`` nor ``--settings`` says.

    The widget's rule (:func:`napari_masked_blur._math.frames.rule_axes`)
    on the file's dimension order (OME-TIFF, ImageJ, OME-Zarr, bioio): T and
    C axes are frames; a file without one (``.npy``, plain Zarr or TIFF) is
    unlabelled, so a 4D+ image is frames of 3D volumes.  Adds the line that
    says which to ``args.notes``; None when every axis but the channel axis
    is smoothed.
    """
    from napari_masked_blur._files.formats import open_image

    if info.axes:
        ndim = len(info.axes)
    else:
        try:
            ndim = open_image(args.image, args.reader).ndim
        except (FileNotFoundError, ValueError) as error:
            raise InputError(str(error)) from None
    if args.channel_axis is not None and not -ndim <= args.channel_axis < ndim:
        return None  # BlurSettings.check names the bad channel axis
    axes, line = rule_axes(info.labels(ndim), args.channel_axis)
    args.notes.append(line)
    every = ndim - (args.channel_axis is not None)
    return None if len(axes) == every else axes


def physical_sigma(
    args: argparse.Namespace, info: Any
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Sigma and spacing per smoothed axis from the file's pixel sizes.

    Time (``T``) and the frame axes (those not in ``args.axes``) need no
    pixel size: they are not smoothed (sigma 0, spacing 1).  Any other axis
    without a size is an error.
    """
    from napari_masked_blur._files.formats import metres

    unit = args.units if isinstance(args.units, str) else args.units[0]
    try:
        metres(unit)  # a unit not known is said first, with or without sizes
        sizes = info.sizes_in(unit)
    except ValueError as error:
        raise InputError(f"--units: {error}") from None
    if sizes is None:
        raise InputError(
            f"{os.fspath(args.image)!r} records no pixel sizes for sigma in "
            f"{unit!r}: give --spacing"
        )
    axes = info.axes or "?" * len(sizes)
    keep = [
        i
        for i in range(len(sizes))
        if args.channel_axis is None or i != args.channel_axis % len(sizes)
    ]
    chosen = getattr(args, "axes", None)
    chosen = keep if chosen is None else [a % len(sizes) for a in chosen]
    frames = {i for i in keep if axes[i] == "T" or i not in chosen}
    sigma = args.sigma
    if not isinstance(sigma, Sequence):
        sigma = [0.0 if i in frames else sigma for i in keep]
    spacing = []
    for i in keep:
        if sizes[i] is None and i not in frames:
            raise InputError(
                f"{os.fspath(args.image)!r} has no pixel size along its axis "
                f"{i} ({axes[i]}) for sigma in {unit!r}: give --spacing"
            )
        spacing.append(1.0 if sizes[i] is None else sizes[i])
    return tuple(sigma), tuple(spacing)


def cli_settings(args: argparse.Namespace) -> BlurSettings:
    """The options of ``args`` as settings: each field from its namesake
    (the settings' default where ``args`` has none).

    ``cli_settings(args).check(image, mask)`` checks what the command
    computes.
    """
    given = vars(args)
    names = [f.name for f in fields(BlurSettings)]
    return BlurSettings(**{name: given[name] for name in names if name in given})


def record(args: argparse.Namespace) -> dict[str, Any]:
    """What an output says of how it was made: the settings document, the
    package version and the input names."""
    made = {
        "settings": cli_settings(args).to_dict(),
        "version": package_version(),
        "image": os.fspath(args.image),
        "mask": os.fspath(args.mask),
    }
    if getattr(args, "other", None) is not None:  # a filter of two images
        made["other"] = os.fspath(args.other)
    return made
