"""How the write stage spends its time: what the outputs hold is pinned elsewhere (test_workbook, test_report …)."""

import datetime as dt
import gc
import weakref

from conftest import Run, passing_commune, passing_village, write_workbook

from pipeline.writing import workbook


def test_no_collection_while_a_workbook_is_written(tmp_path, monkeypatch):
    """Each collection would walk every cell written so far (`workbook._uncollected`)."""
    seen = []
    closing = workbook.Book.close
    monkeypatch.setattr(workbook.Book, "close", lambda book: seen.append(gc.isenabled()) or closing(book))
    xa = [passing_commune("00001", huyen="huyện Một")]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, [passing_village("00001")])
    Run(tmp_path / "input", tmp_path / "output", "--workers", "1")
    assert seen == [False, False]  # the summary and the district's workbook
    assert gc.isenabled()


def test_a_closed_workbook_is_freed_without_the_collector(tmp_path):
    """Closed, a workbook's cells are freed at once, not left in a cycle for the collector to walk (`Book.close`)."""
    book = workbook.Book(tmp_path / "a.xlsx", "vi", dt.datetime(2024, 1, 1))
    sheet = book._sheet("x")
    sheet.write_string(0, 0, "a", book.f["text"])
    written = weakref.ref(sheet)
    del sheet
    gc.disable()
    try:
        book.close()
        del book
        assert written() is None
    finally:
        gc.enable()
