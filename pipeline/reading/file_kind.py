"""What a file the parser refused really is, named in the officer's words.

A commune that sends a report, a scan or a CSV under a workbook's name needs to be
asked for the workbook; the parser's own words ("Cannot detect file format") tell
the officer nothing. The file's signature, the main part of a zip, the streams of a
compound file or the start of its text say what it is. Called only once the parser
has refused the file, in the worker that tried.
"""

from __future__ import annotations

import io
import zipfile

from pipeline.problems import detail
from pipeline.reading import text_files
from pipeline.reading.containers import CFB, has_stream

_TEXT_SAMPLE = 64 * 2**10  # bytes looked at to tell a text file


def why_unreadable(data: bytes, suffix: str) -> str:
    """Why the parser refused a file, from its bytes, as a problem's detail (`problems.detail`): what it really is
    ("tệp Word (.docx) đổi tên thành .xlsx — đề nghị xã gửi lại bảng tính theo biểu mẫu"), or a password; "" when
    the bytes do not say (a damaged workbook).
    """
    if not data:
        return detail("empty-file")
    if has_stream(data, "encryptedpackage"):  # Excel saves a workbook with a password as a compound file
        return detail("locked")
    kind = _real_kind(data)
    return detail("renamed", kind=kind, suffix=suffix) if kind else ""


def _real_kind(data: bytes) -> str:
    """The kind of a file that is not a workbook, by its signature (a key of `messages.FILE_KINDS`); "" for a
    workbook or a kind not known here."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK"):
        return _zip_kind(data)
    if data.startswith(CFB):  # a workbook of Excel 97-2003 is one too: the parser's reason stands
        return "doc" if has_stream(data, "worddocument") else ""
    text = _text(data).lstrip().lower()
    if text.startswith(("<!doctype html", "<html", "<table")) or "<html" in text[:1000]:
        return "html"
    if text.startswith("<?xml"):
        return "xml"
    return "text" if text else ""


def _zip_kind(data: bytes) -> str:
    """Word and PowerPoint by their main part; a zip that holds no office document is a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        return ""  # a damaged workbook as often as anything else
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "[Content_Types].xml" in names or "mimetype" in names:
        return ""  # a workbook (xlsx, ods) the parser could not read, or an office document of another kind
    return "zip"


def _text(data: bytes) -> str:
    """The start of the file as text, "" if it is not text (a control character, or no encoding a Windows tool
    saves). The sample may end inside a character: up to three bytes are let go."""
    sample = data[:_TEXT_SAMPLE]
    for end in range(len(sample), max(len(sample) - 4, 0), -1):
        try:
            text = text_files.decode(sample[:end])
        except text_files.UnreadableText:
            continue
        return text if all(c.isprintable() or c in "\t\r\n" for c in text) else ""
    return ""
