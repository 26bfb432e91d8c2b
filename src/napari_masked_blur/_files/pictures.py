"""Pictures (PNG, JPEG, BMP): read whole by OpenCV, a core dependency.

A microscope's data is rarely a picture, but a picture is what many users
try first (``blur c.png``): the command line, the demo and the widget's
files read it like any other format, here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

PICTURES = (".png", ".jpg", ".jpeg", ".bmp")


def is_picture(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a PNG, JPEG or BMP picture (by its suffix)."""
    return Path(path).suffix.lower() in PICTURES


def open_picture(path: str | os.PathLike) -> np.ndarray:
    """The pixels of a picture, read-only: (rows, columns) or (rows, columns,
    RGB[A]) in that order (OpenCV's BGR turned around), 8 or 16 bits."""
    import cv2

    pixels = cv2.imread(os.fspath(path), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise ValueError(f"cannot read {os.fspath(path)!r} as a picture")
    if pixels.ndim == 3:
        pixels = np.ascontiguousarray(pixels[..., [2, 1, 0, 3][: pixels.shape[2]]])
    pixels.flags.writeable = False
    return pixels


def picture_axes(path: str | os.PathLike) -> str:
    """The axes of a picture: ``"YX"``, or ``"YXS"`` with colour samples."""
    return "YXS" if open_picture(path).ndim == 3 else "YX"
