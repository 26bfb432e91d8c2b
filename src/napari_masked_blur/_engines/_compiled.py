"""The one loader of numba's compiled loops: compiled, cached, warmed on one queue.

Two sets of loops are compiled by numba: the fused pass's
(:mod:`._fused_loops`, driven by :mod:`._fused`) and the plane loop that
reduces a window of planes by kernel taps (:mod:`._plane_loops`).  Numba's
import takes 0.4 s, compiling one set for one type of image, mask and
result one to a few seconds; a later session loads them from numba's cache
on disk in a fraction of that.  This module alone imports the loop modules
(and through them numba), and only inside a function.

A set of loops for some types is named by a key,
``(family, image dtype, mask dtype, result dtype)`` (:func:`loop_key`), with
``family`` ``"fused"``, ``"planes"`` or ``"moments"`` (the fused local
statistics', :mod:`._moment_loops`).  Getting a key ready imports its
module and runs its ``warm(image, mask, result)``, which calls the loops
once on tiny arrays in every layout the callers give them: each such
signature is compiled (or loaded from the cache) then, not when a real
input arrives.  Everyone else asks:

- :func:`compiled_loops`: the loops if they are ready, else None; with
  ``now``, get them ready on the calling thread first (the plain API
  path, where nobody warmed them);
- :func:`prepare_loops`: get them ready in the background, on the one
  queue: one worker thread, keys in the order asked, never two compiles at
  once (a compile on a caller's thread waits for the worker's, and the
  reverse);
- :func:`expect_loops` / :func:`loops_coming`: a caller that will prepare a
  key soon says so, and the others take a route that needs no compiled
  loop meanwhile, rather than compile it on their own thread;
- :func:`load_when`: the worker compiles (in a child process) at once, but
  loads into this process, which holds the interpreter, only at a quiet
  moment its caller names;
- :func:`never_compile_here` / :func:`never_compile`: marks the calling
  thread (the live widget's runner), or the thread for one computation (a
  patch computed on the main thread), as one that must never wait: there
  ``compiled_loops(key, now=True)`` queues the key instead and answers
  None, so the caller takes its numpy route until the worker is done.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

LoopKey = tuple[str, np.dtype, np.dtype, np.dtype]
FAMILIES = ("fused", "planes", "moments")
WORKER_NAME = "numba warm-up"
# A child process that compiles longer than this is left to end on its own;
# the worker then gets the loops ready itself.
CHILD_TIMEOUT_S = 300
# The worker's own load waits for a quiet moment (see load_when) this long at
# most, asking every GATE_POLL_S.
GATE_CAP_S = 3.0
GATE_POLL_S = 0.05


def loop_key(
    family: str,
    image: npt.DTypeLike,
    mask: npt.DTypeLike,
    result: npt.DTypeLike,
) -> LoopKey:
    """The key of ``family``'s loops for these types of image, mask and result."""
    if family not in FAMILIES:
        raise ValueError(f"unknown loops {family!r}; expected one of {FAMILIES}")
    return (family, np.dtype(image), np.dtype(mask), np.dtype(result))


def _load(key: LoopKey) -> ModuleType:
    """Import ``key``'s loop module and run its loops once for ``key``'s types."""
    family, *types = key
    if family == "fused":
        from napari_masked_blur._engines import _fused_loops as loops
    elif family == "moments":
        from napari_masked_blur._engines import _moment_loops as loops
    else:
        from napari_masked_blur._engines import _plane_loops as loops
    loops.warm(*types)
    return loops


def _compile_in_child(key: LoopKey) -> None:
    """Get ``key``'s loops into numba's cache in a child process, and wait for it.

    numba compiles in Python, holding the interpreter for the seconds a
    cold cache takes: in this process that slows every thread that needs
    it (the widget's pieces, the event loop).  A child process compiles on
    an interpreter of its own and writes numba's cache (the same folder:
    the same environment), from which this process then loads the loops in
    a fraction of that.  Where the child fails (no numba, a cache that
    cannot be written) this process compiles them itself, as before.
    """
    marker = _cached_marker(key)
    if marker is not None and marker.exists():
        return  # a child filled the cache for these loops before: load them
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the package
    path = os.environ.get("PYTHONPATH")
    env = dict(os.environ, PYTHONPATH=root if not path else root + os.pathsep + path)
    command = [sys.executable, "-c", _CHILD, key[0], *(t.str for t in key[1:])]
    # On failure the worker compiles the loops itself.
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        done = subprocess.run(
            command, env=env, timeout=CHILD_TIMEOUT_S, check=False,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if done.returncode == 0 and marker is not None:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()


def _cached_marker(key: LoopKey) -> Path | None:
    """A file saying a child filled numba's cache for ``key``; None if unknown.

    Beside numba's own cache (``NUMBA_CACHE_DIR``, else the loop modules'
    ``__pycache__``), so that clearing the cache clears it too; named
    after the key, the loop module's source (its modification time), the
    Python and the numba that compiled it.  A warm cache then costs no
    child process.
    """
    family = "_fused_loops" if key[0] == "fused" else "_plane_loops"
    source = Path(__file__).with_name(family + ".py")
    try:
        from importlib.metadata import version

        stamp = f"{source.stat().st_mtime_ns}-{version('numba')}"
    except Exception:  # no numba installed, no source file: no marker
        return None
    folder = os.environ.get("NUMBA_CACHE_DIR") or source.parent / "__pycache__"
    types = "-".join(_type_name(t) for t in key[1:])
    python = "py{}{}".format(*sys.version_info[:2])
    return Path(folder) / "napari-masked-blur" / f"{family}-{types}-{python}-{stamp}"


# The child runs at the lowest priority: the cores go to the session first
# (its pieces take numpy's routes until the loops are ready).
_CHILD = """\
import os
import sys
if hasattr(os, "nice"):
    os.nice(19)
import numpy as np
from napari_masked_blur._engines._compiled import _load
_load((sys.argv[1], *(np.dtype(t) for t in sys.argv[2:])))
"""


class LoopLoader:
    """Compiled loops per key, got ready on one queue or on the caller's thread.

    Parameters
    ----------
    load : callable, optional
        ``load(key)`` returns the loops for ``key``, compiled; it raises
        where they cannot be (no numba, types it cannot compile): the key
        then fails for good and its callers take their numpy route.  The
        default imports the loop module and warms it; tests give a fake.
    compile_first : callable, optional
        ``compile_first(key)``, called by the worker before it loads a key:
        fills numba's cache elsewhere (:func:`_compile_in_child`), so that
        the load on the worker finds the loops compiled.
    """

    def __init__(
        self,
        load: Callable[[LoopKey], object] = _load,
        compile_first: Callable[[LoopKey], None] | None = None,
    ) -> None:
        self._load = load
        self._compile_first = compile_first
        self._gate: Callable[[], bool] | None = None
        self._lock = threading.Lock()  # guards the tables below
        # Held through every load, on the worker or a caller's thread: numba
        # compiles under a lock of its own anyway, and a load that waited
        # behind another finds its key ready instead of compiling it again.
        self._loading = threading.Lock()
        self._ready: dict[LoopKey, object] = {}
        self._failed: set[LoopKey] = set()
        self._expected: set[LoopKey] = set()
        self._done: dict[LoopKey, threading.Event] = {}  # queued or running
        self._queue: deque[LoopKey] = deque()
        self._worker: threading.Thread | None = None

    def loops(self, key: LoopKey, now: bool = False) -> object | None:
        """The loops for ``key`` if ready; with ``now``, made ready here first.

        None when they are not ready (or, with ``now``, cannot be made).  On
        a thread marked by :func:`never_compile_here`, ``now`` queues the key
        (:meth:`prepare`) and answers None rather than wait.
        """
        with self._lock:
            if key in self._ready or key in self._failed or not now:
                return self._ready.get(key)
        if getattr(_THREAD, "never_compile", False):
            self.prepare(key)
            return None
        self._get_ready(key)
        with self._lock:
            return self._ready.get(key)

    def coming(self, key: LoopKey) -> bool:
        """Whether ``key`` is expected, queued or loading, and not ready yet."""
        with self._lock:
            settled = key in self._ready or key in self._failed
            return not settled and (key in self._expected or key in self._done)

    def pending(self) -> bool:
        """Whether any key is expected, queued or loading, and not settled yet."""
        with self._lock:
            settled = self._ready.keys() | self._failed
            queued = {k for k, done in self._done.items() if not done.is_set()}
            return bool((self._expected | queued) - settled)

    def expect(self, key: LoopKey) -> None:
        """Note that ``key`` will be prepared soon: :meth:`coming` from now on."""
        with self._lock:
            if key not in self._ready and key not in self._failed:
                self._expected.add(key)

    def unexpect(self, key: LoopKey) -> None:
        """Take back :meth:`expect` for a key that will not be prepared after all."""
        with self._lock:
            self._expected.discard(key)

    def prepare(self, key: LoopKey) -> threading.Event:
        """Queue ``key`` to be got ready in the background; set once it is settled.

        Settled: ready, or failed for good.  A key asked for again is not
        queued twice.
        """
        with self._lock:
            done = self._done.get(key)
            if done is not None:
                return done
            done = self._done[key] = threading.Event()
            if key in self._ready or key in self._failed:
                done.set()
                return done
            self._queue.append(key)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name=WORKER_NAME, daemon=True
                )
                self._worker.start()
        return done

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker to empty the queue; whether it did in ``timeout``."""
        with self._lock:
            worker = self._worker
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return True

    def _work(self) -> None:
        """The worker: keys in the order queued, until none is left."""
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None  # the next prepare starts a new one
                    return
                key = self._queue.popleft()
                settled = key in self._ready or key in self._failed
            if self._compile_first is not None and not settled:
                self._compile_first(key)
            self._wait_for_gate()
            self._get_ready(key)

    def load_when(self, gate: Callable[[], bool] | None) -> None:
        """Have the worker load only once ``gate()`` (or after ``GATE_CAP_S``).

        Loading holds the interpreter (numba's import, then the loops: about
        0.6 s); a caller whose threads must answer quickly says when a load
        would hold nobody up.  None: load at once.
        """
        self._gate = gate

    def _wait_for_gate(self) -> None:
        gate = self._gate
        deadline = time.monotonic() + GATE_CAP_S
        while gate is not None and not gate() and time.monotonic() < deadline:
            time.sleep(GATE_POLL_S)

    def _get_ready(self, key: LoopKey) -> None:
        """Load ``key`` unless it is settled; settle it either way."""
        with self._loading:
            with self._lock:
                if key in self._ready or key in self._failed:
                    return
            try:
                loops = self._load(key)
            except Exception:  # no numba, or it cannot compile these types
                loops = None
            with self._lock:
                if loops is None:
                    self._failed.add(key)
                else:
                    self._ready[key] = loops
                self._expected.discard(key)
                done = self._done.get(key)
            if done is not None:
                done.set()


_THREAD = threading.local()  # never_compile: the thread must not wait for numba

LOADER = LoopLoader(_load, _compile_in_child)
"""The loader every caller shares: one queue, one worker, for the process."""


def compiled_loops(key: LoopKey, *, now: bool = False) -> object | None:
    """The compiled loops for ``key``, or None (see :meth:`LoopLoader.loops`)."""
    return LOADER.loops(key, now=now)


def never_compile_here() -> None:
    """Mark the calling thread: loops are never compiled or loaded on it.

    ``compiled_loops(key, now=True)`` called on it queues ``key`` for the
    worker and answers None (see :meth:`LoopLoader.loops`).  For the threads
    a user waits on: the live widget's main thread and its runner.
    """
    _THREAD.never_compile = True


@contextlib.contextmanager
def never_compile() -> Iterator[None]:
    """Within the block the calling thread never compiles or loads loops.

    As :func:`never_compile_here`, for one computation on a thread that
    others share (the main thread computing a small patch of the live view).
    """
    before = getattr(_THREAD, "never_compile", False)
    _THREAD.never_compile = True
    try:
        yield
    finally:
        _THREAD.never_compile = before


def load_when(gate: Callable[[], bool] | None) -> None:
    """The worker loads at a quiet moment (see :meth:`LoopLoader.load_when`)."""
    LOADER.load_when(gate)


def prepare_loops(key: LoopKey) -> threading.Event:
    """Get ``key``'s loops ready in the background (see :meth:`LoopLoader.prepare`)."""
    return LOADER.prepare(key)


def expect_loops(key: LoopKey) -> None:
    """Say that ``key`` will be prepared soon (see :meth:`LoopLoader.expect`)."""
    LOADER.expect(key)


def unexpect_loops(key: LoopKey) -> None:
    """Take back :func:`expect_loops` (see :meth:`LoopLoader.unexpect`)."""
    LOADER.unexpect(key)


def loops_coming(key: LoopKey) -> bool:
    """Whether ``key``'s loops are on their way, not ready yet: take another route."""
    return LOADER.coming(key)


def loops_pending() -> bool:
    """Whether any loops are on their way (see :meth:`LoopLoader.pending`)."""
    return LOADER.pending()


def wait_for_loops(timeout: float | None = None) -> bool:
    """Wait for every queued key to settle (see :meth:`LoopLoader.wait`)."""
    return LOADER.wait(timeout)


def _type_name(dtype: np.dtype) -> str:
    """``dtype`` in a file name: byte order, kind and size (``lu2``, ``nb1``)."""
    order = {"<": "l", ">": "b"}.get(dtype.str[0], "n")
    return order + dtype.str[1:]
