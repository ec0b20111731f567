"""--lang en: the terminal, the problem lists and the workbooks in English; the papers stay Vietnamese."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import openpyxl
from conftest import REPO, Run, passing_commune, passing_village, write_workbook

from pipeline.presenting.messages import DETAILS, EXPECTS, FILE_KINDS, PROBLEMS, TERMINAL
from pipeline.problems import SEVERITY

VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_is_in_both_languages_with_the_same_fields():
    assert set(PROBLEMS) == set(SEVERITY)
    for table in (PROBLEMS, DETAILS, EXPECTS, FILE_KINDS):
        for key, said in table.items():
            assert set(said) == {"vi", "en"}, key
            assert not VIETNAMESE.search(re.sub(r"Có|Không|QĐ-TTg", "", said["en"])), key
    for key, said in DETAILS.items():
        # the English may leave out a word it has no use for (the unit of a count), never add one
        assert _fields(said["en"]) <= _fields(said["vi"]), key
    assert set(TERMINAL["vi"]) == set(TERMINAL["en"])
    for key in TERMINAL["vi"]:
        assert _fields(TERMINAL["vi"][key]) == _fields(TERMINAL["en"][key]), key


def test_every_detail_a_check_names_has_its_templates():
    named = set()
    for path in (REPO / "pipeline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("detail", "details"):
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    named.add(first.value)
    assert len(named) > 30
    assert named <= set(DETAILS), named - set(DETAILS)


def _slips(root: Path) -> Path:
    xa = [
        passing_commune("00001", dan_so_lao_dong_smartphone=0.85),  # a share typed in a count
        passing_commune("00002", van_ban_ky_so="4.8.70"),  # a count typed wrong
    ]
    thon = [passing_village(code, f"thôn {i}") for code in ("00001", "00002") for i in (1, 2)]
    thon[3]["co_loa_hoat_dong"] = ""  # a village cell left empty
    write_workbook(root / "input" / "xa.xlsx", xa, thon)
    return root / "input"


def test_an_english_run_speaks_english_and_signs_in_vietnamese(tmp_path):
    run = Run(_slips(tmp_path), tmp_path / "output", "--lang", "en")
    assert run.exit_code == 3
    lines = run.result.stdout.splitlines()
    assert lines[:6] == [
        "Year 2024:",
        "  Advanced: 0/02 communes met, 02 not assessable",
        "Data errors: 3, warnings: 0 (see loi-du-lieu.csv)",
        "  2 errors: The cell is not in the expected form",
        "  1 error: The cell is empty",
        f"  wrote {tmp_path / 'output' / '2024' / 'ket-qua-2024.csv'}",
    ]
    assert [(p["o"], p["mo_ta"]) for p in run.problems()] == [
        (
            "H4",
            "The cell is not in the expected form: Working-age people with a smartphone subscription — 85% — enter a"
            " count, not a share",
        ),
        (
            "P5",
            "The cell is not in the expected form: Documents processed on the system and digitally signed —"
            " expected a whole number not below zero (1234 or 1,234)",
        ),
        ("D7", "The cell is empty: Loudspeakers operate regularly"),
    ]
    sheet = openpyxl.load_workbook(tmp_path / "output" / "2024" / "tong-hop-2024.xlsx")["Data problems"]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "The cell is empty: Loudspeakers operate regularly" in texts
    from docx import Document

    report = "\n".join(
        p.text for p in Document(str(tmp_path / "output" / "2024" / "bao-cao-tham-dinh-2024.docx")).paragraphs
    )
    assert "Chưa đánh giá được" in report and "The cell" not in report


def test_an_english_run_reports_its_errors_in_english_and_the_next_run_in_vietnamese(tmp_path):
    english = Run(tmp_path / "none", tmp_path / "output", "--lang", "en")
    assert english.exit_code == 1
    assert (
        english.result.output
        == f"Error: No input folder {tmp_path / 'none'}; create it and copy the workbooks into it.\n"
    )
    vietnamese = Run(tmp_path / "none", tmp_path / "output", "--workers", "0")  # refused before the command runs
    assert vietnamese.exit_code == 2
    assert "Lỗi: Giá trị không dùng được cho '--workers'" in vietnamese.result.output
