"""Write a file completely or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class LockedOutput(Exception):
    """The output file is open in another program (Excel locks what it opens)."""


@contextlib.contextmanager
def replace_atomically(path: Path):
    """Yield a temporary path next to `path`; rename it over `path` once written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except PermissionError as e:
        raise LockedOutput(
            f"Không ghi được {path}: tệp đang mở trong chương trình khác; hãy đóng tệp rồi chạy lại"
        ) from e
    finally:
        tmp.unlink(missing_ok=True)
