"""Latest-wins background work for the live widget: one thread, no napari layers.

One job runs at a time on the runner's own thread.  A job submitted while
another runs waits as *the* pending job, replacing any older pending one, so
a slider drag computes as fast as the machine allows and skips the values it
cannot keep up with, and the value the drag stops on is always computed
last.  Every job carries a token (1, 2, 3, ...); a result is delivered only
if no newer result has been delivered and it was not cancelled, so a stale
result never lands over a newer one.

The thread goes straight from a finished job to the pending one.  It does
not wait for the main thread to take the result first: under Xvfb the main
thread repaints for 40-50 ms after each result, holding the interpreter, and
a worker started from there began that much later (measured, 256 x 1024 x
1024 volume: 5 plane updates a second during a slider drag with a
thread-pool worker per job).

A job submitted as ``droppable`` (background work: a chunk of a volume)
stops at its next checkpoint (:mod:`napari_masked_blur._math.steps`) once
a newer job waits, and is dropped: the change that superseded it starts a
step later instead of a piece later.  It does not start while numba's loops
are still being got ready (``hold``): it would take the slow routes meant
for the displayed plane, and the cores the warm-up needs.  Jobs on display
(the displayed plane, the whole image) always finish, so a slider drag
keeps showing results.

Callbacks run on the main thread.  The runner never touches the objects it
passes around (``context`` is opaque to it).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qtpy.QtCore import QObject, Qt, Signal

from napari_masked_blur._engines import loops_pending, never_compile_here
from napari_masked_blur._math.steps import Superseded, stoppable

# How often a held droppable job asks whether it may start.
HOLD_POLL_S = 0.05


@dataclass(frozen=True)
class Job:
    """A function call to run off the main thread, with its token and context."""

    token: int
    function: Callable[..., Any]
    args: tuple[Any, ...]
    context: Any = None
    droppable: bool = False


@dataclass(frozen=True)
class Result:
    """What a finished job gives back: its value and how long it took."""

    job: Job
    value: Any
    seconds: float


class _Mailbox(QObject):
    """Carries finished jobs from the worker thread to the main thread."""

    finished = Signal(object)  # (job, value, error, seconds)


class LatestRunner:
    """Runs submitted jobs one at a time in a thread; the newest always wins.

    Create it on the main thread (the thread that runs Qt's event loop).

    Parameters
    ----------
    on_result : callable
        Called with a :class:`Result` on the main thread.
    on_error : callable
        Called with ``(exception, job)`` on the main thread; errors are never
        re-raised (no traceback pop-up).
    on_busy : callable, optional
        Called with True when work starts and False when the last job's
        outcome has been delivered.
    on_dropped : callable, optional
        Called with a :class:`Job` on the main thread when a pending job is
        replaced by a newer one or cancelled before it started, and when a
        droppable job stopped for a newer one.
    hold : callable, optional
        ``hold()``: whether a droppable job should wait before it starts
        (asked every :data:`HOLD_POLL_S`); by default, while any of numba's
        loops are on their way.
    """

    def __init__(
        self,
        on_result: Callable[[Result], None],
        on_error: Callable[[BaseException, Job], None],
        on_busy: Callable[[bool], None] | None = None,
        on_dropped: Callable[[Job], None] | None = None,
        hold: Callable[[], bool] = loops_pending,
    ) -> None:
        self._hold = hold
        self._on_result = on_result
        self._on_error = on_error
        self._on_busy = on_busy or (lambda busy: None)
        self._on_dropped = on_dropped or (lambda job: None)
        self._last_token = 0
        self._delivered = 0  # newest token whose result or error was delivered
        self._cancelled = 0  # tokens up to this one are dropped
        self._closed = False
        # Shared with the worker thread, under the condition's lock.
        self._condition = threading.Condition()
        self._pending: Job | None = None
        self._running: Job | None = None
        self._undelivered = 0  # jobs taken by the thread, outcome not yet delivered
        self._thread: threading.Thread | None = None
        self._mailbox = _Mailbox()
        self._mailbox.finished.connect(self._deliver, Qt.QueuedConnection)

    @property
    def busy(self) -> bool:
        """True while a job runs or waits, or its outcome is not yet delivered."""
        with self._condition:
            return self._pending is not None or self._undelivered > 0

    @property
    def has_pending(self) -> bool:
        """True while a job waits for the running one to end.

        A droppable job held back (see ``hold``) does not count: it is
        there to be replaced by the next job submitted.
        """
        with self._condition:
            job = self._pending
            return job is not None and not (job.droppable and self._hold())

    @property
    def last_token(self) -> int:
        """Token of the newest submitted job (0 before any)."""
        return self._last_token

    def submit(
        self,
        function: Callable[..., Any],
        *args: Any,
        context: Any = None,
        droppable: bool = False,
    ) -> int:
        """Run ``function(*args)`` when the running job (if any) ends.

        Returns the job's token.  An older pending job is dropped.  A
        ``droppable`` job stops at its next checkpoint once a newer job
        is submitted (or it is cancelled), and is dropped.
        """
        if self._closed:
            raise RuntimeError("the runner is closed")
        was_busy = self.busy
        self._last_token += 1
        job = Job(self._last_token, function, args, context, droppable)
        with self._condition:
            replaced, self._pending = self._pending, job
            self._condition.notify_all()
        self._ensure_thread()
        if not was_busy:
            self._on_busy(True)
        if replaced is not None:
            self._on_dropped(replaced)
        return job.token

    def cancel(self) -> None:
        """Drop the pending job and ignore the running job's result."""
        with self._condition:
            dropped, self._pending = self._pending, None
        self._cancelled = self._last_token
        if dropped is not None:
            self._on_dropped(dropped)

    def close(self) -> None:
        """Cancel everything and accept no more jobs; callbacks stop here."""
        self.cancel()
        self._closed = True
        with self._condition:
            self._condition.notify_all()  # the thread ends after its job

    def wait(self, timeout: float) -> bool:
        """Block until no job runs or waits; False on timeout.

        Only for shutting down: while it blocks, results are not delivered.
        """
        with self._condition:
            return self._condition.wait_for(
                lambda: self._running is None and self._pending is None, timeout
            )

    # -- the worker thread ------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            # A daemon: a job still running at interpreter exit must not
            # hold the exit up (the widget waits for it on aboutToQuit).
            self._thread = threading.Thread(
                target=self._work, name="napari-masked-blur", daemon=True
            )
            self._thread.start()

    def _work(self) -> None:
        never_compile_here()  # numba's loops are got ready elsewhere, never here
        while (job := self._take()) is not None:
            start = time.perf_counter()
            value, error = None, None
            try:
                with stoppable(lambda job=job: self._still_wanted(job)):
                    value = job.function(*job.args)
            except BaseException as exc:  # delivered to on_error, never raised
                error = exc
            outcome = (job, value, error, time.perf_counter() - start)
            with self._condition:
                self._running = None
                self._condition.notify_all()
            # At interpreter exit Qt may already have deleted the mailbox.
            with contextlib.suppress(RuntimeError):
                self._mailbox.finished.emit(outcome)

    def _still_wanted(self, job: Job) -> bool:
        """False once a droppable job has a newer one waiting, or was cancelled."""
        if not job.droppable:
            return True
        with self._condition:
            newer = self._pending is not None or self._closed
        return not newer and job.token > self._cancelled

    def _startable(self) -> bool:
        """Under the lock: the pending job may start (or the runner closed)."""
        job = self._pending
        if self._closed or (job is not None and not job.droppable):
            return True
        return job is not None and not self._hold()

    def _take(self) -> Job | None:
        """The next job (waiting for one), or None once the runner is closed."""
        with self._condition:
            while not self._startable():
                # A held droppable job asks again now and then; else wait.
                held = self._pending is not None
                self._condition.wait(HOLD_POLL_S if held else None)
            if self._pending is None:
                return None
            job, self._pending = self._pending, None
            self._running = job
            self._undelivered += 1
            return job

    # -- the main thread ----------------------------------------------------
    def _deliver(self, outcome: tuple[Job, Any, BaseException | None, float]) -> None:
        job, value, error, seconds = outcome
        with self._condition:
            self._undelivered -= 1
        if isinstance(error, Superseded):
            self._on_dropped(job)  # stopped between steps for a newer job
        elif self._wanted(job):
            self._delivered = job.token
            if error is None:
                self._on_result(Result(job, value, seconds))
            else:
                self._on_error(error, job)
        if not self._closed and not self.busy:
            self._on_busy(False)

    def _wanted(self, job: Job) -> bool:
        return (
            not self._closed
            and job.token > self._cancelled
            and job.token > self._delivered
        )
