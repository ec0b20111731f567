"""Problems said in words, per language: a problem is found as a code and fields; it is said when it is written.

A check records what it found, never a sentence: the code (`problems.SEVERITY`), the cell, and in
`chi_tiet` the variant of its detail with that detail's fields (`problems.detail`). `describe` turns
that into the `mo_ta` of the problem lists, in the run's language: the problem's text, the column's
label, and the detail's template filled in. A field that is itself a word (a column, a tier, a
column type) is stored as its key and said through a format spec (`{other:label}`, `{listed:tier}`,
`{type:expects}`), so the same problem reads in Vietnamese and in English. The report says problems
in sentences of its own (`findings`), from the same fields.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline import problems as found

# the head of each problem's message, by code
PROBLEMS: dict[str, dict[str, str]] = {
    "khong-doc-duoc": {"vi": "Không đọc được tệp", "en": "The file cannot be read"},
    "bo-qua-tep": {
        "vi": "Tệp không phải bảng tính (.xlsx, .xlsm, .xlsb, .xls, .ods), đã bỏ qua",
        "en": "Not a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods); skipped",
    },
    "thieu-trang": {"vi": "Không có trang bắt buộc", "en": "A required sheet is missing"},
    "thieu-trang-thon": {
        "vi": "Tệp không có trang Thon (danh sách thôn); thôn của các xã trong tệp phải có ở tệp khác, nếu không các"
        " chỉ tiêu cấp thôn của xã chưa đánh giá được",
        "en": "The file has no Thon sheet (the list of villages); the villages of its communes must be in another"
        " file, or their village indicators cannot be assessed",
    },
    "khong-thay-tieu-de": {"vi": "Không tìm thấy dòng tiêu đề cột", "en": "No row of column headers found"},
    "chua-co-so-lieu": {
        "vi": "Tệp chưa có dòng số liệu nào, chỉ có tiêu đề cột",
        "en": "The file holds column headers but no data row",
    },
    "thieu-cot": {"vi": "Thiếu cột bắt buộc", "en": "A required column is missing"},
    "thieu-cot-chi-tieu": {
        "vi": "Thiếu cột; các chỉ tiêu dùng cột này không đánh giá được",
        "en": "A column is missing; the indicators that use it cannot be assessed",
    },
    "cot-la": {
        "vi": "Cột không có trong biểu mẫu, không dùng để đánh giá",
        "en": "A column not in the template; not used for the assessment",
    },
    "cot-trung": {
        "vi": "Cột xuất hiện hai lần, chỉ dùng cột đầu tiên",
        "en": "A column appears twice; the first is used",
    },
    "sai-kieu": {"vi": "Ô ghi không đúng dạng", "en": "The cell is not in the expected form"},
    "thieu-gia-tri": {"vi": "Ô để trống", "en": "The cell is empty"},
    "ngoai-khoang": {"vi": "Số ghi ngoài khoảng cho phép", "en": "The number is outside the allowed range"},
    "vuot-mau-so": {"vi": "Số ghi lớn hơn số tổng tương ứng", "en": "The number is larger than its total"},
    "khong-co-xa": {
        "vi": "Mã xã của thôn không có trong trang Xa",
        "en": "The village's commune code is not on the Xa sheet",
    },
    "trung-ma-xa": {
        "vi": "Mã xã trùng trong cùng năm; xã này không được đánh giá cho đến khi sửa",
        "en": "The same commune code twice in one year; the commune is not assessed until this is fixed",
    },
    "trung-ten-thon": {
        "vi": "Tên thôn trùng trong cùng xã; thôn chỉ được tính một lần, hãy xóa dòng thừa",
        "en": "The same village name twice in one commune; the village counts once, delete the extra row",
    },
    "thon-khai-khac-nhau": {
        "vi": "Thôn được khai hai lần với số liệu khác nhau; chỉ tiêu dùng ô này chưa đánh giá được cho đến khi sửa",
        "en": "A village is listed twice with different data; the indicators using this cell cannot be assessed"
        " until this is fixed",
    },
    "khong-co-bo-chi-tieu": {
        "vi": "Không có bộ chỉ tiêu cho năm đánh giá này",
        "en": "No criteria catalog covers this assessment year",
    },
    "qua-lon": {"vi": "Tệp vượt giới hạn kích thước an toàn", "en": "The file is over the safe size limits"},
    "tcvn3": {
        "vi": "Văn bản gõ bằng bảng mã TCVN3 (.VnTime), đã chuyển sang Unicode",
        "en": "Text typed in the TCVN3 encoding (.VnTime), converted to Unicode",
    },
    "cong-thuc": {
        "vi": "Ô có công thức nhưng không có giá trị đã tính; hãy mở tệp bằng Excel, lưu lại rồi gửi",
        "en": "The cell holds a formula without its computed value; open the file in Excel, save it and send it again",
    },
    "hang-khac-giai-doan": {
        "vi": "Hạng đăng ký không có trong bộ chỉ tiêu của năm đánh giá",
        "en": "The registered tier is not in the criteria of the assessment year",
    },
    "thon-chua-ro-nam": {
        "vi": "Không rõ thôn thuộc năm đánh giá nào; hãy ghi cột Năm đánh giá trong trang Thon",
        "en": "The village's assessment year cannot be told; fill in the Assessment year column of the Thon sheet",
    },
    "chua-nop-ho-so": {
        "vi": "Xã có trong danh sách đăng ký nhưng chưa nộp hồ sơ",
        "en": "The commune is on the registration list but sent no workbook",
    },
    "ma-khong-co-trong-danh-muc": {
        "vi": "Mã xã không có trong danh mục đơn vị hành chính từ ngày 01/7/2025 (Quyết định 19/2025/QĐ-TTg);"
        " xã chưa được đánh giá cho đến khi sửa mã",
        "en": "The commune code is not in the list of administrative units of 1 July 2025 (Decision"
        " 19/2025/QĐ-TTg); the commune is not assessed until the code is fixed",
    },
    "khong-phai-xa": {
        "vi": "Mã này là phường hoặc đặc khu, không thuộc đối tượng xét xã nông thôn mới; chưa được đánh giá",
        "en": "This code is a ward or a special zone, outside the new-rural commune programme; not assessed",
    },
    "ten-khac-danh-muc": {
        "vi": "Tên xã khác tên trong danh mục đơn vị hành chính; hãy kiểm tra mã xã (mã cũ có thể đã được dùng cho"
        " xã khác)",
        "en": "The commune's name differs from the list of administrative units; check the code (an old code may"
        " now belong to another commune)",
    },
    "xa-tinh-khac": {
        "vi": "Xã thuộc tỉnh khác tỉnh của Sở (ma_tinh trong cấu hình)",
        "en": "The commune belongs to another province than the department's (ma_tinh in the settings)",
    },
    "khong-co-trong-danh-sach": {
        "vi": "Xã gửi hồ sơ nhưng không có trong danh sách đăng ký",
        "en": "The commune sent a workbook but is not on the registration list",
    },
    "hang-khac-danh-sach": {
        "vi": "Hạng đăng ký trong hồ sơ khác danh sách đăng ký của Sở; xã được đánh giá theo hạng trong danh sách",
        "en": "The workbook's tier differs from the department's registration list; the commune is assessed at"
        " the list's tier",
    },
    "thon-chua-du": {
        "vi": "Danh sách thôn của xã có thể chưa đủ; các chỉ tiêu cấp thôn chưa đánh giá được cho đến khi sửa lỗi ở"
        " trang Thon",
        "en": "The commune's list of villages may be incomplete; its village indicators cannot be assessed until"
        " the Thon sheet is fixed",
    },
    "tep-lam-hong-trinh-doc": {
        "vi": "Đọc tệp làm công cụ dừng đột ngột hoặc cần quá nhiều bộ nhớ; hãy mở tệp bằng Excel, lưu lại rồi gửi,"
        " hoặc đề nghị xã gửi lại",
        "en": "Reading the file stopped the reader or needed too much memory; open it in Excel, save it and send it"
        " again, or ask the commune to send it again",
    },
    "qua-thoi-gian": {
        "vi": "Đọc tệp quá thời gian cho phép, đã dừng; hãy mở tệp bằng Excel, lưu lại rồi gửi, hoặc đề nghị xã gửi"
        " lại",
        "en": "Reading the file took too long and was stopped; open it in Excel, save it and send it again, or ask"
        " the commune to send it again",
    },
    "thu-muc-khong-doc-duoc": {
        "vi": "Không mở được thư mục; các tệp trong thư mục này chưa được đọc",
        "en": "The folder cannot be opened; its files were not read",
    },
    "lien-ket-hong": {
        "vi": "Liên kết trỏ tới tệp không còn tồn tại; hãy chép chính tệp vào thư mục",
        "en": "A link to a file that no longer exists; copy the file itself into the folder",
    },
    "ten-tep-khong-hop-le": {
        "vi": "Tên tệp có ký tự không đọc được, trong báo cáo ghi thay bằng mã \\x..; nên đổi tên tệp",
        "en": "The file name has unreadable characters, written as \\x.. codes in the reports; rename the file",
    },
    "trang-trung": {
        "vi": "Hai trang cùng tên (không kể dấu, hoa thường); trang sau không được đọc",
        "en": "Two sheets with one name (ignoring accents and case); the second is not read",
    },
    "dong-tieu-de-lap": {
        "vi": "Dòng tiêu đề cột lặp lại giữa bảng, đã bỏ qua dòng này",
        "en": "The row of column headers repeats inside the table; the row is skipped",
    },
    "tieu-de-lap-khac-cot": {
        "vi": "Dòng tiêu đề cột lặp lại với thứ tự cột khác; các dòng dưới đọc theo dòng này",
        "en": "The row of column headers repeats in another column order; the rows below are read by it",
    },
    "o-loi": {
        "vi": "Ô báo lỗi công thức (#DIV/0!, #N/A, #VALUE!…); hãy sửa công thức rồi gửi lại",
        "en": "The cell shows a formula error (#DIV/0!, #N/A, #VALUE!…); fix the formula and send the file again",
    },
    "ket-qua-nam-truoc": {
        "vi": "Không đọc được kết quả năm trước; báo cáo không so sánh được với năm trước",
        "en": "Last year's results cannot be read; the report cannot compare with last year",
    },
    "ma-xa-thieu-so-0": {
        "vi": "Mã xã thiếu số 0 ở đầu (thường do ô kiểu số), đã thêm lại cho đủ 5 chữ số; nên định dạng cột Mã xã là"
        " Văn bản (Text)",
        "en": "The commune code lost its leading zeros (usually a number cell); they were put back to make 5 digits;"
        " format the Commune code column as Text",
    },
    "ma-xa-ky-tu-an": {
        "vi": "Mã xã có dấu cách hoặc ký tự ẩn (thường do sao chép từ trang web, tin nhắn), đã bỏ; nên gõ lại mã",
        "en": "The commune code holds spaces or hidden characters (usually copied from a web page or a message);"
        " they were removed; type the code again",
    },
    "ten-la-so": {
        "vi": "Ô tên chỉ có một con số, đã đọc như chữ; hãy kiểm tra lại ô này",
        "en": "The name cell holds only a number, read as text; check this cell",
    },
    "huyen-nhieu-cach-viet": {
        "vi": "Một huyện được viết nhiều cách (chữ hoa, chữ thường, vị trí dấu); các xã được xếp chung một huyện",
        "en": "One district is spelled several ways (case, accents); its communes are grouped as one district",
    },
    "khong-co-thon": {
        "vi": "Xã không có thôn nào trong trang Thon (của tệp này hay tệp khác); các chỉ tiêu cấp thôn chưa đánh giá"
        " được cho đến khi gửi danh sách thôn",
        "en": "The commune has no village on any Thon sheet; its village indicators cannot be assessed until its"
        " villages are sent",
    },
}

_USE_TEMPLATE = {
    "vi": "đề nghị xã điền biểu nhập liệu rồi gửi lại (biểu tạo bằng lệnh make template)",
    "en": "ask the commune to fill in the template and send it again (made by make template)",
}
_RESEND = {"vi": "đề nghị xã gửi lại bảng tính theo biểu mẫu", "en": "ask the commune to send the workbook again"}
_RERUN = {
    "vi": "hãy chạy lại đánh giá năm {year} để ghi lại tệp",
    "en": "run the assessment of {year} again to write it",
}
_RESAVE = {
    "vi": "hãy mở tệp bằng Excel, lưu lại rồi gửi, hoặc đề nghị xã gửi lại",
    "en": "open it in Excel, save it and send it again, or ask the commune to send it again",
}

# the detail of a problem, by the variant its check names (`problems.detail(variant, **fields)`)
DETAILS: dict[str, dict[str, str]] = {
    "said": {"vi": "{text}", "en": "{text}"},  # words that are data: an OS's reason, a header as typed
    "not-a-file": {"vi": "không phải tệp thông thường", "en": "not a regular file"},
    "file-size": {
        "vi": "tệp {size:.0f} MiB, tối đa {most} MiB",
        "en": "the file is {size:.0f} MiB, at most {most} MiB",
    },
    "timeout": {"vi": "quá {seconds} giây", "en": "over {seconds} seconds"},
    "read-error": {"vi": "lỗi khi đọc ({text})", "en": "error while reading ({text})"},
    "memory": {"vi": "vượt {gib} GiB bộ nhớ", "en": "over {gib} GiB of memory"},
    "signal": {"vi": "tín hiệu {n}", "en": "signal {n}"},
    "exit-code": {"vi": "mã thoát {n}", "en": "exit code {n}"},
    "use-template": {"vi": _USE_TEMPLATE["vi"], "en": _USE_TEMPLATE["en"]},
    "empty-sheet": {"vi": "trang trống — " + _USE_TEMPLATE["vi"], "en": "the sheet is empty — " + _USE_TEMPLATE["en"]},
    "sheet-use-template": {"vi": "{sheet} — " + _USE_TEMPLATE["vi"], "en": "{sheet} — " + _USE_TEMPLATE["en"]},
    "same-sheet": {
        "vi": "trang '{name}' trùng tên với trang '{chosen}'; chỉ đọc trang '{chosen}'",
        "en": "sheet '{name}' has the name of sheet '{chosen}'; only '{chosen}' is read",
    },
    "sheet-rows": {
        "vi": "trang có {rows:,} dòng, tối đa {most:,} dòng; không đọc trang này",
        "en": "the sheet has {rows:,} rows, at most {most:,}; the sheet is not read",
    },
    "unzipped-size": {
        "vi": "nội dung giải nén khai báo {size:.0f} MiB",
        "en": "the unzipped content declares {size:.0f} MiB",
    },
    "doctype": {
        "vi": "tệp chứa khai báo DOCTYPE/ENTITY, không phải bảng tính thông thường",
        "en": "the file holds a DOCTYPE/ENTITY declaration, unlike any ordinary workbook",
    },
    "far-cells": {
        "vi": "trang {name} có ô ở dòng {rows}, cột {cols}: vượt {most:,} ô",
        "en": "sheet {name} has cells down to row {rows}, column {cols}: over {most:,} cells",
    },
    "many-cells": {
        "vi": "trang tính khai báo hơn {most:,} ô có giá trị",
        "en": "the sheet declares more than {most:,} cells with values",
    },
    "broken-zip": {"vi": "tệp nén bị hỏng ({text})", "en": "the zip is damaged ({text})"},
    "renamed": {
        "vi": "{kind:file_kind} đổi tên thành {suffix} — " + _RESEND["vi"],
        "en": "{kind:file_kind} renamed to {suffix} — " + _RESEND["en"],
    },
    "locked": {
        "vi": "tệp có mật khẩu; hãy gỡ mật khẩu rồi gửi lại",
        "en": "the file has a password; remove it and send the file again",
    },
    "damaged": {
        "vi": "tệp bị hỏng hoặc không phải bảng tính; " + _RESAVE["vi"],
        "en": "the file is damaged or not a workbook; " + _RESAVE["en"],
    },
    "row": {"vi": "dòng {row}", "en": "row {row}"},
    "header-moved": {
        "vi": "dòng {row}: các cột xếp khác dòng tiêu đề {header}; các dòng dưới được đọc theo dòng này",
        "en": "row {row}: the columns are in another order than the header row {header}; the rows below are read by it",
    },
    "commune": {"vi": "xã {name}", "en": "commune {name}"},
    "year": {"vi": "năm {year}", "en": "year {year}"},
    "spellings": {
        "vi": "xếp vào “{chosen}”; các cách viết: {ways:spellings}",
        "en": "grouped as “{chosen}”; spellings: {ways:spellings}",
    },
    "tier-listed": {
        "vi": "hồ sơ ghi “{said:tier}”, danh sách ghi “{listed:tier}”",
        "en": "the workbook says “{said:tier}”, the list says “{listed:tier}”",
    },
    "tier-unlisted": {
        "vi": "hồ sơ để trống hoặc ghi sai, danh sách ghi “{listed:tier}”",
        "en": "the workbook's cell is empty or misspelt, the list says “{listed:tier}”",
    },
    "period-tiers": {
        "vi": "giai đoạn {period} chỉ có: {tiers:tiers}",
        "en": "the period {period} has only: {tiers:tiers}",
    },
    "error-cell": {"vi": "ô lỗi {value}", "en": "error cell {value}"},
    "expected": {"vi": "cần {type:expects}", "en": "expected {type:expects}"},
    "share": {
        "vi": "{share} — hãy nhập số {cot:unit}, không nhập tỷ lệ",
        "en": "{share} — enter a count, not a share",
    },
    "read-as": {"vi": "đã đọc thành {value}", "en": "read as {value}"},
    "read-as-quoted": {"vi": "đã đọc thành “{value}”", "en": "read as “{value}”"},
    "typed-as": {"vi": "đã ghi là “{value}”", "en": "typed as “{value}”"},
    "code-cleaned": {"vi": "ô ghi {typed}, đã đọc thành {value}", "en": "the cell says {typed}, read as {value}"},
    "between": {"vi": "cần từ {low} đến {high}", "en": "expected from {low} to {high}"},
    "non-negative": {"vi": "cần số không âm", "en": "expected a number not below zero"},
    "more-than": {"vi": "lớn hơn cột {other:label}", "en": "larger than the column {other:label}"},
    "declared-at": {"vi": "các nơi khai báo: {places:places}", "en": "declared at: {places:places}"},
    "name": {"vi": "{name}", "en": "{name}"},
    "code-is": {"vi": "mã {code} là {name}", "en": "code {code} is {name}"},
    "in-province": {"vi": "{name} thuộc {province}", "en": "{name} is in {province}"},
    "villages-of-no-year": {"vi": "có thôn chưa rõ thuộc năm nào", "en": "some villages have no known year"},
    "village-sheet-unread": {
        "vi": "trang Thon của tệp không đọc được",
        "en": "the file's Thon sheet could not be read",
    },
    "villages-of-no-commune": {
        "vi": "tệp có thôn không rõ thuộc xã nào",
        "en": "the file has villages of no known commune",
    },
    "many-years": {"vi": "xã này có số liệu của nhiều năm", "en": "this commune has data of several years"},
    "not-in-year": {"vi": "không có xã này trong năm {year}", "en": "no such commune in year {year}"},
    "differs-from-row": {"vi": "khác dòng {row}", "en": "differs from row {row}"},
    "blocks": {
        "vi": "năm {year}; chưa đánh giá được các chỉ tiêu {ids}",
        "en": "year {year}; the indicators {ids} cannot be assessed",
    },
    "empty-file": {
        "vi": "tệp rỗng (0 byte) — " + _RESEND["vi"],
        "en": "the file is empty (0 bytes) — " + _RESEND["en"],
    },
    "last-year-encoding": {
        "vi": "không nhận ra bảng mã chữ; {text}, hoặc " + _RERUN["vi"],
        "en": "the text encoding is not recognised; {text}, or " + _RERUN["en"],
    },
    "last-year-unopened": {"vi": "không mở được tệp; {text}", "en": "the file cannot be opened; {text}"},
    "last-year-columns": {
        "vi": "không có cột mã xã hoặc hạng cao nhất đạt; thiếu cột {missing}; " + _RERUN["vi"],
        "en": "no column of commune codes or highest tier met; missing {missing}; " + _RERUN["en"],
    },
}

# what a file really is when it is not a workbook ("tệp Word (.docx) đổi tên thành .xlsx")
FILE_KINDS: dict[str, dict[str, str]] = {
    "pdf": {"vi": "tệp PDF", "en": "a PDF file"},
    "png": {"vi": "ảnh PNG", "en": "a PNG image"},
    "jpeg": {"vi": "ảnh JPEG", "en": "a JPEG image"},
    "doc": {"vi": "tệp Word (.doc)", "en": "a Word file (.doc)"},
    "docx": {"vi": "tệp Word (.docx)", "en": "a Word file (.docx)"},
    "pptx": {"vi": "tệp PowerPoint (.pptx)", "en": "a PowerPoint file (.pptx)"},
    "zip": {"vi": "tệp nén (.zip)", "en": "a zip file (.zip)"},
    "html": {"vi": "trang web (HTML)", "en": "a web page (HTML)"},
    "xml": {"vi": "tệp XML", "en": "an XML file"},
    "text": {"vi": "tệp văn bản (.csv, .txt)", "en": "a text file (.csv, .txt)"},
}

# what a cell of each column type must hold (`sai-kieu`), said after "cần" / "expected"
EXPECTS: dict[str, dict[str, str]] = {
    "count": {
        "vi": "số nguyên không âm (ví dụ 1234 hoặc 1.234)",
        "en": "a whole number not below zero (1234 or 1,234)",
    },
    "year": {"vi": "năm (số nguyên)", "en": "a year (a whole number)"},
    "yesno": {"vi": "Có hoặc Không", "en": "Có (yes) or Không (no)"},
    "tier": {"vi": "một trong: {tiers}", "en": "one of: {tiers}"},
    "ma": {"vi": "mã gồm 5 chữ số", "en": "a code of 5 digits"},
    "text": {
        "vi": "chữ, không phải ngày tháng, số thập phân hay TRUE/FALSE",
        "en": "text, not a date, a decimal number or TRUE/FALSE",
    },
}
_WORDS = {"vi": {"commune": "xã", "row": "dòng", "amount": "lượng"}, "en": {"commune": "communes", "row": "row"}}


@dataclass
class Sayer(string.Formatter):
    """Says problems in one language, with the run's column labels and tier labels."""

    lang: str
    labels: dict[tuple[str, str], str]  # (sheet, column key) -> the column's label
    units: dict[str, str]  # column key -> its unit ("người")
    tiers: dict[str, str]  # tier key -> its label
    sources: tuple[Any, pd.DataFrame | None] = (None, None)  # the catalogs it was made of, for `to`
    _said: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def to(self, lang: str) -> Sayer:
        """The same run's Sayer in another language (the report is Vietnamese whatever the run's language)."""
        return self if lang == self.lang else sayer(lang, *self.sources)

    def head(self, code: str) -> str:
        """A problem's own text ("Ô để trống")."""
        return PROBLEMS[code][self.lang]

    def detail(self, chi_tiet: str, sheet: str = "", key: str = "") -> str:
        """A problem's detail in words ("cần số nguyên không âm …"); "" for none."""
        if not chi_tiet:
            return ""
        said = self._said.get((chi_tiet, sheet, key))
        if said is None:
            fields: dict[str, Any] = json.loads(chi_tiet)
            template = DETAILS[fields.pop("mau")][self.lang]
            said = self.vformat(template, (), {"cot": key, "trang": sheet, **fields})
            self._said[chi_tiet, sheet, key] = said
        return said

    def describe(self, problems: pd.DataFrame) -> pd.Series:
        """The `mo_ta` of each problem: "<text>", "<text>: <label>", "<text>: <detail>" or
        "<text>: <label> — <detail>"."""
        sheets, keys = problems["trang"].fillna(""), problems["cot"].fillna("")
        label = [self.labels.get((s, k), "") for s, k in zip(sheets, keys, strict=True)]
        detail = [self.detail(d, s, k) for d, s, k in zip(problems["chi_tiet"].fillna(""), sheets, keys, strict=True)]
        body = [f"{a} — {b}" if a and b else a or b for a, b in zip(label, detail, strict=True)]
        heads = problems["ma_loi"].map(lambda code: self.head(code))
        return pd.Series([f"{h}: {b}" if b else h for h, b in zip(heads, body, strict=True)], index=problems.index)

    def kinds(self, problems: pd.DataFrame) -> list[str]:
        """One line per kind of problem, for the terminal: "2 lỗi: Ô để trống", "1 cảnh báo: Cột không có …"."""
        counts = problems.groupby(["muc_do", "ma_loi"], sort=False).size()
        word = SEVERITY_WORDS[self.lang]
        return [f"{n} {word[severity, n == 1]}: {self.head(code)}" for (severity, code), n in counts.items()]

    def format_field(self, value: Any, format_spec: str) -> str:
        """The specs that say a key as a word of this language (`{other:label}`, `{listed:tier}` …)."""
        said = getattr(self, f"_as_{format_spec}", None)
        return said(value) if said else format(value, format_spec)

    def _as_label(self, key: str) -> str:
        return next((label for (_, k), label in self.labels.items() if k == key), key)  # a few dozen columns

    def _as_unit(self, key: str) -> str:
        return self.units.get(key) or _WORDS[self.lang]["amount"]

    def _as_tier(self, key: str) -> str:
        return self.tiers.get(key, key)

    def _as_tiers(self, keys: list[str]) -> str:
        return ", ".join(dict.fromkeys(self._as_tier(k) for k in keys))

    def _as_expects(self, kind: str) -> str:
        return EXPECTS[kind][self.lang].format(tiers=", ".join(dict.fromkeys(self.tiers.values())))

    def _as_spellings(self, ways: list[list]) -> str:
        return ", ".join(f"“{name}” ({n} {_WORDS[self.lang]['commune']})" for name, n in ways)

    def _as_places(self, places: list[list]) -> str:
        return ", ".join(f"{tep} {_WORDS[self.lang]['row']} {row}" for tep, row in places)

    def _as_file_kind(self, kind: str) -> str:
        return FILE_KINDS[kind][self.lang]


# (severity, whether one) -> its word: "1 lỗi", "2 lỗi"; "1 error", "2 errors"
SEVERITY_WORDS = {
    "vi": {
        ("loi", True): "lỗi",
        ("loi", False): "lỗi",
        ("canh_bao", True): "cảnh báo",
        ("canh_bao", False): "cảnh báo",
    },
    "en": {
        ("loi", True): "error",
        ("loi", False): "errors",
        ("canh_bao", True): "warning",
        ("canh_bao", False): "warnings",
    },
}


def sayer(lang: str, columns: Any, tiers: pd.DataFrame | None = None) -> Sayer:
    """The Sayer of a run: its columns catalog (`catalog.Columns`) and the tiers of its criteria catalogs."""
    table = columns.table
    label = table["label_en"] if lang == "en" else table["label"]
    labels = {(s, k): str(v) for s, k, v in zip(table["sheet"], table["key"], label, strict=True)}
    units = {k: str(u) for k, u in zip(table["key"], table.get("unit", pd.Series(dtype=str)), strict=False) if u}
    named: dict[str, str] = {}
    if tiers is not None:
        tier_label = tiers["label_en"] if lang == "en" and "label_en" in tiers else tiers["label"]
        named = {str(k): str(v) for k, v in tier_label.items()}
    return Sayer(lang, labels, units if lang == "vi" else {}, named, (columns, tiers))


def listed(problems: pd.DataFrame, say: Sayer) -> pd.DataFrame:
    """The problems as the lists show them (`problems.listed`: a run of blank cells is one row), each said in
    words (`mo_ta`)."""
    rows = found.listed(problems)
    return rows.assign(mo_ta=say.describe(rows).astype("string"))


# what the terminal says of a run (`cli.summary_lines`), and its progress lines
TERMINAL: dict[str, dict[str, str]] = {
    "vi": {
        "year": "Năm {year}:",
        "no_catalog": " chưa có bộ chỉ tiêu, các xã chưa được đánh giá",
        "tier": "  {label}: {ratio} xã đạt{rest}",
        "more": ", {n} xã {what}",
        "khong_dat": "không đạt",
        "khong_danh_gia_duoc": "chưa đánh giá được",
        "problems": "Lỗi dữ liệu: {errors}, cảnh báo: {warnings}",
        "see": " (xem loi-du-lieu.csv)",
        "wrote": "đã ghi {path}",
        "wrote_many": "đã ghi {n} tệp vào {folder}",
        "note": "Lưu ý: {note}",
        "nothing": "Không có hồ sơ xã nào để đánh giá trong {folder}.",
        "no_input": "Không có thư mục đầu vào {folder}; hãy tạo thư mục và chép bảng tính vào.",
        "undated": "{n} hồ sơ chưa ghi năm đánh giá, xem Lỗi dữ liệu và xa-chua-ro-nam.csv",
        "reading": "Đọc bảng tính",
        "checking": "Kiểm tra số liệu và đánh giá…",
        "writing": "Ghi kết quả",
        "old_department": "cơ quan ban hành trong {file} vẫn là Sở Thông tin và Truyền thông; từ năm {merged} Sở đã"
        " hợp nhất vào Sở Khoa học và Công nghệ: hãy sửa co_quan_ban_hanh trước khi ký văn bản năm {year}",
    },
    "en": {
        "year": "Year {year}:",
        "no_catalog": " no criteria catalog yet, the communes are not assessed",
        "tier": "  {label}: {ratio} communes met{rest}",
        "more": ", {n} {what}",
        "khong_dat": "not met",
        "khong_danh_gia_duoc": "not assessable",
        "problems": "Data errors: {errors}, warnings: {warnings}",
        "see": " (see loi-du-lieu.csv)",
        "wrote": "wrote {path}",
        "wrote_many": "wrote {n} files into {folder}",
        "note": "Note: {note}",
        "nothing": "No commune workbook to assess in {folder}.",
        "no_input": "No input folder {folder}; create it and copy the workbooks into it.",
        "undated": "{n} workbooks give no assessment year, see Data problems and xa-chua-ro-nam.csv",
        "reading": "Reading workbooks",
        "checking": "Checking and assessing…",
        "writing": "Writing results",
        "old_department": "the issuing body in {file} is still the Department of Information and Communications;"
        " since {merged} it is part of the Department of Science and Technology: correct co_quan_ban_hanh before"
        " signing the documents of {year}",
    },
}


def settings_notes(settings, years, lang: str) -> list[str]:
    """The terminal's lines on the department's settings (`settings.Settings`) for these years."""
    old = settings.old_department(years)
    return [TERMINAL[lang]["old_department"].format(**old)] if old else []
