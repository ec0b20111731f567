"""A run's worker processes never outlive it.

The reading workers (`isolate`), the writing pool (`parallel`) and, at national
scale, the workers of the small server wait for their next task on a pipe they
themselves hold open: when the run is killed (`kill -9`, the out-of-memory
killer, `timeout`), nothing would ever tell them to stop. So on Linux each one,
first thing, asks the kernel to kill it when the process that forked it ends
(prctl PR_SET_PDEATHSIG). The small server's workers are not the run's children
and the server ends only once they have (they hold its pipe too): they watch the
run instead, and end within `WATCH_EVERY` of it; the server follows.

Elsewhere this does nothing: macOS and Windows have no such request.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# Seconds between two looks at the run: a killed run's next run takes longer than this to start and reach its
# output folder, so no worker of the old one is still writing there. A look reads one small file: 50 µs.
WATCH_EVERY = 0.1


def die_with_run(run: int) -> None:
    """In a child process, before anything else: be killed as soon as its parent ends; if that parent is not the
    run (`run`, the main process's id), watch the run and end with it."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # the kernel refused: the child lives as it did before
    if os.getppid() == run:
        return  # the run is alive, and the kernel will kill this process when it ends
    # forked by the small server, or by the run that ended before the request above
    if _ended(run):
        os._exit(1)
    threading.Thread(target=_watch, args=(run,), name="theo-doi-lan-chay", daemon=True).start()


def _watch(run: int) -> None:
    """End this process once the run has ended."""
    while not _ended(run):
        time.sleep(WATCH_EVERY)
    os._exit(1)


def _ended(pid: int) -> bool:
    """Whether process `pid` has ended: gone, or a zombie its parent has not yet waited for."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")
