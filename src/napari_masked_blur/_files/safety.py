"""Checks that an output can be written without losing anything of the user's.

An output may not be, contain or lie inside an input, compared by real path
(links resolved) and by the Zarr store an input lies in: writing
``grp.zarr`` or ``grp.zarr/out`` would replace or change the group that
holds the input ``grp.zarr/img``.  The output's own name is never followed
if it is a symbolic link: a link there is refused, so that neither the link
nor its target (perhaps in another folder) is replaced.  An existing output
is replaced only with ``overwrite``, and never when it is a folder that the
output's format could not have written (a folder for a TIFF, a folder
without Zarr metadata for a Zarr store).  The record written beside an
``.npy`` output (:func:`sidecar`) is checked with it, before any work.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from napari_masked_blur._files.io import SUFFIXES

_ZARR_METADATA = ("zarr.json", ".zarray", ".zgroup")
# The chunk keys of a Zarr array: "c" (v3 default), "0", "0.1.2" (v2).
_CHUNK_KEY = re.compile(r"^(c|\d+(\.\d+)*)$")


def output_path(path: str | os.PathLike) -> Path:
    """``path`` made absolute, its folder's links resolved, its own name kept
    as it is (a link there is not followed)."""
    path = Path(os.path.abspath(path))
    return path.parent.resolve() / path.name


def check_output(
    output: Path, inputs: Sequence[str | os.PathLike], *, overwrite: bool
) -> None:
    """Refuse an output that would lose or change something of the user's.

    Parameters
    ----------
    output : Path
        From :func:`output_path`.
    inputs : sequence of path
        The files and Zarr arrays read.
    overwrite : bool
        Whether an existing output may be replaced.

    Raises
    ------
    FileExistsError
        ``output`` exists and ``overwrite`` is false.
    ValueError
        Every other refusal, with the reason.
    """
    for path in inputs:
        _check_apart(output, Path(path))
        for record in companions(output):
            _check_apart(record, Path(path))
    _check_name(output)
    if not output.parent.is_dir():
        raise ValueError(f"output folder {str(output.parent)!r} does not exist")
    if output.is_symlink():
        raise ValueError(
            f"output {str(output)!r} is a symbolic link; it is neither followed "
            "nor replaced: give the real path, or remove the link"
        )
    exists = os.path.lexists(output)
    if exists and not overwrite:
        raise FileExistsError(
            f"output {str(output)!r} exists; pass --overwrite to replace it"
        )
    for record in companions(output):
        _check_record(record, output, overwrite=overwrite)
    if exists and output.is_dir():
        _check_replaceable_store(output)


def _check_replaceable_store(output: Path) -> None:
    """A folder at the output is replaced only when it is one image as this
    package writes it: a Zarr array, or an (OME-)Zarr group of its image's
    levels.  Anything else it holds (``labels/``, notes, other arrays) would
    be lost with it, so it is refused rather than replaced."""
    if not (output.suffix.lower() == ".zarr" and zarr_node(output)):
        raise ValueError(
            f"output {str(output)!r} is a folder that this output would not "
            "have written; it is not replaced, even with --overwrite"
        )
    extra = sorted(set(os.listdir(output)) - _image_entries(output))
    if extra:
        named = ", ".join(repr(name) for name in extra[:4])
        more = f" and {len(extra) - 4} more" if len(extra) > 4 else ""
        raise ValueError(
            f"output {str(output)!r} holds more than the image ({named}{more}); "
            "--overwrite would lose them, so it is refused: move them out of "
            "the store, or write the output elsewhere"
        )


def sidecar(path: str | os.PathLike) -> Path:
    """Where the record of a ``.npy`` output lies: ``NAME.npy.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def companions(output: Path) -> list[Path]:
    """The files written with ``output``: the record of an ``.npy``, none else."""
    return [sidecar(output)] if output.name.lower().endswith(".npy") else []


def _check_record(record: Path, output: Path, *, overwrite: bool) -> None:
    """The record written beside ``output`` is checked with it, before any work:
    never a folder or a link, an existing file only with ``overwrite``."""
    if not os.path.lexists(record):
        return
    if record.is_symlink() or not record.is_file():
        kind = "a symbolic link" if record.is_symlink() else "not a file"
        raise ValueError(
            f"the record of output {str(output)!r} goes to {str(record)!r}, which "
            f"is {kind}; it is not replaced, even with --overwrite"
        )
    if not overwrite:
        raise FileExistsError(
            f"{str(record)!r}, where the record of output {str(output)!r} goes, "
            "exists; pass --overwrite to replace it"
        )


def _check_name(output: Path) -> None:
    if output.suffix.lower() in SUFFIXES:
        return
    if output.is_dir():
        raise ValueError(
            f"output {str(output)!r} is an existing folder; name the output "
            f"file, ending in {', '.join(SUFFIXES)}"
        )
    raise ValueError(
        f"cannot tell the format of output {str(output)!r}: expected a name "
        f"ending in {', '.join(SUFFIXES)}"
    )


def _check_apart(output: Path, source: Path) -> None:
    """Refuse an output equal to, inside or around ``source`` or its store."""
    real = source.resolve()
    if output == real or (output.exists() and _same_file(output, real)):
        raise ValueError(f"output {str(output)!r} is the input {str(source)!r}")
    for held in {real, store_root(real)}:
        if held in output.parents:
            raise ValueError(
                f"output {str(output)!r} is inside {str(held)!r}, which holds "
                f"the input {str(source)!r}"
            )
        if output == held or output in held.parents:
            raise ValueError(
                f"output {str(output)!r} holds the input {str(source)!r}; "
                "replacing it would lose the input"
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _image_entries(store: Path) -> set[str]:
    """The names in ``store`` that an image written here would replace: its
    metadata, and the chunks of an array or the levels of a multiscale
    image; every entry of a store we cannot read counts as the image's."""
    names = set(os.listdir(store))
    metadata = names & {*_ZARR_METADATA, ".zattrs"}
    try:
        documents = [
            json.loads((store / name).read_text(encoding="utf-8"))
            for name in ("zarr.json", ".zattrs")
            if name in names
        ]
    except (OSError, ValueError):
        return names  # not ours to judge: the store is damaged
    if ".zarray" in names or any(d.get("node_type") == "array" for d in documents):
        return metadata | {n for n in names if _CHUNK_KEY.match(n)}
    levels = set()
    for document in documents:
        attributes = document.get("attributes", document)
        multiscales = attributes.get("ome", attributes).get("multiscales") or []
        for scale in multiscales:
            for level in scale.get("datasets", []):
                levels.add(str(level.get("path", "")).split("/")[0])
    return metadata | levels


def zarr_node(path: Path) -> bool:
    """Whether ``path`` is a folder with Zarr (v2 or v3) metadata in it."""
    return path.is_dir() and any((path / name).is_file() for name in _ZARR_METADATA)


def store_root(path: Path) -> Path:
    """The outermost Zarr node of the hierarchy that ``path`` belongs to
    (``grp.zarr`` for ``grp.zarr/img``), or ``path`` itself."""
    root = path
    while zarr_node(root.parent) and root.parent != root:
        root = root.parent
    return root
