"""The catalog of data problems and the frame every report is built from.

Each problem has a stable code (tests assert codes and cells, not prose), a
severity, and a Vietnamese message. `loi` (error) means some value could not
be used; `canh_bao` (warning) means the run noticed something but lost nothing.
"""

from __future__ import annotations

import pandas as pd

from pipeline.roles import ROLES

ERROR = "loi"
WARNING = "canh_bao"
# what to do about a workbook that is not laid out as the template, or holds no data: the officer makes the template
USE_TEMPLATE = "đề nghị xã điền biểu nhập liệu rồi gửi lại (biểu tạo bằng lệnh make template)"

# code: (severity, Vietnamese description)
CODES = {
    "khong-doc-duoc": (ERROR, "Không đọc được tệp"),
    "bo-qua-tep": (WARNING, "Tệp không phải bảng tính (.xlsx, .xlsm, .xlsb, .xls, .ods), đã bỏ qua"),
    "thieu-trang": (ERROR, "Không có trang bắt buộc"),
    "thieu-trang-thon": (
        WARNING,
        "Tệp không có trang Thon (danh sách thôn); thôn của các xã trong tệp phải có ở tệp khác, nếu không các chỉ"
        " tiêu cấp thôn của xã chưa đánh giá được",
    ),
    "khong-thay-tieu-de": (ERROR, "Không tìm thấy dòng tiêu đề cột"),
    "chua-co-so-lieu": (ERROR, "Tệp chưa có dòng số liệu nào, chỉ có tiêu đề cột"),
    "thieu-cot": (ERROR, "Thiếu cột bắt buộc"),
    "thieu-cot-chi-tieu": (ERROR, "Thiếu cột; các chỉ tiêu dùng cột này không đánh giá được"),
    "cot-la": (WARNING, "Cột không có trong biểu mẫu, không dùng để đánh giá"),
    "cot-trung": (WARNING, "Cột xuất hiện hai lần, chỉ dùng cột đầu tiên"),
    "sai-kieu": (ERROR, "Ô ghi không đúng dạng"),
    "thieu-gia-tri": (ERROR, "Ô để trống"),
    "ngoai-khoang": (ERROR, "Số ghi ngoài khoảng cho phép"),
    "vuot-mau-so": (ERROR, "Số ghi lớn hơn số tổng tương ứng"),
    "khong-co-xa": (ERROR, "Mã xã của thôn không có trong trang Xa"),
    "trung-ma-xa": (ERROR, "Mã xã trùng trong cùng năm; xã này không được đánh giá cho đến khi sửa"),
    "trung-ten-thon": (ERROR, "Tên thôn trùng trong cùng xã; thôn chỉ được tính một lần, hãy xóa dòng thừa"),
    "thon-khai-khac-nhau": (
        ERROR,
        "Thôn được khai hai lần với số liệu khác nhau; chỉ tiêu dùng ô này chưa đánh giá được cho đến khi sửa",
    ),
    "khong-co-bo-chi-tieu": (ERROR, "Không có bộ chỉ tiêu cho năm đánh giá này"),
    "qua-lon": (ERROR, "Tệp vượt giới hạn kích thước an toàn"),
    "tcvn3": (WARNING, "Văn bản gõ bằng bảng mã TCVN3 (.VnTime), đã chuyển sang Unicode"),
    "cong-thuc": (ERROR, "Ô có công thức nhưng không có giá trị đã tính; hãy mở tệp bằng Excel, lưu lại rồi gửi"),
    "hang-khac-giai-doan": (ERROR, "Hạng đăng ký không có trong bộ chỉ tiêu của năm đánh giá"),
    "thon-chua-ro-nam": (ERROR, "Không rõ thôn thuộc năm đánh giá nào; hãy ghi cột Năm đánh giá trong trang Thon"),
    "chua-nop-ho-so": (ERROR, "Xã có trong danh sách đăng ký nhưng chưa nộp hồ sơ"),
    "ma-khong-co-trong-danh-muc": (
        ERROR,
        "Mã xã không có trong danh mục đơn vị hành chính từ ngày 01/7/2025 (Quyết định 19/2025/QĐ-TTg);"
        " xã chưa được đánh giá cho đến khi sửa mã",
    ),
    "khong-phai-xa": (
        ERROR,
        "Mã này là phường hoặc đặc khu, không thuộc đối tượng xét xã nông thôn mới; chưa được đánh giá",
    ),
    "ten-khac-danh-muc": (
        WARNING,
        "Tên xã khác tên trong danh mục đơn vị hành chính; hãy kiểm tra mã xã (mã cũ có thể đã được dùng cho xã khác)",
    ),
    "xa-tinh-khac": (WARNING, "Xã thuộc tỉnh khác tỉnh của Sở (ma_tinh trong cấu hình)"),
    "khong-co-trong-danh-sach": (WARNING, "Xã gửi hồ sơ nhưng không có trong danh sách đăng ký"),
    "hang-khac-danh-sach": (
        WARNING,
        "Hạng đăng ký trong hồ sơ khác danh sách đăng ký của Sở; xã được đánh giá theo hạng trong danh sách",
    ),
    "thon-chua-du": (
        WARNING,
        "Danh sách thôn của xã có thể chưa đủ; các chỉ tiêu cấp thôn chưa đánh giá được"
        " cho đến khi sửa lỗi ở trang Thon",
    ),
    "tep-lam-hong-trinh-doc": (
        ERROR,
        "Đọc tệp làm công cụ dừng đột ngột hoặc cần quá nhiều bộ nhớ; hãy mở tệp bằng Excel, lưu lại rồi gửi,"
        " hoặc đề nghị xã gửi lại",
    ),
    "qua-thoi-gian": (
        ERROR,
        "Đọc tệp quá thời gian cho phép, đã dừng; hãy mở tệp bằng Excel, lưu lại rồi gửi, hoặc đề nghị xã gửi lại",
    ),
    "thu-muc-khong-doc-duoc": (ERROR, "Không mở được thư mục; các tệp trong thư mục này chưa được đọc"),
    "lien-ket-hong": (ERROR, "Liên kết trỏ tới tệp không còn tồn tại; hãy chép chính tệp vào thư mục"),
    "ten-tep-khong-hop-le": (
        WARNING,
        "Tên tệp có ký tự không đọc được, trong báo cáo ghi thay bằng mã \\x..; nên đổi tên tệp",
    ),
    "trang-trung": (ERROR, "Hai trang cùng tên (không kể dấu, hoa thường); trang sau không được đọc"),
    "dong-tieu-de-lap": (WARNING, "Dòng tiêu đề cột lặp lại giữa bảng, đã bỏ qua dòng này"),
    "tieu-de-lap-khac-cot": (WARNING, "Dòng tiêu đề cột lặp lại với thứ tự cột khác; các dòng dưới đọc theo dòng này"),
    "o-loi": (ERROR, "Ô báo lỗi công thức (#DIV/0!, #N/A, #VALUE!…); hãy sửa công thức rồi gửi lại"),
    "ket-qua-nam-truoc": (WARNING, "Không đọc được kết quả năm trước; báo cáo không so sánh được với năm trước"),
    "ma-xa-thieu-so-0": (
        WARNING,
        "Mã xã thiếu số 0 ở đầu (thường do ô kiểu số), đã thêm lại cho đủ 5 chữ số;"
        " nên định dạng cột Mã xã là Văn bản (Text)",
    ),
    "ma-xa-ky-tu-an": (
        WARNING,
        "Mã xã có dấu cách hoặc ký tự ẩn (thường do sao chép từ trang web, tin nhắn), đã bỏ; nên gõ lại mã",
    ),
    "ten-la-so": (WARNING, "Ô tên chỉ có một con số, đã đọc như chữ; hãy kiểm tra lại ô này"),
    "huyen-nhieu-cach-viet": (
        WARNING,
        "Một huyện được viết nhiều cách (chữ hoa, chữ thường, vị trí dấu); các xã được xếp chung một huyện",
    ),
    "khong-co-thon": (
        ERROR,
        "Xã không có thôn nào trong trang Thon (của tệp này hay tệp khác); các chỉ tiêu cấp thôn chưa đánh giá được"
        " cho đến khi gửi danh sách thôn",
    ),
}

SEVERITY = {code: severity for code, (severity, _) in CODES.items()}
COLUMNS = [
    "tep",
    "trang",
    "o",
    "cot",
    "gia_tri",
    "mo_ta",
    "muc_do",
    ROLES.code,
    "ma_loi",
    "chi_tieu",
    ROLES.name,
    ROLES.village,
]


def problem(code: str, tep: str, detail: str = "", **fields) -> dict:
    """One problem row (for the few problems found outside the vectorized checks)."""
    severity, text = CODES[code]
    mo_ta = f"{text}: {detail}" if detail else text
    return {"tep": tep, "mo_ta": mo_ta, "muc_do": severity, "ma_loi": code} | fields


def frame(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Problems as a frame with every report column, as text."""
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows
    return df.reindex(columns=COLUMNS).astype("string").fillna("")


def describe(codes: pd.Series, details: pd.Series) -> pd.DataFrame:
    """Severity and message for a column of codes with their details (vectorized)."""
    severity = codes.map(SEVERITY)
    text = codes.map({k: v[1] for k, v in CODES.items()})
    mo_ta = text.where(details.fillna("").eq(""), text + ": " + details.fillna(""))
    return pd.DataFrame({"muc_do": severity, "mo_ta": mo_ta})


def problem_kinds(problems: pd.DataFrame) -> list[str]:
    """One line per kind of problem, for the terminal: "2 lỗi: Ô để trống", "1 cảnh báo: Cột không có …"."""
    words = {ERROR: "lỗi", WARNING: "cảnh báo"}
    counts = problems.groupby(["muc_do", "ma_loi"], sort=False).size()
    return [f"{n} {words.get(severity, severity)}: {CODES[code][1]}" for (severity, code), n in counts.items()]


def cell_hits(rows: pd.DataFrame, key: str, code: str, detail="") -> pd.DataFrame:
    """Hits of the checks, before they are located: (row index, column key, problem code, detail) per row."""
    return pd.DataFrame({"idx": rows.index, "cot": key, "ma_loi": code, "chi_tiet": detail})


RUNS = ("thieu-gia-tri",)  # problems that come in runs down a column: one blank column is one row of the lists


def listed(problems: pd.DataFrame) -> pd.DataFrame:
    """The problems as the lists people read them (`loi-du-lieu.csv`, the problems sheets): a run of empty cells
    down one column of one commune's rows is one row with its range ("F31:F45") and its villages ("thôn 1 …
    thôn 15, 15 thôn"). What each commune lacks is still worked out from every cell (`findings`)."""
    cell = problems["o"].str.extract(r"^([A-Z]+)(\d+)$")
    runs = problems["ma_loi"].isin(RUNS) & cell[1].notna()
    if not runs.any():
        return problems
    mine = problems[runs].assign(_chu=cell[0], _dong=cell[1].astype("float").astype("Int64"))
    key = ["tep", "trang", "cot", "ma_loi", ROLES.code, "mo_ta", "_chu"]
    mine = mine.sort_values([*key, "_dong"], kind="stable")
    step = mine.groupby(key, sort=False)["_dong"].diff().ne(1).fillna(True).astype(bool)  # a run starts
    mine = mine.assign(_run=step.cumsum())
    first = mine.groupby("_run", sort=False).agg(
        first=("_dong", "min"), last=("_dong", "max"), size=("_dong", "size"), at=("_dong", lambda s: s.index[0])
    )
    rows = mine.loc[first["at"]].drop(columns=["_chu", "_dong", "_run"]).set_axis(first.index)
    span = first["size"] > 1
    chu = mine.groupby("_run", sort=False)["_chu"].first()
    rows["o"] = rows["o"].where(~span, chu + first["first"].astype(str) + ":" + chu + first["last"].astype(str))
    names = mine.groupby("_run", sort=False)[ROLES.village].agg(lambda s: s.iloc[0] + " … " + s.iloc[-1])
    counted = names + ", " + first["size"].astype(str) + " thôn"
    rows[ROLES.village] = rows[ROLES.village].where(~span | rows[ROLES.village].eq(""), counted)
    out = pd.concat([problems[~runs], rows.set_axis(first["at"].to_numpy())]).sort_index()
    return out.reset_index(drop=True)
