"""Reading in isolated workers: a file that crashes, exhausts memory or hangs costs one row, never the batch.

The worker pool is tested with small work functions that misbehave on purpose
(defined here, at module level, so that a spawned worker can import them);
`read_batch` is tested end to end with a crafted workbook that makes the parser
abort, and `discover` with the folder oddities an input folder may hold.
"""

from __future__ import annotations

import gc
import io
import os
import signal
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import in_words, passing_commune, passing_village, said, write_workbook
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from test_bad_inputs import FIXTURES, both_sheets, crafted_ods, damaged_deflate, good, rezip, write_rows, write_xlsb

from pipeline import progress
from pipeline.catalog import load_columns
from pipeline.reading import containers, hidden_cells, isolate, read, xml_scan

COLUMNS = load_columns()


# --- work functions that misbehave on purpose -------------------------------------------------------------------------


def echo(shared, value):
    return shared, value, os.getpid()


def misbehave(shared, value):
    """Return the value, except: "kill" dies by SIGKILL, "abort" aborts, "hang" sleeps, "memory" exhausts memory."""
    if value == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if value == "abort":
        os.abort()
    if value == "hang":
        time.sleep(60)
    if value == "memory":
        hog = []
        while True:  # stopped by the worker's address-space limit
            hog.append(bytearray(64 * 2**20))
    if value == "raise":
        raise ValueError("hỏng")
    return value


def meet(folder, i):
    """Task 0 waits (up to 10 s) for another task to have run: only a second worker can run it meanwhile."""
    if i == 0:
        deadline = time.monotonic() + 10
        while not (Path(folder) / "met").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return (Path(folder) / "met").exists()
    (Path(folder) / "met").touch()
    return True


def rlimit_as(shared, value):
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]


# --- the pool ---------------------------------------------------------------------------------------------------------


def test_results_keep_task_order_and_run_in_child_processes_even_with_one_worker():
    for workers in (1, 3):
        results = isolate.run(echo, "chung", [(i,) for i in range(20)], workers=workers)
        assert [r[:2] for r in results] == [("chung", i) for i in range(20)]
        assert os.getpid() not in {r[2] for r in results}
        assert len({r[2] for r in results}) <= workers  # long-lived workers, not one process per file


def test_every_worker_starts_at_once_not_after_the_first_file(tmp_path):
    """The first worker takes the first two files: a second one starts before either is done, and reads the third."""
    assert isolate.run(meet, str(tmp_path), [(i,) for i in range(3)], workers=2) == [True, True, True]


@pytest.mark.skipif(sys.platform == "win32", reason="signals")
@pytest.mark.parametrize("fault", ["kill", "abort"])
def test_a_worker_killed_mid_batch_costs_only_its_file(fault):
    tasks = [("a",), ("b",), (fault,), ("c",), (fault,), ("d",)]
    results = isolate.run(misbehave, None, tasks, workers=2)
    assert [r if isinstance(r, str) else r.kind for r in results] == ["a", "b", "crash", "c", "crash", "d"]
    signal_number = signal.SIGKILL if fault == "kill" else signal.SIGABRT
    assert results[2].detail == f"tín hiệu {int(signal_number)}"


def test_a_file_over_its_time_is_stopped_and_the_rest_go_on():
    started = time.monotonic()
    results = isolate.run(misbehave, None, [("a",), ("hang",), ("b",), ("c",)], workers=1, timeout=1.0)
    assert [r if isinstance(r, str) else r.kind for r in results] == ["a", "timeout", "b", "c"]
    assert time.monotonic() - started < 30


@pytest.mark.skipif(isolate.resource is None, reason="no address-space limit on this platform")
def test_memory_is_capped_and_exhausting_it_costs_only_that_file():
    assert isolate.run(rlimit_as, None, [(0,)], memory=2**30) == [2**30]
    results = isolate.run(misbehave, None, [("a",), ("memory",), ("b",)], workers=1, memory=2**30)
    assert results[0] == "a" and results[2] == "b"
    assert isinstance(results[1], isolate.Failure) and results[1].kind in ("memory", "crash")


def test_an_error_in_the_work_function_is_that_file_s_failure():
    results = isolate.run(misbehave, None, [("raise",), ("b",)], workers=1)
    assert results[0] == isolate.Failure("error", "ValueError: hỏng")
    assert results[1] == "b"


def test_an_interrupted_batch_ends_its_workers_without_waiting_for_their_files():
    """SIGTERM reaches the run alone (Ctrl-C reaches its workers too): the files under way are not waited for."""

    def interrupted(i: int) -> None:
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        isolate.run(misbehave, None, [("a",), ("hang",), ("hang",)], workers=2, done=interrupted)
    assert time.monotonic() - started < isolate._STOP_GRACE


def test_done_is_called_once_per_task_whatever_happens():
    seen = []
    isolate.run(misbehave, None, [("a",), ("kill",), ("b",)], workers=2, done=seen.append)
    assert sorted(seen) == [0, 1, 2]


def test_workers_started_by_spawn_work_too(tmp_path):
    """As on Windows and macOS: the worker imports what it runs, the column catalog travels pickled."""
    good(tmp_path / "xa.xlsx", "00001")
    task = (str(tmp_path / "xa.xlsx"), "xa.xlsx", ".xlsx")
    results = isolate.run(misbehave, None, [("a",), ("kill",), ("b",)], workers=1, start_method="spawn")
    assert [r if isinstance(r, str) else r.kind for r in results] == ["a", "crash", "b"]
    [got] = isolate.run(read._read_here, COLUMNS, [task], start_method="spawn")
    assert got.problems == [] and len(got.cells["Xa"]) == 1


# --- read_batch and read_file end to end ------------------------------------------------------------------------------


def _corpus(root: Path, bad_at: int = 3, files: int = 6) -> list[str]:
    """Good commune files 00001…, with a crafted .ods that makes the parser abort in place of file `bad_at`."""
    names = []
    for i in range(1, files + 1):
        if i == bad_at:
            crafted_ods(root / f"f{i}-bom.ods")
            names.append(f"f{i}-bom.ods")
            continue
        code = f"{i:05d}"
        write_workbook(root / f"f{i}.xlsx", [passing_commune(code)], [passing_village(code, "thôn 1")])
        names.append(f"f{i}.xlsx")
    return names


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_that_makes_the_parser_abort_gets_one_row_and_every_other_file_is_read(tmp_path, workers):
    names = _corpus(tmp_path)
    batch = read.read_batch(tmp_path, COLUMNS, workers=workers)
    assert list(batch.sources["tep"]) == names
    assert list(batch.xa["ma_xa"]) == ["00001", "00002", "00004", "00005", "00006"]
    [row] = batch.problems
    assert (row["tep"], row["ma_loi"], row["muc_do"]) == ("f3-bom.ods", "tep-lam-hong-trinh-doc", "loi")
    assert row.get("trang", "") == ""
    bom = batch.sources.set_index("tep").loc["f3-bom.ods"]
    assert bom["kich_thuoc"] == (tmp_path / "f3-bom.ods").stat().st_size and len(bom["sha256"]) == 64


def test_the_progress_bar_advances_once_per_file(tmp_path, monkeypatch):
    _corpus(tmp_path)
    (tmp_path / "lon.xlsx").write_bytes(b"")
    os.truncate(tmp_path / "lon.xlsx", read.safety.MAX_FILE_BYTES + 1)  # refused before reading: still a step
    steps = []

    class Bar:
        def __init__(self, total, label, quiet=False):
            steps.append(("total", total))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n=1):
            steps.append(n)

    monkeypatch.setattr(progress, "bar", Bar)
    read.read_batch(tmp_path, COLUMNS, workers=2, progress="Đọc bảng tính")
    assert steps[0] == ("total", 7) and sum(steps[1:]) == 7


def test_the_collector_is_paused_while_the_files_come_in_and_given_back(tmp_path, monkeypatch):
    good(tmp_path / "xa.xlsx", "00001")
    during = []
    combine = read.combine
    monkeypatch.setattr(read, "combine", lambda *a: during.append(gc.isenabled()) or combine(*a))
    assert gc.isenabled()
    read.read_batch(tmp_path, COLUMNS, workers=1)
    assert during == [False] and gc.isenabled()
    monkeypatch.setattr(read, "combine", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        read.read_batch(tmp_path, COLUMNS, workers=1)
    assert gc.isenabled()  # after an error too
    gc.disable()
    try:
        monkeypatch.setattr(read, "combine", combine)
        read.read_batch(tmp_path, COLUMNS, workers=1)
        assert not gc.isenabled()  # a caller that had paused it keeps it paused
    finally:
        gc.enable()


def test_read_file_parses_in_a_worker_too(tmp_path):
    crafted_ods(tmp_path / "bom.ods")
    got = read.read_file(tmp_path, tmp_path / "bom.ods", COLUMNS)
    assert [p["ma_loi"] for p in got.problems] == ["tep-lam-hong-trinh-doc"]


def test_a_file_over_the_size_bound_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "lon.xlsx"
    with path.open("wb") as f:
        f.truncate(5 * 2**30)
    monkeypatch.setattr(read.isolate, "run", lambda *a, **k: pytest.fail("a worker was given the file"))
    got = read.read_file(tmp_path, path, COLUMNS)
    assert [
        (p["ma_loi"], m.endswith("tệp 5120 MiB, tối đa 50 MiB"))
        for p, m in zip(got.problems, said(got.problems), strict=False)
    ] == [("qua-lon", True)]
    assert got.size == 5 * 2**30


def test_a_file_that_grows_while_it_is_read_is_read_on_to_the_bound(tmp_path, monkeypatch):
    """The worker reads as much as the file's size said, then on to MAX_FILE_BYTES + 1 if there is more."""
    path = good(tmp_path / "xa.xlsx", "00001")
    monkeypatch.setattr(read.os, "fstat", lambda fd: os.stat_result((0,) * 6 + (10,) + (0,) * 3))  # "10 bytes"
    got = read._read_here(COLUMNS, str(path), "xa.xlsx", ".xlsx")
    assert got.problems == [] and got.size == path.stat().st_size and len(got.cells["Xa"]) == 1


# --- discover -----------------------------------------------------------------------------------------------------


def test_an_excluded_folder_is_not_read(tmp_path):
    good(tmp_path / "xa.xlsx", "00001")
    good(tmp_path / "output" / "2024" / "huyen" / "huyen-thu.xlsx", "00001")
    (tmp_path / "output" / "loi-du-lieu.csv").write_text("tep\n")
    books, problems = read.discover(tmp_path, exclude=[tmp_path / "output"])
    assert books == [tmp_path / "xa.xlsx"] and problems == []
    books, _ = read.discover(tmp_path)
    assert len(books) == 2


def test_an_unreadable_folder_is_a_problem_row(tmp_path, monkeypatch):
    good(tmp_path / "huyen-a" / "xa.xlsx", "00001")
    good(tmp_path / "huyen-b" / "xa.xlsx", "00002")
    real = os.scandir

    def scandir(path):
        if Path(path).name == "huyen-b":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(read.os, "scandir", scandir)
    books, problems = read.discover(tmp_path)
    assert books == [tmp_path / "huyen-a" / "xa.xlsx"]
    assert [(p["tep"], p["ma_loi"], p["muc_do"]) for p in problems] == [("huyen-b/", "thu-muc-khong-doc-duoc", "loi")]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_names_that_are_not_utf8_are_printable_and_reported(tmp_path):
    folder = os.fsencode(tmp_path)
    good(Path(os.fsdecode(folder + b"/x\xe9.xlsx")), "00001")
    Path(os.fsdecode(folder + b"/ghi-ch\xfa.pdf")).write_text("x")
    books, problems = read.discover(tmp_path)
    assert len(books) == 1
    rows = sorted((p["tep"], p["ma_loi"]) for p in problems)
    assert rows == [
        ("ghi-ch\\xfa.pdf", "bo-qua-tep"),
        ("ghi-ch\\xfa.pdf", "ten-tep-khong-hop-le"),
        ("x\\xe9.xlsx", "ten-tep-khong-hop-le"),
    ]
    batch = read.read_batch(tmp_path, COLUMNS, workers=1)
    assert list(batch.xa["_tep"]) == ["x\\xe9.xlsx"]
    assert all(p["tep"].encode("utf-8") for p in batch.problems)


def test_a_link_to_a_folder_is_followed_once_and_a_loop_ends(tmp_path):
    good(tmp_path / "huyen-a" / "xa.xlsx", "00001")
    (tmp_path / "lien-ket").symlink_to(tmp_path / "huyen-a")
    (tmp_path / "huyen-a" / "vong").symlink_to(tmp_path)
    books, problems = read.discover(tmp_path)
    assert len(books) == 1 and problems == []


# --- the pre-checks stay cheap ------------------------------------------------------------------------------------


ADVERSARIAL = {
    "cells-never-closed": b'<c r="A1"><f>1' * 40_000,
    "tags-never-closed": b"<c r='A1' " * 40_000,
    "one-long-attribute-name": b"<c " + b"a" * 400_000 + b">",
    "quotes-never-closed": b'<c r="' + b'a=" ' * 100_000 + b">",
    "comments-never-closed": b"<!--<c r='A1'><f>" * 30_000,
    "ods-rows-never-closed": (
        b'<table:table-row table:number-rows-repeated="9"><table:table-cell calcext:value-type="error">' * 20_000
    ),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_the_scans_are_linear_on_adversarial_xml(name):
    """About 400 KB each: a scan that restarts a lazy repeat at every tag would take minutes."""
    xml = b"<worksheet><sheetData>" + ADVERSARIAL[name] + b"</sheetData></worksheet>"
    started = time.monotonic()
    read.safety._xlsx_extent(xml, "Xa")
    hidden_cells.xlsx_marks(xml)
    read.safety._inspect_ods(xml)
    assert time.monotonic() - started < 5


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text("ABXYZabz", min_size=1, max_size=3),
            st.integers(min_value=1, max_value=9_999_999),
            st.sampled_from(["", "$"]),
            st.sampled_from(['"', "'"]),
            st.sampled_from(["", " ", "\n"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_the_extent_is_refused_exactly_when_the_farthest_cells_make_too_big_a_grid(cells):
    """Addresses in any spelling the scan reads; the shortcut for sheets without far addresses hides none."""
    xml = b"<worksheet><sheetData>"
    for column, row, dollar, quote, space in cells:
        xml += f"<c r{space}={space}{quote}{dollar}{column}{dollar}{row}{space}{quote}><v>1</v></c>".encode()
    rows = max(row for _, row, *_ in cells)
    columns = max(xml_scan.column_number(column.encode()) for column, *_ in cells)
    refused = read.safety._xlsx_extent(xml + b"</sheetData></worksheet>", "Xa")
    assert bool(refused) == (rows * columns > read.safety.MAX_CELLS)


def test_the_extent_shortcut_holds_for_the_bound():
    """Without three letters or five digits no address passes ZZ9999: that grid must stay under the bound."""
    assert xml_scan.column_number(b"ZZ") * 9_999 <= read.safety.MAX_CELLS


def test_what_the_scan_marks_in_an_xlsx_sheet():
    formula, error = hidden_cells.Formula, hidden_cells.CellError
    xml = (
        b'<c r="A1" t="str"><f>IF(B1="","",B1)</f><v></v></c>'  # empty text result: an empty cell
        b'<c r="A2"><f>1+1</f><v>2</v></c>'  # cached value
        b"<c r='A3'><f>4000+4500</f><v /></c>"  # no cached value (openpyxl), single quotes
        b'<c r="A4"><f t="shared" si="0"/></c>'  # filled-down copy of a shared formula, no value
        b'<c r="A5" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        b'<x:c r="A6" t="e"><x:v>#N/A</x:v></x:c>'  # a namespace prefix
        b'<c r="A7" t="s"><v>3</v></c>'
    )
    marks = hidden_cells.xlsx_marks(xml)
    assert [(r, c, type(m), str(m)) for r, c, _, _, m in marks] == [
        (2, 0, formula, "=4000+4500"),
        (3, 0, formula, "=(công thức chép từ ô khác)"),
        (4, 0, error, "#DIV/0!"),
        (5, 0, error, "#N/A"),
    ]


# --- the pre-checks look at every part the parser parses, and only those --------------------------------------------

DOCTYPE = b'<!DOCTYPE x [<!ENTITY e "e">]>'
FAR = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'


def with_doctype(xml: bytes) -> bytes:
    return xml.replace(b"?>", b"?>" + DOCTYPE, 1) if xml.startswith(b"<?xml") else DOCTYPE + xml


def damaged(data: bytes, member: str) -> bytes:
    """The archive with one member's stored bytes scrambled: whoever reads that member fails."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    raw = bytearray(data)
    start = info.header_offset + 30 + int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    start += int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
    raw[start : start + info.compress_size] = bytes(b ^ 0x5A for b in raw[start : start + info.compress_size])
    return bytes(raw)


def parser_reads(data: bytes) -> bool:
    """Whether python-calamine opens the workbook and reads the sheets `read` would read."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in book.sheet_names:
            if read._wanted(name):
                book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - any failure means the parser read the damaged member
        return False
    return True


def workbook_with_extras(path: Path) -> Path:
    """A commune workbook as the template makes it: an instructions sheet first, a comment, theme and properties."""
    sheets = {"Hướng dẫn": [["Điền số liệu vào trang Xa và trang Thon"]]} | both_sheets("00001")
    write_rows(path, sheets)
    return path


@pytest.mark.parametrize("kind", ["xlsx", "ods", "xlsb"])
def test_a_doctype_is_refused_in_every_part_the_parser_parses(tmp_path, kind):
    """Whatever the bytes hold (the parser tries xlsx, xlsb and ods in turn), an .xlsx is checked where parsed."""
    if kind == "xlsx":
        data = workbook_with_extras(tmp_path / "xa.xlsx").read_bytes()
    elif kind == "ods":
        data = (FIXTURES / "hai-xa.ods").read_bytes()
    else:
        data = write_xlsb(tmp_path / "xa.xlsb", both_sheets("00001")).read_bytes()
    assert parser_reads(data) and not read.safety.inspect(data, ".xlsx", read._wanted).unsafe
    names = [i.filename for i in zipfile.ZipFile(io.BytesIO(data)).infolist() if i.compress_size]
    parsed = [n for n in names if n.endswith((".xml", ".rels")) and not parser_reads(damaged(data, n))]
    assert parsed  # the parser does parse some of them
    for k, name in enumerate(parsed):
        path = tmp_path / f"doctype-{k}.zip"
        path.write_bytes(data)
        rezip(path, lambda member, xml, name=name: with_doctype(xml) if member == name else xml)
        look = read.safety.inspect(path.read_bytes(), ".xlsx", read._wanted)
        assert in_words(look.unsafe).startswith("tệp chứa khai báo DOCTYPE"), name


def test_parts_and_sheets_the_parser_never_opens_are_not_inflated(tmp_path):
    data = workbook_with_extras(tmp_path / "xa.xlsx").read_bytes()
    skipped = ["xl/theme/theme1.xml", "docProps/core.xml", "xl/worksheets/sheet1.xml"]  # sheet1: the instructions
    for name in skipped:
        assert parser_reads(damaged(data, name)), name  # the parser never reads it
        assert read.safety.inspect(damaged(data, name), ".xlsx", read._wanted) == read.safety.Inspection(), name
    path = tmp_path / "far.xlsx"
    path.write_bytes(data)
    far = rezip(path, lambda n, x: x.replace(b"</sheetData>", FAR, 1) if n == "xl/worksheets/sheet1.xml" else x)
    assert read.safety.inspect(far.read_bytes(), ".xlsx", read._wanted) == read.safety.Inspection()
    assert read.safety.inspect(far.read_bytes(), ".xlsx").unsafe  # every sheet, when asked


@pytest.mark.parametrize("where", ["other case", "absolute target", "name by reference"])
def test_a_sheet_the_parser_reads_is_checked_however_its_part_is_named(tmp_path, where):
    """The parser finds a part without regard to case, reads an absolute target, and unescapes a sheet name."""
    moved = {"other case": "xl/worksheets/SHEET1.xml", "absolute target": "khac/xa.xml"}.get(where)

    def variant(name: str, far: bool) -> bytes:
        path = good(tmp_path / name, "00001")
        with zipfile.ZipFile(path) as z:
            members = {i.filename: z.read(i) for i in z.infolist()}
        sheet = members.pop("xl/worksheets/sheet1.xml")
        members[moved or "xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", FAR, 1) if far else sheet
        if where == "absolute target":
            rels = members["xl/_rels/workbook.xml.rels"]
            members["xl/_rels/workbook.xml.rels"] = rels.replace(b'"worksheets/sheet1.xml"', b'"/khac/xa.xml"')
        if where == "name by reference":
            members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b'name="Xa"', b'name="X&#97;"')
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for member, xml in members.items():
                z.writestr(member, xml)
        return path.read_bytes()

    plain = CalamineWorkbook.from_filelike(io.BytesIO(variant("xa.xlsx", far=False)))
    assert plain.get_sheet_by_name("Xa").to_python()[3][0] == "00001"  # the parser reads the sheet there
    look = read.safety.inspect(variant("o-xa.xlsx", far=True), ".xlsx", read._wanted)
    assert look.sheet == "Xa" and "dòng 1048576, cột 16384" in in_words(look.unsafe)


def test_cells_are_marked_from_the_part_the_parser_reads(tmp_path):
    """A relative target is read below xl/: a part of the same name at the top of the archive is checked, not used."""
    decoy = b'<worksheet><sheetData><row r="1"><c r="A1" t="e"><v>#REF!</v></c></row></sheetData></worksheet>'
    for name, top in (("xa.xlsx", decoy), ("doctype.xlsx", DOCTYPE + decoy)):
        path = good(tmp_path / name, "00001")
        with zipfile.ZipFile(path, "a") as z:
            z.writestr("worksheets/sheet1.xml", top)
    data = (tmp_path / "xa.xlsx").read_bytes()
    assert CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Xa").to_python()[3][0] == "00001"
    assert read.safety.inspect(data, ".xlsx", read._wanted) == read.safety.Inspection()
    assert read.safety.inspect((tmp_path / "doctype.xlsx").read_bytes(), ".xlsx", read._wanted).unsafe


def test_members_are_read_as_zipfile_reads_them(tmp_path):
    """Inflated directly in the common case; every other case (and its error) is zipfile's."""
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("stored.xml", b"<a/>" * 100, compress_type=zipfile.ZIP_STORED)
        z.writestr("deflated.xml", b"<a/>" * 100, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("bzip2.xml", b"<a/>" * 100, compress_type=zipfile.ZIP_BZIP2)
        z.writestr("tên.xml", b"<b/>", compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("empty.xml", b"", compress_type=zipfile.ZIP_DEFLATED)
    hong = damaged_deflate(tmp_path / "hong.xlsx").read_bytes()  # a sheet's deflate data overwritten
    for data in (path.read_bytes(), damaged(path.read_bytes(), "deflated.xml"), hong):
        z = zipfile.ZipFile(io.BytesIO(data))
        for info in z.infolist():
            ours = outcome(containers.member, z, data, info)
            assert ours == outcome(z.read, info), info.filename


def outcome(read_member, *args) -> tuple:
    try:
        return ("ok", read_member(*args))
    except Exception as e:  # noqa: BLE001 - the error is the outcome compared
        return ("error", type(e), str(e))
