"""Compute and write every chunk: threads here, or a dask.distributed cluster.

Whatever stops the work (an error, Ctrl-C, SIGTERM), no chunk is written
after it has stopped: threads are shut out of the target and waited for,
and a local cluster's workers are stopped (a remote cluster's work
cancelled) before the caller removes the partial output.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from napari_masked_blur._cli.signals import signals_held


def store_chunks(result: Any, target: Any, args: argparse.Namespace) -> None:
    """Compute and write every chunk, with a progress bar on stderr."""
    if args.scheduler is None and args.workers is None:
        _store_on_threads(result, target)
    else:
        _store_on_cluster(result, target, args)


def _store_on_threads(result: Any, target: Any) -> None:
    """dask's threads compute; this thread only waits.

    A signal's exception (Ctrl-C, SIGTERM) is raised in the main thread
    wherever it is: inside dask's scheduler loop it could land between a
    worker thread's start and its registration, leaving a thread that the
    interpreter then waits for forever at exit.  Here it lands in a
    ``join``; the target is then closed, so that the chunks in flight end
    with :class:`TargetClosed` and dask schedules no more.
    """
    import dask.array as da
    from dask.diagnostics import ProgressBar

    closable = ClosableTarget(target)
    failed: list[BaseException] = []

    def store() -> None:
        try:
            da.store(result, closable, lock=False, scheduler="threads")
        except BaseException as error:  # handed to the main thread
            failed.append(error)

    worker = threading.Thread(target=store, name="napari-masked-blur store")
    try:
        # A bar for work over a second only: shorter jobs print nothing.
        with ProgressBar(minimum=1.0, out=sys.stderr):
            worker.start()
            # A signal taken by another thread does not wake a join without
            # a timeout; its handler runs once this thread runs again.
            while worker.is_alive():
                worker.join(0.2)
    finally:
        closable.close()
    if failed:
        raise failed[0]


def _store_on_cluster(result: Any, target: Any, args: argparse.Namespace) -> None:
    import dask.array as da

    # Leaving the stack stops a local cluster's workers, or cancels the work
    # on a remote one, before the partial output is removed.
    with contextlib.ExitStack() as stack:
        address = args.scheduler
        if address is None:
            address = stack.enter_context(local_cluster(args.workers))
        with signals_held():
            from distributed import Client

            client = stack.enter_context(Client(address, timeout="30s"))
        future = client.compute(da.store(result, target, lock=False, compute=False))
        stack.callback(future.cancel)
        with contextlib.redirect_stdout(sys.stderr):
            progress_bar(future)
        future.result()


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """The address of a local cluster of ``workers`` processes, stopped on
    leaving; whatever stops the work there kills its workers at once."""
    # Signals wait until the cluster is whole, and Ctrl-C never reaches its
    # workers; the import is inside too, lest some module's bare except
    # swallow a Ctrl-C.
    with signals_held():
        from distributed import LocalCluster

        # The nanny's warnings (a worker restarted, slow to stop) are about
        # processes the user never sees.
        logging.getLogger("distributed").setLevel(logging.ERROR)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        )
    with cluster:
        try:
            yield cluster.scheduler_address
        except BaseException:
            _kill_workers(cluster)
            raise


def progress_bar(future: Any) -> None:
    """distributed's progress bar for ``future``, drawn until it is done."""
    from distributed import progress

    progress(future, multi=False)


def _kill_workers(cluster: Any) -> None:
    """Kill a local cluster's worker processes at once.

    They ignore Ctrl-C (see :func:`.signals.signals_held`), and one in the
    middle of a chunk is slow to close: killed, none of them writes into the
    partial output after it is removed, or logs the scheduler's going.
    """
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    for nanny in cluster.workers.values():
        process = getattr(getattr(nanny, "process", None), "process", None)
        pid = getattr(process, "pid", None)
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


class TargetClosed(Exception):
    """A chunk finished after the run was stopped; it is not written."""


class ClosableTarget:
    """A store target that can be shut: later writes raise
    :class:`TargetClosed`, and :meth:`close` waits for the writes under way.

    After Ctrl-C dask's worker threads finish the chunks they hold; closing
    first means none of them writes (or, for Zarr, re-creates folders) in
    the partial output once it has been removed, and the error stops dask
    from starting more.
    """

    def __init__(self, target: Any) -> None:
        self.target, self.closed, self.writing = target, False, 0
        self.condition = threading.Condition()

    def __setitem__(self, key: Any, value: Any) -> None:
        with self.condition:
            if self.closed:
                raise TargetClosed(f"not written after the run stopped: {key!r}")
            self.writing += 1
        try:
            self.target[key] = value
        finally:
            with self.condition:
                self.writing -= 1
                self.condition.notify_all()

    def close(self, timeout: float = 60.0) -> None:
        """Refuse every later write; wait (up to ``timeout`` s) for those under way."""
        with self.condition:
            self.closed = True
            self.condition.wait_for(lambda: self.writing == 0, timeout)
