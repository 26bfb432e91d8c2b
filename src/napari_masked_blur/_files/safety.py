"""Checks that an output can be written without losing anything of the user's.

An output may not be, contain or lie inside an input, compared by real path
(links resolved) and by the Zarr store an input lies in: writing
``grp.zarr`` or ``grp.zarr/out`` would replace or change the group that
holds the input ``grp.zarr/img``.  The output's own name is never followed
if it is a symbolic link: a link there is refused, so that neither the link
nor its target (perhaps in another folder) is replaced.  An existing output
is replaced only with ``overwrite``, and never when it is a folder that the
output's format could not have written (a folder for a TIFF, a folder
without Zarr metadata for a Zarr store).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from napari_masked_blur._files.io import SUFFIXES

_ZARR_METADATA = ("zarr.json", ".zarray", ".zgroup")


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
    _check_name(output)
    if not output.parent.is_dir():
        raise ValueError(f"output folder {str(output.parent)!r} does not exist")
    if output.is_symlink():
        raise ValueError(
            f"output {str(output)!r} is a symbolic link; it is neither followed "
            "nor replaced: give the real path, or remove the link"
        )
    if not os.path.lexists(output):
        return
    if not overwrite:
        raise FileExistsError(
            f"output {str(output)!r} exists; pass --overwrite to replace it"
        )
    if output.is_dir() and not (output.suffix.lower() == ".zarr" and zarr_node(output)):
        raise ValueError(
            f"output {str(output)!r} is a folder that this output would not "
            "have written; it is not replaced, even with --overwrite"
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
