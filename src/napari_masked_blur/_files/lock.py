"""One batch at a time writes into a folder: a lock file that names its holder.

:func:`folder_lock` puts ``.napari-masked-blur.lock`` in the folder, holding
the host and process id of the run (as the partial outputs' names do,
:mod:`.atomic`), and removes it when the run ends, however it ends but
SIGKILL.  A second run finds it and is refused, naming the holder.  A lock
whose process is gone (same host, id no longer alive: SIGKILL, a power cut)
does not keep the folder locked: the next run takes it over and says so.  A
lock held from another machine is never taken over: only its user can tell
that its run is gone.

The lock appears with its content in one step (written under a partial name,
then renamed without replacing, :func:`.atomic.rename_noreplace`), so no run
ever reads a lock half written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from napari_masked_blur._files.atomic import (
    host_tag,
    partial_path,
    process_alive,
    remove_path,
    rename_noreplace,
)

LOCK_NAME = ".napari-masked-blur.lock"
_TRIES = 5


class FolderLocked(Exception):
    """Another live run holds the folder's lock."""


@contextlib.contextmanager
def folder_lock(folder: Path, said: list[str] | None = None) -> Iterator[Path]:
    """Hold ``folder``'s lock while the block runs; yield the lock's path.

    Parameters
    ----------
    folder : Path
        An existing folder.
    said : list of str, optional
        Gets a sentence when a dead run's lock is taken over.

    Raises
    ------
    FolderLocked
        A live run (or one on another machine) holds the lock.
    """
    lock = folder / LOCK_NAME
    mine = f"{host_tag()} {os.getpid()}\n"
    _take(lock, mine, said if said is not None else [])
    try:
        yield lock
    finally:
        if _read(lock) == mine:  # never remove a lock that is not ours
            remove_path(lock)


def _take(lock: Path, mine: str, said: list[str]) -> None:
    for _ in range(_TRIES):
        partial = partial_path(lock)
        partial.write_text(mine, encoding="utf-8")
        try:
            rename_noreplace(partial, lock)
            return
        except FileExistsError:
            pass
        finally:
            remove_path(partial)
        holder = _read(lock)
        if holder is None:  # gone since: try again
            continue
        host, _, pid = holder.strip().partition(" ")
        if host != host_tag() or not pid.isdigit() or process_alive(int(pid)):
            raise FolderLocked(
                f"another batch (process {pid} on {host}) is writing into "
                f"{str(lock.parent)!r}; wait until it ends, or remove "
                f"{str(lock)!r} if it is gone"
            )
        if _set_aside(lock, holder):
            said.append(f"took over {str(lock)!r}, left by process {pid} that died")
    raise FolderLocked(f"could not take {str(lock)!r}: other runs keep taking it")


def _set_aside(lock: Path, stale: str) -> bool:
    """Remove the lock of a dead run, but only that one: if another run took
    the lock since it was read, its lock is put back."""
    aside = partial_path(lock, "old")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return False  # another run set it aside first
    if _read(aside) != stale:
        with contextlib.suppress(FileExistsError):
            rename_noreplace(aside, lock)
        remove_path(aside)
        return False
    remove_path(aside)
    return True


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None
