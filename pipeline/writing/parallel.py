"""The write stage's worker processes: the pool, and tasks sent to it safely.

The documents and the district workbooks are written in worker processes
while the main process writes the summary: xlsxwriter and python-docx are pure
Python, so only separate processes write at the same time.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import forkserver

from pipeline.reading import children


def pool(processes: int, small_server: bool):
    """Worker processes for the files of the write stage (none when the run is told to use one process).

    `small_server`: fork the workers from a server process that has only
    imported the writers, not from this one. A worker forked from here shares
    this process's frames and, merely touching them, copies them (at 10,000
    communes: 1.44 GiB for all processes with fork, 1.32 with the server).

    Each worker dies with the run and freezes the collector (`_started`).

    The server is started here, and imports while this process checks the
    files. Only the server: asking it for a worker now would wait for those
    imports (0.6-0.7 s of this process's time, at the run's busiest point);
    at the first task they are done and a worker is forked in milliseconds.
    """
    if processes <= 1:
        return contextlib.nullcontext()
    run = (os.getpid(),)
    if not small_server or "forkserver" not in multiprocessing.get_all_start_methods():
        return _dropping_on_error(ProcessPoolExecutor(processes, initializer=_started, initargs=run))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.writing.workbook", "pipeline.writing.report", "pipeline.writing.sheets"])
    forkserver.ensure_running()
    return _dropping_on_error(ProcessPoolExecutor(processes, mp_context=context, initializer=_started, initargs=run))


@contextlib.contextmanager
def _dropping_on_error(workers: ProcessPoolExecutor):
    """The pool, shut down at the end of the block. A block that ends in an exception (an error, Ctrl-C,
    SIGTERM) drops the tasks not yet started rather than write files for a run that is over: only those under
    way are waited for, before the staging folder they write into is removed."""
    with workers:
        try:
            yield workers
        except BaseException:
            workers.shutdown(cancel_futures=True)
            raise


def _started(run: int) -> None:
    """In a new worker: die with the run (`children`), then freeze the collector (`gc.freeze`) on what the worker
    was forked with, the imports or the run's frames. Its collections then walk only what its tasks make (20
    district workbooks: 0.16-0.20 s of collection, 0.04-0.05 s frozen), and never write to the pages it shares."""
    children.die_with_run(run)
    gc.freeze()


def start(workers: Executor | None, write, *args, **kwargs) -> Future:
    """`write(*args, **kwargs)` in the pool, or here and now when there is none; either way a future of its result.

    The task is pickled here, before the caller goes on. The pool would pickle
    it later, in a thread of its own, while the caller reads the same frames:
    and pandas adds to a masked array's `__dict__` the first time its dtype is
    asked for, so the pickling thread could fail with "dictionary changed size
    during iteration" (seen once in about 25 runs of the test suite).
    """
    if workers is not None:
        return workers.submit(_call, pickle.dumps((write, args, kwargs), pickle.HIGHEST_PROTOCOL))
    done: Future = Future()
    done.set_result(write(*args, **kwargs))
    return done


def _call(task: bytes):
    """In the worker: the task `start` pickled, run."""
    write, args, kwargs = pickle.loads(task)
    return write(*args, **kwargs)
