"""``blur --other``: the second image of a filter that takes one.

``--filter local_correlation`` correlates IMAGE with a second image inside
MASK: ``--other FILE``, shaped like IMAGE.  With a folder or glob IMAGE,
``--other`` is one file for every image, or a folder or glob paired with
the images as MASK is: by the image's name, or by ``--other-pattern``
(:func:`.sources.pair_others`).  The file is opened as the image is,
without reading its pixels, and each chunk reads its own window of it.
"""

from __future__ import annotations

import argparse
from typing import Any

from napari_masked_blur._cli.errors import InputError
from napari_masked_blur._math.options import BlurOptions


def add_other_options(parser: argparse.ArgumentParser) -> None:
    """The second image of a filter that takes one (``local_correlation``)."""
    parser.add_argument(
        "--other",
        metavar="FILE",
        help="the second image of --filter local_correlation, shaped like "
        "IMAGE; with a folder or glob IMAGE, one file for all or a folder or "
        "glob paired with the images as MASK is (see --other-pattern)",
    )
    parser.add_argument(
        "--other-pattern",
        metavar="PATTERN",
        help="with folders: the name of each image's --other file, e.g. "
        "'{stem}_green.tif' ({stem}, {name} as in --mask-pattern); default: "
        "the image's own name",
    )


def open_other(args: argparse.Namespace, options: BlurOptions) -> Any:
    """The opened ``--other`` file, or None; refused where the filter says."""
    from napari_masked_blur._files.formats import open_image
    from napari_masked_blur._files.io import open_input

    other = getattr(args, "other", None)
    takes = "other" in options.filter.parameters
    if takes and other is None:
        raise InputError(
            f"--filter {options.filter.name} needs a second image: --other FILE"
        )
    if not takes and other is not None:
        raise InputError(
            f"--other {other!r} is for filters of two images; --filter "
            f"{options.filter.name} takes one"
        )
    if other is None:
        return None
    return open_input(other, opener=lambda p: open_image(p, args.reader))


def inputs_read(args: argparse.Namespace) -> tuple:
    """Every file read: the image, the mask and ``--other`` when given."""
    other = getattr(args, "other", None)
    return (args.image, args.mask, *(() if other is None else (other,)))
