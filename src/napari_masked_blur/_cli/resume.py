"""Which existing outputs a resumed batch keeps: only those made as now.

A batch run again over the same folder skips an output that exists only when
it is *complete and the same*: its record (:mod:`napari_masked_blur._files.records`)
holds the settings this run would use for that image (the package version
and the layout number aside), and the output opens with the image's shape
and holds all its bytes.  Any other existing output (other settings, no
record, cut short) is never replaced without ``--overwrite``: the batch is
refused before any work, saying how many and which, and why
(:func:`check_existing`).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
from collections.abc import Callable
from typing import Any

from napari_masked_blur._cli.errors import InputError
from napari_masked_blur._cli.sources import Job

Prepare = Callable[[argparse.Namespace], None]

# Keys of the settings document that do not change the numbers.
_NOT_COMPARED = ("format", "version")


def check_existing(
    jobs: list[Job], args: argparse.Namespace, prepare: Prepare
) -> list[Job]:
    """The jobs still to do: those whose output does not exist.

    Raises
    ------
    InputError
        Some outputs exist but were not made with these settings, or are not
        whole: one line naming how many, the first three and why.
    """
    todo, refused = [], []
    for job in jobs:
        if not _exists(job):
            todo.append(job)
            continue
        reason = differs(job, args, prepare)
        if reason is not None:
            refused.append(f"{str(job.output)!r} ({reason})")
    if refused:
        more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
        raise InputError(
            f"{len(refused)} of {len(jobs)} output(s) exist but are not what this "
            f"run would write, nothing done: {'; '.join(refused[:3])}{more}; "
            "pass --overwrite to redo them, or write to another -o"
        )
    return todo


def _exists(job: Job) -> bool:
    return job.output.exists() or job.output.is_symlink()


def differs(job: Job, args: argparse.Namespace, prepare: Prepare) -> str | None:
    """Why the existing output of ``job`` is not the one this run would
    write; None when it is (complete, same settings)."""
    from napari_masked_blur._files.formats import open_image
    from napari_masked_blur._files.records import is_whole, read_record

    record = read_record(job.output)
    if record is None:
        return "no record of how it was made: not written by this command, or cut short"
    one = copy.copy(args)
    one.image, one.mask, one.output = str(job.image), str(job.mask), job.output
    if job.other is not None:
        one.other = str(job.other)
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # the axes line, per file
            prepare(one)
        shape = open_image(job.image, args.reader).shape
    except (InputError, OSError, ValueError) as error:
        return f"its image cannot be read to compare: {error}"
    changed = changed_settings(record["settings"], one.record["settings"])
    if changed:
        return f"made with other settings: {changed}"
    if not is_whole(job.output, tuple(shape)):
        return "incomplete or damaged: not the image's shape, or cut short"
    return None


def changed_settings(there: dict[str, Any], now: dict[str, Any]) -> str:
    """The settings that differ, as ``sigma 12.0 there, 3.0 now``; empty
    when none does."""
    there, now = _plain(there), _plain(now)
    keys = [k for k in {**there, **now} if k not in _NOT_COMPARED]
    return ", ".join(
        f"{key} {json.dumps(there.get(key))} there, {json.dumps(now.get(key))} now"
        for key in keys
        if there.get(key) != now.get(key)
    )


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    """As JSON reads it back: tuples are lists, ints stay ints."""
    return json.loads(json.dumps(document))
