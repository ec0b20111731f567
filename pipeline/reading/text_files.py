"""Text files as Windows tools save them: the settings, province files, registration list and last year's CSVs.

A department edits these with Notepad and Excel, which write UTF-8 with or without
a byte-order mark, UTF-16 with a mark ("Unicode", Excel's "Unicode Text", then
tab-separated), or the Vietnamese ANSI code page cp1258, whose tone marks are
separate combining characters; Excel in a Vietnamese locale separates CSV cells
with `;`. Every reader of such a file decodes it here, so that each is read the
same way, and a file that is none of these is refused with one line saying how
to save it, rather than read with replacement characters that would reach a
document.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import tomllib
import unicodedata
from collections import Counter

SAVE_CSV = "hãy mở bằng Excel và lưu lại dạng «CSV UTF-8 (Comma delimited)»"
SAVE_TEXT = "hãy mở bằng Notepad và lưu lại với Encoding «UTF-8»"
DELIMITERS = ",;\t"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_SAMPLE_ROWS = 50  # rows looked at to choose the delimiter
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")  # where tomllib puts the place in its message
TOML_SLIPS = 'mỗi mục một dòng dạng khóa = "giá trị", chữ đặt trong dấu nháy kép thẳng "…" (không dùng “…”)'


class UnreadableText(ValueError):
    """The bytes are not text in any encoding a Windows tool saves; the message says what to do, not which file."""


def decode(data: bytes, advice: str = SAVE_TEXT) -> str:
    """The text of a file's bytes, NFC: by its byte-order mark, else UTF-8, else cp1258.

    UTF-8 is tried strictly first: a cp1258 file with any Vietnamese letter is
    almost never valid UTF-8. NFC puts cp1258's separate tone marks back on
    their letters, so names compare and print as typed. A NUL (a binary file,
    or UTF-16 saved without its mark) or a U+FFFD (text already damaged by an
    earlier conversion) is refused: `advice` says how to save the file again.
    """
    text = _decoded(data)
    if text is None or "\x00" in text or "\ufffd" in text:
        raise UnreadableText(f"không đọc được chữ trong tệp (không phải UTF-8, UTF-16 hay Windows-1258); {advice}")
    return unicodedata.normalize("NFC", text)


def _decoded(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    for encoding in ("utf-8", "cp1258"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def csv_rows(text: str) -> list[list[str]]:
    """The rows of a CSV text, its delimiter (`,` `;` or tab) chosen by `delimiter`."""
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text)))
    except csv.Error as e:  # a cell beyond the csv module's size limit: not a table anyone typed
        raise UnreadableText(f"không đọc được bảng trong tệp ({e}); {SAVE_CSV}") from e


def delimiter(text: str) -> str:
    """The delimiter that splits the most of the first rows into one same number of cells, more than one.

    A CSV cuts every row of a table into as many cells as the header (Excel pads
    even a title row with separators), while another candidate only splits the
    odd row that happens to hold it, such as a decimal comma in a `;` file. This
    never fails, unlike `csv.Sniffer`: a file of one column gets `,`.
    """

    def score(candidate: str) -> tuple[int, int]:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=candidate)
        try:
            widths = Counter(len(r) for r in itertools.islice(rows, _SAMPLE_ROWS) if len(r) > 1)
        except csv.Error:
            return 0, 0
        width, count = max(widths.items(), key=lambda wc: (wc[1], wc[0]), default=(0, 0))
        return count, width

    return max(DELIMITERS, key=score)


def toml_syntax(e: tomllib.TOMLDecodeError) -> str:
    """A TOML file's syntax error in the officer's words: the line and column, and the slips that cause most.

    tomllib says what it expected in English ("Invalid value (at line 3, column 6)"); only the place is kept,
    from the exception's `lineno` and `colno` where the Python has them, else from its message.
    """
    line, column = getattr(e, "lineno", None), getattr(e, "colno", None)
    if line is None and (at := _TOML_AT.search(str(e))):
        line, column = int(at[1]), int(at[2])
    where = f" ở dòng {line}, cột {column}" if line else " ở cuối tệp" if "end of document" in str(e) else ""
    return f"lỗi cú pháp TOML{where}; hãy kiểm tra: {TOML_SLIPS}"
