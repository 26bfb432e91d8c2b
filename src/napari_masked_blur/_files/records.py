"""Read back what an output says of itself: its record, and whether it is whole.

The writers (:mod:`.outputs`) store a record with every output: the settings
document, the package version and the input names.  A batch that resumes
reads it to keep only what was made with the same settings, and to tell our
outputs from the user's images in a folder that holds both.

An output is *whole* when it opens, holds the shape asked for, and (TIFF,
``.npy``) its file is as long as its pixels: every output is moved to its
name only once every byte is written, so a shorter file was cut by something
else (a copy, a disk that filled under an earlier version).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from napari_masked_blur._files.io import file_format
from napari_masked_blur._files.outputs import KEY
from napari_masked_blur._files.safety import sidecar


def read_record(path: str | os.PathLike) -> dict[str, Any] | None:
    """The record stored with the output ``path``, or None (no record, or
    a file that is not ours, or one that cannot be read)."""
    path = Path(path)
    try:
        kind = file_format(path)
        if kind == "npy":
            document = json.loads(sidecar(path).read_text(encoding="utf-8"))
        elif kind == "zarr":
            document = _zarr_record(path)
        else:
            document = _tiff_record(path)
    except Exception:  # a damaged file raises anything (struct.error, ...)
        return None
    if isinstance(document, dict) and isinstance(document.get("settings"), dict):
        return document
    return None


def _zarr_record(path: Path) -> Any:
    import zarr

    return zarr.open(str(path), mode="r").attrs.get(KEY)


def _tiff_record(path: Path) -> Any:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        if tif.ome_metadata:
            return _ome_annotation(tifffile.xml2dict(tif.ome_metadata))
        description = tif.pages.first.description
    return json.loads(description).get(KEY)


def _ome_annotation(ome: dict[str, Any]) -> Any:
    """The record in an OME-XML MapAnnotation of namespace :data:`KEY`."""
    annotations = ome["OME"].get("StructuredAnnotations", {}).get("MapAnnotation")
    for annotation in annotations if isinstance(annotations, list) else [annotations]:
        if not isinstance(annotation, dict) or annotation.get("Namespace") != KEY:
            continue
        entries = annotation["Value"]["M"]
        for entry in entries if isinstance(entries, list) else [entries]:
            if entry.get("K") == KEY:
                return json.loads(entry["value"])
    return None


def is_whole(path: str | os.PathLike, shape: tuple[int, ...]) -> bool:
    """Whether the output ``path`` opens with ``shape`` and holds all its bytes."""
    path = Path(path)
    try:
        kind = file_format(path)
        if kind == "npy":
            stored = np.load(path, mmap_mode="r")  # refuses a file cut short
            return stored.shape == tuple(shape)
        if kind == "zarr":
            return _zarr_shape(path) == tuple(shape)
        return _tiff_whole(path, tuple(shape))
    except Exception:  # a damaged file raises anything (struct.error, ...)
        return False


def _zarr_shape(path: Path) -> tuple[int, ...] | None:
    import zarr

    node = zarr.open(str(path), mode="r")
    if isinstance(node, zarr.Group):
        node = node["0"]  # the full-resolution level of a multiscale image
    return tuple(node.shape)


def _tiff_whole(path: Path, shape: tuple[int, ...]) -> bool:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        if tuple(series.shape) != shape or series.dataoffset is None:
            return False
        end = series.dataoffset + series.size * series.dtype.itemsize
    return os.path.getsize(path) >= end
