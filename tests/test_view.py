"""One view of each year, one writer per output: what every paper prints comes from the same objects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from conftest import passing_commune, passing_village, write_workbook
from docx import Document

from pipeline.cli import main
from pipeline.presenting import view
from pipeline.writing import outputs


def _batch(root: Path, year: int = 2025) -> Path:
    """Two communes of Ninh Bình after the reform (no district), one failing 8.2.a."""
    xa = [
        passing_commune("13456", nam=year, huyen=None),
        passing_commune("13474", nam=year, huyen=None, dan_so_lao_dong_smartphone=7000),
    ]
    thon = [passing_village(c["ma_xa"], f"thôn {i}", smart=False) for c in xa for i in (1, 2)]
    write_workbook(root / "input" / "xa.xlsx", xa, thon)
    return root / "input"


def _assess(root: Path, *args: str):
    return CliRunner().invoke(main, ["assess", "--input", str(root / "input"), "--output", str(root / "output"), *args])


def written_by_the_test(view_: view.YearView, folder: Path, pool=None, done=None) -> list[Path]:
    path = folder / f"them-{view_.year}.txt"
    path.write_text(f"{len(view_.communes)} xã\n", encoding="utf-8")
    return [path]


def test_a_new_output_is_one_writer_and_one_line_in_the_list(tmp_path, monkeypatch):
    _batch(tmp_path)
    monkeypatch.setattr(outputs, "OUTPUTS", [*outputs.OUTPUTS, outputs.Output(written_by_the_test)])
    done = _assess(tmp_path)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "output" / "2025" / "them-2025.txt").read_text(encoding="utf-8") == "2 xã\n"
    assert f"đã ghi {tmp_path / 'output' / '2025' / 'them-2025.txt'}" in done.output
    listed = (tmp_path / "output" / "tep-do-cong-cu-ghi.txt").read_text(encoding="utf-8").splitlines()
    assert "2025/them-2025.txt" in listed  # the tool's own file: the next run replaces it


def test_the_terminal_the_report_and_the_overview_count_from_the_year_s_view(tmp_path, monkeypatch):
    """Change the view's counts and every paper that prints them changes with it."""
    _batch(tmp_path)
    real = view.year_view

    def doctored(*args, **kwargs):
        made = real(*args, **kwargs)
        made.tiers = made.tiers.assign(ti_so="97/99", dang_ky=99)
        return made

    monkeypatch.setattr(view, "year_view", doctored)
    done = _assess(tmp_path, "--workers", "1")
    assert "  NTM nâng cao: 97/99 xã đạt, 01 xã không đạt" in done.output
    report = [p.text for p in Document(str(tmp_path / "output" / "2025" / "bao-cao-tham-dinh-2025.docx")).paragraphs]
    assert "- Xã đăng ký đạt chuẩn NTM nâng cao: 97/99 xã đạt, 01 xã không đạt." in report
    assert [p for p in report if p.startswith("Năm 2025, tổng số")] == [
        "Năm 2025, tổng số 99 xã được thẩm định các chỉ tiêu ngành TT&TT trong Bộ tiêu chí nông thôn mới (NTM): "
        "99 xã đăng ký đạt chuẩn NTM nâng cao. Kết quả:"
    ]
    import openpyxl

    overview = openpyxl.load_workbook(tmp_path / "output" / "2025" / "tong-hop-2025.xlsx")["Tổng hợp"]
    assert "97/99" in [c for row in overview.iter_rows(values_only=True) for c in row]


def test_without_districts_each_commune_gets_its_sheet_to_send_back(tmp_path):
    _batch(tmp_path)
    done = _assess(tmp_path)
    assert done.exit_code == 0, done.output
    folder = tmp_path / "output" / "2025" / "xa"
    assert sorted(p.name for p in folder.iterdir()) == ["13456-xa-liem-ha.docx", "13474-xa-tan-thanh.docx"]
    text = "\n".join(p.text for p in Document(str(folder / "13474-xa-tan-thanh.docx")).paragraphs)
    assert "PHIẾU THẨM ĐỊNH CÁC CHỈ TIÊU NGÀNH THÔNG TIN VÀ TRUYỀN THÔNG" in text
    assert "Xã Liêm Hà" not in text  # its own sheet only
    tables = Document(str(folder / "13474-xa-tan-thanh.docx")).tables
    assert any("Xã Tân Thanh – mã 13474" in t.rows[0].cells[0].text for t in tables)


def test_with_districts_the_files_to_send_back_are_written_on_request(tmp_path):
    xa = [passing_commune("00001"), passing_commune("00002")]
    write_workbook(tmp_path / "input" / "xa.xlsx", xa, [passing_village(c["ma_xa"]) for c in xa])
    assert _assess(tmp_path).exit_code == 0
    assert not (tmp_path / "output" / "2024" / "xa").exists()
    assert _assess(tmp_path, "--tep-xa").exit_code == 0
    assert len(list((tmp_path / "output" / "2024" / "xa").glob("*.docx"))) == 2


def test_the_view_orders_areas_then_communes_by_code_and_keeps_row_labels():
    communes = pd.DataFrame(
        {"ma_xa": ["00003", "00001", "?x.xlsx:5", "00002"], "huyen": ["B", "A", "A", None], "_tep": "x", "_dong": 1}
    )
    got = view.ordered(communes)
    assert got["ma_xa"].tolist() == ["00001", "?x.xlsx:5", "00003", "00002"]
    assert got.index.tolist() == [1, 2, 0, 3]
