"""Write the shipped sample input: the Hà Nam 2024 reference case.

Usage: python scripts/make_sample.py [OUTDIR]   (default: input/ at the repo root)

One workbook per district, each with the sheets ``Xa`` (one row per commune) and
``Thon`` (one row per village), laid out like the department's template: a title
in row 1, the Vietnamese labels of the spec (input-format.md) in row 3, data from
row 4.

The published outcome (15/15 advanced-tier and 2/2 model-tier communes meet every
ICT indicator) is reproduced; the counts behind it are invented but plausible,
because the article gives only outcomes and thresholds. Commune codes are
placeholders (99 + district digit + two-digit commune number), not official codes.
The output is deterministic: rerunning gives identical bytes.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import xlsxwriter

YEAR = 2024
CREATED = datetime(2024, 12, 31, 8, 0, 0)  # fixed, so reruns give identical bytes
YES, NO = "Có", "Không"
TIER_LABEL = {"nang_cao": "NTM nâng cao", "kieu_mau": "NTM kiểu mẫu"}

# Column order and template labels exactly as in the spec (input-format.md).
XA_COLUMNS = [
    ("ma_xa", "Mã xã"),
    ("ten_xa", "Tên xã"),
    ("huyen", "Huyện / thị xã / thành phố"),
    ("nam", "Năm đánh giá"),
    ("hang_dang_ky", "Hạng đăng ký"),
    ("nam_dat_nang_cao", "Năm đạt chuẩn NTM nâng cao"),
    ("co_diem_buu_chinh", "Có điểm phục vụ bưu chính"),
    ("co_dai_truyen_thanh", "Có đài truyền thanh xã"),
    ("ung_dung_cntt_dieu_hanh", "Ứng dụng CNTT trong quản lý, điều hành"),
    ("bc_may_tinh", "Điểm BC: máy tính kết nối Internet"),
    ("bc_may_quet", "Điểm BC: máy quét"),
    ("bc_nhan_vien_dao_tao", "Điểm BC: nhân viên được đào tạo"),
    ("bc_tiep_nhan_tra_kq", "Điểm BC: tiếp nhận, trả kết quả TTHC"),
    ("dan_so_lao_dong", "Dân số trong độ tuổi lao động"),
    (
        "dan_so_lao_dong_smartphone",
        "Số người trong độ tuổi lao động dùng điện thoại thông minh",
    ),
    ("tong_so_ho", "Tổng số hộ"),
    ("so_ho_xem_truyen_hinh", "Số hộ thu xem được truyền hình"),
    ("co_diem_xuat_ban_pham", "Có điểm cung cấp xuất bản phẩm"),
    ("mc_may_tinh", "Một cửa: máy tính cho người dân"),
    ("mc_camera", "Một cửa: camera"),
    ("mc_man_hinh_cam_ung", "Một cửa: màn hình cảm ứng"),
    ("mc_may_quet", "Một cửa: máy quét"),
    ("tthc_du_dieu_kien", "Số TTHC đủ điều kiện cung cấp DVCTT"),
    ("tthc_truc_tuyen", "Số TTHC đã cung cấp DVCTT (một phần trở lên)"),
    ("tthc_tong", "Tổng số TTHC"),
    ("tthc_cap_nhat", "Số TTHC được cập nhật đầy đủ, kịp thời"),
    ("van_ban_tong", "Tổng số văn bản (trừ văn bản mật)"),
    ("van_ban_ky_so", "Số văn bản xử lý trên hệ thống, ký số"),
    ("ho_so_tong", "Tổng số hồ sơ TTHC"),
    ("ho_so_cap_nhat", "Số hồ sơ cập nhật vào hệ thống"),
    ("ho_so_truc_tuyen", "Số hồ sơ giải quyết trực tuyến"),
    ("can_bo_tong", "Tổng số cán bộ, công chức xã"),
    ("can_bo_boi_duong", "Số CBCC được bồi dưỡng kỹ năng số, ATTT"),
    (
        "dan_so_lao_dong_ky_nang_so",
        "Số người trong độ tuổi lao động được phổ biến kỹ năng số",
    ),
    ("ocop_tong", "Số sản phẩm OCOP"),
    ("ocop_san_tmdt", "Số sản phẩm OCOP trên sàn TMĐT"),
]
THON_COLUMNS = [
    ("ma_xa", "Mã xã"),
    ("ten_thon", "Tên thôn"),
    ("co_vien_thong_internet", "Có dịch vụ điện thoại và Internet"),
    ("co_loa_hoat_dong", "Hệ thống loa hoạt động thường xuyên"),
    ("co_ho_xem_truyen_hinh", "Có hộ thu xem được truyền hình"),
    ("to_cong_nghe_so", "Có tổ công nghệ số cộng đồng"),
    ("kenh_mang_xa_hoi", "Có kênh mạng xã hội của trưởng thôn"),
    ("truy_xuat_tmdt", "Hộ SXKD truy xuất nguồn gốc, bán trên sàn TMĐT"),
    ("so_nguoi_smartphone", "Số người dùng điện thoại thông minh"),
    ("so_nguoi_vneid", "Số người cài VNeID mức 2, kích hoạt sổ sức khỏe điện tử"),
]
XA_FLAGS = [
    "co_diem_buu_chinh",
    "co_dai_truyen_thanh",
    "ung_dung_cntt_dieu_hanh",
    "bc_may_tinh",
    "bc_may_quet",
    "bc_nhan_vien_dao_tao",
    "bc_tiep_nhan_tra_kq",
    "co_diem_xuat_ban_pham",
    "mc_may_tinh",
    "mc_camera",
    "mc_man_hinh_cam_ung",
    "mc_may_quet",
]

# Commune-level administrative procedures follow one provincial list, so every
# commune has the same counts; all eligible ones are online, all are up to date.
TTHC_TONG = 186
TTHC_DU_DIEU_KIEN = 134

# (file slug, district as written in 2024); position 1-6 is the code's digit.
DISTRICTS = [
    ("binh-luc", "huyện Bình Lục"),
    ("thanh-liem", "huyện Thanh Liêm"),
    ("ly-nhan", "huyện Lý Nhân"),
    ("kim-bang", "thị xã Kim Bảng"),
    ("duy-tien", "thị xã Duy Tiên"),
    ("phu-ly", "thành phố Phủ Lý"),
]


@dataclass(frozen=True)
class Commune:
    """Invented figures of one commune; shares are in per mille (‰)."""

    name: str
    households: int
    villages: int
    working_age: int
    smartphone: int  # ‰ of working-age people with a smartphone (≥ 800)
    tv: int  # ‰ of households receiving TV (≥ 900)
    skills: int  # ‰ of working-age people taught digital skills (≥ 700)
    documents: int
    signed: int  # ‰ of documents processed and signed digitally (≥ 700)
    dossiers: int
    online: int  # ‰ of dossiers handled online (≥ 700)
    officials: int  # all of them trained
    ocop: int  # OCOP products, all of them on an e-commerce platform

    @property
    def tier(self) -> str:
        return "kieu_mau" if self.name in SMART_VILLAGES else "nang_cao"


# Columns: name, households, villages, working-age people, smartphone ‰, TV ‰,
# digital skills ‰, documents, signed ‰, dossiers, online ‰, officials, OCOP.
# fmt: off
COMMUNES = {
    "binh-luc": [
        ("Ngọc Lũ",     3150, 10, 6620, 862, 953, 781, 2140, 884, 1320, 812, 22, 3),
        ("Trung Lương", 2480,  8, 5210, 845, 962, 752, 1860, 913, 1045, 774, 21, 0),
        ("An Lão",      2910, 11, 6105, 871, 947, 803, 2010, 862, 1190, 836, 23, 2),
    ],
    "thanh-liem": [
        ("Liêm Cần",    2230,  7, 4690, 824, 971, 735, 1720, 795,  960, 758, 21, 1),
        ("Thanh Hà",    3380, 12, 7090, 903, 958, 812, 2330, 927, 1410, 851, 24, 4),
        ("Thanh Phong", 1960,  6, 4120, 836, 944, 768, 1580, 846,  870, 729, 20, 0),
    ],
    "ly-nhan": [
        ("Văn Lý",      2650,  9, 5570, 858, 966, 742, 1910, 871, 1130, 803, 22, 2),
        ("Phú Phúc",    3020, 10, 6340, 881, 951, 795, 2070, 902, 1260, 767, 23, 3),
        # exactly on the 80 % smartphone threshold: 4000 / 5000
        ("Nhân Nghĩa",  2380,  8, 5000, 800, 939, 726, 1790, 764,  990, 741, 21, 0),
        ("Chân Lý",     2760,  9, 5800, 867, 975, 787, 1980, 889, 1175, 819, 22, 1),
        ("Nhân Mỹ",     2090,  7, 4390, 819, 948, 759, 1650, 818,  905, 752, 20, 0),
    ],
    "kim-bang": [
        ("Khả Phong",   2540,  8, 5330, 853, 957, 771, 1840, 857, 1080, 784, 21, 2),
        ("Văn Xá",      1870,  6, 3930, 842, 969, 748, 1490, 836,  820, 763, 20, 0),
        ("Hoàng Tây",   2150,  7, 4520, 912, 986, 829, 1720, 931, 1010, 872, 22, 3),
    ],
    "duy-tien": [
        ("Tiên Ngoại",  2320,  7, 4870, 889, 982, 806, 1760, 918, 1020, 845, 22, 1),
        ("Tiên Sơn",    2710,  9, 5690, 874, 961, 783, 1950, 895, 1150, 826, 23, 2),
    ],
    "phu-ly": [
        ("Đinh Xá",     2470,  8, 5180, 927, 979, 841, 1890, 942, 1100, 884, 23, 2),
    ],
}

# Villages of the model communes: (name, digital team, head's social channel,
# traceability + e-commerce, smartphone users, of whom with VNeID level 2 and an
# e-health book). Exactly one smart village each meets all four conditions.
SMART_VILLAGES = {
    "Hoàng Tây": [
        ("thôn Đông",    YES, YES, YES, 1020, 786),  # smart village, 77.1 %
        ("thôn Đoài",    YES, YES, NO,   940, 705),
        ("thôn Nam",     YES, YES, YES,  870, 531),  # 61.0 %
        ("thôn Bắc",     YES, NO,  YES,  810, 623),
        ("thôn Trung",   YES, YES, NO,   760, 448),  # 58.9 %
        ("thôn Thượng",  NO,  YES, NO,   690, 441),  # 63.9 %
        ("thôn Hạ",      YES, YES, YES,  720, 403),  # 56.0 %
    ],
    "Đinh Xá": [
        ("thôn Lạc Tràng", YES, YES, YES, 980, 744),  # smart village, 75.9 %
        ("thôn 1",         YES, YES, NO,  860, 628),
        ("thôn 2",         YES, YES, YES, 820, 517),  # 63.0 %
        ("thôn 3",         NO,  YES, YES, 790, 597),
        ("thôn 4",         YES, NO,  NO,  750, 431),  # 57.5 %
        ("thôn 5",         YES, YES, YES, 700, 446),  # 63.7 %
        ("thôn 6",         YES, YES, NO,  680, 507),
        ("thôn 7",         NO,  YES, YES, 640, 352),  # 55.0 %
    ],
}
# fmt: on


def nfc(value: object) -> object:
    """Return text in Unicode NFC; other values unchanged."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def share(total: int, per_mille: int) -> int:
    """Smallest count that is at least per_mille ‰ of total (never rounds below)."""
    return -(-total * per_mille // 1000)


def communes(slug: str) -> list[Commune]:
    """The communes of one district, in table order."""
    return [Commune(*figures) for figures in COMMUNES[slug]]


def commune_code(district_no: int, commune_no: int) -> str:
    """Placeholder code: 99, the district's digit, the commune's two digits."""
    return f"99{district_no}{commune_no:02d}"


def xa_row(c: Commune, code: str, district: str) -> dict[str, object]:
    """The `Xa` row of one commune, keyed by column key."""
    row: dict[str, object] = {
        "ma_xa": code,
        "ten_xa": c.name,
        "huyen": district,
        "nam": YEAR,
        "hang_dang_ky": TIER_LABEL[c.tier],
        "nam_dat_nang_cao": 2022 if c.tier == "kieu_mau" else None,
        "dan_so_lao_dong": c.working_age,
        "dan_so_lao_dong_smartphone": share(c.working_age, c.smartphone),
        "tong_so_ho": c.households,
        "so_ho_xem_truyen_hinh": share(c.households, c.tv),
        "tthc_du_dieu_kien": TTHC_DU_DIEU_KIEN,
        "tthc_truc_tuyen": TTHC_DU_DIEU_KIEN,
        "tthc_tong": TTHC_TONG,
        "tthc_cap_nhat": TTHC_TONG,
        "van_ban_tong": c.documents,
        "van_ban_ky_so": share(c.documents, c.signed),
        "ho_so_tong": c.dossiers,
        "ho_so_cap_nhat": c.dossiers,
        "ho_so_truc_tuyen": share(c.dossiers, c.online),
        "can_bo_tong": c.officials,
        "can_bo_boi_duong": c.officials,
        "dan_so_lao_dong_ky_nang_so": share(c.working_age, c.skills),
        "ocop_tong": c.ocop,
        "ocop_san_tmdt": c.ocop,
    }
    row.update(dict.fromkeys(XA_FLAGS, YES))
    return row


def thon_rows(c: Commune, code: str) -> list[dict[str, object]]:
    """The `Thon` rows of one commune, keyed by column key."""
    base = {
        "ma_xa": code,
        "co_vien_thong_internet": YES,
        "co_loa_hoat_dong": YES,
        "co_ho_xem_truyen_hinh": YES,
    }
    if c.tier != "kieu_mau":
        return [{**base, "ten_thon": f"thôn {i}"} for i in range(1, c.villages + 1)]
    villages = SMART_VILLAGES[c.name]
    if len(villages) != c.villages:
        raise ValueError(f"{c.name}: {len(villages)} villages listed")
    keys = (
        "ten_thon",
        "to_cong_nghe_so",
        "kenh_mang_xa_hoi",
        "truy_xuat_tmdt",
        "so_nguoi_smartphone",
        "so_nguoi_vneid",
    )
    return [{**base, **dict(zip(keys, v, strict=True))} for v in villages]


def write_sheet(book, name, title, columns, rows, formats) -> None:
    """Title in row 1, labels in row 3, data from row 4; empty cells left blank."""
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, nfc(title), formats["title"])
    sheet.set_row(2, 60)
    for col, (key, label) in enumerate(columns):
        sheet.write_string(2, col, nfc(label), formats["header"])
        sheet.set_column(col, col, 14 if key not in ("ten_xa", "huyen") else 20)
        for r, row in enumerate(rows, start=3):
            value = nfc(row.get(key))
            if value is None:
                continue
            if key == "ma_xa":
                sheet.write_string(r, col, value, formats["code"])
            elif isinstance(value, str):
                sheet.write_string(r, col, value)
            else:
                sheet.write_number(r, col, value, formats["int"])
    sheet.freeze_panes(3, 2)


def write_district(outdir: Path, district_no: int) -> Path:
    """Write the workbook of one district and return its path."""
    slug, district = DISTRICTS[district_no - 1]
    xa, thon = [], []
    for commune_no, c in enumerate(communes(slug), start=1):
        code = commune_code(district_no, commune_no)
        xa.append(xa_row(c, code, district))
        thon.extend(thon_rows(c, code))
    path = outdir / f"{slug}.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.set_properties(
        {
            "title": nfc(f"Chỉ tiêu TT&TT nông thôn mới - {district} - năm {YEAR}"),
            "author": "Mẫu minh hoạ (số liệu giả định)",
            "created": CREATED,
        }
    )
    formats = {
        "title": book.add_format({"bold": True, "font_size": 13}),
        "header": book.add_format({"bold": True, "text_wrap": True, "valign": "top", "border": 1}),
        "code": book.add_format({"num_format": "@"}),
        "int": book.add_format({"num_format": "0"}),
    }
    heading = "BIỂU TỔNG HỢP SỐ LIỆU CHỈ TIÊU TT&TT"
    write_sheet(book, "Xa", f"{heading} - {district} - năm {YEAR}", XA_COLUMNS, xa, formats)
    write_sheet(
        book,
        "Thon",
        f"{heading} CẤP THÔN - {district} - năm {YEAR}",
        THON_COLUMNS,
        thon,
        formats,
    )
    book.close()
    return path


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    outdir = Path(argv[1]) if len(argv) > 1 else root / "input"
    outdir.mkdir(parents=True, exist_ok=True)
    for district_no in range(1, len(DISTRICTS) + 1):
        print(write_district(outdir, district_no))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
