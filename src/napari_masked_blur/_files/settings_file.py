"""Settings documents on disk: read (errors name the file), written atomically.

A settings document is a few hundred bytes, two levels deep.  What is read is
bounded whatever the file: at most :data:`MAX_BYTES` are read (``/dev/zero``
or a huge file is refused, not read until memory runs out) and a document
nested deeper than :data:`MAX_DEPTH` is refused before it is parsed (the JSON
parser would recurse until Python's stack limit).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from napari_masked_blur._files.atomic import write_text_atomic
from napari_masked_blur._math.settings import BlurSettings

MAX_BYTES = 1 << 20  # 1 MiB: thousands of times a real document
MAX_DEPTH = 32
# A JSON string, escapes and all: its brackets are not nesting.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def load_settings(path: str | os.PathLike) -> BlurSettings:
    """Read settings from a JSON file.

    Raises
    ------
    ValueError
        The file is not JSON, is larger than :data:`MAX_BYTES`, is nested
        deeper than :data:`MAX_DEPTH` or holds a bad document (the message
        names the file, the key and the value).
    OSError
        The file cannot be read.
    """
    with open(path, "rb") as file:
        text = file.read(MAX_BYTES + 1)
    try:
        if len(text) > MAX_BYTES:
            raise ValueError(
                f"larger than {MAX_BYTES >> 20} MiB: not a settings file "
                "(those are a few hundred bytes)"
            )
        depth = nesting_depth(text)
        if depth > MAX_DEPTH:
            raise ValueError(
                f"nested {depth} levels deep: not a settings file (those are "
                f"at most {MAX_DEPTH} deep)"
            )
        return BlurSettings.from_json(text)
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)}: {exc}") from None


def nesting_depth(text: bytes) -> int:
    """How deep the arrays and objects of the JSON ``text`` nest (0 for a
    number; brackets inside strings do not count).

    Examples
    --------
    >>> nesting_depth(b'{"sigma": [1, 2], "note": "[[["}')
    2
    """
    bare = np.frombuffer(_STRING.sub(b'""', text), np.uint8)
    steps = np.isin(bare, list(b"[{")).astype(np.int64)
    steps -= np.isin(bare, list(b"]}"))
    return int(np.cumsum(steps).max(initial=0))


def save_settings(settings: BlurSettings, path: str | os.PathLike) -> None:
    """Write ``settings`` as JSON to ``path``, atomically (all or nothing)."""
    write_text_atomic(Path(path), settings.to_json() + "\n")
