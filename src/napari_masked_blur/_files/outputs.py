"""Output files that say how they were made, and at what scale.

:func:`output_hooks` gives :func:`.write.write_lazy` the two steps that
depend on the output's format: ``create`` makes the empty target at the
temporary path, ``finish`` runs when every chunk is written, just before
the rename.  Each format records ``record`` (the settings document, the
package version, the input names) where its readers look:

=============  ==============================================================
``.ome.zarr``  OME-Zarr v0.5 (NGFF) image: axes, units and scale, written by
               yaozarrs (the ``formats`` extra); ``record`` in the group's
               attributes under ``"napari-masked-blur"``
``.zarr``      a Zarr v3 array, ``record`` in its attributes
``.ome.tif``   OME-TIFF with the physical pixel sizes and ``record`` as a
               MapAnnotation (namespace ``napari-masked-blur``)
``.tif``       TIFF whose ImageDescription is JSON holding ``record``
``.npy``       ``record`` in the sidecar ``NAME.npy.json``, written once
               the array is whole and moved into place right after it
               (checked with the output before any work; an output
               refused at the final move leaves no sidecar)
=============  ==============================================================
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from napari_masked_blur._files.atomic import partial_path, write_text_atomic
from napari_masked_blur._files.formats import EXTRA_HINT, PixelInfo, metres, seconds
from napari_masked_blur._files.io import file_format
from napari_masked_blur._files.safety import sidecar
from napari_masked_blur._files.write import RawWriter, create_target, create_tiff

KEY = "napari-masked-blur"
OME_SUFFIXES = (".ome.zarr", ".ome.tif", ".ome.tiff")
_OME_ORDER = "TCZYX"
# The unit names of the OME-NGFF and OME-XML schemas.
_NGFF_UNITS = {1e-12: "picometer", 1e-10: "angstrom", 1e-9: "nanometer"}
_NGFF_UNITS |= {1e-6: "micrometer", 1e-3: "millimeter", 1e-2: "centimeter"}
_NGFF_UNITS |= {1.0: "meter"}
_OME_XML_UNITS = {1e-12: "pm", 1e-10: "Å", 1e-9: "nm", 1e-6: "µm", 1e-3: "mm"}
_OME_XML_UNITS |= {1e-2: "cm", 1.0: "m"}
_NGFF_TIME_UNITS = {1e-9: "nanosecond", 1e-6: "microsecond", 1e-3: "millisecond"}
_NGFF_TIME_UNITS |= {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}
_OME_XML_TIME_UNITS = {1e-9: "ns", 1e-6: "µs", 1e-3: "ms", 1.0: "s", 60.0: "min"}
_OME_XML_TIME_UNITS |= {3600.0: "h", 86400.0: "d"}

Create = Callable[[Path, tuple[int, ...], np.dtype, tuple[int, ...]], Any]
Finish = Callable[[Path, Path], None]


def is_ome(path: str | os.PathLike) -> bool:
    """Whether the name asks for OME-Zarr or OME-TIFF."""
    return Path(path).name.lower().endswith(OME_SUFFIXES)


def output_hooks(
    path: str | os.PathLike,
    record: dict[str, Any],
    info: PixelInfo | None = None,
    channel_axis: int | None = None,
) -> tuple[Create, Finish | None]:
    """``create`` and ``finish`` for :func:`.write.write_lazy` at ``path``.

    Parameters
    ----------
    path : path
        The final output; its name chooses the format.
    record : dict
        JSON-serializable; stored as described in the module docstring.
    info : PixelInfo, optional
        Axes and pixel sizes of the output (those of the input): OME
        outputs carry them; without sizes the scale is 1 pixel.
    channel_axis : int, optional
        The channel axis, when ``info`` does not name one.
    """
    kind = file_format(path)
    if is_ome(path):
        about = About(record, info or PixelInfo(), channel_axis)
        make = _ome_zarr if kind == "zarr" else _ome_tiff
        return (
            lambda p, shape, dtype, chunks: make(p, shape, dtype, chunks, about),
            None,
        )
    if kind == "tiff":
        return (lambda p, shape, dtype, _: _tiff(p, shape, dtype, record), None)
    create: Create = lambda p, shape, dtype, chunks: create_target(  # noqa: E731
        p, shape, dtype, chunks, {KEY: record} if kind == "zarr" else None
    )
    if kind == "npy":
        # written whole at its partial name; write_lazy moves it in after the array
        return create, lambda _, final: write_json(partial_path(sidecar(final)), record)
    return create, None


@dataclass(frozen=True)
class About:
    """What an OME output says of itself: ``record``, and its axes and pixel
    sizes (``info``, else named from ``channel_axis``, see :func:`ome_axes`)."""

    record: dict[str, Any]
    info: PixelInfo
    channel_axis: int | None = None

    def axes(self, ndim: int) -> str:
        """The output's OME axis letters."""
        return ome_axes(ndim, self.info, self.channel_axis)


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` as JSON to ``path``: all of it or nothing."""
    write_text_atomic(path, json_text(document))


def write_json(path: Path, document: Any) -> None:
    """Write ``document`` as JSON to ``path``, a partial name (see
    :func:`.atomic.partial_path`) that its caller moves into place."""
    path.write_text(json_text(document), encoding="utf-8")


def json_text(document: Any) -> str:
    """``document`` as indented JSON, one line at the end."""
    return json.dumps(document, indent=2) + "\n"


def ome_axes(ndim: int, info: PixelInfo, channel_axis: int | None) -> str:
    """The output's axes as OME letters (``T``, ``C``, ``Z``, ``Y``, ``X``).

    The file's own names when they are OME letters (``S`` counts as ``C``);
    else the last axes are X, Y, Z, the channel axis C, one more axis T.
    """
    named = (info.axes or "").replace("S", "C")
    if len(named) == ndim and set(named) <= set(_OME_ORDER) and _unique(named):
        return named
    axes = ["?"] * ndim
    if channel_axis is not None:
        axes[channel_axis] = "C"
    free = [i for i in range(ndim) if axes[i] == "?"][::-1]
    for i, letter in zip(free, "XYZT", strict=False):
        axes[i] = letter
    if "?" in axes:
        raise ValueError(f"cannot name {ndim} axes for OME (at most T, C, Z, Y, X)")
    return "".join(axes)


def _unique(letters: str) -> bool:
    return len(set(letters)) == len(letters)


def _unit_name(unit: str | None, names: dict[float, str]) -> str | None:
    return None if unit is None else names.get(metres(unit))


def _time_unit_name(unit: str | None, names: dict[float, str]) -> str | None:
    length = None if unit is None else seconds(unit)
    return None if length is None else names.get(length)


def _scales(axes: str, info: PixelInfo, time_names: dict[float, str]) -> list:
    """The step of each axis in its unit: the pixel size along Z, Y and X,
    the time step along T; None where the file gives none (or gives a time
    unit that ``time_names`` has no name for).

    Raises ValueError for a step that is not a finite number > 0: an OME
    file never says one (a bare NaN is not even JSON).
    """
    sizes = info.sizes
    if sizes is None or len(sizes) != len(axes):
        sizes = (None,) * len(axes)
    time = info.time
    if (
        info.time_unit is not None
        and _time_unit_name(info.time_unit, time_names) is None
    ):
        time = None
    steps = [
        size if axis in "ZYX" else time if axis == "T" else None
        for axis, size in zip(axes, sizes, strict=True)
    ]
    for axis, step in zip(axes, steps, strict=True):
        if step is not None and not (math.isfinite(step) and step > 0):
            raise ValueError(
                f"cannot write the step {step!r} of axis {axis} into OME "
                "metadata: it must be a finite number > 0"
            )
    return steps


def _ome_zarr(
    path: Path, shape: tuple[int, ...], dtype: np.dtype, chunks: tuple, about: About
) -> Any:
    """An empty OME-Zarr v0.5 image, its level 0 returned to be filled."""
    try:
        from yaozarrs import DimSpec, v05
        from yaozarrs.write.v05 import prepare_image
    except ImportError:
        raise ValueError(f"writing OME-Zarr needs yaozarrs: {EXTRA_HINT}") from None
    axes, info = about.axes(len(shape)), about.info
    if "".join(sorted(axes, key=_OME_ORDER.index)) != axes:
        raise ValueError(
            f"OME-Zarr wants its axes in the order t, c, z, y, x; this image's "
            f"are {axes}: write .zarr or .ome.tif instead"
        )
    steps = _scales(axes, info, _NGFF_TIME_UNITS)
    units = {"T": _time_unit_name(info.time_unit, _NGFF_TIME_UNITS)}
    units |= dict.fromkeys("ZYX", _unit_name(info.unit, _NGFF_UNITS))
    dims = [
        DimSpec(
            name=axis.lower(),
            size=n,
            scale=1.0 if step is None else step,
            unit=None if step is None else units.get(axis),
        )
        for axis, n, step in zip(axes, shape, steps, strict=True)
    ]
    image = v05.Image(multiscales=[v05.Multiscale.from_dims(dims, n_levels=1)])
    _, arrays = prepare_image(
        path,
        image,
        (shape, dtype),
        extra_attributes={KEY: about.record},
        chunks=chunks,
        writer="zarr",
        compression="zstd",
    )
    return arrays["0"]


def _ome_tiff(
    path: Path, shape: tuple[int, ...], dtype: np.dtype, _chunks: tuple, about: About
) -> RawWriter:
    """An empty OME-TIFF with the pixel sizes, the time step and ``record``
    as an annotation."""
    axes = about.axes(len(shape))
    note = {KEY: json.dumps(about.record)}
    metadata: dict[str, Any] = {
        "axes": axes,
        "MapAnnotation": {"Namespace": KEY, "Value": note},
    }
    info = about.info
    unit = _unit_name(info.unit, _OME_XML_UNITS)
    time_unit = _time_unit_name(info.time_unit, _OME_XML_TIME_UNITS)
    for axis, step in zip(axes, _scales(axes, info, _OME_XML_TIME_UNITS), strict=True):
        if axis in "ZYX" and step is not None and unit:
            metadata[f"PhysicalSize{axis}"] = step
            metadata[f"PhysicalSize{axis}Unit"] = unit
        if axis == "T" and step is not None:
            metadata["TimeIncrement"] = step
            if time_unit:  # else OME's default, the second
                metadata["TimeIncrementUnit"] = time_unit
    return _raw_tiff(path, shape, dtype, ome=True, metadata=metadata)


def _tiff(
    path: Path, shape: tuple[int, ...], dtype: np.dtype, record: dict[str, Any]
) -> RawWriter:
    return _raw_tiff(path, shape, dtype, metadata={KEY: record})


def _raw_tiff(
    path: Path, shape: tuple[int, ...], dtype: np.dtype, **metadata: Any
) -> RawWriter:
    """An empty uncompressed TIFF at full size, filled chunk by chunk."""
    return RawWriter(path, create_tiff(path, shape, dtype, **metadata), shape, dtype)
