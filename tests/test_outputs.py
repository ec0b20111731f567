"""What a user sees of the output folder: one run at a time, all or nothing, no stale
files, nothing left behind; and CSV cells that a spreadsheet cannot take for formulas."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from pipeline import csv_out, files
from pipeline.assess import Assessment
from pipeline.files import OutputError, OutputFolder, replace_atomically

REPO = Path(__file__).resolve().parent.parent
BUSY = "đang được một lần chạy khác ghi; hãy đợi lần chạy đó xong rồi chạy lại"
OPEN = "tệp đang mở trong chương trình khác hoặc không có quyền ghi; hãy đóng tệp rồi chạy lại"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones included) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write(path: Path, text: str) -> None:
    with replace_atomically(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@pytest.fixture
def previous(tmp_path) -> Path:
    """An output folder after an earlier run (2023 and 2024) with the user's README."""
    out = tmp_path / "output"
    with OutputFolder(out) as o:
        for year in (2023, 2024):
            write(o.path(f"{year}/ket-qua-{year}.csv"), f"cu {year}\n")
            write(o.path(f"{year}/huyen/ly-nhan.xlsx"), "ly nhan\n")
            write(o.path(f"{year}/huyen/phu-ly.xlsx"), "phu ly\n")
        write(o.path("xa-chua-ro-nam.csv"), "cu\n")
    (out / "README.md").write_text("ghi chú của người dùng\n", encoding="utf-8")
    return out


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
    from pipeline.files import OutputFolder
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
    from pipeline.files import OutputFolder
    with OutputFolder(sys.argv[1]):
        print("ready", flush=True)
        sys.stdin.readline()
    """
)
TAKER = textwrap.dedent(
    """
    import sys
    from pipeline.files import OutputError, OutputFolder
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
    assert [p.name for p in previous.iterdir() if p.name.startswith(".")] == []


def test_a_run_interrupted_while_swapping_leaves_the_previous_outputs(previous, monkeypatch):
    before = snapshot(previous)
    rename, calls = os.rename, []

    def interrupted_rename(src, dst):
        calls.append(Path(dst))
        if Path(dst) == previous / "xa-chua-ro-nam.csv" and Path(src).parent.name.startswith(files.STAGING_PREFIX):
            raise KeyboardInterrupt  # Ctrl-C after 2024/ has been swapped in, before the next entry
        rename(src, dst)

    with pytest.raises(KeyboardInterrupt), OutputFolder(previous) as o:
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
        write(o.path("xa-chua-ro-nam.csv"), "moi\n")
        monkeypatch.setattr(os, "rename", interrupted_rename)
    monkeypatch.undo()
    assert previous / "2024" in calls
    assert snapshot(previous) == before
    assert [p.name for p in previous.iterdir() if p.name.startswith(".")] == []


def test_a_file_open_in_another_program_gives_the_message_and_keeps_the_previous_outputs(previous, monkeypatch):
    before = snapshot(previous)
    rename = os.rename

    def excel_holds_2024(src, dst):  # as Windows refuses to move a folder holding a file open in Excel
        if Path(src) == previous / "2024":
            raise PermissionError(13, "The process cannot access the file")
        rename(src, dst)

    with pytest.raises(OutputError) as raised, OutputFolder(previous) as o:
        write(o.path("2023/ket-qua-2023.csv"), "moi\n")
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
        monkeypatch.setattr(os, "rename", excel_holds_2024)
    monkeypatch.undo()
    assert str(raised.value).startswith(f"Không ghi được {previous / '2024'}")
    assert str(raised.value).endswith(OPEN)
    assert snapshot(previous) == before
    assert [p.name for p in previous.iterdir() if p.name.startswith(".")] == []


# -- what replaces what ---------------------------------------------------------------------------------------------


def test_a_rewritten_year_loses_the_files_of_districts_no_longer_in_the_input(previous):
    with OutputFolder(previous) as o:
        written = o.path("2024/huyen/phu-ly.xlsx")
        write(written, "phu ly moi\n")
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
        assert o.live(written) == previous / "2024" / "huyen" / "phu-ly.xlsx"
    assert sorted(p.name for p in (previous / "2024" / "huyen").iterdir()) == ["phu-ly.xlsx"]
    assert (previous / "2024" / "huyen" / "phu-ly.xlsx").read_text() == "phu ly moi\n"
    assert (previous / "2024" / "ket-qua-2024.csv").read_text() == "moi\n"


def test_years_not_written_and_the_users_files_stay(previous):
    before = snapshot(previous)
    with OutputFolder(previous) as o:
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
    after = snapshot(previous)
    assert {k: v for k, v in after.items() if not k.startswith("2024/")} == {
        k: v for k, v in before.items() if not k.startswith("2024/")
    }
    assert after["README.md"] == "ghi chú của người dùng\n".encode()
    assert after["2023/huyen/ly-nhan.xlsx"] == b"ly nhan\n"
    assert [p.name for p in previous.iterdir() if p.name.startswith(".")] == []


def test_a_file_the_run_no_longer_produces_can_be_dropped(previous):
    with OutputFolder(previous, drop_if_unwritten=["xa-chua-ro-nam.csv", "loi-du-lieu.csv"]) as o:
        write(o.path("2024/ket-qua-2024.csv"), "moi\n")
    assert not (previous / "xa-chua-ro-nam.csv").exists()
    assert (previous / "README.md").exists() and (previous / "2023").is_dir()


def test_a_staging_folder_left_by_an_earlier_run_is_removed(previous):
    stale = previous / f"{files.STAGING_PREFIX}0123456789ab"
    (stale / "2024" / "huyen").mkdir(parents=True)
    (stale / "2024" / "huyen" / "ly-nhan.xlsx").write_text("nua chung")
    before = snapshot(previous)
    with OutputFolder(previous):
        assert not stale.exists()
    assert snapshot(previous) == {k: v for k, v in before.items() if not k.startswith(stale.name)}


def test_outputs_moved_aside_by_a_run_killed_while_swapping_are_put_back(previous):
    before = snapshot(previous)
    aside = previous / f"{files.ASIDE_PREFIX}0123456789ab"
    aside.mkdir()
    os.rename(previous / "2024", aside / "2024")  # killed after moving 2024/ aside, before moving the new one in
    with OutputFolder(previous):
        pass
    assert snapshot(previous) == before
    assert not aside.exists()


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
    paths = csv_out.write(Assessment(communes, results, pd.DataFrame()), problems, 2024, tmp_path)
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
