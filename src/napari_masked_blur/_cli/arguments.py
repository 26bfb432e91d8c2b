"""Argument types of the ``blur`` command: comma-separated numbers, counts,
and the smallest chunks worth their overhead."""

from __future__ import annotations

import argparse
import math
import sys


def _floats(text: str) -> float | tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers, got {text!r}") from None
    return values[0] if len(values) == 1 else values


def _ints(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers, got {text!r}") from None


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a whole number > 0, got {text!r}")
    return int(text)


def _chunks(text: str) -> int | tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers, got {text!r}") from None
    if any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"chunks must be > 0, got {text!r}")
    return values[0] if len(values) == 1 else values


# A chunk is one dask task, about 10 ms of overhead whatever its size (a 1024²
# image in 1-pixel chunks: 201 s instead of 1.4 s).  Chunks are grown to at
# least this much output, or a 64th of the image when that is less, so that
# the overhead stays a small part of the work.
MIN_CHUNK_BYTES = 1 << 20
MAX_SMALL_CHUNKS = 64


def grown_chunks(
    chunks: tuple[int, ...], shape: tuple[int, ...], itemsize: int
) -> tuple[int, ...]:
    """``chunks`` grown, last axes first, to at least
    ``min(MIN_CHUNK_BYTES, image bytes / MAX_SMALL_CHUNKS)`` each; said on
    stderr when grown.

    Examples
    --------
    >>> grown_chunks((1, 1), (1024, 1024), 4)
    (16, 1024)
    >>> grown_chunks((4, 16, 16), (8, 40, 50), 4)
    (4, 16, 16)
    """
    total = math.prod(shape) * itemsize
    least = max(1, min(MIN_CHUNK_BYTES, total // MAX_SMALL_CHUNKS) // itemsize)
    grown = list(chunks)
    for axis in reversed(range(len(grown))):
        others = math.prod(grown) // max(grown[axis], 1)
        if others * grown[axis] >= least:
            break
        grown[axis] = min(max(shape[axis], 1), max(grown[axis], -(-least // others)))
    if tuple(grown) != tuple(chunks):
        print(
            f"--chunks {','.join(map(str, chunks))} grown to "
            f"{','.join(map(str, grown))}: smaller chunks cost more in overhead "
            f"than they save in memory (at least {least * itemsize // 1024} KiB "
            "of output each)",
            file=sys.stderr,
        )
    return tuple(grown)
