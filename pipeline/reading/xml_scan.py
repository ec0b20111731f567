"""Tags and attributes of untrusted XML, read from the bytes with patterns that stay linear.

The safety checks and the search for hidden cells look at a workbook's XML before
any XML parser does (the parser is what they protect), so they read tags and
attributes with regular expressions. Those they share live here, once. No pattern
runs a lazy or unbounded repeat over text an attacker controls from more than one
start position: each stops at the next `<` or `>`, and every scan is linear.
"""

from __future__ import annotations

import re

PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"  # an element may carry any namespace prefix (<x:c …>)
TAG = re.compile(rb"<[^<>]*>")
REL = re.compile(rb"<" + PREFIX + rb"Relationship(?=[\s/>])([^<>]*)>")
_ATTR = re.compile(rb"(?<![\w:.-])([\w:.-]+)\s*=\s*(?:\"([^\"<>]*)\"|'([^'<>]*)')")


def attrs(tag: bytes, local: bool = True) -> dict[bytes, bytes]:
    """Attributes of a tag, quoted either way, by name (without its namespace prefix when `local`)."""
    return {
        (m[1].rpartition(b":")[2] if local else m[1]): m[2] if m[2] is not None else m[3] for m in _ATTR.finditer(tag)
    }


def pairs(tag: bytes) -> list[tuple[bytes, bytes]]:
    """Every attribute of a tag, as written (name with its prefix, value), repeated names too."""
    return [(m[1], m[2] if m[2] is not None else m[3]) for m in _ATTR.finditer(tag)]


def values(found: list[tuple[bytes, bytes]], local: bytes) -> list[bytes]:
    """The values of the attributes whose name, without its prefix, is `local`."""
    return [value for name, value in found if name.rpartition(b":")[2] == local]


def without_comments(xml: bytes) -> bytes:
    """The XML with its comments and CDATA sections blanked out, in one pass (a comment may hide tags)."""
    if b"<!--" not in xml and b"<![CDATA[" not in xml:
        return xml
    pieces, at = [], 0
    while True:
        comment, cdata = xml.find(b"<!--", at), xml.find(b"<![CDATA[", at)
        starts = [s for s in (comment, cdata) if s >= 0]
        if not starts:
            break
        begin = min(starts)
        closer = b"-->" if begin == comment else b"]]>"
        end = xml.find(closer, begin + 4)
        pieces.append(xml[at:begin])
        if end < 0:
            at = len(xml)
            break
        at = end + len(closer)
    pieces.append(xml[at:])
    return b"".join(pieces)


def column_number(letters: bytes) -> int:
    """The 1-based number of a column's letters ("A" 1, "ZZ" 702), either case."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n
