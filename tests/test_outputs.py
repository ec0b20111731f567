"""What a user sees of the output folder: one run at a time, all or nothing, the officer's own files kept,
the tool's stale files removed, nothing left behind; and CSV cells that a spreadsheet cannot take for formulas."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import docx
import pandas as pd
import pytest
from conftest import Run, passing_commune, passing_village, write_workbook

from pipeline.assessing.assess import Assessment
from pipeline.writing import csv_out, files
from pipeline.writing.files import OutputError, OutputFolder, replace_atomically

REPO = Path(__file__).resolve().parent.parent
BUSY = "đang được một lần chạy khác ghi; hãy đợi lần chạy đó xong rồi chạy lại"
OPEN = "tệp đang mở trong chương trình khác hoặc không có quyền ghi; hãy đóng tệp rồi chạy lại"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones included) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write(path: Path, text: str) -> None:
    with replace_atomically(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def officers_report() -> bytes:
    """A report the officer edited and saved in Word, as python-docx saves one."""
    document = docx.Document()
    document.add_paragraph("BÁO CÁO THẨM ĐỊNH (đã sửa tay)")
    saved = io.BytesIO()
    document.save(saved)
    return saved.getvalue()


# what the officer saved beside the outputs: an edited report, notes in Notepad ("Unicode", and UTF-8)
OFFICERS = {
    "README.md": "ghi chú của người dùng\n".encode(),
    "2024/bao-cao-da-sua-tay.docx": officers_report(),
    "2024/ghi-chu.txt": "Xã Nam Lý hẹn gửi lại biểu ngày 5/3\r\n".encode("utf-16"),
    "2024/huyen/ghi-chu.txt": "Đã gửi huyện Lý Nhân\r\n".encode("utf-8-sig"),
}
FIRST_RUN = [
    *(
        f"{year}/{name}"
        for year in (2023, 2024)
        for name in (f"ket-qua-{year}.csv", "huyen/ly-nhan.xlsx", "huyen/phu-ly.xlsx")
    ),
    "xa-chua-ro-nam.csv",
]


@pytest.fixture
def previous(tmp_path) -> Path:
    """An output folder after an earlier run (2023 and 2024, each with two districts), with the officer's files."""
    out = tmp_path / "output"
    with OutputFolder(out) as o:
        for rel in FIRST_RUN:
            write(o.path(rel), f"cu {rel}\n")
    for rel, data in OFFICERS.items():
        (out / rel).write_bytes(data)
    return out


def officers(folder: Path) -> dict[str, bytes]:
    """The officer's files in the folder, with their bytes."""
    return {rel: data for rel, data in snapshot(folder).items() if rel in OFFICERS}


def hidden(folder: Path) -> list[str]:
    """Every name under `folder` starting with "." (a lock, a staging folder, a temporary file)."""
    return [p.relative_to(folder).as_posix() for p in folder.rglob(".*")]


def listed(folder: Path) -> list[str]:
    """The files the tool's list says it wrote."""
    lines = (folder / files.MANIFEST).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not line.startswith("#")]


# -- temporary names ------------------------------------------------------------------------------------------------


def test_two_writes_of_one_file_use_different_temporary_names(tmp_path):
    target = tmp_path / "ket-qua-2024.csv"
    with replace_atomically(target) as first, replace_atomically(target) as second:
        assert first != second
        assert first.parent == second.parent == tmp_path
        assert first.name.startswith(".") and second.name.startswith(".")
        first.write_text("mot\n")
        second.write_text("hai\n")
    assert target.read_text() == "mot\n"  # the outer block finished last
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ket-qua-2024.csv"]


def test_a_failed_write_leaves_the_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "tong-hop-2024.xlsx"
    target.write_text("cu\n")
    with pytest.raises(RuntimeError), replace_atomically(target) as tmp:
        tmp.write_text("nua chung")
        raise RuntimeError("hỏng giữa chừng")
    assert target.read_text() == "cu\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tong-hop-2024.xlsx"]


# -- one run at a time ----------------------------------------------------------------------------------------------


def test_a_second_run_into_a_busy_folder_stops_with_a_clear_message(tmp_path):
    out = tmp_path / "output"
    with OutputFolder(out) as first:
        write(first.path("2024/xa-2024.csv"), "lan 1\n")
        with pytest.raises(OutputError) as raised, OutputFolder(out):
            pytest.fail("the second run must not start")
        assert str(raised.value) == f"Thư mục kết quả {out} {BUSY}"
        assert "\n" not in str(raised.value)
    assert (out / "2024" / "xa-2024.csv").read_text() == "lan 1\n"
    with OutputFolder(out):  # released at the end of the first run
        pass


HOLDER = textwrap.dedent(
    """
    import os, sys, time
    from pipeline.writing.files import OutputFolder
    out = OutputFolder(sys.argv[1]).__enter__()
    out.path("2024/nua-chung.csv").write_text("x")
    if os.fork() == 0:  # a worker that outlives the run: it has the run's open files
        time.sleep(600)
        os._exit(0)
    print("ready", flush=True)
    time.sleep(600)
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a worker forked from the run")
def test_a_killed_run_does_not_block_the_next_one_even_if_its_worker_lives_on(previous):
    before = snapshot(previous)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(previous)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(REPO)},
        start_new_session=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(OutputError, match=BUSY), OutputFolder(previous):
            pass
        holder.kill()  # SIGKILL: no cleanup of its own; its worker is still there
        holder.wait(timeout=30)
        assert any(p.name.startswith(files.STAGING_PREFIX) for p in previous.iterdir())  # what the kill left
        with OutputFolder(previous) as o:
            assert [p for p in previous.iterdir() if p.name.startswith(".") and p != o.staging] == [
                previous / files.LOCK_NAME
            ]
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # the worker, in the run's process group
        holder.stdout.close()
    assert snapshot(previous) == before


ENDS_ON_A_LINE = textwrap.dedent(
    """
    import sys
    from pipeline.writing.files import OutputFolder
    with OutputFolder(sys.argv[1]):
        print("ready", flush=True)
        sys.stdin.readline()
    """
)
TAKER = textwrap.dedent(
    """
    import sys
    from pipeline.writing.files import OutputError, OutputFolder
    try:
        OutputFolder(sys.argv[1]).__enter__()
    except OutputError as e:
        sys.exit(str(e))
    """
)


def python(script: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=REPO, text=True, env=os.environ | {"PYTHONPATH": str(REPO)}, **kwargs
    )


def test_a_run_that_opened_the_lock_file_as_the_last_run_removed_it_locks_the_file_there_now(tmp_path, monkeypatch):
    out = tmp_path / "output"
    last = python(ENDS_ON_A_LINE, str(out), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert last.stdout.readline().strip() == "ready"
    lock = files._lock

    def last_run_ends_meanwhile(fd: int) -> None:  # between this run's opening the lock file and locking it
        monkeypatch.setattr(files, "_lock", lock)
        last.communicate("\n", timeout=60)
        assert last.returncode == 0
        lock(fd)

    monkeypatch.setattr(files, "_lock", last_run_ends_meanwhile)
    with OutputFolder(out):
        third = python(TAKER, str(out), stderr=subprocess.PIPE)
        assert third.communicate(timeout=60)[1].strip() == f"Thư mục kết quả {out} {BUSY}"
    assert list(out.iterdir()) == []  # no lock file stays


# -- the officer's files --------------------------------------------------------------------------------------------


def test_the_officers_files_survive_a_rerun_byte_identical(previous):
    with OutputFolder(previous) as o:
        for rel in FIRST_RUN:
            write(o.path(rel), f"moi {rel}\n")
    assert officers(previous) == OFFICERS
    assert {rel: snapshot(previous)[rel] for rel in FIRST_RUN} == {rel: f"moi {rel}\n".encode() for rel in FIRST_RUN}
    assert hidden(previous) == []


def test_a_file_the_last_run_wrote_and_this_run_does_not_is_removed(previous):
    with OutputFolder(previous) as o:  # Lý Nhân is no longer in the 2024 input; every commune has a year
        written = o.path("2024/huyen/phu-ly.xlsx")
        write(written, "phu ly moi\n")
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
        assert o.live(written) == previous / "2024" / "huyen" / "phu-ly.xlsx"
    after = snapshot(previous)
    assert "2024/huyen/ly-nhan.xlsx" not in after
    assert "xa-chua-ro-nam.csv" not in after
    assert after["2024/huyen/phu-ly.xlsx"] == b"phu ly moi\n"
    assert after["2023/huyen/ly-nhan.xlsx"] == b"cu 2023/huyen/ly-nhan.xlsx\n"  # another year: not this run's to judge
    assert officers(previous) == OFFICERS
    assert listed(previous) == [
        "2023/huyen/ly-nhan.xlsx",
        "2023/huyen/phu-ly.xlsx",
        "2023/ket-qua-2023.csv",
        "2024/huyen/phu-ly.xlsx",
        "2024/ket-qua-2024.csv",
    ]


def test_the_list_of_the_tools_files_is_a_visible_file_that_says_what_it_is(previous):
    assert files.MANIFEST[0] != "."  # Windows shows a name starting with "." as any other: it must make sense
    text = (previous / files.MANIFEST).read_text(encoding="utf-8")
    assert text.startswith("# Các tệp dưới đây do công cụ thẩm định ghi. Lần chạy sau ghi đè chúng")
    assert "Mọi tệp khác trong thư mục kết quả được giữ\n# nguyên" in text
    assert listed(previous) == sorted(FIRST_RUN)


def test_without_the_list_a_run_removes_nothing_it_does_not_write(previous):
    (previous / files.MANIFEST).unlink()  # deleted by the officer, or an output folder of an older version
    with OutputFolder(previous) as o:
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
    assert (previous / "2024/huyen/ly-nhan.xlsx").read_text() == "cu 2024/huyen/ly-nhan.xlsx\n"
    assert listed(previous) == ["2024/ket-qua-2024.csv"]


def test_a_list_edited_to_name_other_files_removes_none_of_them(previous, tmp_path):
    elsewhere = tmp_path / "tai-lieu.docx"
    elsewhere.write_bytes(b"khong phai cua cong cu")
    (previous / "2024" / "lien-ket.docx").symlink_to(elsewhere)
    lines = [str(elsewhere), "../tai-lieu.docx", "2024/../../tai-lieu.docx", "2024/.an.txt", "2024/lien-ket.docx"]
    (previous / "2024" / ".an.txt").write_text("an")
    (previous / files.MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-16")  # Notepad "Unicode"
    with OutputFolder(previous) as o:
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
    assert elsewhere.read_bytes() == b"khong phai cua cong cu"
    assert (previous / "2024" / "lien-ket.docx").is_symlink() and (previous / "2024" / ".an.txt").exists()
    assert listed(previous) == ["2024/ket-qua-2024.csv"]


def test_a_run_that_writes_nothing_changes_nothing(previous):
    before = snapshot(previous)
    with OutputFolder(previous):
        pass
    assert snapshot(previous) == before
    assert hidden(previous) == []


def test_a_rerun_of_the_tool_keeps_the_officers_files_and_removes_the_workbook_of_a_district_gone(tmp_path):
    two = [passing_commune("00001", huyen="Lý Nhân"), passing_commune("00002", huyen="Phủ Lý")]
    write_workbook(tmp_path / "input" / "xa.xlsx", two, [passing_village("00001"), passing_village("00002")])
    out = tmp_path / "output"
    assert Run(tmp_path / "input", out).exit_code == 0
    assert (out / "2024" / "huyen" / "ly-nhan.xlsx").exists()
    for rel, data in OFFICERS.items():
        (out / rel).write_bytes(data)
    write_workbook(tmp_path / "input" / "xa.xlsx", two[1:], [passing_village("00002")])  # Lý Nhân sent nothing
    again = Run(tmp_path / "input", out)
    assert again.exit_code == 0, again.result.output
    assert officers(out) == OFFICERS
    assert sorted(p.name for p in (out / "2024" / "huyen").iterdir()) == ["ghi-chu.txt", "phu-ly.xlsx"]
    assert set(listed(out)) == set(snapshot(out)) - set(OFFICERS) - {files.MANIFEST}  # every other file is the tool's
    assert hidden(out) == []


# -- all or nothing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [RuntimeError("hỏng"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_an_interrupted_run_leaves_the_previous_outputs_and_nothing_else(previous, stop):
    before = snapshot(previous)
    with pytest.raises(type(stop)), OutputFolder(previous) as o:
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
        with replace_atomically(o.path("2024/huyen/ly-nhan.xlsx")) as tmp:
            tmp.write_text("nua chung")
            raise stop
    assert snapshot(previous) == before
    assert hidden(previous) == []


def test_a_run_interrupted_while_moving_its_files_in_leaves_the_previous_outputs(previous, monkeypatch):
    before = snapshot(previous)
    rename, calls = os.rename, []

    def interrupted_rename(src, dst):
        calls.append(Path(dst))
        if Path(dst) == previous / "xa-chua-ro-nam.csv" and Path(src).parent.name.startswith(files.STAGING_PREFIX):
            raise KeyboardInterrupt  # Ctrl-C after the year's files have been moved in, before the next one
        rename(src, dst)

    with pytest.raises(KeyboardInterrupt), OutputFolder(previous) as o:
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
        write(o.path("2024/huyen/moi.xlsx"), "moi\n")  # a new district: its folder exists, no previous version
        write(o.path("2025/ket-qua-2025.csv"), "moi\n")  # a new year: its folder is made
        write(o.path("xa-chua-ro-nam.csv"), "moi\n")
        monkeypatch.setattr(os, "rename", interrupted_rename)
    monkeypatch.undo()
    assert {previous / "2024/ket-qua-2024.csv", previous / "2025/ket-qua-2025.csv"} <= set(calls)
    assert snapshot(previous) == before
    assert not (previous / "2025").exists()
    assert hidden(previous) == []


def test_a_file_open_in_another_program_gives_the_message_and_keeps_the_previous_outputs(previous, monkeypatch):
    before = snapshot(previous)
    rename = os.rename
    held = previous / "2024" / "huyen" / "phu-ly.xlsx"

    def excel_holds_it(src, dst):  # as Windows refuses to move a file open in Excel
        if Path(src) == held:
            raise PermissionError(13, "The process cannot access the file")
        rename(src, dst)

    with pytest.raises(OutputError) as raised, OutputFolder(previous) as o:
        write(o.path("2023/ket-qua-2023.csv"), "moi\n")
        write(o.path("2024/huyen/phu-ly.xlsx"), "moi\n")
        monkeypatch.setattr(os, "rename", excel_holds_it)
    monkeypatch.undo()
    assert str(raised.value) == f"Không ghi được {held}: {OPEN}"
    assert snapshot(previous) == before
    assert hidden(previous) == []


def test_a_staging_folder_left_by_an_earlier_run_is_removed(previous):
    stale = previous / f"{files.STAGING_PREFIX}0123456789ab"
    (stale / "2024" / "huyen").mkdir(parents=True)
    (stale / "2024" / "huyen" / "ly-nhan.xlsx").write_text("nua chung")
    before = snapshot(previous)
    with OutputFolder(previous):
        assert not stale.exists()
    assert snapshot(previous) == {k: v for k, v in before.items() if not k.startswith(stale.name)}


def test_the_previous_outputs_a_run_killed_while_moving_had_moved_aside_are_put_back(previous, monkeypatch):
    before = snapshot(previous)
    rename = os.rename

    def killed(src, dst):
        if Path(dst) == previous / "2024" / "ket-qua-2024.csv":
            raise SystemExit  # stands for a kill: nothing is undone (below), the next run finds what it left
        rename(src, dst)

    monkeypatch.setattr(files._Swap, "undo", lambda self: None)
    with pytest.raises(SystemExit), OutputFolder(previous) as o:
        write(o.path("2024/huyen/ly-nhan.xlsx"), "moi\n")
        write(o.path("2024/huyen/moi.xlsx"), "moi\n")
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
        monkeypatch.setattr(os, "rename", killed)
    monkeypatch.undo()
    assert (previous / "2024/huyen/ly-nhan.xlsx").read_text() == "moi\n"  # moved in before the kill
    with OutputFolder(previous):
        pass
    after = snapshot(previous)
    assert after.pop("2024/huyen/moi.xlsx") == b"moi\n"  # new, with no previous version: the next run replaces it
    assert after.pop(files.MANIFEST) != before.pop(files.MANIFEST)
    assert after == before
    assert "2024/huyen/moi.xlsx" in listed(previous)  # so that a run no longer writing it removes it
    assert hidden(previous) == []


# -- CSV cells ------------------------------------------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("x")', "@SUM(A1)", "+cmd|' /C calc'!A0", "-1+2", "\tx", "\rx"]


def read(path: Path) -> list[dict]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM the spec requires
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path):
    names = ["Xã A", *DANGEROUS]
    communes = pd.DataFrame(
        {
            "nam": 2024,
            "ma_xa": [f"{i:05d}" for i in range(len(names))],
            "ten_xa": names,
            "huyen": "huyện Thử",
            "hang_dang_ky": "nang_cao",
            "ket_qua": "dat",
            "so_chi_tieu_dat": 3,
            "so_chi_tieu": 3,
            "hang_cao_nhat_dat": "nang_cao",
        }
    )
    results = pd.DataFrame(
        {
            "nam": 2024,
            "ma_xa": communes["ma_xa"],
            "ten_xa": names,
            "huyen": "huyện Thử",
            "hang": "nang_cao",
            "chi_tieu": "8.2.a",
            "tu_so": -3,
            "mau_so": 4,
            "gia_tri": -0.75,
            "nguong": 0.7,
            "ket_qua": "khong_dat",
        }
    )
    problems = pd.DataFrame(
        {
            "tep": "xa.xlsx",
            "trang": "Xa",
            "o": "K7",
            "cot": "dan_so_lao_dong",
            "gia_tri": [*names, -5, 12.5],
            "mo_ta": "cần một số",
            "muc_do": "loi",
            "ma_xa": "00001",
        }
    )
    kept = communes.copy()
    year = SimpleNamespace(
        year=2024,
        result=Assessment(communes, results, pd.DataFrame()),
        communes=communes,
        run=SimpleNamespace(problems=problems, listed=problems),
    )
    writers = (csv_out.write_results, csv_out.write_communes, csv_out.write_year_problems)
    paths = [path for write in writers for path in write(year, tmp_path)]
    assert [p.name for p in paths] == ["ket-qua-2024.csv", "xa-2024.csv", "loi-du-lieu.csv"]
    pd.testing.assert_frame_equal(communes, kept)  # the caller's frame is not changed

    expected = ["Xã A", *("'" + v.replace("\r", "\n") for v in DANGEROUS)]  # a CR in a cell is written LF
    xa = read(tmp_path / "xa-2024.csv")
    assert list(xa[0]) == csv_out.COMMUNE_COLUMNS
    assert [r["ten_xa"] for r in xa] == expected
    assert {(r["nam"], r["so_chi_tieu_dat"]) for r in xa} == {("2024", "3")}

    rows = read(tmp_path / "ket-qua-2024.csv")
    assert list(rows[0]) == csv_out.RESULT_COLUMNS
    assert [r["ten_xa"] for r in rows] == expected
    assert {(r["tu_so"], r["mau_so"], r["gia_tri"], r["nguong"]) for r in rows} == {("-3", "4", "-0.75", "0.7")}

    found = read(tmp_path / "loi-du-lieu.csv")
    assert list(found[0]) == csv_out.PROBLEM_COLUMNS
    assert [r["gia_tri"] for r in found] == [*expected, "-5", "12.5"]  # typed text "-1+2" neutralised, numbers not


def test_a_typed_negative_number_in_a_text_column_is_text(tmp_path):
    problems = pd.DataFrame(
        [["xa.xlsx", "Xa", "K7", "tong_so_ho", "-5", "cần số không âm", "loi", None]], columns=csv_out.PROBLEM_COLUMNS
    )
    csv_out.write_problems(problems, tmp_path / "loi-du-lieu.csv")
    assert read(tmp_path / "loi-du-lieu.csv")[0]["gia_tri"] == "'-5"
    assert read(tmp_path / "loi-du-lieu.csv")[0]["ma_xa"] == ""


def test_a_carriage_return_inside_a_cell_does_not_split_the_row(tmp_path):
    problems = pd.DataFrame(
        [["xa.xlsx", "Xa", "B4", "ten_xa", "Xã\rHòa\r\nBình", "mô tả", "canh_bao", "00001"]],
        columns=csv_out.PROBLEM_COLUMNS,
    )
    csv_out.write_problems(problems, tmp_path / "loi-du-lieu.csv")
    rows = read(tmp_path / "loi-du-lieu.csv")
    assert len(rows) == 1
    assert (rows[0]["gia_tri"], rows[0]["ma_xa"]) == ("Xã\nHòa\nBình", "00001")


def test_communes_without_a_year_have_their_ledger_in_the_columns_of_the_year_ledger(tmp_path):
    undated = pd.DataFrame(
        {"ma_xa": ["00002", None], "ten_xa": ["Xã B", "=Xã C"], "huyen": "huyện Thử", "nam": ["20x4", None]}
    )
    csv_out.write_undated(undated, tmp_path / "xa-chua-ro-nam.csv")
    rows = read(tmp_path / "xa-chua-ro-nam.csv")
    assert list(rows[0]) == csv_out.COMMUNE_COLUMNS
    assert [(r["nam"], r["ma_xa"], r["ten_xa"]) for r in rows] == [("", "00002", "Xã B"), ("", "", "'=Xã C")]
