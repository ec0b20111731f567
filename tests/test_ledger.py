"""Every commune accounted for: each non-empty `Xa` row lands in the results, with its reason.

Each case writes a batch, assesses it through the CLI and checks what an officer
reads: the row of the commune in `xa-<year>.csv` (or `xa-chua-ro-nam.csv`), the
problem rows that explain it (file, sheet, cell, code, severity), the counts on
the terminal and the exit status.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO, Run, passing_commune, passing_village, read_csv, write_workbook


def problems(run: Run, year: int = 2024) -> list[tuple[str, str, str, str, str, str]]:
    """(file, sheet, cell, commune code, severity, message) of every row of loi-du-lieu.csv."""
    rows = read_csv(run.output / str(year) / "loi-du-lieu.csv")
    return [(r["tep"], r["trang"], r["o"], r["ma_xa"], r["muc_do"], r["mo_ta"]) for r in rows]


def overview(run: Run, year: int = 2024) -> list[tuple]:
    ws = openpyxl.load_workbook(run.output / str(year) / f"tong-hop-{year}.xlsx", read_only=True)["Tổng hợp"]
    return [tuple(c for c in row) for row in ws.iter_rows(values_only=True)]


def villages(ma_xa="00001", n=2, **overrides) -> list[dict]:
    return [passing_village(ma_xa, f"thôn {i}", smart=False, **overrides) for i in range(1, n + 1)]


# -- a commune never vanishes ------------------------------------------------------------------------------------------


def test_commune_with_no_year_is_in_its_own_ledger_and_every_count(tmp_path):
    """The year cell empty: the commune is listed in xa-chua-ro-nam.csv, the terminal and the summary say so,
    and its villages are checked in the same run (one round of corrections)."""
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [passing_commune("00001"), passing_commune("00002", nam=None)],
        villages("00001") + villages("00002", co_loa_hoat_dong="hỏng"),
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 3
    assert "01 hồ sơ chưa ghi năm đánh giá" in run.result.output
    assert "NTM nâng cao: 01/01 xã đạt" in run.result.output
    undated = read_csv(tmp_path / "output" / "xa-chua-ro-nam.csv")
    assert [(r["nam"], r["ma_xa"], r["ten_xa"], r["hang_dang_ky"], r["ket_qua"]) for r in undated] == [
        ("", "00002", "Xã 00002", "nang_cao", "khong_danh_gia_duoc")
    ]
    assert list(undated[0]) == list(read_csv(tmp_path / "output" / "2024" / "xa-2024.csv")[0])
    rows = problems(run)
    assert any(r[:5] == ("a.xlsx", "Xa", "D5", "00002", "loi") for r in rows), rows
    # the bad village cell of the undated commune is reported now, not after the year is fixed
    assert any(r[:5] == ("a.xlsx", "Thon", "D7", "00002", "loi") for r in rows), rows
    assert any("01 hồ sơ chưa ghi năm đánh giá" in str(c) for row in overview(run) for c in row)


def test_commune_with_no_tier_is_listed_and_counted(tmp_path):
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [
            passing_commune("00001"),
            passing_commune("00002", hang_dang_ky=None),
            passing_commune("00003", hang_dang_ky="hạng A"),
        ],
        villages("00001") + villages("00002") + villages("00003"),
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 3
    got = {c: (r["hang_dang_ky"], r["ket_qua"], r["so_chi_tieu"]) for c, r in run.communes().items()}
    assert got == {
        "00001": ("nang_cao", "dat", "25"),
        "00002": ("", "khong_danh_gia_duoc", ""),
        "00003": ("", "khong_danh_gia_duoc", ""),
    }
    assert "(chưa rõ hạng đăng ký): 0/02 xã đạt, 02 xã chưa đánh giá được" in run.result.output
    counts = {row[0]: row[1:6] for row in overview(run) if row and row[0] in ("NTM nâng cao", "(chưa rõ hạng đăng ký)")}
    assert counts["(chưa rõ hạng đăng ký)"] == (2, 2, 0, 0, 2)  # registered, received, met, not met, undecided
    assert counts["NTM nâng cao"] == (1, 1, 1, 0, 0)
    assert not any(key[0] == "00002" for key in run.results())  # no indicator rows for a tier nobody registered


def test_commune_with_a_bad_code_is_listed_with_its_name(tmp_path):
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [
            passing_commune("00001"),
            passing_commune("123456", ten_xa="Xã Mã Sai"),
            passing_commune(None, ten_xa="Xã Không Mã"),
        ],
        villages("00001"),
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 3
    rows = read_csv(tmp_path / "output" / "2024" / "xa-2024.csv")
    assert sorted((r["ma_xa"], r["ten_xa"], r["ket_qua"]) for r in rows) == [
        ("", "Xã Không Mã", "khong_danh_gia_duoc"),
        ("", "Xã Mã Sai", "khong_danh_gia_duoc"),
        ("00001", "Xã 00001", "dat"),
    ]
    assert "NTM nâng cao: 01/03 xã đạt, 02 xã chưa đánh giá được" in run.result.output
    cells = {(f, s, c) for f, s, c, _, sev, _ in problems(run) if sev == "loi"}
    assert {("a.xlsx", "Xa", "A5"), ("a.xlsx", "Xa", "A6")} <= cells


def test_two_rows_claiming_one_commune_count_once_and_undecided(tmp_path):
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], villages("00001"))
    write_workbook(tmp_path / "input" / "b.xlsx", [passing_commune("00001")], [])
    run = Run(tmp_path / "input", tmp_path / "output")
    assert [(r["ma_xa"], r["ket_qua"]) for r in run.communes().values()] == [("00001", "khong_danh_gia_duoc")]
    assert "NTM nâng cao: 0/01 xã đạt, 01 xã chưa đánh giá được" in run.result.output


# -- periods -----------------------------------------------------------------------------------------------------------


def test_a_year_no_catalog_covers_is_listed_not_a_crash(tmp_path):
    """2026 has begun and no 2026–2030 catalog ships: its communes are listed as not assessable, 2024 is assessed."""
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], villages("00001"))
    # from 2025 a code is one of the national list (Xã Liêm Hà, Ninh Bình)
    later = passing_commune("13456", nam=2026, ten_xa="Xã Liêm Hà")
    write_workbook(tmp_path / "input" / "b.xlsx", [later], villages("13456"))
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 3, run.result.output
    assert run.result.exception is None or isinstance(run.result.exception, SystemExit), run.result.exc_info
    assert [(r["ma_xa"], r["ket_qua"]) for r in run.communes(2026).values()] == [("13456", "khong_danh_gia_duoc")]
    assert [(r["ma_xa"], r["ket_qua"]) for r in run.communes(2024).values()] == [("00001", "dat")]
    assert "Năm 2026: chưa có bộ chỉ tiêu" in run.result.output
    rows = [r for r in read_csv(tmp_path / "output" / "2026" / "loi-du-lieu.csv") if r["ma_xa"] == "13456"]
    assert [(r["tep"], r["trang"], r["o"], r["muc_do"]) for r in rows] == [("b.xlsx", "Xa", "D4", "loi")]
    assert rows[0]["mo_ta"].startswith("Không có bộ chỉ tiêu")
    assert (tmp_path / "output" / "2026" / "tong-hop-2026.xlsx").exists()


def test_a_tier_of_another_period_is_a_problem_row(tmp_path):
    """A 2024 commune registering a tier only the 2026–2030 catalog has: listed, not assessable, one problem."""
    schemas = tmp_path / "schemas"
    shutil.copytree(REPO / "pipeline" / "schemas", schemas)
    (schemas / "criteria-2026-2030.toml").write_text(
        'period = "2026-2030"\nyears = [2026, 2030]\ntitle = "Thử"\n'
        '[[tiers]]\nkey = "hien_dai"\nlabel = "NTM hiện đại"\nlabel_en = "Modern"\nsheet = "NTM hiện đại"\n'
        '[[indicators]]\nid = "7.1"\ntier = "hien_dai"\nkind = "flag"\ncolumn = "co_diem_buu_chinh"\n'
        'label = "Thử"\nlabel_en = "Test"\n',
        encoding="utf-8",
    )
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001", hang_dang_ky="NTM hiện đại")], villages())
    from pipeline.run import run

    outcome = run(tmp_path / "input", tmp_path / "output", schemas=schemas, quiet=True)
    assert outcome.exit_code == 3
    communes = outcome.years[2024].communes
    assert communes[["ma_xa", "ket_qua"]].values.tolist() == [["00001", "khong_danh_gia_duoc"]]
    assert communes["hang_dang_ky"].isna().all()
    rows = outcome.listed[outcome.listed["ma_loi"] == "hang-khac-giai-doan"]
    assert rows[["tep", "trang", "o", "muc_do"]].values.tolist() == [["a.xlsx", "Xa", "E4", "loi"]]
    assert "2021-2025" in rows["mo_ta"].iat[0]


# -- villages belong to a commune of a year ----------------------------------------------------------------------------


def two_years(tmp_path: Path, thon: list[dict]) -> Run:
    """Commune 00001 for 2023 and 2024 in one workbook, with the given villages."""
    xa = [passing_commune("00001", nam=2023), passing_commune("00001", nam=2024)]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, thon)
    return Run(tmp_path / "input", tmp_path / "output")


def village_rows() -> list[dict]:
    """Two villages per year; in 2024 the loudspeakers of thôn 2 do not work."""
    return [
        passing_village("00001", "thôn 1", smart=False, nam=2023),
        passing_village("00001", "thôn 2", smart=False, nam=2023),
        passing_village("00001", "thôn 1", smart=False, nam=2024),
        passing_village("00001", "thôn 2", smart=False, nam=2024, co_loa_hoat_dong="Không"),
    ]


def test_villages_with_a_year_column_count_for_their_year_only(tmp_path):
    run = two_years(tmp_path, village_rows())
    assert run.results(2024)[("00001", "8.3.a")]["ket_qua"] == "khong_dat"
    assert run.results(2024)[("00001", "8.3.a")]["mau_so"] == "2"
    assert run.results(2023)[("00001", "8.3.a")]["ket_qua"] == "dat"


def test_villages_take_the_year_of_their_file(tmp_path):
    rows = village_rows()
    xa = [passing_commune("00001", nam=2023), passing_commune("00001", nam=2024)]
    strip = [{k: v for k, v in r.items() if k != "nam"} for r in rows]
    write_workbook(tmp_path / "input" / "a-2023.xlsx", xa[:1], strip[:2])
    write_workbook(tmp_path / "input" / "a-2024.xlsx", xa[1:], strip[2:])
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.results(2024)[("00001", "8.3.a")]["ket_qua"] == "khong_dat"
    assert run.results(2023)[("00001", "8.3.a")]["ket_qua"] == "dat"
    assert run.exit_code == 0, run.result.output


def test_villages_whose_year_cannot_be_told_are_never_pooled(tmp_path):
    """One file, two years of one commune, no year on the villages: each village is a problem row and the
    village indicators of both years wait for the year column."""
    rows = [{k: v for k, v in r.items() if k != "nam"} for r in village_rows()[2:]]
    run = two_years(tmp_path, rows)
    assert run.exit_code == 3
    for year in (2023, 2024):
        got = run.results(year)
        assert got[("00001", "8.3.b")]["ket_qua"] == "khong_danh_gia_duoc", year
        assert got[("00001", "8.1")]["ket_qua"] == "dat"
    # a village already saying "no" decides an every-village indicator whatever the other villages say
    unsure = [r for r in problems(run) if r[1] == "Thon"]
    assert [(f, s, c, sev) for f, s, c, _, sev, _ in unsure] == [
        ("a.xlsx", "Thon", "A4", "loi"),
        ("a.xlsx", "Thon", "A5", "loi"),
    ]
    assert unsure[0][5].startswith("Không rõ thôn thuộc năm đánh giá nào")


def test_a_village_of_a_year_the_commune_did_not_send(tmp_path):
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [passing_commune("00001")],
        villages("00001") + [passing_village("00001", "thôn 9", smart=False, nam=2023)],
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    rows = [r for r in problems(run) if r[1] == "Thon"]
    assert [(f, s, c, sev) for f, s, c, _, sev, _ in rows] == [("a.xlsx", "Thon", "A6", "loi")]
    assert "năm 2023" in rows[0][5]
    assert run.results()[("00001", "8.3.a")]["mau_so"] == "2"


def test_a_village_with_a_bad_commune_code_leaves_its_file_communes_undecided_on_villages(tmp_path):
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [passing_commune("00001")],
        villages("00001") + [passing_village("0000x", "thôn 9", smart=False, co_loa_hoat_dong="Không")],
    )
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.results()[("00001", "8.3.a")]["ket_qua"] == "khong_danh_gia_duoc"
    assert run.results()[("00001", "8.1")]["ket_qua"] == "dat"


# -- the figures people read -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "share", "left_out"),
    [(None, 0.8, 1), (900, 0.85, 0)],
)
def test_province_ratio_counts_only_communes_with_both_figures(tmp_path, second, share, left_out):
    xa = [
        passing_commune("00001", dan_so_lao_dong=1000, dan_so_lao_dong_smartphone=800),
        passing_commune("00002", dan_so_lao_dong=1000, dan_so_lao_dong_smartphone=second),
    ]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, villages("00001") + villages("00002"))
    run = Run(tmp_path / "input", tmp_path / "output")
    row = next(r for r in overview(run) if r and str(r[0]).startswith("8.2.a"))
    assert row[3] == pytest.approx(share)
    assert row[5] == left_out


def test_province_ratio_is_blank_when_no_commune_gave_both(tmp_path):
    xa = [passing_commune("00001", dan_so_lao_dong_smartphone=None)]
    write_workbook(tmp_path / "input" / "a.xlsx", xa, villages("00001"))
    run = Run(tmp_path / "input", tmp_path / "output")
    row = next(r for r in overview(run) if r and str(r[0]).startswith("8.2.a"))
    assert (row[3], row[5]) == (None, 1), row


# -- nothing to assess -------------------------------------------------------------------------------------------------


def test_an_input_folder_with_nothing_to_assess_says_so(tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "README.md").write_text("ghi chú")
    run = Run(tmp_path / "input", tmp_path / "output")
    assert run.exit_code == 1
    assert "Không có hồ sơ xã nào để đánh giá" in run.result.output


# -- the registration list ---------------------------------------------------------------------------------------------


def test_registration_list_counts_communes_that_sent_nothing(tmp_path):
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [passing_commune("00001"), passing_commune("00003")],
        villages("00001") + villages("00003"),
    )
    listed = tmp_path / "dang-ky.csv"
    listed.write_text(
        "Mã xã,Tên xã,Huyện / thị xã / thành phố,Hạng đăng ký,Năm đánh giá\n"
        "00001,Xã 00001,huyện Thử,NTM nâng cao,2024\n"
        "00002,Xã Vắng,huyện Thử,NTM nâng cao,2024\n",
        encoding="utf-8",
    )
    run = Run(tmp_path / "input", tmp_path / "output", "--registered", str(listed))
    assert run.exit_code == 3, run.result.output
    got = {c: (r["ten_xa"], r["hang_dang_ky"], r["ket_qua"], r["so_chi_tieu"]) for c, r in run.communes().items()}
    assert got == {
        "00001": ("Xã 00001", "nang_cao", "dat", "25"),
        "00002": ("Xã Vắng", "nang_cao", "khong_danh_gia_duoc", ""),  # nothing sent: nothing counted
        "00003": ("Xã 00003", "nang_cao", "dat", "25"),
    }
    assert "NTM nâng cao: 02/03 xã đạt, 01 xã chưa đánh giá được" in run.result.output
    rows = {(f, s, c, code, sev) for f, s, c, code, sev, _ in problems(run)}
    assert ("dang-ky.csv", "", "A3", "00002", "loi") in rows
    assert ("a.xlsx", "Xa", "dòng 5", "00003", "canh_bao") in rows
    by_district = [r[:8] for r in overview(run) if r and r[0] == "huyện Thử"]
    assert by_district == [("huyện Thử", "NTM nâng cao", 3, 2, 2, 0, 1, "02/03")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ten,khac\n1,2\n", "không thấy dòng tiêu đề"),
        ("ma_xa,ten_xa,nam\n0001x,Xã A,2024\n", "dòng 2 thiếu hoặc sai mã xã"),
        ("ma_xa,ten_xa,nam\n00001,Xã A,2024\n00001,Xã A,2024\n", "ghi hai lần"),
    ],
)
def test_a_registration_list_in_error_stops_the_run_with_one_line(tmp_path, text, message):
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], villages("00001"))
    listed = tmp_path / "dang-ky.csv"
    listed.write_text(text, encoding="utf-8")
    run = Run(tmp_path / "input", tmp_path / "output", "--registered", str(listed))
    assert run.exit_code == 1
    assert message in run.result.output
    assert "Traceback" not in run.result.output
    assert not (tmp_path / "output" / "2024").exists()


def test_an_output_folder_inside_the_input_folder_is_never_read_back(tmp_path):
    """input/ket-qua/ holds last run's workbooks: a second run reads the communes' files only."""
    write_workbook(tmp_path / "input" / "a.xlsx", [passing_commune("00001")], villages("00001"))
    first = Run(tmp_path / "input", tmp_path / "input" / "ket-qua")
    second = Run(tmp_path / "input", tmp_path / "input" / "ket-qua")
    assert (first.exit_code, second.exit_code) == (0, 0), second.result.output
    assert "Lỗi dữ liệu: 0, cảnh báo: 0" in second.result.output
    assert list(second.communes()) == ["00001"]


def test_the_registration_list_decides_the_tier_and_the_differing_cell_is_named(tmp_path):
    """Workbook says NTM (which it meets); the list says NTM nâng cao (whose 8.2.a it fails): the list decides."""
    write_workbook(
        tmp_path / "input" / "a.xlsx",
        [passing_commune("00001", tier="ntm", dan_so_lao_dong_smartphone=7000), passing_commune("00002", tier="")],
        villages("00001") + villages("00002"),
    )
    listed = tmp_path / "dang-ky.csv"
    listed.write_text(
        "ma_xa,ten_xa,huyen,hang_dang_ky,nam\n00001,Xã 00001,huyện Thử,NTM nâng cao,2024\n"
        "00002,Xã 00002,huyện Thử,nang_cao,2024\n",
        encoding="utf-8",
    )
    run = Run(tmp_path / "input", tmp_path / "output", "--registered", str(listed))
    got = {c: (r["hang_dang_ky"], r["ket_qua"]) for c, r in run.communes().items()}
    assert got == {"00001": ("nang_cao", "khong_dat"), "00002": ("nang_cao", "dat")}
    assert run.results()[("00001", "8.2.a")]["ket_qua"] == "khong_dat"
    rows = [r for r in run.problems() if r["cot"] == "hang_dang_ky"]
    assert [(r["tep"], r["trang"], r["o"], r["muc_do"], r["ma_xa"]) for r in rows] == [
        ("a.xlsx", "Xa", "E4", "canh_bao", "00001"),
        ("a.xlsx", "Xa", "E5", "canh_bao", "00002"),
    ]
    assert rows[0]["mo_ta"].endswith("hồ sơ ghi “NTM”, danh sách ghi “NTM nâng cao”")
    assert rows[1]["mo_ta"].endswith("hồ sơ để trống hoặc ghi sai, danh sách ghi “NTM nâng cao”")
    assert "NTM nâng cao: 01/02 xã đạt" in run.result.output
