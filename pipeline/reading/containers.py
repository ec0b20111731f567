"""Open the two containers a workbook comes in, a zip and a compound file, without trusting them.

An .xlsx, .xlsm, .xlsb or .ods is a zip of parts; an .xls (and any Office file saved
with a password) is a compound file (OLE2) of streams. The safety checks, the search
for hidden cells and the naming of a file that is not a workbook all need a part or
a stream out of such a container, from bytes a commune sent: this module reads them,
never past the sizes the container declares, every loop bounded by the size of the
file.
"""

from __future__ import annotations

import contextlib
import struct
import zipfile
import zlib

CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the signature of a compound file
_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE


def member(z: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, exactly as `z.read(info)` gives them.

    The common member (stored or deflated, not encrypted, its local header agreeing with the
    directory) is inflated here straight from `data`, a few times quicker than zipfile's reader
    for the small parts of a workbook, and never past the size the directory declares. Anything
    else, or anything that does not come out at the declared size and CRC, is read by zipfile,
    which raises what it always raised.
    """
    at = info.header_offset
    head = data[at : at + 30]
    simple = info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 0x61
    if not simple or len(head) < 30 or head[:4] != b"PK\x03\x04":
        return z.read(info)
    flags, name_len, extra_len = struct.unpack_from("<H", head, 6)[0], *struct.unpack_from("<HH", head, 26)
    start = at + 30 + name_len + extra_len
    raw = data[start : start + info.compress_size]
    with contextlib.suppress(zlib.error, UnicodeDecodeError):
        raw_name = data[at + 30 : at + 30 + name_len]  # ASCII reads the same in both, and quicker than cp437's codec
        name = raw_name.decode("ascii" if raw_name.isascii() else "utf-8" if flags & 0x800 else "cp437")
        out = raw if info.compress_type == zipfile.ZIP_STORED else _inflate(raw, info.file_size)
        if name == info.orig_filename and len(out) == info.file_size and zlib.crc32(out) == info.CRC:
            return out
    return z.read(info)


def _inflate(raw: bytes, size: int) -> bytes:
    """Raw deflate data, inflated to at most one byte more than `size`."""
    return zlib.decompressobj(-15).decompress(raw, size + 1)


def has_stream(data: bytes, name: str) -> bool:
    """Whether `data` is a compound file (Office 97-2003, or a file with a password) holding the stream `name`."""
    try:
        return cfb_stream(data, name) is not None
    except (ValueError, struct.error):
        return False


def cfb_stream(data: bytes, name: str) -> bytes | None:
    """The stream `name` (case-insensitive) of a compound file, or None; ValueError when the container is damaged."""
    if not data.startswith(CFB):
        return None
    sector = 1 << struct.unpack_from("<H", data, 30)[0]
    mini = 1 << struct.unpack_from("<H", data, 32)[0]
    if sector not in (512, 4096) or mini != 64:
        raise ValueError("sector size")
    fat_sectors, first_dir = struct.unpack_from("<II", data, 44)
    cutoff, first_minifat, minifat_count, first_difat, difat_count = struct.unpack_from("<IIIII", data, 56)
    total = (len(data) - 512) // sector + 1

    def at(n: int) -> int:
        if n >= total:
            raise ValueError("sector out of the file")
        return 512 + n * sector

    difat = list(struct.unpack_from("<109I", data, 76))
    n, seen = first_difat, 0
    while n not in (_FREE, _END_OF_CHAIN) and seen <= difat_count:
        entries = struct.unpack_from(f"<{sector // 4}I", data, at(n))
        difat += entries[:-1]
        n, seen = entries[-1], seen + 1
    fat: list[int] = []
    for n in difat[: min(fat_sectors, total)]:
        fat += struct.unpack_from(f"<{sector // 4}I", data, at(n))

    def chain(start: int, table: list[int]) -> list[int]:
        out: list[int] = []
        n = start
        while n not in (_FREE, _END_OF_CHAIN):
            if n >= len(table) or len(out) > len(table):
                raise ValueError("broken chain")
            out.append(n)
            n = table[n]
        return out

    def read(start: int) -> bytes:
        return b"".join(data[at(n) : at(n) + sector] for n in chain(start, fat))

    directory = read(first_dir)
    root_start, found = None, None
    for k in range(0, len(directory) - 127, 128):
        entry = directory[k : k + 128]
        length, kind = struct.unpack_from("<HB", entry, 64)
        start, size = struct.unpack_from("<II", entry, 116)
        if kind == 5:
            root_start = start
        elif kind == 2 and entry[: max(0, length - 2)].decode("utf-16-le", "replace").lower() == name:
            found = (start, size)
    if found is None:
        return None
    start, size = found
    if size >= cutoff:
        return read(start)[:size]
    minifat: list[int] = []
    for n in chain(first_minifat, fat)[:minifat_count]:
        minifat += struct.unpack_from(f"<{sector // 4}I", data, at(n))
    ministream = read(root_start) if root_start is not None else b""
    return b"".join(ministream[n * mini : (n + 1) * mini] for n in chain(start, minifat))[:size]
