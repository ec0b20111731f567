"""Write a file completely or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class OutputError(Exception):
    """An output file could not be written (most often: it is open in Excel, which locks it)."""


@contextlib.contextmanager
def replace_atomically(path: Path):
    """Yield a temporary path next to `path`; rename it over `path` once written."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        os.replace(tmp, path)
    except PermissionError as e:
        raise OutputError(
            f"Không ghi được {path}: tệp đang mở trong chương trình khác hoặc không có quyền ghi; "
            "hãy đóng tệp rồi chạy lại"
        ) from e
    except OSError as e:
        raise OutputError(f"Không ghi được {path}: {e.strerror or e}; hãy kiểm tra thư mục kết quả") from e
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
