"""A run that is killed leaves no process behind and never blocks the next; SIGTERM and SIGHUP clean up as Ctrl-C.

Each test starts a real run (`python -m pipeline assess`) in a process group of its own, stops it mid-run
and looks at every process of that group in /proc: the run, its reading workers, its writing pool and, at
national scale, the small server and the workers it forks.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, Run, passing_commune, passing_village, write_workbook

from pipeline.run import run
from pipeline.writing.files import MANIFEST, STAGING_PREFIX

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

DISTRICTS = 8  # one workbook each, written in the pool while the run writes the summary
NATIONAL = (
    "import pipeline.presenting.view as v; v.PROVINCE_SIZE = 0; from pipeline.cli import entry_point; entry_point()"
)


@pytest.fixture(scope="module")
def one_commune(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("one") / "input"
    write_workbook(root / "xa.xlsx", [passing_commune()], [passing_village()])
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Two communes in each of `DISTRICTS` districts, one workbook per commune."""
    root = tmp_path_factory.mktemp("killed") / "input"
    for i in range(1, 2 * DISTRICTS + 1):
        code = f"{i:05d}"
        xa = passing_commune(code, huyen=f"huyện {i % DISTRICTS}")
        write_workbook(root / f"xa-{code}.xlsx", [xa], [passing_village(code, f"thôn {v}") for v in range(1, 4)])
    return root


def group(pgid: int) -> dict[int, int]:
    """The processes of a process group that have not ended, each with its parent."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                found[int(entry.name)] = int(fields[1])
    return found


def start(input_dir: Path, output_dir: Path, national: bool = False) -> subprocess.Popen:
    """`assess` with two workers, as a user starts it, in a process group of its own."""
    command = ["-c", NATIONAL] if national else ["-m", "pipeline"]
    return subprocess.Popen(
        [sys.executable, *command, "assess", "--input", str(input_dir), "--output", str(output_dir), "--workers", "2"],
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_for(condition, running: subprocess.Popen | None = None, timeout: float = 60) -> bool:
    """Wait until `condition()`: True, or False if `running` ends first; fails when time runs out."""
    end = time.monotonic() + timeout
    while not condition():
        if running is not None and running.poll() is not None:
            return False
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)
    return True


def writing(output_dir: Path) -> bool:
    """The run is writing: its CSVs are staged, so the pool has been given the documents and started its workers."""
    return any(output_dir.glob(f"{STAGING_PREFIX}*/2024/*.csv"))


ATTEMPTS = 3  # on a busy machine a short run may end between the test seeing it at work and the signal


def stopped(input_dir: Path, out: Path, at, signum: int, national: bool = False, prepare=None) -> subprocess.Popen:
    """A run into `out`, sent `signum` once `at(run)` holds, ended. A run that ends before the signal is started
    again, `prepare()` first each time."""
    for _ in range(ATTEMPTS):
        shutil.rmtree(out, ignore_errors=True)
        if prepare:
            prepare()
        running = start(input_dir, out, national)
        signal_when(running, at, signum)
        if running.returncode != 0:
            return running
    pytest.fail(f"the run ended before it could be stopped, {ATTEMPTS} times")


def signal_when(running: subprocess.Popen, at, signum: int) -> None:
    """Send `signum` to the run alone (as `kill` and `timeout` do) once `at(running)` holds, unless it ends first;
    wait for it to end and for its process group to empty."""
    try:
        if wait_for(lambda: at(running), running):
            os.kill(running.pid, signum)
        running.wait(timeout=60)
        assert wait_for(lambda: not group(running.pid), timeout=15), "a process of the run is left"
    finally:
        for pid in group(running.pid):  # a test that fails leaves nothing running either
            os.kill(pid, signal.SIGKILL)
        running.stderr.close()


@pytest.mark.parametrize("stage", ["reading", "writing", "writing-national"])
def test_a_run_killed_mid_run_leaves_no_process_and_the_next_run_goes(corpus, one_commune, tmp_path, stage):
    out = tmp_path / "output"
    if stage == "reading":
        killed = stopped(corpus, out, lambda run: len(group(run.pid)) > 1, signal.SIGKILL)  # its first reader
    elif stage == "writing":
        killed = stopped(corpus, out, lambda run: writing(out), signal.SIGKILL)
    else:  # once a worker forked by the small server (not a child of the run) is there
        forked = lambda run: writing(out) and set(group(run.pid).values()) - {run.pid, 1}  # noqa: E731
        killed = stopped(corpus, out, forked, signal.SIGKILL, national=True)
    assert killed.returncode == -signal.SIGKILL

    done = Run(one_commune, out, "--workers", "1")
    assert done.exit_code == 0, done.result.output
    assert list(done.communes()) == ["00001"]
    assert sorted(p.name for p in out.iterdir()) == ["2024", MANIFEST]  # the killed run's staging and lock are gone


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_run_stopped_by_sigterm_or_sighup_keeps_the_previous_outputs_and_leaves_nothing(
    corpus, one_commune, tmp_path, signum
):
    out = tmp_path / "output"
    before: dict[Path, bytes] = {}

    def previous() -> None:
        run(one_commune, out, workers=1, quiet=True)
        before.clear()
        before.update(files_in(out))

    ended = stopped(corpus, out, lambda _: writing(out), signum, prepare=previous)
    assert ended.returncode == 1
    assert files_in(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2024", MANIFEST]


def files_in(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
