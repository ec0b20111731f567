"""Run untrusted parsing in long-lived child processes, each with its own memory and time limits.

Workbooks come from outside the department and their parsers (python-calamine,
our own scans) are not written to survive every crafted or damaged file: a file
can make the parser ask for hundreds of GiB (a Rust allocation failure aborts
the process), crash it, or keep it busy. So every file is parsed in a worker
process, never in the process that runs the batch:

- a worker is long-lived (a national run has 10,000 files: no process per file)
  and handles one file at a time;
- its address space is capped at `WORKER_MEMORY` (resource.RLIMIT_AS, where the
  platform has it) and it writes no core file;
- the parent gives each file `FILE_TIMEOUT` seconds of wall time.

When a worker dies (signal, abort, MemoryError) or overruns its time, the parent
records a `Failure` for that file, kills the worker and starts another for the
files still to read. Results come back in task order.

Works with every multiprocessing start method (fork, forkserver, spawn): the
worker's function and its arguments are pickled, and nothing here is POSIX-only
except the memory cap, which is skipped where `resource` is missing (Windows).
"""

from __future__ import annotations

import contextlib
import faulthandler
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import wait

from pipeline.reading import children

try:  # POSIX only
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

# A worker forked from the main process starts at about 0.25 GiB of address
# space (pandas, numpy and python-calamine imported; measured with VmSize) and
# reading a 200,000-row village sheet peaks near 0.5 GiB: 2 GiB leaves room
# for the largest file a province sends, and no crafted file can take more.
WORKER_MEMORY = 2 * 2**30
# A commune file reads in milliseconds and a national file of 200,000 rows in a
# few seconds; two minutes means the reader is stuck, not busy.
FILE_TIMEOUT = 120.0
_IN_FLIGHT = 2  # tasks sent ahead to a worker, so that it never waits for this process between files
_STOP_GRACE = 5.0  # seconds a worker gets to exit after the last file before it is killed


@dataclass
class Failure:
    """A file whose worker did not return a result.

    kind: "crash" (the process died: signal, abort, out of memory), "memory"
    (MemoryError raised inside the worker), "timeout", or "error" (an exception
    the work function did not handle; detail names it).
    """

    kind: str
    detail: str = ""


def run(
    work: Callable,
    shared: object,
    tasks: Iterable[tuple],
    workers: int = 1,
    timeout: float = FILE_TIMEOUT,
    memory: int | None = WORKER_MEMORY,
    done: Callable[[int], None] | None = None,
    start_method: str | None = None,
) -> list:
    """`work(shared, *task)` for every task, in at most `workers` child processes.

    Returns one entry per task, in task order: what `work` returned, or a
    `Failure`. `shared` is sent once to each worker (for example the column
    catalog); `done(i)` is called in this process as task i finishes, in
    whatever order they finish (for a progress bar). At least one worker is
    always used: nothing is parsed in this process. `start_method` picks the
    multiprocessing start method (default: the platform's).
    """
    tasks = list(tasks)
    results: list = [None] * len(tasks)
    pending = deque(range(len(tasks)))
    pool: list[_Worker] = []
    context = multiprocessing.get_context(start_method)
    try:
        while pending or any(w.queue for w in pool):
            pool = [w for w in pool if w.alive]
            _feed(pool, pending, tasks, results, timeout, done)
            while pending and len(pool) < max(1, workers):  # every worker has all it takes: another one starts
                pool.append(_Worker(context, work, shared, memory))
                _feed(pool, pending, tasks, results, timeout, done)
            busy = [w for w in pool if w.queue]
            if not busy:
                continue
            wait_for = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = set(wait([x for w in busy for x in (w.conn, w.process.sentinel)], timeout=wait_for))
            for worker in busy:
                for i, outcome in worker.collect(bool(ready & {worker.conn, worker.process.sentinel}), timeout):
                    if outcome is None:  # queued behind the file that failed: read again by another worker
                        pending.appendleft(i)
                        continue
                    results[i] = outcome
                    if done is not None:
                        done(i)
    except BaseException:  # an error, Ctrl-C, SIGTERM: the files under way are not waited for
        for worker in pool:
            worker.kill()
        raise
    finally:
        for worker in pool:
            worker.stop()
    return results


def _feed(pool: list, pending: deque, tasks: list, results: list, timeout: float, done) -> None:
    """Send the pending tasks to the workers, the least busy first, up to `_IN_FLIGHT` each; a worker that
    could not start fails the file it was given, which is then done."""
    for worker in sorted(pool, key=lambda w: len(w.queue)):
        while pending and len(worker.queue) < _IN_FLIGHT and worker.alive:
            if worker.send(pending[0], tasks[pending[0]], timeout):
                pending.popleft()
            elif worker.queue:  # it died on the file it has: `collect` reports that file
                break
            else:  # it died before any file (it could not start): the file it was given fails
                i = pending.popleft()
                results[i] = Failure("crash", worker.exit_detail())
                worker.kill()
                if done is not None:
                    done(i)


class _Worker:
    """One child process and the tasks sent to it, oldest first (the one it is working on)."""

    def __init__(self, context, work: Callable, shared: object, memory: int | None):
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child, work, shared, memory, os.getpid()), daemon=True)
        self.process.start()
        child.close()  # only the worker holds its end now: its death reads as end of file here
        self.queue: deque[int] = deque()
        self.deadline = 0.0  # for the oldest task
        self.alive = True

    def send(self, i: int, task: tuple, timeout: float) -> bool:
        try:
            self.conn.send((i, task))
        except (OSError, EOFError, ValueError):
            return False
        if not self.queue:
            self.deadline = time.monotonic() + timeout
        self.queue.append(i)
        return True

    def collect(self, ready: bool, timeout: float) -> list[tuple[int, object]]:
        """(task, result or Failure) of the oldest task if it is over; (task, None) for each task to send again.

        `ready`: `wait` found the pipe or the process sentinel ready. One message is read per wait: a second
        look at the pipe would cost as much as the wait itself, and the next wait returns at once if more came.
        """
        if not self.queue:
            return []
        if not ready:
            if not self.process.is_alive():
                return self._fail(Failure("crash", self.exit_detail()))
            if time.monotonic() >= self.deadline:
                return self._fail(Failure("timeout"))
            return []
        try:
            status, value = self.conn.recv()
        except (OSError, EOFError, ValueError):
            return self._fail(Failure("crash", self.exit_detail()))
        except Exception as e:  # noqa: BLE001 - a result that does not unpickle is the file's failure
            return self._fail(Failure("error", f"{type(e).__name__}: {e}"))
        if status != "ok":  # after a MemoryError or an unhandled error the worker starts afresh
            return self._fail(Failure(status, value))
        self.deadline = time.monotonic() + timeout
        return [(self.queue.popleft(), value)]

    def _fail(self, failure: Failure) -> list[tuple[int, object]]:
        """The oldest task failed: it gets `failure`, the tasks queued behind it go back to be sent again."""
        first, *rest = self.queue
        self.kill()
        return [(first, failure)] + [(i, None) for i in reversed(rest)]

    def exit_detail(self) -> str:
        """How the process ended ("tín hiệu 6"). Its end of the pipe closes as it dies, a moment before it can be
        reaped: it gets a grace to finish dying, or the signal that killed it would go unreported."""
        self.process.join(_STOP_GRACE)
        code = self.process.exitcode
        if code is None:
            return ""
        return f"tín hiệu {-code}" if code < 0 else f"mã thoát {code}"

    def kill(self) -> None:
        self.alive = False
        self.queue = deque()
        with contextlib.suppress(OSError, ValueError):
            self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        if not self.alive:
            return
        with contextlib.suppress(OSError, EOFError, ValueError):
            self.conn.send(None)
        self.process.join(_STOP_GRACE)
        self.kill()


def limit_memory(memory: int | None) -> None:
    """Cap this process's address space at `memory` bytes (or its current hard limit, if lower); no core files."""
    if resource is None or memory is None:
        return
    with contextlib.suppress(ValueError, OSError, AttributeError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(ValueError, OSError, AttributeError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _serve(conn, work: Callable, shared: object, memory: int | None, run: int) -> None:  # pragma: no cover - child
    """The worker's loop: one task in, one ("ok", result) / ("memory" | "error", detail) out. It dies with `run`, the
    process that started it (`children`): a parent killed mid-batch sends no end of file to a forked worker, which
    holds the parent's end of its own pipe too."""
    children.die_with_run(run)
    limit_memory(memory)
    _quiet_stderr()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the parent has gone
        if message is None:
            return
        i, task = message
        try:
            reply = ("ok", work(shared, *task))
        except MemoryError:
            reply = ("memory", "")
        except Exception as e:  # noqa: BLE001 - reported as this file's failure, the batch goes on
            reply = ("error", f"{type(e).__name__}: {str(e)[:200]}")
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", ""))
        if reply[0] != "ok":
            return


def _quiet_stderr() -> None:  # pragma: no cover - in the child
    """A crashing parser writes to stderr ("memory allocation of … failed"); the report says it instead.

    Set NTM_ICT_WORKER_STDERR=1 to see what the workers write.
    """
    if os.environ.get("NTM_ICT_WORKER_STDERR"):
        return
    faulthandler.disable()  # inherited from the parent (pytest, python -X faulthandler): it writes to a saved stderr
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
