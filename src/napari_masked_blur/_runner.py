"""Latest-wins background work for the live widget: Qt threads, no napari layers.

One job runs at a time on Qt's global thread pool (superqt workers).  A job
submitted while another runs waits as *the* pending job, replacing any older
pending one, so a slider drag computes as fast as the machine allows and
skips the values it cannot keep up with, and the value the drag stops on is
always computed last.  Every job carries a token (1, 2, 3, ...); a result is
delivered only if no newer result has been delivered and it was not
cancelled, so a stale result never lands over a newer one.

Callbacks run on the main thread.  The runner never touches the objects it
passes around (``context`` is opaque to it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from superqt.utils import create_worker


@dataclass(frozen=True)
class Job:
    """A function call to run off the main thread, with its token and context."""

    token: int
    function: Callable[..., Any]
    args: tuple[Any, ...]
    context: Any = None


@dataclass(frozen=True)
class Result:
    """What a finished job gives back: its value and how long it took."""

    job: Job
    value: Any
    seconds: float


def _timed(function: Callable[..., Any], args: tuple[Any, ...], done: threading.Event):
    """Run ``function(*args)`` in the worker thread; returns (value, seconds)."""
    start = time.perf_counter()
    try:
        return function(*args), time.perf_counter() - start
    finally:
        done.set()


class LatestRunner:
    """Runs submitted jobs one at a time in a thread; the newest always wins.

    Parameters
    ----------
    on_result : callable
        Called with a :class:`Result` on the main thread.
    on_error : callable
        Called with ``(exception, job)`` on the main thread; errors are never
        re-raised (no traceback pop-up).
    on_busy : callable, optional
        Called with True when work starts and False when the last job ends.
    """

    def __init__(
        self,
        on_result: Callable[[Result], None],
        on_error: Callable[[BaseException, Job], None],
        on_busy: Callable[[bool], None] | None = None,
    ) -> None:
        self._on_result = on_result
        self._on_error = on_error
        self._on_busy = on_busy or (lambda busy: None)
        self._last_token = 0
        self._delivered = 0  # newest token whose result or error was delivered
        self._cancelled = 0  # tokens up to this one are dropped
        self._pending: Job | None = None
        self._running: tuple[Job, Any, threading.Event] | None = None
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while a job runs or waits."""
        return self._running is not None or self._pending is not None

    @property
    def last_token(self) -> int:
        """Token of the newest submitted job (0 before any)."""
        return self._last_token

    def submit(
        self, function: Callable[..., Any], *args: Any, context: Any = None
    ) -> int:
        """Run ``function(*args)`` when the running job (if any) ends.

        Returns the job's token.  An older pending job is dropped.
        """
        if self._closed:
            raise RuntimeError("the runner is closed")
        if not self.busy:
            self._on_busy(True)
        self._last_token += 1
        job = Job(self._last_token, function, args, context)
        if self._running is None:
            self._start(job)
        else:
            self._pending = job
        return job.token

    def cancel(self) -> None:
        """Drop the pending job and ignore the running job's result."""
        self._pending = None
        self._cancelled = self._last_token
        if self._running is not None:
            self._running[1].quit()

    def close(self) -> None:
        """Cancel everything and accept no more jobs; callbacks stop here."""
        self.cancel()
        self._closed = True

    def wait(self, timeout: float) -> bool:
        """Block until the running job's function returns; False on timeout.

        Only for shutting down: while it blocks, results are not delivered.
        """
        if self._running is None:
            return True
        return self._running[2].wait(timeout)

    def _start(self, job: Job) -> None:
        done = threading.Event()
        worker = create_worker(
            _timed,
            job.function,
            job.args,
            done,
            _start_thread=False,
            _connect={
                "returned": lambda out: self._returned(job, out),
                "errored": lambda exc: self._errored(job, exc),
                "finished": self._finished,
            },
        )
        self._running = (job, worker, done)
        worker.start()

    def _wanted(self, job: Job) -> bool:
        return (
            not self._closed
            and job.token > self._cancelled
            and job.token > self._delivered
        )

    def _returned(self, job: Job, out: tuple[Any, float]) -> None:
        if self._wanted(job):
            self._delivered = job.token
            self._on_result(Result(job, *out))

    def _errored(self, job: Job, exc: BaseException) -> None:
        if self._wanted(job):
            self._delivered = job.token
            self._on_error(exc, job)

    def _finished(self) -> None:
        self._running = None
        pending, self._pending = self._pending, None
        if self._closed:
            return
        if pending is not None:
            self._start(pending)
        else:
            self._on_busy(False)
