"""A progress bar on the terminal for long runs, and silence everywhere else.

The bar goes to stderr and appears only when stderr is a terminal, there are
more than `MIN_ITEMS` things to do and the run is not quiet, so logs, pipes,
CI and tests never see it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

import click

MIN_ITEMS = 36  # below this a run is over before a bar would help


class _Silent:
    """Stands in for the bar when none is shown."""

    def update(self, n_steps: int = 1) -> None:
        pass


def shown(total: int, quiet: bool = False) -> bool:
    """Whether a bar of `total` steps would be drawn."""
    if quiet or total <= MIN_ITEMS:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


class _Steps:
    """The drawn bar, advanced from this thread or from the threads that see the write pool's tasks end
    (a national run's workbooks are written for half a minute: the bar moves as each one is done)."""

    def __init__(self, drawn):
        self._drawn, self._lock, self._open = drawn, threading.Lock(), True

    def update(self, n_steps: int = 1) -> None:
        with self._lock:
            if self._open:  # a task's callback may run just after the run has waited for its result
                self._drawn.update(n_steps)

    def close(self) -> None:
        with self._lock:
            self._open = False


@contextlib.contextmanager
def bar(total: int, label: str, quiet: bool = False) -> Iterator:
    """A context yielding an object with `update(n)`, which any thread may call; draws only when `shown`."""
    if not shown(total, quiet):
        yield _Silent()
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True, width=30) as drawn:
        steps = _Steps(drawn)
        try:
            yield steps
        finally:
            steps.close()


def say(text: str, total: int, quiet: bool = False) -> None:
    """A line on the terminal for a step with nothing to count, on the terms of `shown`."""
    if shown(total, quiet):
        click.echo(text, err=True)
