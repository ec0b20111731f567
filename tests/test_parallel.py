"""Reading in worker processes gives the same run as reading in one; the bar stays off the record."""

from __future__ import annotations

import gc
import io
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from conftest import Run, passing_commune, passing_village, write_workbook

from pipeline import progress
from pipeline.run import run
from pipeline.writing import parallel

FILES = 40  # above the bar's threshold and the parallel threshold


def _corpus(root: Path) -> Path:
    """FILES workbooks, one commune each, in district folders, with a few problems to report."""
    for i in range(1, FILES + 1):
        code = f"{i:05d}"
        tier = ("ntm", "nang_cao", "kieu_mau")[i % 3]
        xa = passing_commune(code, tier, huyen=f"huyện {i % 10}")  # 10 districts: workbooks written in parallel too
        if i == 7:
            xa["dan_so_lao_dong_smartphone"] = "nhiều"  # bad value
        if i == 11:
            xa["co_dai_truyen_thanh"] = None  # empty cell
        if i == 13:
            xa["ma_xa"] = "00012"  # the same code in two files
        thon = [passing_village(xa["ma_xa"], f"thôn {v}", smart=tier == "kieu_mau") for v in range(1, 4 + i % 5)]
        if i == 17:
            thon.append(passing_village("99999", "thôn lạc"))  # village of an unknown commune
        write_workbook(root / f"huyen-{i % 10}" / f"xa-{code}.xlsx", [xa], thon)
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return _corpus(tmp_path_factory.mktemp("parallel") / "input")


def test_parallel_and_single_process_give_the_same_results(corpus, tmp_path):
    single = run(corpus, tmp_path / "one", workers=1, quiet=True)
    parallel = run(corpus, tmp_path / "two", workers=2, quiet=True)

    names = ["ket-qua-2024.csv", "xa-2024.csv", "loi-du-lieu.csv"]
    for name in names:
        one, two = (tmp_path / d / "2024" / name for d in ("one", "two"))
        assert one.read_bytes() == two.read_bytes(), name
    assert len((tmp_path / "one" / "2024" / "xa-2024.csv").read_text(encoding="utf-8-sig").splitlines()) > FILES - 2
    assert single.problems.equals(parallel.problems)
    assert {"sai-kieu", "thieu-gia-tri", "trung-ma-xa", "khong-co-xa"} <= set(single.problems["ma_loi"])
    assert [p.relative_to(tmp_path / "one") for p in single.written] == [
        p.relative_to(tmp_path / "two") for p in parallel.written
    ]
    assert single.exit_code == parallel.exit_code
    for book in ("tong-hop-2024.xlsx", "huyen/huyen-3.xlsx"):
        one, two = (openpyxl.load_workbook(tmp_path / d / "2024" / book) for d in ("one", "two"))
        for a, b in zip(one.worksheets, two.worksheets, strict=True):
            if a.title != "Nguồn":  # holds the run's time
                assert [[c.value for c in r] for r in a.iter_rows()] == [[c.value for c in r] for r in b.iter_rows()]


def test_no_progress_bar_when_not_on_a_terminal(corpus, tmp_path):
    done = Run(corpus, tmp_path / "out", "--workers", "2")
    assert done.exit_code == 3, done.result.output
    try:
        out = done.result.output + done.result.stderr  # click >= 8.2 keeps stderr apart
    except ValueError:  # click 8.1: stderr is mixed into output
        out = done.result.output
    assert "Đọc bảng tính" not in out and "Ghi kết quả" not in out
    assert "\r" not in out and "###" not in out
    assert "Năm 2024:" in out  # the normal report is still printed


def test_the_writing_bar_counts_each_file_as_it_is_written(corpus, tmp_path, monkeypatch, capsys):
    bars = {}

    class Drawn:  # click's bar, recording its steps and the thread each came from
        def __init__(self, length, label, **_):
            self.total, self.steps = length, []
            bars[label] = self

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            self.steps.append((n, threading.current_thread() is threading.main_thread()))

    monkeypatch.setattr(progress, "shown", lambda total, quiet=False: not quiet)
    monkeypatch.setattr(progress.click, "progressbar", Drawn)
    run(corpus, tmp_path / "out", workers=2, sheets=False)
    writing = bars["Ghi kết quả"]
    assert writing.total == 15  # 3 CSVs, the report, the summary and 10 districts' workbooks; no sheets asked for
    assert sum(n for n, _ in writing.steps) == 15
    assert not all(here for _, here in writing.steps)  # steps as the pool's files end, not all after the summary
    assert "Kiểm tra số liệu và đánh giá…" in capsys.readouterr().err  # between the reading bar and the writing bar


def test_a_national_run_writes_the_same_workbooks_from_the_small_server(corpus, tmp_path, monkeypatch):
    """Above PROVINCE_SIZE communes the write stage's workers are forked from a small server, started with the
    pool while the files are checked: the district workbooks they write hold the cells one process writes."""
    monkeypatch.setattr("pipeline.presenting.view.PROVINCE_SIZE", 10)
    made, original = [], parallel.pool

    def pool(processes: int, small_server: bool):
        made.append(small_server)
        return original(processes, small_server)

    single = run(corpus, tmp_path / "one", workers=1, quiet=True)
    monkeypatch.setattr("pipeline.writing.parallel.pool", pool)
    national = run(corpus, tmp_path / "two", workers=2, quiet=True)
    assert made == [True]
    assert national.exit_code == single.exit_code
    districts = sorted((tmp_path / "one" / "2024" / "huyen").glob("*.xlsx"))
    assert len(districts) == 10
    assert [p.relative_to(tmp_path / "two") for p in national.written] == [
        p.relative_to(tmp_path / "one") for p in single.written
    ]
    for one in districts:
        two = tmp_path / "two" / one.relative_to(tmp_path / "one")
        assert _cells(one) == _cells(two), one.name


def _nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_a_pool_left_by_an_exception_drops_the_tasks_not_started():
    """SIGTERM reaches the run alone (Ctrl-C reaches its workers too): its workers would write every file still
    queued, for a run that is over, before its staging folder could be removed."""
    with pytest.raises(KeyboardInterrupt), parallel.pool(2, small_server=False) as workers:
        tasks = [parallel.start(workers, _nap, 0.2) for _ in range(20)]
        raise KeyboardInterrupt
    assert sum(task.cancelled() for task in tasks) >= 15  # all but those the workers had already taken


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_a_run_gives_the_collector_back_as_it_found_it(corpus, tmp_path):
    """The run freezes what it holds while it writes (`run._settled`); a caller that runs again must not pile up."""
    assert gc.get_freeze_count() == 0
    run(corpus, tmp_path / "out", workers=2, quiet=True)
    assert gc.get_freeze_count() == 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_is_drawn_only_on_a_terminal_for_many_files_unless_quiet(monkeypatch):
    monkeypatch.setattr("sys.stderr", _Terminal())
    assert progress.shown(FILES)
    assert not progress.shown(progress.MIN_ITEMS)
    assert not progress.shown(FILES, quiet=True)
    with progress.bar(FILES, "Đọc bảng tính") as bar:
        bar.update(FILES)
    assert "Đọc bảng tính" in sys.stderr.getvalue()

    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert not progress.shown(FILES)
    with progress.bar(FILES, "Đọc bảng tính") as bar:
        bar.update(FILES)
    assert sys.stderr.getvalue() == ""


class Witness:
    """Notes the thread that pickles it."""

    pickled_in: list[str] = []

    def __reduce__(self):
        Witness.pickled_in.append(threading.current_thread().name)
        return (Witness, ())


def _echo(value):
    return type(value).__name__


def test_a_task_is_pickled_before_the_caller_goes_on():
    """The pool pickles a task in a thread of its own, while the caller may be reading the same frames (and
    pandas adds to an array's `__dict__` as it is read): `start` pickles it in the calling thread instead."""
    Witness.pickled_in = []
    with ProcessPoolExecutor(1) as workers:
        done = parallel.start(workers, _echo, Witness())
        assert Witness.pickled_in == [threading.current_thread().name]
        assert done.result() == "Witness"
    assert parallel.start(None, _echo, Witness()).result() == "Witness"  # no pool: run here and now
