"""Settings documents on disk: read (errors name the file), written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from napari_masked_blur._files.atomic import write_text_atomic
from napari_masked_blur._math.settings import BlurSettings


def load_settings(path: str | os.PathLike) -> BlurSettings:
    """Read settings from a JSON file.

    Raises
    ------
    ValueError
        The file is not JSON or holds a bad document (the message names
        the file, the key and the value).
    OSError
        The file cannot be read.
    """
    text = Path(path).read_bytes()
    try:
        return BlurSettings.from_json(text)
    except ValueError as exc:
        raise ValueError(f"{os.fspath(path)}: {exc}") from None


def save_settings(settings: BlurSettings, path: str | os.PathLike) -> None:
    """Write ``settings`` as JSON to ``path``, atomically (all or nothing)."""
    write_text_atomic(Path(path), settings.to_json() + "\n")
