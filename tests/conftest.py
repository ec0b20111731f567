"""Workbooks generated for the tests, and a way to run the CLI on them."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter

from pipeline.catalog import load_catalogs, load_columns
from pipeline.cli import main
from pipeline.presenting.messages import sayer
from pipeline.problems import frame

REPO = Path(__file__).resolve().parent.parent
TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng: separate marks in cp1258


def windows_ansi(text: str) -> bytes:
    """Text as Windows saves it in the Vietnamese ANSI code page (cp1258, "ANSI" in Notepad, "CSV" in Excel):
    a letter with a tone is its base letter (â ê ô ơ ư ă đ are single bytes) followed by the tone's mark."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tone = next(m for m in parts if m in TONES)
            out += unicodedata.normalize("NFC", parts.replace(tone, "")).encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


# Communes of Ninh Bình in the national list of 1 July 2025: from 2025 on a batch's codes are checked against it.
NINH_BINH = {"13456": "Xã Liêm Hà", "13474": "Xã Tân Thanh", "13483": "Xã Thanh Bình", "13489": "Xã Thanh Lâm"}


def passing_commune(ma_xa: str = "00001", tier: str = "nang_cao", **overrides) -> dict:
    """A commune whose every indicator passes at any tier; override what a test varies."""
    row = {
        "ma_xa": ma_xa,
        "ten_xa": NINH_BINH.get(ma_xa, f"Xã {ma_xa}"),
        "huyen": "huyện Thử",
        "nam": 2024,
        "hang_dang_ky": tier,
        "nam_dat_nang_cao": 2022 if tier == "kieu_mau" else None,
        "dan_so_lao_dong": 10000,
        "dan_so_lao_dong_smartphone": 8500,
        "tong_so_ho": 3000,
        "so_ho_xem_truyen_hinh": 2900,
        "tthc_du_dieu_kien": 100,
        "tthc_truc_tuyen": 100,
        "tthc_tong": 150,
        "tthc_cap_nhat": 150,
        "van_ban_tong": 1000,
        "van_ban_ky_so": 800,
        "ho_so_tong": 500,
        "ho_so_cap_nhat": 500,
        "ho_so_truc_tuyen": 400,
        "can_bo_tong": 20,
        "can_bo_boi_duong": 20,
        "dan_so_lao_dong_ky_nang_so": 7500,
        "ocop_tong": 2,
        "ocop_san_tmdt": 2,
    }
    xa = load_columns().of("Xa")
    for key in xa.index[xa["type"] == "yesno"]:
        row[key] = "Có"
    return row | overrides


def passing_village(ma_xa: str = "00001", name: str = "thôn 1", smart: bool = True, **overrides) -> dict:
    row = {
        "ma_xa": ma_xa,
        "ten_thon": name,
        "co_vien_thong_internet": "Có",
        "co_loa_hoat_dong": "Có",
        "co_ho_xem_truyen_hinh": "Có",
    }
    if smart:
        row |= {
            "to_cong_nghe_so": "Có",
            "kenh_mang_xa_hoi": "Có",
            "truy_xuat_tmdt": "Có",
            "so_nguoi_smartphone": 1000,
            "so_nguoi_vneid": 800,
        }
    return row | overrides


def said(problems, lang: str = "vi") -> list[str]:
    """What the problem lists say of these problems (a frame, or rows as dicts), with the shipped catalogs."""
    columns, periods = load_catalogs(None)
    import pandas as pd

    return sayer(lang, columns, pd.concat([c.tiers for c in periods])).describe(frame(problems)).tolist()


def in_words(chi_tiet: str, lang: str = "vi") -> str:
    """A problem's detail (`problems.detail`) as the problem lists say it."""
    return sayer(lang, load_columns()).detail(chi_tiet)


def write_workbook(path: Path, xa: list[dict], thon: list[dict] | None = None, title_rows: int = 2) -> Path:
    """A workbook as a commune sends it: title rows, then a header of column keys, then rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    for name, rows in (("Xa", xa), ("Thon", thon)):
        if rows is None:
            continue
        ws = wb.add_worksheet(name)
        if title_rows:
            ws.write(0, 0, f"Biểu số liệu {name}")
        keys = list(dict.fromkeys(k for r in rows for k in r))
        ws.write_row(title_rows, 0, keys)
        for i, r in enumerate(rows, start=title_rows + 1):
            for j, k in enumerate(keys):
                if r.get(k) is not None:
                    ws.write(i, j, r[k])
    wb.close()
    return path


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


class Run:
    """The outcome of one `assess` through the CLI: exit code, output and the CSVs."""

    def __init__(self, input_dir: Path, output_dir: Path, *args: str):
        self.result = CliRunner().invoke(
            main, ["assess", "--input", str(input_dir), "--output", str(output_dir), *args]
        )
        self.output = output_dir
        self.exit_code = self.result.exit_code

    def csv(self, name: str, year: int = 2024) -> list[dict]:
        return read_csv(self.output / str(year) / name)

    def communes(self, year: int = 2024) -> dict[str, dict]:
        return {r["ma_xa"]: r for r in self.csv(f"xa-{year}.csv", year)}

    def results(self, year: int = 2024) -> dict[tuple[str, str], dict]:
        return {(r["ma_xa"], r["chi_tieu"]): r for r in self.csv(f"ket-qua-{year}.csv", year)}

    def problems(self, year: int = 2024) -> list[dict]:
        return self.csv("loi-du-lieu.csv", year)


@pytest.fixture
def assess_rows(tmp_path):
    """Write one workbook from rows, assess it, return the Run."""

    def go(xa: list[dict], thon: list[dict], *args: str) -> Run:
        write_workbook(tmp_path / "input" / "xa.xlsx", xa, thon)
        return Run(tmp_path / "input", tmp_path / "output", *args)

    return go


def summary_problems(run: Run, year: int = 2024) -> list[tuple[str, str, str, str]]:
    """(file, sheet, cell, code) of every row of the summary's problems sheet."""
    import openpyxl

    ws = openpyxl.load_workbook(run.output / str(year) / f"tong-hop-{year}.xlsx", read_only=True)["Lỗi dữ liệu"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    if not rows:
        return []
    at = {head: i for i, head in enumerate(rows[0])}
    found = [r for r in rows[1:] if r[0] is not None]
    return [(r[at["Tệp"]], r[at["Trang"]] or "", r[at["Ô"]] or "", r[at["Mã lỗi"]]) for r in found]


def rules_on(ws, cell) -> list[tuple[str, str]]:
    """The conditional rules over a cell, each formula as Excel reads it there (relative to the top-left cell
    of the rule's ranges)."""
    out = []
    for cf in ws.conditional_formatting:
        if any(cell.coordinate in rng for rng in cf.sqref.ranges):
            top = min(cf.sqref.ranges, key=lambda r: (r.min_row, r.min_col))
            origin = f"{get_column_letter(top.min_col)}{top.min_row}"
            for rule in cf.rules:
                formula = Translator(f"={rule.formula[0]}", origin=origin).translate_formula(cell.coordinate)
                out.append((rule.type, formula[1:]))
    return out
