"""The ``blur`` command's options for the parameters of some filters.

``--order`` (the Gaussian's derivative order), ``--high-sigma`` (the
difference of Gaussians' wider sigma) and ``--rho`` (the structure
tensor's averaging scale): the settings fields ``order``, ``high_sigma``
and ``rho`` (:class:`~napari_masked_blur.BlurSettings`), given as the
functions take them.  A filter that does not take one refuses it (exit 2,
naming the value and the filter).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from napari_masked_blur._cli.arguments import _floats


def _order(text: str) -> int | tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers, got {text!r}") from None
    return values[0] if len(values) == 1 else values


def add_filter_parameters(parser: argparse.ArgumentParser) -> None:
    """``--order``, ``--high-sigma`` and ``--rho``: each for the filter taking it."""
    parser.add_argument(
        "--order",
        type=_order,
        default=0,
        help="gaussian: the derivative order, one for every smoothed axis or "
        "one per smoothed axis (e.g. 0,1 for d/dx of y,x), 0 to 2; outside "
        "is then 0 by default (default: %(default)s, the blur)",
    )
    parser.add_argument(
        "--high-sigma",
        type=_floats,
        help="difference_of_gaussians: the wider sigma, given like --sigma "
        "(default: 1.6 x sigma)",
    )
    parser.add_argument(
        "--rho",
        type=_floats,
        help="structure_tensor_eigenvalues: the averaging scale of the "
        "tensor, given like --sigma (default: 2 x sigma)",
    )


def stacked_chunks(
    result: Any, ndim: int, chunks: tuple[int, ...], output: str | os.PathLike
) -> tuple[int, ...]:
    """The output's chunks, one output to a chunk for a filter with outputs.

    A filter with outputs (eigenvalues) writes them stacked on a new leading
    axis, largest first.  OME outputs name every axis (t, c, z, y, x), and
    have no name for that one: they are refused (ValueError, exit 2).
    """
    from napari_masked_blur._files.outputs import is_ome

    if result.ndim == ndim:
        return chunks
    if is_ome(output):
        raise ValueError(
            f"{os.fspath(output)!r}: this filter's outputs are stacked on a new "
            "leading axis, which OME files cannot name; write .tif, .zarr or .npy"
        )
    return (1, *chunks)
