"""Points between the steps of a long computation where its caller may stop it.

A thread cannot be stopped from outside; a computation can stop itself
between two steps.  The live widget's runner runs a piece of background
work (a chunk of a volume) under :func:`stoppable` with a question, "is
this result still wanted?"; the routes of a piece ask it at each
:func:`checkpoint` (between the reduction of the planes and the smoothing,
between blocks of rows) and raise :class:`Superseded` when the answer is
no, so the change that superseded the piece starts a step later instead of
a piece later.  Outside :func:`stoppable` a checkpoint does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_THREAD = threading.local()  # wanted: the question of the current thread


class Superseded(Exception):
    """The computation's result is no longer wanted: it stopped between steps."""


@contextmanager
def stoppable(wanted: Callable[[], bool]) -> Iterator[None]:
    """Run the block with :func:`checkpoint` asking ``wanted()`` on this thread."""
    before = getattr(_THREAD, "wanted", None)
    _THREAD.wanted = wanted
    try:
        yield
    finally:
        _THREAD.wanted = before


def checkpoint() -> None:
    """Raise :class:`Superseded` if this thread's computation is no longer wanted."""
    wanted = getattr(_THREAD, "wanted", None)
    if wanted is not None and not wanted():
        raise Superseded
