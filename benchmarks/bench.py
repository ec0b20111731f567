"""Benchmark `assess` against the floor of what its outputs cost (issue 23).

Usage: python benchmarks/bench.py [--sizes province nation 300 3000 10000] [--keep DIR] [--results FILE]
       [--timeout S] [--read-excel]

Corpora (seeded, written with xlsxwriter, one workbook per commune laid out as the
input contract says, 5-15 villages each): a number is that many communes of 2024
in district folders; `province` and `nation` are the shapes after the reform,
communes of 2025 under their real codes and names in the national list (package
vietnam-provinces), no district, one folder per province: the first 150 communes
of the province with the most, and the 2,621 communes of the 34 provinces.

For each corpus, in fresh processes on the same files, alternately:

- read floor:  import pandas (the pipeline's own start) and read every sheet with
               python-calamine, one process, nothing else;
- assess:      the full `python -m pipeline assess` (read, validate, assess, write);
- write floor: a bare xlsxwriter loop writing as many cells as that assess run's
               workbooks hold (counted in their sheet XML), split over as many
               forked processes as the machine has cores, each into its own workbook.

The floor is the read floor plus the write floor; the ratio assess ÷ floor is
printed with the target of issue 23 beside each corpus. Wall time comes from the
clock around the process; peak memory from `getrusage(RUSAGE_CHILDREN)` (the
largest single process) and from sampling the proportional set size of the whole
process tree. No run goes on past --timeout seconds (it is stopped and its time
shown as a bound). --read-excel adds issue 11's comparison: the same assessment
reading through pandas.read_excel, extrapolated when its predicted time is over
budget. The figures go to the terminal and to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHAPES = ("province", "nation")  # post-reform corpora, named in --sizes beside numbers of communes
SIZES = (*SHAPES, "300", "3000", "10000")
SEED = 2025
YEAR = 2024  # of the district-folder corpora
REFORM_YEAR = 2025  # of the post-reform shapes: codes and names of the national list of 1 July 2025
COMMUNE = "xã"  # the unit type of the list the new-rural sets apply to (not phường, đặc khu)
PROVINCE_COMMUNES = 150  # the province shape: at most this many communes of one province
# Issue 23: assess ÷ floor at most this, per corpus; memory of all processes under 1 GiB at 10,000 communes.
TARGETS = {"province": 1.5, "nation": 1.3, "3000": 1.3, "10000": 1.3}
MEMORY_AT, MEMORY_LIMIT = "10000", 2**30
# The write floor: cells in rows this wide, strings like the outputs' (results, names, tiers) between numbers.
FLOOR_COLUMNS = 20
FLOOR_WORDS = ("Đạt", "Xã Quảng Phú", "Có", "thôn 12", "Không đạt", "NTM nâng cao", "≥ 80%", "Không")
SHEET_XML = re.compile(r"xl/worksheets/[^/]+\.xml")
CELL = re.compile(rb"<c\b[^>]*?(?<!/)>(.*?)</c>", re.S)  # a <c> element that is not empty, and its content
CREATED = datetime(2024, 12, 31, 8, 0, 0)  # fixed, so a corpus is identical from run to run
# The read_excel path is measured in full while its predicted time stays under
# this; above it, it is measured on the largest size below and extrapolated
# linearly, and the output says so.
READ_EXCEL_BUDGET = 600.0
TIMEOUT = 600.0  # no single measured run goes on longer than this
# The machine is a shared virtual one whose speed drifts by a third from minute to minute: up to this many
# communes the floors and assess are run several times, alternately, and the fastest run of each is kept.
REPEATED_UP_TO, REPEATS = 3000, 3

# -- corpus -------------------------------------------------------------------

TIERS = (("NTM", 0.45), ("NTM nâng cao", 0.40), ("NTM kiểu mẫu", 0.15))
YES = ("Có", "Có", "Có", "Có", "x", "1", "Đạt", "có")
NO = ("Không", "Không", "0", "không")
SYLLABLES = ("An", "Bình", "Cát", "Đông", "Hà", "Hòa", "Hưng", "Khánh", "Lạc", "Lâm", "Long", "Minh") + (
    "Nam",
    "Phú",
    "Phúc",
    "Quang",
    "Sơn",
    "Tân",
    "Thanh",
    "Thịnh",
    "Tiên",
    "Trung",
    "Văn",
    "Yên",
)
FLAGS = (
    ("co_diem_buu_chinh", "co_dai_truyen_thanh", "ung_dung_cntt_dieu_hanh", "bc_may_tinh", "bc_may_quet")
    + ("bc_nhan_vien_dao_tao", "bc_tiep_nhan_tra_kq", "co_diem_xuat_ban_pham", "mc_may_tinh", "mc_camera")
    + ("mc_man_hinh_cam_ung", "mc_may_quet")
)


def _columns() -> dict[str, list[tuple[str, str, str]]]:
    """(key, Vietnamese label, type) of each sheet, from the column catalog."""
    with (ROOT / "pipeline" / "schemas" / "columns.toml").open("rb") as f:
        data = tomllib.load(f)
    out: dict[str, list[tuple[str, str, str]]] = {"Xa": [], "Thon": []}
    for c in data["columns"]:
        out[c["sheet"]].append((c["key"], c["label"], c["type"]))
    return out


Unit = tuple[int, str, str | None]  # (number seeding its figures, code, name or None for a made-up one)
Group = tuple[str, str | None, list[Unit]]  # (folder, district or None, communes)


def plan(n: int, seed: int = SEED) -> list[Group]:
    """Districts (folder, name, communes numbered 1..n with made-up names): 5-30 communes each, n in all."""
    rng = random.Random(f"{seed}-districts")
    districts, number = [], 1
    while number <= n:
        size = min(rng.randint(5, 30), n - number + 1)
        i = len(districts) + 1
        name = f"huyện {rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)} {i}"
        numbers = range(number, number + size)
        districts.append((f"huyen-{i:03d}", name, [(k, f"{k:05d}", None) for k in numbers]))
        number += size
    return districts


def national_list() -> list[dict]:
    """The 34 provinces of 1 July 2025 and their units: the JSON pipeline/checking/units.py reads
    (package vietnam-provinces)."""
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    return json.loads(NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))


def _communes(province: dict) -> list[Unit]:
    """The communes (xã; not wards nor special zones) of a province, in code order, each seeded by its code."""
    units = sorted((w["code"], w["name"]) for w in province["wards"] if w["division_type"] == COMMUNE)
    return [(code, f"{code:05d}", name) for code, name in units]


def largest_province() -> dict:
    return max(national_list(), key=lambda p: len(_communes(p)))


def reform_plan(shape: str, limit: int | None = None) -> list[Group]:
    """A post-reform shape as folders, one per province (no district), its communes under their real codes and names.

    `province`: the first PROVINCE_COMMUNES communes of the province with the most (since 1 July 2025 none
    has 150: Thanh Hóa's 147 are the largest); `nation`: the 2,621 communes of the 34 provinces. `limit`
    keeps the first communes of each province (a tiny corpus for the tests).
    """
    provinces = [largest_province()] if shape == "province" else national_list()
    if shape == "province":
        limit = min(limit or PROVINCE_COMMUNES, PROVINCE_COMMUNES)
    return [(f"{p['code']:02d}-{p['codename'].replace('_', '-')}", None, _communes(p)[:limit]) for p in provinces]


@dataclass
class Corpus:
    """What --sizes names: a number of communes in district folders, or a post-reform shape by name."""

    label: str  # as given to --sizes
    title: str  # as the table shows it
    year: int
    groups: list[Group]

    @property
    def communes(self) -> int:
        return sum(len(units) for _, _, units in self.groups)


def corpus(size: str, seed: int = SEED) -> Corpus:
    if size in SHAPES:
        where = largest_province()["name"] if size == "province" else "34 provinces"
        return Corpus(size, f"{size} ({where})", REFORM_YEAR, reform_plan(size))
    return Corpus(size, f"{int(size):,}", YEAR, plan(int(size), seed))


def _share(rng: random.Random, total: int, low: float, high: float) -> int:
    return min(total, round(total * rng.uniform(low, high)))


def _all(rng: random.Random, total: int, p: float = 0.92) -> int:
    """Usually all of them (indicators with a 100 % threshold), sometimes a few short."""
    return total if rng.random() < p else _share(rng, total, 0.85, 1.0)


def _yes(rng: random.Random, p_yes: float = 0.93):
    return rng.choice(YES) if rng.random() < p_yes else rng.choice(NO)


def commune(unit: Unit, district: str | None, year: int = YEAR, seed: int = SEED) -> tuple[dict, list[dict]]:
    """The `Xa` row and `Thon` rows of one commune: mostly plausible, a few typing slips."""
    number, code, name = unit
    rng = random.Random(f"{seed}-{number}")
    tier = rng.choices([t for t, _ in TIERS], [w for _, w in TIERS])[0]
    households, workers = rng.randint(900, 6000), rng.randint(2000, 14000)
    documents, dossiers, tthc = rng.randint(600, 3000), rng.randint(300, 2000), rng.randint(120, 200)
    officials, ocop = rng.randint(15, 30), rng.randint(0, 6)
    xa = {
        "ma_xa": code,
        "ten_xa": name or f"Xã {rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}",
        "huyen": district,
        "nam": year,
        "hang_dang_ky": tier,
        "nam_dat_nang_cao": rng.randint(2021, 2023) if tier == "NTM kiểu mẫu" else None,
        "dan_so_lao_dong": workers,
        "dan_so_lao_dong_smartphone": _share(rng, workers, 0.76, 0.97),
        "tong_so_ho": households,
        "so_ho_xem_truyen_hinh": _share(rng, households, 0.89, 1.0),
        "tthc_du_dieu_kien": (eligible := tthc - rng.randint(20, 60)),
        "tthc_truc_tuyen": _all(rng, eligible),
        "tthc_tong": tthc,
        "tthc_cap_nhat": _all(rng, tthc),
        "van_ban_tong": documents,
        "van_ban_ky_so": _share(rng, documents, 0.65, 0.98),
        "ho_so_tong": dossiers,
        "ho_so_cap_nhat": _all(rng, dossiers),
        "ho_so_truc_tuyen": _share(rng, dossiers, 0.6, 0.95),
        "can_bo_tong": officials,
        "can_bo_boi_duong": _all(rng, officials),
        "dan_so_lao_dong_ky_nang_so": _share(rng, workers, 0.62, 0.92),
        "ocop_tong": ocop,
        "ocop_san_tmdt": _all(rng, ocop),
    }
    for key in FLAGS:
        xa[key] = _yes(rng, 0.97)
    # the slips officers really make, at a low rate: counts typed as text, an empty cell, a stray note
    if rng.random() < 0.03:
        xa["tong_so_ho"] = f"{households:,}".replace(",", ".")
    if rng.random() < 0.01:
        xa["co_dai_truyen_thanh"] = None
    if rng.random() < 0.005:
        xa["van_ban_ky_so"] = "chưa thống kê"
    thon = []
    smart = tier == "NTM kiểu mẫu"
    for v in range(1, rng.randint(5, 15) + 1):
        row = {
            "ma_xa": code,
            "ten_thon": f"thôn {v}",
            "co_vien_thong_internet": _yes(rng, 0.997),
            "co_loa_hoat_dong": _yes(rng, 0.995),
            "co_ho_xem_truyen_hinh": _yes(rng, 0.997),
        }
        if smart:
            phones = rng.randint(300, 1500)
            row |= {
                "to_cong_nghe_so": _yes(rng, 0.8),
                "kenh_mang_xa_hoi": _yes(rng, 0.8),
                "truy_xuat_tmdt": _yes(rng, 0.6),
                "so_nguoi_smartphone": phones,
                "so_nguoi_vneid": _share(rng, phones, 0.4, 0.8),
            }
        thon.append(row)
    return xa, thon


def _write_commune(path: Path, xa: dict, thon: list[dict], columns) -> None:
    """Title in row 1, Vietnamese labels in row 3, data from row 4, as the template."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path),
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties({"created": CREATED, "author": "bench (số liệu giả định)"})
    for sheet, rows in (("Xa", [xa]), ("Thon", thon)):
        ws = book.add_worksheet(sheet)
        cols = columns[sheet]
        ws.write_string(0, 0, f"BIỂU SỐ LIỆU CHỈ TIÊU TT&TT - {sheet} - {xa['ten_xa']} - năm {xa['nam']}")
        ws.write_row(2, 0, [label for _, label, _ in cols])
        for r, row in enumerate(rows, start=3):
            for c, (key, _, _) in enumerate(cols):
                value = row.get(key)
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write_number(r, c, value)
    book.close()


def _write_group(task: tuple[Path, Group, int, int]) -> int:
    """One folder of a corpus, a workbook per commune; returns its number of villages."""
    root, (folder, district, units), year, seed = task
    columns = _columns()
    (root / folder).mkdir(parents=True, exist_ok=True)
    villages = 0
    for unit in units:
        xa, thon = commune(unit, district, year, seed)
        _write_commune(root / folder / f"xa-{unit[1]}.xlsx", xa, thon, columns)
        villages += len(thon)
    return villages


def generate(root: Path, c: Corpus, seed: int = SEED) -> int:
    """Write the corpus under root; returns the number of villages."""
    from concurrent.futures import ProcessPoolExecutor

    tasks = [(root, group, c.year, seed) for group in c.groups]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        return sum(pool.map(_write_group, tasks, chunksize=8))


def subset(full: Path, root: Path, c: Corpus) -> None:
    """The communes of c out of a larger corpus in full, as hard links (same bytes, no rewrite)."""
    shutil.rmtree(root, ignore_errors=True)
    for folder, _, units in c.groups:
        (root / folder).mkdir(parents=True, exist_ok=True)
        for _, code, _ in units:
            src, dst = full / folder / f"xa-{code}.xlsx", root / folder / f"xa-{code}.xlsx"
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)


def villages_of(c: Corpus, seed: int = SEED) -> int:
    return sum(len(commune(unit, district, c.year, seed)[1]) for _, district, units in c.groups for unit in units)


# -- what is measured, each in a fresh process -----------------------------------------------


def read_floor(root: Path) -> None:
    """Import pandas, as the pipeline starts, then read every sheet of every workbook with python-calamine.

    One process, nothing else: the least a run that reads all its input costs.
    """
    import pandas  # noqa: F401  the pipeline's own start
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in sorted(root.rglob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cells += sum(len(r) for r in rows)
    print(cells)


def count_cells(folder: Path) -> tuple[int, int]:
    """Cells holding a value in the sheets of every .xlsx under folder, and the number of workbooks.

    A cell with a value is a `<c>` element of xl/worksheets/*.xml with a `<v>` (number, shared string,
    formula result) or an `<is>` (inline string); a cell that only carries a format (`<c r="B2" s="3"/>`)
    is not counted.
    """
    cells = books = 0
    for path in sorted(folder.rglob("*.xlsx")):
        books += 1
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if SHEET_XML.fullmatch(name):
                    cells += sum(1 for m in CELL.finditer(z.read(name)) if b"<v>" in m[1] or b"<is>" in m[1])
    return cells, books


def _write_share(task: tuple[Path, int]) -> None:
    """A bare xlsxwriter loop: cells in rows of FLOOR_COLUMNS, a string then a number, and close."""
    import xlsxwriter

    path, cells = task
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for i in range(cells):
        row, col = divmod(i, FLOOR_COLUMNS)
        if i % 2:
            sheet.write_number(row, col, i)
        else:
            sheet.write_string(row, col, FLOOR_WORDS[i // 2 % len(FLOOR_WORDS)])
    book.close()


def write_floor(cells: int, folder: Path, processes: int) -> None:
    """Write `cells` cells split over `processes` processes, each its share into its own workbook.

    xlsxwriter is imported once before the processes are forked: the least writing those cells costs.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import xlsxwriter  # noqa: F401  once, before the fork

    folder.mkdir(parents=True, exist_ok=True)
    shares = [(folder / f"floor-{i}.xlsx", cells // processes + (i < cells % processes)) for i in range(processes)]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_write_share, shares))


def read_excel_assess(root: Path, out: Path) -> None:
    """The same assessment, each sheet read with pandas.read_excel (openpyxl), one process.

    Only the parser is swapped: the size checks, the header search and every
    later step are the pipeline's own.
    """
    import pandas as pd

    from pipeline.reading import read
    from pipeline.run import run

    class Bytes:
        @staticmethod
        def from_filelike(f):
            return f

    def sheet_rows(f, *_) -> dict[str, list[list]]:
        frames = pd.read_excel(f, sheet_name=None, header=None, engine="openpyxl")
        names = {read.fold(n): n for n in frames}
        return {
            s: frames[names[read.fold(s)]].astype(object).where(lambda d: d.notna(), "").values.tolist()
            for s in read.SHEETS
            if read.fold(s) in names
        }

    read.CalamineWorkbook, read._sheet_rows = Bytes, sheet_rows
    run(root, out, workers=1, quiet=True)


def assess_command(root: Path, out: Path) -> list[str]:
    return [
        *(sys.executable, "-m", "pipeline", "assess", "--input", str(root), "--output", str(out)),
        *("--quiet", "--timings"),
    ]


def stages(m: dict) -> dict[str, float]:
    """The seconds of read, validate, assess and write that `assess --timings` printed on stderr."""
    for line in reversed(m.get("stderr", "").splitlines()):
        if line.startswith('{"timings"'):
            return json.loads(line)["timings"]
    return {}


def _tree_memory(pid: int) -> int:
    """Memory of a process and all its descendants, in bytes, from /proc.

    Proportional set size (PSS): a page shared by forked workers counts once
    in all, not once per process as resident size would. Resident size where
    the kernel gives no PSS.
    """
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            parents.setdefault(int(stat[stat.rindex(b")") + 2 :].split()[1]), []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += parents.get(p, [])
        try:
            with open(f"/proc/{p}/smaps_rollup", "rb") as f:
                total += next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith(b"Pss:"))
        except (OSError, StopIteration):
            try:
                with open(f"/proc/{p}/statm", "rb") as f:
                    total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except OSError:
                continue
    return total


def measure(command: list[str], timeout: float) -> dict:
    """Run command; wall time, the largest process's peak RSS, and the process tree's sampled peak.

    A command still running after `timeout` seconds is stopped (with its worker
    processes); its time is then a lower bound, marked `timed_out`.
    """
    peak, done = [0], threading.Event()
    start = time.perf_counter()
    # with Python's bytecode cache, as an installed tool runs (this sandbox turns it off for everything)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )

    def sample():
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_memory(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        _, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the command's own session: it and its workers only
        _, err = proc.communicate()
        timed_out = True
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "max_rss": usage.ru_maxrss * 1024,
        "tree_mem": peak[0] or usage.ru_maxrss * 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rc": proc.returncode,
        "timed_out": timed_out,
        "stderr": err.decode(errors="replace")[-2000:],
    }


def run_measured(args: list[str], timeout: float) -> dict:
    """`measure` in a fresh interpreter, so that RUSAGE_CHILDREN counts this command only."""
    wrapper = [sys.executable, __file__, "_measure", str(timeout), "--", *args]
    out = subprocess.run(wrapper, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def fastest(runs: list[dict]) -> dict:
    """The run with the least wall time; its memory is the largest any of the runs took."""
    best = min(runs, key=lambda m: m["wall"])
    return best | {"max_rss": max(m["max_rss"] for m in runs), "tree_mem": max(m["tree_mem"] for m in runs)}


def same_csvs(a: Path, b: Path, year: int) -> bool:
    names = (f"xa-{year}.csv", f"ket-qua-{year}.csv", "loi-du-lieu.csv")
    paths = [(a / str(year) / name, b / str(year) / name) for name in names]
    return all(x.is_file() and y.is_file() and x.read_bytes() == y.read_bytes() for x, y in paths)


# -- report -------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        ram = f"{int(mem.split()[1]) / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        ram = "RAM unknown"
    versions = ", ".join(
        f"{p} {metadata.version(p)}" for p in ("pandas", "pandera", "python-calamine", "openpyxl", "xlsxwriter")
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {versions}"
    )


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f}"


def secs(m: dict) -> str:
    """A measured time, to the hundredth under 10 s; "> t" when the run was stopped, "≈ t*" when extrapolated."""
    if m.get("extrapolated"):
        return f"≈ {m['wall']:,.0f}*"
    if m.get("timed_out"):
        return f"> {m['wall']:,.0f}"
    return f"{m['wall']:.2f}" if m["wall"] < 10 else f"{m['wall']:,.1f}"


def ratio(a: dict, b: dict, digits: int = 1) -> str:
    """a / b, with ">" or "<" when one side is a lower bound."""
    value = f"{a['wall'] / b['wall']:.{digits}f}×"
    if a.get("timed_out") and b.get("timed_out"):
        return "—"
    if a.get("timed_out") and not b.get("timed_out"):
        return "> " + value
    if b.get("timed_out") and not a.get("timed_out"):
        return "< " + value
    return ("≈ " + value + "*") if a.get("extrapolated") or b.get("extrapolated") else value


def floor_of(read: dict, write: dict) -> dict:
    """The floor of a run: its read floor and its write floor, one after the other."""
    return {"wall": read["wall"] + write["wall"], "timed_out": read["timed_out"] or write["timed_out"]}


def best(row: dict) -> tuple[dict, dict, dict, dict]:
    """The fastest read floor, write floor and assess of a size's runs, and the floor they make."""
    r, w, a = fastest(row["reads"]), fastest(row["writes"]), fastest(row["assessed"])
    return r, w, floor_of(r, w), a


def run_ratios(row: dict) -> list[str]:
    """Each run's assess ÷ the floor measured beside it (the runs alternate, so a slow spell falls on both)."""
    return [ratio(a, floor_of(r, w), 2) for r, w, a in zip(row["reads"], row["writes"], row["assessed"], strict=True)]


def target(row: dict) -> str:
    """The target of issue 23 for this size, and whether the fastest runs meet it."""
    limit = TARGETS.get(row["label"])
    if limit is None:
        return "no target"
    _, _, f, a = best(row)
    met = a["wall"] / f["wall"] <= limit and not a["timed_out"]
    return f"≤ {limit}× — {'met' if met else '**missed**'}"


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| corpus | communes | files | villages | cells written (workbooks) | read floor s | write floor s | floor s "
        "| assess s | assess ÷ floor | target | each run: assess ÷ floor | assess MiB, largest process / all "
        "| load avg before each run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for row in rows:
        r, w, f, a = best(row)
        lines.append(
            f"| {row['title']} | {row['communes']:,} | {row['files']:,} | {row['villages']:,} "
            f"| {row['cells']:,} ({row['books']:,}) | {secs(r)} | {secs(w)} | {secs(f)} | {secs(a)} "
            f"| {ratio(a, f, 2)} | {target(row)} | {' '.join(run_ratios(row))} "
            f"| {mib(a['max_rss'])} / {mib(a['tree_mem'])} | {' '.join(row['loads'])} |"
        )
    lines += [
        "",
        "Stages of the fastest assess run (seconds inside the run, as `assess --timings` reports them; start-up",
        "and exit are the rest of its wall time), start-up and reading against the read floor, writing against",
        "the write floor; checking and assessing have no share in the floor:",
        "",
        "| corpus | start-up and exit | read | start-up + read ÷ read floor | validate | assess | write "
        "| write ÷ write floor | assess − floor s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        r, w, f, a = best(row)
        st = stages(a)
        if not st:
            lines.append(f"| {row['title']} | — | — | — | — | — | — | — | {a['wall'] - f['wall']:.1f} |")
            continue
        start = a["wall"] - sum(st.values())
        lines.append(
            f"| {row['title']} | {start:.1f} | {st['read']:.1f} | {(start + st['read']) / r['wall']:.1f}× "
            f"| {st['validate']:.1f} | {st['assess']:.1f} | {st['write']:.1f} | {st['write'] / w['wall']:.1f}× "
            f"| {a['wall'] - f['wall']:.1f} |"
        )
    excel = [row for row in rows if row.get("read_excel")]
    if excel:
        lines += ["", "| corpus | read_excel s | read_excel ÷ assess | read_excel MiB |", "|---|---:|---:|---:|"]
        for row in excel:
            x, a = row["read_excel"], best(row)[3]
            lines.append(
                f"| {row['title']} | {secs(x)} | {ratio(x, a)} | {mib(x['max_rss']) if x['max_rss'] else '—'} |"
            )
    return lines


def verdict(rows: list[dict]) -> list[str]:
    lines = ["Targets (issue 23), the fastest assess against the fastest floor, and every run's ratio:"]
    for row in rows:
        if row["label"] in TARGETS:
            _, _, f, a = best(row)
            size = f"{row['title']}, {row['communes']:,}" if row["label"] in SHAPES else row["title"]
            lines.append(
                f"- {size} communes: assess ÷ floor {ratio(a, f, 2)} (each run: {', '.join(run_ratios(row))}), "
                f"target {target(row)}"
            )
        if row["label"] == MEMORY_AT:
            a = best(row)[3]
            gib = a["tree_mem"] / 2**30
            met = "met" if a["tree_mem"] < MEMORY_LIMIT else "**missed**"
            lines.append(f"- memory < 1 GiB, all processes together ({row['title']} communes): {gib:.2f} GiB — {met}")
    return lines


def write_results(path: Path, rows: list[dict], notes: list[str], timeout: float) -> None:
    text = [
        "# Benchmark: `assess` against the floor of what its outputs cost",
        "",
        f"Written by `make bench` (`benchmarks/bench.py`) on {datetime.now():%Y-%m-%d %H:%M}.",
        "",
        f"Machine: {machine()}.",
        "",
        "Corpora: seeded synthetic workbooks, one per commune, laid out as the input contract (title row,",
        "Vietnamese labels in row 3, data from row 4), 5–15 villages each, with a few typing slips (counts",
        f"typed as text, empty cells). The numbers are communes of {YEAR} in district folders (5–30",
        "communes a district), the smaller the first communes of the largest. The shapes after the reform",
        f"are communes of {REFORM_YEAR} under their real codes and names in the national list of 1 July 2025",
        "(package vietnam-provinces), no district, a folder per province: **province** = the first",
        f"{PROVINCE_COMMUNES} communes (xã) of the province with the most (Thanh Hóa has 147, the most of any);",
        "**nation** = the 2,621 communes of the 34 provinces.",
        "",
        "Each measure runs in a fresh process on the same files, already in the page cache, with the package",
        "byte-compiled first (as pip installs it; this machine sets PYTHONDONTWRITEBYTECODE):",
        "**assess** = `python -m pipeline assess --quiet --timings`, all it writes by default;",
        "**read floor** = a process that imports pandas (the pipeline's own start) and reads every sheet of",
        "the input with python-calamine, nothing else; **write floor** = a bare xlsxwriter loop",
        "(`write_string` and `write_number` alternately, then `close`) writing as many cells as that assess",
        "run's workbooks hold, split over as many forked processes as the machine has cores, each its share",
        "into its own workbook, timed from the start of the first to the end of the last. The cells are",
        "counted in the written workbooks: `<c>` elements with a value (`<v>` or `<is>`) in",
        "xl/worksheets/*.xml of every .xlsx of the run. **floor** = read floor + write floor.",
        f"Up to {REPEATED_UP_TO:,} communes the three run {REPEATS} times, alternately (read floor, assess,",
        "write floor), so a slow spell of this shared machine falls on all of them; the table shows the",
        "fastest of each and every run's own ratio. Memory: peak resident size of the largest process",
        "(`getrusage`) and the peak of all assess's processes together, sampled every 0.1 s as",
        f'proportional set size. A run still going after {timeout:.0f} s is stopped and shown as "> t". The',
        "load average (1 min) is read before each run: other work on the machine slows every measure.",
        "",
        *table(rows),
        "",
        *verdict(rows),
        "",
        *notes,
    ]
    path.write_text("\n".join(text + _kept_notes(path)).rstrip() + "\n", encoding="utf-8")


def _kept_notes(path: Path) -> list[str]:
    """The hand-written section of the previous results (from `## Notes` on): what a run cannot measure."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    at = old.find("\n## Notes")
    return ["", old[at + 1 :]] if at >= 0 else []


# -- driver -------------------------------------------------------------------


def size_arg(text: str) -> str:
    if text in SHAPES or text.isdigit():
        return text
    raise argparse.ArgumentTypeError(f"{text!r}: a number of communes or one of {', '.join(SHAPES)}")


def ordered(sizes: list[str]) -> list[str]:
    """The shapes after the reform first, then the numbers of communes from the smallest."""
    return [s for s in SHAPES if s in sizes] + sorted({s for s in sizes if s not in SHAPES}, key=int)


def _generated(root: Path, c: Corpus, seed: int) -> int:
    """Generate c under root unless a kept corpus is there already; its number of villages."""
    done = root.with_name(f"{root.name}-seed-{seed}.done")
    if done.is_file():
        print(f"reusing {c.communes:,} commune workbooks in {root}", flush=True)
        return int(done.read_text())
    t = time.perf_counter()
    print(f"generating {c.communes:,} commune workbooks in {root} ...", flush=True)
    shutil.rmtree(root, ignore_errors=True)
    villages = generate(root, c, seed)
    done.write_text(str(villages))
    print(f"  done in {time.perf_counter() - t:.0f} s ({villages:,} villages)", flush=True)
    return villages


def prepare(c: Corpus, largest: Corpus | None, work: Path, seed: int) -> tuple[Path, int]:
    """The folder of c and its villages: a shape on its own, a number as the first communes of the largest."""
    root = work / f"corpus-{c.label}"
    if largest is None or c.label == largest.label:
        return root, _generated(root, c, seed)
    full = work / f"corpus-{largest.label}"
    _generated(full, largest, seed)
    subset(full, root, c)
    return root, villages_of(c, seed)


def _ran(m: dict, what: str, ok: tuple[int, ...] = (0,)) -> dict:
    if m["rc"] not in ok and not m["timed_out"]:
        raise SystemExit(f"{what} failed:\n{m['stderr']}")
    return m


def measure_size(c: Corpus, root: Path, villages: int, out: Path, work: Path, timeout: float) -> dict:
    """Read floor, assess and write floor, alternately, in fresh processes; the cells counted after the first assess."""
    files = sum(1 for _ in root.rglob("*.xlsx"))
    for path in root.rglob("*.xlsx"):  # same starting point for every measure: files in the page cache
        path.read_bytes()
    print(f"\n{c.title}: {c.communes:,} communes, {files:,} files, {villages:,} villages", flush=True)
    row = {"label": c.label, "title": c.title, "communes": c.communes, "files": files, "villages": villages}
    row |= {"loads": [], "reads": [], "assessed": [], "writes": []}
    python = sys.executable
    for i in range(REPEATS if c.communes <= REPEATED_UP_TO else 1):
        row["loads"].append(f"{os.getloadavg()[0]:.1f}")
        r = _ran(run_measured([python, __file__, "_read_floor", str(root)], timeout), "the read floor")
        a = _ran(run_measured(assess_command(root, out), timeout), "assess", (0, 3))
        if i == 0:
            row["cells"], row["books"] = count_cells(out)
        floor_dir = work / "write-floor"
        w = run_measured([python, __file__, "_write_floor", str(row["cells"]), str(floor_dir)], timeout)
        _ran(w, "the write floor")
        shutil.rmtree(floor_dir, ignore_errors=True)
        for key, m in (("reads", r), ("assessed", a), ("writes", w)):
            row[key].append(m)
        print(
            f"  run {i + 1} (load {row['loads'][-1]}): read floor {secs(r)} s + write floor {secs(w)} s "
            f"= {secs(floor_of(r, w))} s; assess {secs(a)} s: {ratio(a, floor_of(r, w), 2)}",
            flush=True,
        )
    r, w, f, a = best(row)
    print(
        f"  {row['cells']:,} cells in {row['books']:,} workbook{'s' * (row['books'] != 1)}; fastest: "
        f"read floor {secs(r)} s, write floor {secs(w)} s, floor {secs(f)} s, assess {secs(a)} s; "
        f"assess ÷ floor {ratio(a, f, 2)}  ({target(row)})\n"
        f"  memory: {mib(a['max_rss'])} MiB largest process, {mib(a['tree_mem'])} MiB all",
        flush=True,
    )
    return row


def read_excel_path(
    c: Corpus, root: Path, out: Path, work: Path, before: dict | None, budget: float, timeout: float
) -> tuple[dict, str | None]:
    """The same assessment through read_excel, or a bound from the size before when it would go over budget."""
    x0 = before.get("read_excel") if before else None
    if x0 and before:
        if x0.get("timed_out"):
            return {"wall": x0["wall"], "max_rss": 0, "timed_out": True}, None
        rate = x0["wall"] / before["communes"]
        if rate * c.communes > min(budget, timeout):
            note = (
                f"\\* read_excel at {c.title} is **not measured but extrapolated** linearly from {rate * 1000:.0f} s "
                f"per 1,000 communes (a full run would take about {rate * c.communes / 60:.0f} min, over the "
                f"{min(budget, timeout) / 60:.0f} min budget of a run)."
            )
            return {"wall": rate * c.communes, "max_rss": 0, "extrapolated": True}, note
    x = _ran(
        run_measured([sys.executable, __file__, "_read_excel", str(root), str(work / "xl")], timeout),
        "read_excel",
        (0, 3),
    )
    note = None
    if not x["timed_out"] and not same_csvs(out, work / "xl", c.year):
        note = f"Note: at {c.title} the read_excel path's CSVs differ from assess's."
    shutil.rmtree(work / "xl", ignore_errors=True)
    return x, note


def byte_compiled() -> None:
    """The package byte-compiled before anything is measured, as pip leaves it when it installs it, and as every
    run after the first finds it.

    Where PYTHONDONTWRITEBYTECODE is set (this machine sets it) no run writes its bytecode, and each one compiled
    the package from source at its start: about 0.08 s of CPU, which the floor's imports (pandas, compiled when
    it was installed) never pay and a user's run pays once.
    """
    import compileall

    compileall.compile_dir(ROOT / "pipeline", quiet=1)


def bench(sizes: list[str], work: Path, results: Path, options: argparse.Namespace) -> None:
    byte_compiled()
    corpora = [corpus(size, options.seed) for size in ordered(sizes)]
    numbers = [c for c in corpora if c.label not in SHAPES]
    largest = numbers[-1] if numbers else None
    rows: list[dict] = []
    notes: list[str] = []
    for c in corpora:
        root, villages = prepare(c, None if c.label in SHAPES else largest, work, options.seed)
        out = work / f"out-{c.label}"
        row = measure_size(c, root, villages, out, work, options.timeout)
        if options.read_excel:
            row["read_excel"], note = read_excel_path(
                c, root, out, work, rows[-1] if rows else None, options.read_excel_budget, options.timeout
            )
            notes += [note] if note else []
            print(f"  read_excel {secs(row['read_excel'])} s", flush=True)
        shutil.rmtree(out, ignore_errors=True)
        rows.append(row)
        write_results(results, rows, notes, options.timeout)
    print()
    print("\n".join(table(rows)))
    print()
    print("\n".join(verdict(rows) + notes))
    print(f"\nwritten {results}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["_measure"]:
        print(json.dumps(measure(argv[3:], float(argv[1]))))
        return 0
    if argv[:1] == ["_read_floor"]:
        read_floor(Path(argv[1]))
        return 0
    if argv[:1] == ["_write_floor"]:
        write_floor(int(argv[1]), Path(argv[2]), os.cpu_count() or 1)
        return 0
    if argv[:1] == ["_read_excel"]:
        sys.path.insert(0, str(ROOT))
        read_excel_assess(Path(argv[1]), Path(argv[2]))
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--sizes", type=size_arg, nargs="+", default=list(SIZES), help=f"communes per corpus, or {' '.join(SHAPES)}"
    )
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--keep", type=Path, help="generate into this folder and keep it (default: a temporary folder)")
    p.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results.md")
    p.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="seconds; a run still going is stopped and shown as a bound"
    )
    p.add_argument(
        "--read-excel",
        action="store_true",
        help="also time the assessment reading through pandas.read_excel (issue 11)",
    )
    p.add_argument(
        "--read-excel-budget",
        type=float,
        default=READ_EXCEL_BUDGET,
        help="seconds; above this predicted time the read_excel path is extrapolated, not run",
    )
    a = p.parse_args(argv)
    if a.keep:
        a.keep.mkdir(parents=True, exist_ok=True)
        bench(a.sizes, a.keep, a.results, a)
    else:
        with tempfile.TemporaryDirectory(prefix="ntm-bench-") as work:
            bench(a.sizes, Path(work), a.results, a)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
