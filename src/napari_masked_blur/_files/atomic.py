"""Partial outputs and the final move: nothing replaced unasked, nothing left behind.

An output is written under a hidden *partial* name in its own folder,
``.NAME.partial-HOST-PID.EXT``, and moved into place once whole.  The host
and process id in the name let a later run tell a partial whose writer died
(SIGKILL, power loss) from one still being written, on this machine or on
another that shares the folder.

The final move never replaces what it was not asked to replace:

- without ``overwrite`` it is ``renameat2(RENAME_NOREPLACE)`` on Linux, else
  ``link`` + ``unlink`` for a file: one atomic step that fails if anything
  (a file, a folder, a symbolic link) appeared at the output during the run.
  Where neither exists (a folder on a non-Linux system) it is ``rename``,
  which refuses a non-empty folder or a file but would replace an empty
  folder created in the instant before it;
- with ``overwrite`` it is ``renameat2(RENAME_EXCHANGE)`` (the new and the
  old output swap names in one step, then the old one is removed), else
  ``os.replace`` for a file over a file, else the old output is moved aside
  to ``.NAME.old-HOST-PID.EXT`` and back if the move in fails.

A symbolic link at the output is never followed: it is what is replaced or
refused, not its target.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import socket
import sys
from pathlib import Path

# What partial_path makes: the suffix is Path.suffix, a dot and anything but
# a dot ("-v2", spaces and all), or nothing for a name without one.
_LEFTOVER = re.compile(
    r"^\.(?P<stem>.+)\.(?P<kind>partial|old)-(?P<host>\w*)-(?P<pid>\d+)"
    r"(?P<suffix>(?:\.[^.]+)?)$"
)
_NOREPLACE, _EXCHANGE = 1, 2  # renameat2 flags (linux/fs.h)
_AT_FDCWD = -100


def host_tag() -> str:
    """This machine's name, reduced to letters, digits and ``_``."""
    return re.sub(r"\W", "_", socket.gethostname())[:40]


def partial_path(output: Path, kind: str = "partial") -> Path:
    """Where ``output`` is written before it is whole (``kind="partial"``),
    or where an old output waits while the new one moves in (``"old"``).

    Every writer of the package names its partials here, so that
    :func:`remove_stale_partials` finds what a killed one left.

    Examples
    --------
    >>> import os
    >>> name = partial_path(Path("out.ome.zarr")).name
    >>> name == f".out.ome.partial-{host_tag()}-{os.getpid()}.zarr"
    True
    >>> partial_path(Path("settings")).name.endswith(f"-{os.getpid()}")
    True
    """
    return output.with_name(
        f".{output.stem}.{kind}-{host_tag()}-{os.getpid()}{output.suffix}"
    )


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (ours included;
    on Windows always, so that no partial there is taken for stale)."""
    if pid == os.getpid() or os.name == "nt":  # Windows' kill would end it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_partials(folder: Path) -> list[str]:
    """Clean up what dead runs left in ``folder``; say what was done.

    A partial output whose process (same host, id no longer alive) is gone is
    removed.  An old output moved aside by a run that died before removing it
    is put back if nothing took its place, else removed.  Leftovers of live
    processes and of other machines are left alone.

    Returns
    -------
    list of str
        One sentence per leftover found, for the user.
    """
    said = []
    for path in sorted(folder.iterdir()):
        match = _LEFTOVER.match(path.name)
        if match is None or match["host"] != host_tag():
            continue
        pid = int(match["pid"])
        if process_alive(pid):
            continue
        output = folder / f"{match['stem']}{match['suffix']}"
        if match["kind"] == "old" and not os.path.lexists(output):
            rename_noreplace(path, output)
            said.append(f"restored {str(output)!r}, moved aside by process {pid}")
            continue
        remove_path(path)
        said.append(f"removed {str(path)!r}, left by process {pid} that died")
    return said


def move_into_place(partial: Path, output: Path, *, overwrite: bool) -> None:
    """Move the finished ``partial`` to ``output``; see the module's notes.

    Raises
    ------
    FileExistsError
        Something is at ``output`` and ``overwrite`` is false (it appeared
        during the run: the caller checked before starting).
    """
    try:
        rename_noreplace(partial, output)
        return
    except FileExistsError:
        if not overwrite:
            raise FileExistsError(
                f"output {str(output)!r} appeared while the result was computed "
                "and was left as it is; pass --overwrite to replace it"
            ) from None
    if _renameat2(partial, output, _EXCHANGE):
        remove_path(partial)  # now the old output
        return
    if partial.is_file() and not output.is_dir():
        os.replace(partial, output)  # atomic; replaces a link, not its target
        return
    old = partial_path(output, "old")
    os.replace(output, old)
    try:
        rename_noreplace(partial, output)
    except OSError:
        os.replace(old, output)
        raise
    remove_path(old)


def rename_noreplace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, failing if ``target`` exists, atomically
    where the system allows (see the module's notes).

    Raises
    ------
    FileExistsError
        Something is at ``target``.
    """
    if _renameat2(source, target, _NOREPLACE):
        return
    if not source.is_dir() and _link(source, target):
        os.unlink(source)
        return
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "exists", str(target))
    try:
        os.rename(source, target)
    except OSError as error:
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        raise


def _link(source: Path, target: Path) -> bool:
    """Hard-link ``target`` to ``source``: False where the file system has no
    hard links (FAT, some network shares), FileExistsError if ``target`` exists."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        raise
    except (OSError, NotImplementedError):  # NotImplemented: no linkat here
        return False
    return True


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """``renameat2`` with ``flags``; False where the system or the file system
    lacks it, FileExistsError where ``RENAME_NOREPLACE`` meets a target."""
    call = _renameat2_call()
    if call is None:
        return False
    status = call(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if status == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), str(target))
    raise OSError(code, os.strerror(code), str(source), None, str(target))


def _renameat2_call():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # glibc < 2.28, musl without it
        return None


def remove_path(path: Path) -> None:
    """Remove a file, a link (not its target) or a folder, if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink()


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` under a partial name, then rename it to ``path``: all or nothing.

    The partial is named by :func:`partial_path`, so a write killed before
    its rename (SIGKILL) is removed by :func:`remove_stale_partials`.
    """
    partial = partial_path(path)
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename == str(partial):
            error.filename = str(path)  # the name asked for, not our partial's
        raise
