"""Stop signals: SIGTERM and SIGHUP stop a run the way Ctrl-C does.

``timeout``, ``kill``, SLURM and ``docker stop`` send SIGTERM; closing the
terminal sends SIGHUP.  While :func:`stop_on_signals` is active both raise
:class:`Stopped` in the main thread, a :class:`KeyboardInterrupt`, so every
path that cleans up after Ctrl-C (removing the partial output, stopping a
local cluster) cleans up after them too.  The exit status is the shell's
convention, 128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM,
129 for SIGHUP.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(KeyboardInterrupt):
    """The run was asked to stop by ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(stop: KeyboardInterrupt) -> int:
    """128 + the signal's number (SIGINT for a plain Ctrl-C)."""
    return 128 + getattr(stop, "signum", signal.SIGINT)


def signal_name(stop: KeyboardInterrupt) -> str:
    """``"SIGTERM"`` and so on; ``"Ctrl-C"`` for SIGINT."""
    signum = getattr(stop, "signum", signal.SIGINT)
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` while the block runs.

    Handlers can be set from the main thread only; elsewhere the block runs
    with the handlers as they are.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        signum: signal.signal(signum, _raise_stopped) for signum in STOP_SIGNALS
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back while processes are started.

    A terminal's Ctrl-C goes to every process of its group, the workers of a
    local cluster too: one caught while it still imports prints its
    traceback, and the parent, caught half-way through starting them, leaves
    the cluster to be closed at exit.  So SIGINT is blocked in this thread
    (the processes and threads started here inherit the block: Ctrl-C never
    reaches a worker, which its nanny stops with SIGTERM) and SIGTERM or
    SIGHUP are noted; on leaving, SIGINT is unblocked, so one that came is
    delivered now, and a noted signal is raised as :class:`Stopped`.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda signum, frame: noted.append(signum))
        for signum in STOP_SIGNALS
    }
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if noted:
        raise Stopped(noted[0])
