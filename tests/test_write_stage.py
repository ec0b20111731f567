"""How the write stage spends its time: what the outputs hold is pinned elsewhere (test_workbook, test_report …)."""

import contextlib
import datetime as dt
import gc
import weakref
import zipfile
from types import SimpleNamespace

import xlsxwriter.worksheet
from conftest import Run, passing_commune, passing_village, write_workbook

from pipeline import progress
from pipeline.run import run
from pipeline.writing import report, sheets, workbook


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


def test_each_communes_sheet_is_made_once_for_both_of_its_files(tmp_path, monkeypatch):
    """The sheets in one file and each in a file to send back are one writer's (`sheets.write_year`)."""
    made = []
    page = sheets.Sheets.page
    monkeypatch.setattr(sheets.Sheets, "page", lambda self, label, row: made.append(row.code) or page(self, label, row))
    xa = [passing_commune("00001"), passing_commune("00002")]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, [passing_village("00001"), passing_village("00002")])
    Run(tmp_path / "input", tmp_path / "output", "--workers", "1", "--phieu", "--tep-xa")
    assert sorted(made) == ["00001", "00002"]
    assert (tmp_path / "output" / "2024" / "phieu-tham-dinh-2024.docx").is_file()
    assert len(list((tmp_path / "output" / "2024" / "xa").glob("*.docx"))) == 2


def test_the_writing_bar_ends_full_when_one_writer_writes_two_outputs(tmp_path, monkeypatch):
    """The sheets' writer counts two steps (both files) when it ends, in the pool or not."""
    counted = {}

    @contextlib.contextmanager
    def bar(total, label, quiet=False):
        steps = []
        yield SimpleNamespace(update=lambda n=1: steps.append(n))
        counted[label] = total, sum(steps)

    monkeypatch.setattr(progress, "bar", bar)
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], [passing_village("00001")])
    run(tmp_path / "input", tmp_path / "output", workers=1, sheets=True, commune_files=True)
    total, done = counted["Ghi kết quả"]
    assert (total, done) == (8, 8)  # 3 CSVs, the report, the sheets in two outputs, the summary, one district's


def test_a_colour_rules_formula_is_prepared_once(tmp_path):
    """xlsxwriter runs some four hundred regular expressions over a rule's formula: once a run (`workbook._Sheet`)."""
    workbook._prepared.cache_clear()
    xa = [passing_commune("00001", huyen="huyện Một"), passing_commune("00002", huyen="huyện Hai")]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, [passing_village("00001"), passing_village("00002")])
    Run(tmp_path / "input", tmp_path / "output", "--workers", "1")
    prepared = workbook._prepared.cache_info()
    assert prepared.hits > prepared.misses > 0


def test_a_sheet_escapes_its_attributes_as_xlsxwriter_does():
    """`workbook._Sheet` tells a number from a text without xlsxwriter's exception, and escapes the same."""
    ours, theirs = workbook._Sheet(), xlsxwriter.worksheet.Worksheet()
    for attribute in (17, 2.5, "B7", 'a "b" <c> & d\ne', "Đ", b"x"):
        assert ours._escape_attributes(attribute) == theirs._escape_attributes(attribute)


def test_the_report_is_written_alike_from_what_its_worker_is_sent(tmp_path):
    """`report.read`: the view less what the report does not read (the cells' letters, the villages)."""
    xa = [passing_commune("00001"), passing_commune("00002", dan_so_lao_dong_smartphone=7050)]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, [passing_village("00001"), passing_village("00002")])
    (view,) = run(tmp_path / "input", tmp_path / "output", workers=1).views.values()
    sent = report.read(view)
    assert sent.run.letters.empty and sent.presented.villages.empty and not view.run.letters.empty
    (whole,) = report.write_year(view, tmp_path / "whole")
    (read,) = report.write_year(sent, tmp_path / "read")
    with zipfile.ZipFile(whole) as a, zipfile.ZipFile(read) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")


def test_a_column_is_written_as_xlsxwriter_s_public_calls_write_it(tmp_path):
    """`workbook._column` goes around xlsxwriter's decorator: the sheet it makes is the one the public calls make."""
    values = ["Xã Một", None, 17, 2.5, "=1+1", 'a "b" <c> & d', "", -0.0]
    sheets = []
    for name, fill in (("ours", workbook._column), ("public", None)):
        book = xlsxwriter.Workbook(tmp_path / f"{name}.xlsx")
        ws, fmt = book.add_worksheet(), book.add_format({"bold": True})
        if fill:
            fill(ws, 2, 1, values, fmt)
        else:
            for i, value in enumerate(values):
                if value is not None:
                    (ws.write_string if isinstance(value, str) else ws.write_number)(2 + i, 1, value, fmt)
        book.close()
        with zipfile.ZipFile(tmp_path / f"{name}.xlsx") as z:
            sheets.append((z.read("xl/worksheets/sheet1.xml"), z.read("xl/sharedStrings.xml")))
    assert sheets[0] == sheets[1]
