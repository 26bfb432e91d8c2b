"""Which image goes with which mask, and where its output goes.

``blur IMAGE MASK -o OUT`` takes files, folders or globs.  With a folder or
glob IMAGE every image becomes one :class:`Job`; :func:`plan_jobs` pairs
each with its mask and names its output, and refuses the whole batch, before
any work, listing every problem: no images, an image without a mask, two
images written to one output, an output that is an input.
"""

from __future__ import annotations

import glob
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from napari_masked_blur._cli.errors import InputError

WRITABLE = (".ome.tif", ".ome.tiff", ".ome.zarr", ".tif", ".tiff", ".zarr", ".npy")
IMAGE_SUFFIXES = (*WRITABLE, ".czi", ".nd2", ".lif")
DEFAULT_OUTPUT_SUFFIX = ".ome.tif"
_GLOB = set("*?[")


@dataclass(frozen=True)
class Job:
    """One image of a batch: its mask and its output."""

    image: Path
    mask: Path
    output: Path


def split_name(name: str) -> tuple[str, str]:
    """A file name as stem and format suffix: ``cells.ome.tif`` -> ``cells``,
    ``.ome.tif``."""
    lower = name.lower()
    for suffix in IMAGE_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], name[-len(suffix) :]
    path = Path(name)
    return path.stem, path.suffix


def is_zarr_store(path: Path) -> bool:
    """A folder that is one Zarr array or group, not a folder of files."""
    return path.suffix.lower() == ".zarr" or any(
        (path / marker).exists() for marker in ("zarr.json", ".zarray", ".zgroup")
    )


def is_many(text: str | os.PathLike) -> bool:
    """Whether IMAGE or MASK names several files: a glob or a plain folder."""
    text = os.fspath(text)
    path = Path(text)
    if path.is_dir():
        return not is_zarr_store(path)
    return not path.exists() and bool(_GLOB & set(text))


def list_images(source: str) -> list[Path]:
    """The images a folder holds (known suffixes, not hidden) or a glob matches."""
    if _GLOB & set(source):
        found = [Path(p) for p in sorted(glob.glob(source))]
    else:
        found = [
            p
            for p in sorted(Path(source).iterdir())
            if p.name.lower().endswith(IMAGE_SUFFIXES)
            and (p.is_file() or is_zarr_store(p))
        ]
    return [p for p in found if not p.name.startswith(".")]


def plan_jobs(
    image: str, mask: str, output: str, mask_pattern: str | None = None
) -> list[Job]:
    """Every image of a folder or glob with its mask and output.

    Parameters
    ----------
    image, mask : str
        A folder or glob; ``mask`` may also be one file for every image.
    output : str
        A folder (outputs named like the images; formats that cannot be
        written become ``.ome.tif``) or a pattern with ``{stem}`` or
        ``{name}`` (e.g. ``out/{stem}_smooth.ome.zarr``).
    mask_pattern : str, optional
        The name of each image's mask in ``mask``, e.g. ``{stem}_mask.tif``.

    Raises
    ------
    InputError
        Listing every problem found.
    """
    problems: list[str] = []
    images = list_images(image)
    if is_many(mask):
        partners = {p: _partner(p, mask, mask_pattern, problems) for p in images}
        taken = {m.resolve() for m in partners.values() if m is not None}
        images = [p for p in images if p.resolve() not in taken]
    elif mask_pattern is not None:
        raise InputError(f"--mask-pattern needs a folder or glob MASK, got {mask!r}")
    else:
        partners = dict.fromkeys(images, Path(mask))
        if not Path(mask).exists():
            problems.append(f"no such mask file: {mask!r}")
    if not images:
        problems.insert(0, f"no images in {image!r} (looked for {_known()})")
    jobs = []
    for path in images:
        if partners[path] is None:
            stem = split_name(path.name)[0]
            wanted = (
                repr(mask_pattern.format(stem=stem, name=path.name))
                if mask_pattern is not None
                else f"{path.name!r}, or {stem!r} with another suffix"
            )
            problems.append(
                f"no mask for {str(path)!r} in {mask!r} (looked for {wanted}; "
                "give the masks' names with --mask-pattern, e.g. "
                "--mask-pattern '{stem}_mask.tif')"
            )
            continue
        target = _output(path, output, problems)
        if target is not None:
            jobs.append(Job(path, partners[path], target))
    problems += _clashes(jobs)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s), nothing done:\n  " + "\n  ".join(problems)
        )
    return jobs


def _known() -> str:
    return ", ".join(IMAGE_SUFFIXES)


def _partner(
    image: Path, masks: str, pattern: str | None, problems: list[str]
) -> Path | None:
    """The mask of ``image`` in a folder or glob of masks, or None."""
    stem, _ = split_name(image.name)
    if _GLOB & set(masks):
        candidates = [Path(p) for p in sorted(glob.glob(masks))]
    else:
        candidates = sorted(Path(masks).iterdir())
    by_name = {p.name: p for p in candidates}
    if pattern is not None:
        name = _format(pattern, "--mask-pattern", image, problems)
        return by_name.get(name) if name is not None else None
    if image.name in by_name and by_name[image.name].resolve() != image.resolve():
        return by_name[image.name]
    same_stem = [
        p
        for p in candidates
        if split_name(p.name)[0] == stem and p.resolve() != image.resolve()
    ]
    return same_stem[0] if len(same_stem) == 1 else None


def _format(pattern: str, option: str, image: Path, problems: list[str]) -> str | None:
    stem, _ = split_name(image.name)
    try:
        return pattern.format(stem=stem, name=image.name)
    except (KeyError, IndexError, ValueError) as error:
        problem = f"{option} {pattern!r}: use {{stem}} or {{name}} ({error!r})"
        if problem not in problems:
            problems.append(problem)
        return None


def _output(image: Path, output: str, problems: list[str]) -> Path | None:
    """Where the output of ``image`` goes."""
    if "{" in output:
        name = _format(output, "-o", image, problems)
        return Path(name) if name is not None else None
    folder = Path(output)
    if not folder.is_dir() and folder.name.lower().endswith(IMAGE_SUFFIXES):
        message = (
            f"-o {output!r}: with a folder or glob IMAGE, -o is a folder or a "
            "name pattern such as 'out/{stem}_smooth.tif'"
        )
        if message not in problems:
            problems.append(message)
        return None
    stem, suffix = split_name(image.name)
    if suffix.lower() not in WRITABLE:
        suffix = DEFAULT_OUTPUT_SUFFIX
    return folder / f"{stem}{suffix}"


def _clashes(jobs: list[Job]) -> list[str]:
    """Two images written to one output, or an output that is an input."""
    by_output: dict[Path, list[Path]] = defaultdict(list)
    for job in jobs:
        by_output[job.output.resolve()].append(job.image)
    inputs = {j.image.resolve() for j in jobs} | {j.mask.resolve() for j in jobs}
    problems = [
        f"{' and '.join(repr(str(p)) for p in images)} would all be written to "
        f"{str(output)!r}"
        for output, images in by_output.items()
        if len(images) > 1
    ]
    problems += [
        f"output {str(output)!r} is one of the inputs"
        for output in by_output
        if output in inputs
    ]
    return problems
