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
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cache
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
    other: Path | None = None


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

    Each folder or glob is listed once, and every look-up is by name in a
    dict, so planning costs in proportion to the number of files.  Files
    that are outputs of this batch (an earlier run's, written beside the
    images) are left out, and said on stderr: see :func:`_our_outputs`.

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
    try:
        return _plan(image, mask, output, mask_pattern)
    finally:
        _real.cache_clear()


@cache
def _real(path: Path) -> Path:
    """``path`` resolved, once per path while a batch is planned."""
    return path.resolve()


def _plan(image: str, mask: str, output: str, mask_pattern: str | None) -> list[Job]:
    problems: list[str] = []
    images = list_images(image)
    outputs = {p: _output(p, output, problems) for p in images}
    ours = _our_outputs(images, outputs)
    images = [p for p in images if p not in ours]
    reasons: dict[Path, str] = {}
    if is_many(mask):
        masks = MaskListing(mask)
        partners = {
            p: masks.partner(p, mask_pattern, problems, reasons) for p in images
        }
        taken = {_real(m) for m in partners.values() if m is not None}
        images = [p for p in images if _real(p) not in taken]
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
            problems.append(reasons.get(path) or _no_mask(path, mask, mask_pattern))
        elif outputs[path] is not None:
            jobs.append(Job(path, partners[path], outputs[path]))
    problems += _clashes(jobs)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s), nothing done:\n  " + "\n  ".join(problems)
        )
    if ours:
        names = ", ".join(repr(p.name) for p in sorted(ours)[:3])
        more = f" and {len(ours) - 3} more" if len(ours) > 3 else ""
        print(
            f"leaving out {len(ours)} file(s) written by an earlier run, not "
            f"images: {names}{more}",
            file=sys.stderr,
        )
    return jobs


def pair_others(
    jobs: list[Job], other: str | None, pattern: str | None = None
) -> list[Job]:
    """``jobs`` with each image's ``--other`` file (a filter of two images).

    ``other`` is one file for every image, or a folder or glob whose files
    are paired with the images as masks are (by name, or by ``pattern``,
    e.g. ``{stem}_green.tif``).  None: the jobs as they are.

    Raises
    ------
    InputError
        Listing every image without its other file, and every output that
        would be one of them.
    """
    if other is None:
        if pattern is not None:
            raise InputError(f"--other-pattern {pattern!r} needs --other")
        return jobs
    problems: list[str] = []
    reasons: dict[Path, str] = {}
    if not is_many(other):
        if pattern is not None:
            raise InputError(
                f"--other-pattern needs a folder or glob --other, got {other!r}"
            )
        if not Path(other).exists():
            raise InputError(f"no such --other file: {other!r}")
        partners = dict.fromkeys((job.image for job in jobs), Path(other))
    else:
        others = MaskListing(other, "--other files", "--other-pattern")
        partners = {
            job.image: others.partner(job.image, pattern, problems, reasons)
            for job in jobs
        }
    paired = []
    for job in jobs:
        partner = partners[job.image]
        if partner is None:
            problems.append(
                reasons.get(
                    job.image, f"no --other file for {str(job.image)!r} in {other!r}"
                )
            )
        elif _real(partner) == _real(job.output):
            problems.append(f"output {str(job.output)!r} is one of the inputs")
        else:
            paired.append(replace(job, other=partner))
    _real.cache_clear()
    if problems:
        raise InputError(
            f"{len(problems)} problem(s), nothing done:\n  " + "\n  ".join(problems)
        )
    return paired


def _no_mask(image: Path, masks: str, pattern: str | None) -> str:
    """The image has no mask: say which name was looked for, and the option."""
    stem = split_name(image.name)[0]
    wanted = (
        repr(pattern.format(stem=stem, name=image.name))
        if pattern is not None
        else f"{image.name!r}, or {stem!r} with another suffix"
    )
    return (
        f"no mask for {str(image)!r} in {masks!r} (looked for {wanted}; give "
        "the masks' names with --mask-pattern, e.g. --mask-pattern "
        "'{stem}_mask.tif')"
    )


def _known() -> str:
    return ", ".join(IMAGE_SUFFIXES)


def _our_outputs(images: list[Path], outputs: dict[Path, Path | None]) -> set[Path]:
    """The listed files that are outputs of ours, not images.

    A file is ours when it carries our record (:func:`.records.read_record`)
    and either it is where this batch writes another listed image's output,
    or it is an ``.npy`` with its record beside it.  Only those candidates
    are opened: one look-up per file.
    """
    from napari_masked_blur._files.records import read_record
    from napari_masked_blur._files.safety import sidecar

    listed = {_real(p): p for p in images}
    candidates = {
        listed[target]
        for source, out in outputs.items()
        if out is not None
        and (target := _real(out)) in listed
        and listed[target] != source
    }
    candidates |= {
        p for p in images if p.name.lower().endswith(".npy") and sidecar(p).is_file()
    }
    return {p for p in candidates if read_record(p) is not None}


class MaskListing:
    """A folder or glob of masks (or of ``--other`` files), listed once,
    looked up by name and by stem."""

    def __init__(
        self, masks: str, what: str = "masks", option: str = "--mask-pattern"
    ) -> None:
        self.masks, self.what, self.option = masks, what, option
        if _GLOB & set(masks):
            candidates = [Path(p) for p in sorted(glob.glob(masks))]
        else:
            candidates = sorted(Path(masks).iterdir())
        self.by_name = {p.name: p for p in candidates}
        self.by_stem: dict[str, list[Path]] = defaultdict(list)
        for path in candidates:
            self.by_stem[split_name(path.name)[0]].append(path)

    def partner(
        self,
        image: Path,
        pattern: str | None,
        problems: list[str],
        reasons: dict[Path, str],
    ) -> Path | None:
        """The mask of ``image``, or None (with the reason in ``reasons``
        when it is not simply missing)."""
        if pattern is not None:
            name = _format(pattern, self.option, image, problems)
            return self.by_name.get(name) if name is not None else None
        real = _real(image)
        named = self.by_name.get(image.name)
        if named is not None and _real(named) != real:
            return named
        stem, _ = split_name(image.name)
        same_stem = [p for p in self.by_stem.get(stem, []) if _real(p) != real]
        if len(same_stem) > 1:
            reasons[image] = (
                f"{len(same_stem)} candidate {self.what} for {str(image)!r} in "
                f"{self.masks!r}: {', '.join(repr(p.name) for p in same_stem)}; "
                f"name one with {self.option}"
            )
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
        by_output[_real(job.output)].append(job.image)
    inputs = {_real(j.image) for j in jobs} | {_real(j.mask) for j in jobs}
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
