"""The command line explains itself: every command has help with an example; `make` lists the targets."""

import gc
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, Run, passing_commune, passing_village, write_workbook

import pipeline
from pipeline import __version__
from pipeline.cli import main


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help_with_an_example(name):
    command = main.commands[name]
    assert command.help and "Ví dụ: python -m pipeline " + name in command.help
    shown = CliRunner().invoke(main, [name, "--help"])
    assert shown.exit_code == 0
    assert all(option.help for option in command.params if isinstance(option, type(command.params[0])))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_alone_lists_the_targets():
    listed = subprocess.run(["make", "-s", "-C", str(REPO)], capture_output=True, text=True, check=True).stdout
    for target in ("assess", "test", "template", "bench"):
        assert f"make {target}" in listed


def test_the_files_written_are_listed_and_a_folder_of_many_is_counted(tmp_path):
    xa = [passing_commune(f"{i:05d}", "ntm", huyen=f"huyện {i:02d}") for i in range(1, 13)]
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, [passing_village(x["ma_xa"], "thôn 1") for x in xa])
    done = Run(tmp_path / "input", tmp_path / "output", "--khong-phieu")
    assert done.exit_code == 0, done.result.output
    year = tmp_path / "output" / "2024"
    lines = [line.strip() for line in done.result.output.splitlines() if "đã ghi" in line]
    assert lines == [
        f"đã ghi {year / name}"
        for name in (
            "ket-qua-2024.csv",
            "xa-2024.csv",
            "loi-du-lieu.csv",
            "tong-hop-2024.xlsx",
            "bao-cao-tham-dinh-2024.docx",
        )
    ] + [f"đã ghi 12 tệp vào {year / 'huyen'}{os.sep}"]
    assert len(list((year / "huyen").glob("*.xlsx"))) == 12


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_passes_folders_with_spaces_whole():
    shown = subprocess.run(
        ["make", "-n", "-C", str(REPO), "assess", "template", "OUTPUT=kết quả", "INPUT=hồ sơ xã", "YEAR=2025"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '--input "hồ sơ xã" --output "kết quả"' in shown
    assert '--year "2025" --output "kết quả"' in shown
    assert "|| [ $? -eq 4 ]" in shown  # the template's "no catalog yet" is no make error


def assess_in_a_process(tmp_path, env: dict | None = None, **streams) -> subprocess.CompletedProcess:
    """`python -m pipeline assess` on tmp_path/input, as a user starts it, with the given standard streams."""
    command = ["-m", "pipeline", "assess", "--input", "input", "--output", "output", "--workers", "1"]
    return subprocess.run(
        [sys.executable, *command],
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(REPO)} | (env or {}),
        timeout=120,
        **streams,
    )


@pytest.mark.parametrize(
    ("encoding", "passed", "written"), [("cp1252", "xã ??t", "?ã ghi"), ("cp1258", "x? đ?t", "đ? ghi")]
)
def test_a_summary_redirected_under_a_windows_code_page_is_printed_with_question_marks(
    tmp_path, encoding, passed, written
):
    """`tham-dinh.bat > log.txt`: Python writes to a file in the ANSI code page, 1252 in English, 1258 in Vietnamese
    (which has no "ã" of its own, only a combining tilde): what it lacks is a "?", the run goes on and succeeds."""
    write_workbook(tmp_path / "input" / "xa.xlsx", [passing_commune()], [passing_village()])
    done = assess_in_a_process(tmp_path, {"PYTHONIOENCODING": encoding}, capture_output=True)
    assert (done.returncode, done.stderr) == (0, b"")
    log = done.stdout.decode(encoding).splitlines()
    assert log[1] == f"  NTM nâng cao: 01/01 {passed}"
    assert log[-1] == f"  {written} {Path('output', '2024', 'huyen', 'huyen-thu.xlsx')}"  # printed to the end
    assert (tmp_path / "output" / "2024" / "bao-cao-tham-dinh-2024.docx").is_file()


@pytest.mark.parametrize("gone", ["stdout", "stdout and stderr"])
def test_a_reader_that_has_gone_never_fails_the_run(tmp_path, gone):
    """`ntm-ict assess | head -1` (and `2>&1 | head -1`): once the reader has gone, the rest goes unprinted, without
    a traceback, and the run ends with its own status: here 3, a data problem."""
    xa = passing_commune(dan_so_lao_dong_smartphone="nhiều")
    write_workbook(tmp_path / "input" / "xa.xlsx", [xa], [passing_village()])
    reader, pipe = os.pipe()
    os.close(reader)  # gone before the first line
    errors = pipe if gone == "stdout and stderr" else subprocess.PIPE
    try:
        done = assess_in_a_process(tmp_path, stdout=pipe, stderr=errors)
    finally:
        os.close(pipe)
    assert done.returncode == 3
    assert done.stderr in (None, b"")
    assert (tmp_path / "output" / "2024" / "loi-du-lieu.csv").is_file()


# -- click's own words, in Vietnamese -------------------------------------------------------------------------------

EXTRA = 'Thừa tham số (qua); đường dẫn có dấu cách cần đặt trong dấu nháy kép, ví dụ --output "ket qua"'
USAGE_ERRORS = {
    "an option misspelt": (["assess", "--inptu", "x"], "Không có tùy chọn '--inptu'. Có phải là '--input'?"),
    "a value not offered": (
        ["assess", "--lang", "fr"],
        "Giá trị không dùng được cho '--lang': 'fr' không phải một trong 'vi', 'en'.",
    ),
    "a file that is not there": (
        ["assess", "--registered", "dang-ky.csv"],
        "Giá trị không dùng được cho '--registered': Không tìm thấy 'dang-ky.csv'.",
    ),
    "a file where a folder is asked": (
        ["assess", "--output", "README.md"],
        "Giá trị không dùng được cho '--output': 'README.md' là một tệp, cần một thư mục.",
    ),
    "a path cut at its space": (["assess", "--output", "ket", "qua"], EXTRA),
    "a year that is no number": (
        ["template", "--year", "2O25"],
        "Giá trị không dùng được cho '--year': '2O25' không phải một số nguyên.",
    ),
    "a count out of its range": (
        ["assess", "--workers", "0"],
        "Giá trị không dùng được cho '--workers': 0 nằm ngoài khoảng x>=1.",
    ),
}


@pytest.mark.parametrize("slip", sorted(USAGE_ERRORS))
def test_a_usage_error_is_told_in_vietnamese_with_exit_status_2(slip, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text("ghi chú")
    args, message = USAGE_ERRORS[slip]
    said = CliRunner().invoke(main, args, prog_name="python -m pipeline")
    assert said.exit_code == 2
    command = f"python -m pipeline {args[0]}"
    assert said.output == f"Cách dùng: {command} [TÙY CHỌN]\nXem thêm: {command} --help\n\nLỗi: {message}\n"


def test_a_misspelt_command_is_told_in_vietnamese_as_the_user_runs_it():
    said = subprocess.run(
        [sys.executable, "-m", "pipeline", "asess"], cwd=REPO, capture_output=True, text=True, encoding="utf-8"
    )
    assert said.returncode == 2
    assert said.stderr == (
        "Cách dùng: python -m pipeline [TÙY CHỌN] LỆNH [THAM SỐ]...\n"
        "Xem thêm: python -m pipeline --help\n\n"
        "Lỗi: Không có lệnh 'asess'. Có phải là 'assess'?\n"
    )


def test_an_error_of_the_run_is_told_in_vietnamese_with_exit_status_1(tmp_path):
    said = CliRunner().invoke(main, ["assess", "--input", str(tmp_path / "ho-so")])
    assert said.exit_code == 1
    assert (
        said.output == f"Lỗi: Không có thư mục đầu vào {tmp_path / 'ho-so'}; hãy tạo thư mục và chép bảng tính vào.\n"
    )


def test_the_run_is_imported_without_collections_and_the_collector_given_back(tmp_path, monkeypatch):
    """The run's imports are made with the collector paused, and what they made is frozen (start-up time)."""
    monkeypatch.delitem(sys.modules, "pipeline.run")  # imported afresh, as a command imports it
    monkeypatch.delattr(pipeline, "run")
    seen = []
    monkeypatch.setattr(gc, "freeze", lambda: seen.append(("freeze", gc.isenabled(), "pipeline.run" in sys.modules)))
    CliRunner().invoke(main, ["assess", "--input", str(tmp_path / "ho-so")])
    assert seen == [("freeze", False, True)] and gc.isenabled()


def test_a_run_stopped_with_ctrl_c_says_so_in_vietnamese(tmp_path, monkeypatch):
    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pipeline.run.run", pressed)
    said = CliRunner().invoke(main, ["assess", "--input", str(tmp_path)])
    assert (said.exit_code, said.output) == (1, "\nĐã dừng.\n")


@pytest.mark.parametrize("args", [[], ["assess"], ["template"], ["catalog"], ["catalog", "check"]], ids=" ".join)
def test_the_help_has_no_english_of_click(args):
    shown = CliRunner().invoke(main, [*args, "--help"], prog_name="python -m pipeline")
    assert shown.exit_code == 0
    assert shown.output.startswith(f"Cách dùng: python -m pipeline {' '.join(args)}".rstrip() + " [TÙY CHỌN]")
    assert "-h, --help" in shown.output and "In hướng dẫn này rồi thoát." in shown.output
    for english in ("Usage", "Options", "Commands", "Show this", "default:", "Example", "Exit status", "DIRECTORY"):
        assert english not in shown.output


def test_the_version_is_told_in_vietnamese():
    shown = CliRunner().invoke(main, ["--version"], prog_name="python -m pipeline")
    assert (shown.exit_code, shown.output) == (0, f"python -m pipeline, phiên bản {__version__}\n")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_removes_only_what_the_tool_wrote(tmp_path):
    out = tmp_path / "kết quả"
    (out / "2024" / "huyen").mkdir(parents=True)
    for name in ("2024/xa-2024.csv", "2024/huyen/huyen-a.xlsx", "2024/ghi-chu.txt", "README.md"):
        (out / name).write_text("x", encoding="utf-8")
    (out / "tep-do-cong-cu-ghi.txt").write_text("# list\n2024/xa-2024.csv\n2024/huyen/huyen-a.xlsx\n", encoding="utf-8")
    venv = tmp_path / "venv"
    subprocess.run(["make", "-s", "-C", str(REPO), "clean", f"OUTPUT={out}", f"VENV={venv}"], check=True)
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert left == ["2024", str(Path("2024") / "ghi-chu.txt"), "README.md"]
