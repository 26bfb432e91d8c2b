"""``blur`` over folders and globs: many files, one run, resumable.

:func:`run` is what ``napari-masked-blur blur`` does once its arguments
are parsed.  One IMAGE file is blurred as before.  A folder or glob becomes
a list of jobs (:func:`.sources.plan_jobs`, which refuses the batch before
any work when a job cannot be made), and then:

- one batch at a time writes into a folder: a lock file there names the
  run holding it, and a second run is refused (a dead run's lock is taken
  over, :mod:`napari_masked_blur._files.lock`);
- outputs that exist are skipped and counted when complete and made with
  the same settings; any other existing output refuses the batch before
  any work (:mod:`.resume`); ``--overwrite`` redoes them all;
- each file is blurred in turn, with ``[k/N] IMAGE`` on stderr before it;
  a file that fails (unreadable, wrong shape, ...) is noted and the batch
  goes on; the failures are listed, with their reasons, at the end;
- ``--workers N`` starts one local dask.distributed cluster for the whole
  batch, and each file's chunks are spread over it (as ``--scheduler``).

Exit status: 0 when every file succeeded (or was complete), 1 when any
failed, 2 when refused before any work; stopped by a signal, 128 + its
number, with one line saying how many outputs were written.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from napari_masked_blur._cli.errors import InputError
from napari_masked_blur._cli.repeat_options import prepare
from napari_masked_blur._cli.resume import check_existing
from napari_masked_blur._cli.sources import Job, is_many, pair_others, plan_jobs

BlurOne = Callable[[argparse.Namespace], int]


def run(args: argparse.Namespace, blur_one: BlurOne) -> int:
    """Blur one file, or every file of a folder or glob, with ``blur_one``.

    ``blur_one(args)`` blurs ``args.image`` inside ``args.mask`` into
    ``args.output`` (raising :class:`InputError` for bad input); here it is
    given, for each file, a copy of ``args`` with that file's paths.
    """
    if not is_many(args.image):
        if is_many(args.mask):
            raise InputError(
                f"MASK {args.mask!r} is a folder or glob but IMAGE "
                f"{args.image!r} is one file"
            )
        other = getattr(args, "other", None)
        if other is not None and is_many(other):
            raise InputError(
                f"--other {args.other!r} is a folder or glob but IMAGE "
                f"{args.image!r} is one file"
            )
        prepare(args)
        return blur_one(args)
    jobs = plan_jobs(args.image, args.mask, args.output, args.mask_pattern)
    jobs = pair_others(jobs, getattr(args, "other", None), args.other_pattern)
    for folder in {job.output.parent for job in jobs}:
        folder.mkdir(parents=True, exist_ok=True)
    with _locked({job.output.parent for job in jobs}):
        todo = jobs if args.overwrite else check_existing(jobs, args, prepare)
        skipped = len(jobs) - len(todo)
        if skipped:
            print(
                f"skipping {skipped} of {len(jobs)} file(s) whose output is "
                "complete, made with these settings (--overwrite redoes them)",
                file=sys.stderr,
            )
        with _one_cluster(args) as where:
            failures = _blur_all(todo, where, blur_one, skipped)
    return _summary(len(todo), skipped, failures)


@contextlib.contextmanager
def _locked(folders: set[Path]) -> Iterator[None]:
    """Hold the lock of every output folder (:mod:`napari_masked_blur._files.lock`)."""
    from napari_masked_blur._files.lock import FolderLocked, folder_lock

    said: list[str] = []
    with contextlib.ExitStack() as stack:
        for folder in sorted(folders):
            try:
                stack.enter_context(folder_lock(folder, said))
            except FolderLocked as error:
                raise InputError(str(error)) from None
        for line in said:
            print(line, file=sys.stderr)
        yield


def _blur_all(
    todo: list[Job], args: argparse.Namespace, blur_one: BlurOne, skipped: int = 0
) -> list[tuple[Path, str]]:
    """Blur every job in turn; the failures, with their reasons.

    A stop (Ctrl-C, SIGTERM, SIGHUP) is raised on, carrying the line that
    says how far the batch came (:func:`.signals.stopped_line`).
    """
    failures: list[tuple[Path, str]] = []
    for done, job in enumerate(todo):
        print(f"[{done + 1}/{len(todo)}] {job.image}", file=sys.stderr, flush=True)
        one = copy.copy(args)
        one.image, one.mask, one.output = str(job.image), str(job.mask), job.output
        if job.other is not None:
            one.other = str(job.other)
        try:
            prepare(one)
            blur_one(one)
        except KeyboardInterrupt as stop:
            written = done - len(failures)
            stop.batch_line = (
                f"at {str(job.image)!r}: {written} of {len(todo)} output(s) "
                f"written by this run ({skipped} complete before, "
                f"{len(failures)} failed); the partial one removed, a re-run "
                "resumes there"
            )
            raise
        except Exception as error:  # the batch goes on past a failed file
            failures.append((job.image, _reason(error)))
            print(f"failed: {job.image}: {_reason(error)}", file=sys.stderr)
    return failures


def _reason(error: Exception) -> str:
    if isinstance(error, InputError | ValueError | FileNotFoundError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _summary(total: int, skipped: int, failures: list[tuple[Path, str]]) -> int:
    written = total - len(failures)
    line = f"done: {written} written, {skipped} skipped (complete)"
    if not failures:
        print(line + ", 0 failed", file=sys.stderr)
        return 0
    print(f"{line}, {len(failures)} failed:", file=sys.stderr)
    for image, reason in failures:
        print(f"  {image}: {reason}", file=sys.stderr)
    return 1


@contextlib.contextmanager
def _one_cluster(args: argparse.Namespace) -> Iterator[argparse.Namespace]:
    """``args`` with ``--workers N`` turned into the address of one local
    cluster, started here and stopped when the batch ends."""
    if args.workers is None:
        yield args
        return
    from napari_masked_blur._cli.store import local_cluster

    with local_cluster(args.workers) as address:
        shared = copy.copy(args)
        shared.scheduler, shared.workers = address, None
        yield shared
