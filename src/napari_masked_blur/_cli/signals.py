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


def stopped_line(stop: KeyboardInterrupt) -> str:
    """What the command says when ``stop`` ended it: a batch says how many
    outputs it wrote (``stop.batch_line``, set by :mod:`.batch`), one file
    that nothing was written."""
    how = f"stopped by {signal_name(stop)}"
    batch_line = getattr(stop, "batch_line", None)
    if batch_line is not None:
        return f"{how} {batch_line}"
    return f"{how}; no output written, the partial one removed"


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
    """Start worker processes that Ctrl-C does not reach.

    A terminal's Ctrl-C goes to every process of its group, the workers of a
    local cluster too: one caught while it still imports prints a traceback.
    So while the block runs SIGINT is ignored, which the processes started
    inherit for life (their nanny stops them with SIGTERM, not SIGINT).
    This thread blocks SIGINT meanwhile, so that Linux keeps a Ctrl-C
    pending, delivered on leaving, rather than dropping it; but a thread
    that does not block it (a BLAS thread) may take it first, and then that
    Ctrl-C is lost and must be pressed again.  SIGTERM and SIGHUP are noted
    and raised as :class:`Stopped` on leaving (also in place of an error
    they caused, such as a worker they killed), so that the parent is never
    stopped half-way through starting the cluster.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):  # Windows: no process groups for Ctrl-C to reach, nor masks
        yield
        return
    noted: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda signum, frame: noted.append(signum))
        for signum in STOP_SIGNALS
    }
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    except Exception:
        if noted:  # what failed, failed for the signal (a worker it stopped)
            raise Stopped(noted[0]) from None
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if noted:
        raise Stopped(noted[0])
