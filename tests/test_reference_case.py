"""The Hà Nam 2024 reference case (sample-2024.md), end to end through the CLI."""

import openpyxl
import pytest
from conftest import REPO, Run


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return Run(REPO / "input", tmp_path_factory.mktemp("out"))


def test_reproduces_the_published_outcome(sample):
    assert sample.exit_code == 0, sample.result.output
    communes = sample.communes()
    by_tier = {}
    for c in communes.values():
        by_tier.setdefault(c["hang_dang_ky"], []).append(c["ket_qua"])
    assert {t: (r.count("dat"), len(r)) for t, r in by_tier.items()} == {"nang_cao": (15, 15), "kieu_mau": (2, 2)}
    assert "NTM nâng cao: 15/15 xã đạt" in sample.result.output
    assert "Lỗi dữ liệu: 0, cảnh báo: 0" in sample.result.output  # input/README.md is a note, not a warning
    assert "NTM kiểu mẫu: 02/02 xã đạt" in sample.result.output


def test_commune_rows_and_highest_tier(sample):
    communes = sample.communes()
    hoang_tay = next(c for c in communes.values() if c["ten_xa"] == "Hoàng Tây")
    assert (hoang_tay["huyen"], hoang_tay["hang_dang_ky"], hoang_tay["hang_cao_nhat_dat"]) == (
        "thị xã Kim Bảng",
        "kieu_mau",
        "kieu_mau",
    )
    assert hoang_tay["so_chi_tieu_dat"] == hoang_tay["so_chi_tieu"] == "31"
    assert {c["hang_cao_nhat_dat"] for c in communes.values() if c["hang_dang_ky"] == "nang_cao"} == {"nang_cao"}


def test_indicator_values_in_the_csv(sample):
    rows = sample.csv("ket-qua-2024.csv")
    assert list(rows[0]) == [
        "nam",
        "ma_xa",
        "ten_xa",
        "huyen",
        "hang",
        "chi_tieu",
        "tu_so",
        "mau_so",
        "gia_tri",
        "nguong",
        "ket_qua",
    ]
    nhan_nghia = {r["chi_tieu"]: r for r in rows if r["ten_xa"] == "Nhân Nghĩa"}
    assert (nhan_nghia["8.2.a"]["tu_so"], nhan_nghia["8.2.a"]["mau_so"]) == ("4000", "5000")
    assert (nhan_nghia["8.2.a"]["gia_tri"], nhan_nghia["8.2.a"]["ket_qua"]) == ("0.8", "dat")
    assert nhan_nghia["15.2.l"]["ket_qua"] == "khong_ap_dung"
    assert len(nhan_nghia) == 25
    dinh_xa = {r["chi_tieu"]: r for r in rows if r["ten_xa"] == "Đinh Xá"}
    assert (dinh_xa["KM.1"]["tu_so"], dinh_xa["KM.1"]["ket_qua"]) == ("1", "dat")
    assert {r["ket_qua"] for r in rows} == {"dat", "khong_ap_dung"}


def test_summary_workbook_cells(sample):
    wb = openpyxl.load_workbook(sample.output / "2024" / "tong-hop-2024.xlsx")
    sheets = ["Tổng hợp", "NTM nâng cao", "NTM kiểu mẫu", "Thôn", "Lỗi dữ liệu", "Nguồn", "Kết quả theo huyện"]
    assert wb.sheetnames == sheets  # the last, hidden, holds the chart's figures
    overview = wb["Tổng hợp"]
    assert overview["A4"].value.startswith(
        "15/15 xã đăng ký đạt chuẩn NTM nâng cao năm 2024 đều đạt chuẩn các chỉ tiêu ngành TT&TT. "
        "02/02 xã đăng ký đạt chuẩn NTM kiểu mẫu năm 2024 đều đạt"
    )
    advanced = wb["NTM nâng cao"]
    heads = {str(c.value).split("\n")[0]: i for i, c in enumerate(advanced[4]) if c.value}
    assert list(heads)[5:7] == ["8.1", "8.2"]
    assert advanced.cell(5, heads["8.1"] + 1).value == "Xã có điểm phục vụ bưu chính"
    rows = {r[2].value: r for r in advanced.iter_rows(min_row=6) if r[1].value}
    # districts, and communes within them, in the order of their codes
    assert list(rows) == [
        "Ngọc Lũ",
        "Trung Lương",
        "An Lão",
        "Liêm Cần",
        "Thanh Hà",
        "Thanh Phong",
        "Văn Lý",
        "Phú Phúc",
        "Nhân Nghĩa",
        "Chân Lý",
        "Nhân Mỹ",
        "Khả Phong",
        "Văn Xá",
        "Tiên Ngoại",
        "Tiên Sơn",
    ]
    ngoc_lu = rows["Ngọc Lũ"]
    value = heads["8.2.a"]
    assert ngoc_lu[value].number_format == "0.0%"
    assert ngoc_lu[value].value == pytest.approx(5707 / 6620)
    assert ngoc_lu[value + 1].value == "Đ"
    assert ngoc_lu[heads["8.1"]].value == "Có"
    assert ngoc_lu[heads["Kết quả chung"]].value == "Đạt"
    assert ngoc_lu[heads["Số chỉ tiêu đạt"]].value == "25/25"
    assert rows["Trung Lương"][heads["15.2.l"] + 1].value == "–"  # not applicable: no OCOP products
    total = next(r for r in advanced.iter_rows(min_row=6) if r[0].value == "Số xã đạt")
    assert total[heads["Kết quả chung"]].value == "15/15"


def test_one_workbook_per_district(sample):
    names = sorted(p.name for p in (sample.output / "2024" / "huyen").iterdir())
    assert names == [
        "huyen-binh-luc.xlsx",
        "huyen-ly-nhan.xlsx",
        "huyen-thanh-liem.xlsx",
        "thanh-pho-phu-ly.xlsx",
        "thi-xa-duy-tien.xlsx",
        "thi-xa-kim-bang.xlsx",
    ]
    wb = openpyxl.load_workbook(sample.output / "2024" / "huyen" / "thi-xa-kim-bang.xlsx")

    def communes(ws) -> list[str]:  # a small tier prints in bands, a row per commune in each
        return list(dict.fromkeys(r[2].value for r in ws.iter_rows(min_row=6) if isinstance(r[0].value, int)))

    assert communes(wb["NTM nâng cao"]) == ["Khả Phong", "Văn Xá"]
    assert communes(wb["NTM kiểu mẫu"]) == ["Hoàng Tây"]
