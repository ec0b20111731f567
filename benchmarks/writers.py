"""Time the xlsx writers we could use on a sheet shaped like the villages sheet (the largest we write).

Issue 11 allows a faster writer than xlsxwriter only if it is well kept and
covers every feature the workbooks use; this script measures the speed half of
that comparison. Writers not installed are skipped; to include them without
touching the project's environment:

    .venv/bin/python -m pip install --target /tmp/writers pyexcelerate rustpy-xlsxwriter
    .venv/bin/python benchmarks/writers.py --path /tmp/writers

Each writer gets the same 30,000 rows x 9 cells (strings and numbers) and
writes them to a file; the figure is CPU seconds of this process, best of
`--repeat`, so other work on the machine disturbs it less than wall time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROWS = [["Lý Nhân", 1001 + i // 10, "Xã Nhân Hưng", f"Thôn {i}", "Có", "Không", 12, "Đạt", "Có"] for i in range(30_000)]


def xlsxwriter_cells(path: Path, constant_memory: bool = False) -> None:
    """As `workbook._column` writes: one typed call per cell, each with a border format."""
    import xlsxwriter

    options = {"constant_memory": True} if constant_memory else {"in_memory": True}
    wb = xlsxwriter.Workbook(str(path), options)
    ws, fmt = wb.add_worksheet(), wb.add_format({"border": 1})
    for r, row in enumerate(ROWS):
        for c, value in enumerate(row):
            if isinstance(value, str):
                ws.write_string(r, c, value, fmt)
            else:
                ws.write_number(r, c, value, fmt)
    wb.close()


def openpyxl_write_only(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in ROWS:
        ws.append(row)
    wb.save(path)


def pyexcelerate_rows(path: Path) -> None:
    from pyexcelerate import Workbook

    wb = Workbook()
    wb.new_sheet("Thon", data=ROWS)
    wb.save(str(path))


def rustpy_records(path: Path) -> None:
    from rustpy_xlsxwriter import FastExcel

    FastExcel(str(path)).sheet("Thon", [dict(zip("abcdefghi", row, strict=True)) for row in ROWS]).save()


WRITERS = {
    "xlsxwriter (as used: a formatted cell per call)": ("xlsxwriter", xlsxwriter_cells),
    "xlsxwriter, constant_memory": ("xlsxwriter", lambda p: xlsxwriter_cells(p, constant_memory=True)),
    "openpyxl, write_only (no formats)": ("openpyxl", openpyxl_write_only),
    "pyexcelerate (no formats)": ("pyexcelerate", pyexcelerate_rows),
    "rustpy-xlsxwriter (records, no formats)": ("rustpy_xlsxwriter", rustpy_records),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--path", type=Path, action="append", default=[], help="extra folder to import writers from")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    sys.path[:0] = [str(x) for x in args.path]
    cells = len(ROWS) * len(ROWS[0])
    print(f"| writer | CPU s for {cells:,} cells | µs a cell |")
    print("|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (module, write) in WRITERS.items():
            try:
                __import__(module)
            except ImportError:
                print(f"| {name} | not installed | |")
                continue
            best = min(_cpu(write, Path(tmp) / "out.xlsx") for _ in range(args.repeat))
            print(f"| {name} | {best:.2f} | {best / cells * 1e6:.1f} |", flush=True)
    return 0


def _cpu(write, path: Path) -> float:
    start = time.process_time()
    write(path)
    return time.process_time() - start


if __name__ == "__main__":
    raise SystemExit(main())
