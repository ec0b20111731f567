"""Benchmark `assess` at province and national scale against two references.

Usage: python benchmarks/bench.py [--sizes 300 3000 10000] [--keep DIR] [--results FILE] [--timeout S]

For each size it generates (seeded, with xlsxwriter) one workbook per commune in
district folders, 5-15 villages each, laid out as the input contract says, then
measures three paths, each in a fresh process on the same files:

- floor:      the bare read of every sheet with python-calamine, one process;
- assess:     the full `python -m pipeline assess` (read, validate, assess, write);
- read_excel: the same assessment, reading with `pandas.read_excel` through
              openpyxl in one process (what most teams would write).

Wall time comes from the clock around the process; peak memory from
`getrusage(RUSAGE_CHILDREN)` (the largest single process) and from sampling the
proportional set size of the whole process tree (main process and workers).
No run goes on past --timeout seconds (it is stopped and its time shown as a
bound); the read_excel path is extrapolated, and said to be, when its predicted
time is over budget. The figures go to the terminal and to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from datetime import datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (300, 3000, 10000)
SEED = 2025
YEAR = 2024
CREATED = datetime(2024, 12, 31, 8, 0, 0)  # fixed, so a corpus is identical from run to run
# The read_excel path is measured in full while its predicted time stays under
# this; above it, it is measured on the largest size below and extrapolated
# linearly, and the output says so.
READ_EXCEL_BUDGET = 600.0
TIMEOUT = 600.0  # no single measured run goes on longer than this
# The machine is a shared virtual one whose speed drifts by a third from minute to minute: up to this many
# communes the floor and assess are run several times, alternately, and the fastest run of each is kept.
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


def plan(n: int, seed: int = SEED) -> list[tuple[str, str, list[int]]]:
    """Districts (folder, name, commune numbers): 5-30 communes each, n in all."""
    rng = random.Random(f"{seed}-districts")
    districts, number = [], 1
    while number <= n:
        size = min(rng.randint(5, 30), n - number + 1)
        i = len(districts) + 1
        name = f"huyện {rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)} {i}"
        districts.append((f"huyen-{i:03d}", name, list(range(number, number + size))))
        number += size
    return districts


def _share(rng: random.Random, total: int, low: float, high: float) -> int:
    return min(total, round(total * rng.uniform(low, high)))


def _all(rng: random.Random, total: int, p: float = 0.92) -> int:
    """Usually all of them (indicators with a 100 % threshold), sometimes a few short."""
    return total if rng.random() < p else _share(rng, total, 0.85, 1.0)


def _yes(rng: random.Random, p_yes: float = 0.93):
    return rng.choice(YES) if rng.random() < p_yes else rng.choice(NO)


def commune(number: int, district: str, seed: int = SEED) -> tuple[dict, list[dict]]:
    """The `Xa` row and `Thon` rows of one commune: mostly plausible, a few typing slips."""
    rng = random.Random(f"{seed}-{number}")
    code = f"{number:05d}"
    tier = rng.choices([t for t, _ in TIERS], [w for _, w in TIERS])[0]
    households, workers = rng.randint(900, 6000), rng.randint(2000, 14000)
    documents, dossiers, tthc = rng.randint(600, 3000), rng.randint(300, 2000), rng.randint(120, 200)
    officials, ocop = rng.randint(15, 30), rng.randint(0, 6)
    xa = {
        "ma_xa": code,
        "ten_xa": f"Xã {rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}",
        "huyen": district,
        "nam": YEAR,
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
        ws.write_string(0, 0, f"BIỂU SỐ LIỆU CHỈ TIÊU TT&TT - {sheet} - {xa['ten_xa']} - năm {YEAR}")
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


def _write_district(task: tuple[Path, str, str, list[int], int]) -> int:
    root, folder, name, numbers, seed = task
    columns = _columns()
    (root / folder).mkdir(parents=True, exist_ok=True)
    villages = 0
    for number in numbers:
        xa, thon = commune(number, name, seed)
        _write_commune(root / folder / f"xa-{number:05d}.xlsx", xa, thon, columns)
        villages += len(thon)
    return villages


def generate(root: Path, n: int, seed: int = SEED) -> int:
    """Write the corpus of n communes under root; returns the number of villages."""
    from concurrent.futures import ProcessPoolExecutor

    tasks = [(root, folder, name, numbers, seed) for folder, name, numbers in plan(n, seed)]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        return sum(pool.map(_write_district, tasks, chunksize=8))


def subset(full: Path, root: Path, n: int, seed: int = SEED) -> None:
    """The first n communes of a larger corpus, as hard links (same bytes, no rewrite)."""
    shutil.rmtree(root, ignore_errors=True)
    for folder, _, numbers in plan(n, seed):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for number in numbers:
            src, dst = full / folder / f"xa-{number:05d}.xlsx", root / folder / f"xa-{number:05d}.xlsx"
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)


def _village_count(number: int, seed: int) -> int:
    return len(commune(number, "", seed)[1])


# -- the three paths, each run in a fresh process -------------------------------------------


def floor(root: Path) -> None:
    """Every sheet of every workbook read with python-calamine, in one process, nothing else."""
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in sorted(root.rglob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cells += sum(len(r) for r in rows)
    print(cells)


def read_excel_assess(root: Path, out: Path) -> None:
    """The same assessment, each sheet read with pandas.read_excel (openpyxl), one process.

    Only the parser is swapped: the size checks, the header search and every
    later step are the pipeline's own.
    """
    import pandas as pd

    from pipeline import read
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


def same_csvs(a: Path, b: Path) -> bool:
    names = (f"xa-{YEAR}.csv", f"ket-qua-{YEAR}.csv", "loi-du-lieu.csv")
    paths = [(a / str(YEAR) / name, b / str(YEAR) / name) for name in names]
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
    """A measured time; "> t" when the run was stopped, "≈ t*" when extrapolated."""
    if m.get("extrapolated"):
        return f"≈ {m['wall']:,.0f}*"
    return f"> {m['wall']:,.0f}" if m.get("timed_out") else f"{m['wall']:,.1f}"


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


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| communes | files | villages | floor s | assess s | read_excel s | assess ÷ floor | read_excel ÷ assess "
        "| floor MiB | assess MiB, largest process / all | read_excel MiB | load avg | every assess run, s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        f, a, x = r["floor"], r["assess"], r["read_excel"]
        lines.append(
            f"| {r['n']:,} | {r['files']:,} | {r['villages']:,} | {secs(f)} | {secs(a)} | {secs(x)} "
            f"| {ratio(a, f, 2)} | {ratio(x, a)} | {mib(f['max_rss'])} | {mib(a['max_rss'])} / {mib(a['tree_mem'])} "
            f"| {mib(x['max_rss']) if x['max_rss'] else '—'} | {r['load']} | {r.get('walls', '—')} |"
        )
    lines += [
        "",
        "Stages of assess (seconds inside the run, as `assess --timings` reports them; start-up is the rest of the",
        "wall time), each with its ratio to the floor:",
        "",
        "| communes | read | validate | assess | write | start-up and exit |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        f, a = r["floor"], r["assess"]
        st = stages(a)
        parts = [
            f"{st[k]:.1f} ({st[k] / f['wall']:.1f}×)" if k in st else "—"
            for k in ("read", "validate", "assess", "write")
        ]
        rest = a["wall"] - sum(st.values()) if st else float("nan")
        lines.append(f"| {r['n']:,} | {' | '.join(parts)} | {rest:.1f} |")
    return lines


def verdict(rows: list[dict]) -> list[str]:
    big = max(rows, key=lambda r: r["n"])
    a, x = big["assess"], big["read_excel"]
    gib = a["tree_mem"] / 2**30
    bound = " (assess was stopped, so this is a bound)" if a.get("timed_out") else ""

    def mark(ok: bool) -> str:
        return "met" if ok else "**missed**"

    small = min(rows, key=lambda r: r["n"])
    by_size = {r["n"]: r for r in rows}
    lines = [f"Targets (issue 11){bound}:"]
    if small["n"] <= 300:
        s = small["assess"]
        under = mark(s["wall"] < 2)
        lines.append(f"- a province ({small['n']:,} communes) under 2 s wall, start-up included: {secs(s)} s — {under}")
    for n, limit in ((3000, 4), (10000, 3)):
        if n in by_size:
            r = by_size[n]
            lines.append(
                f"- {n:,} communes within {limit}× the floor: {ratio(r['assess'], r['floor'], 2)} — "
                f"{mark(r['assess']['wall'] / r['floor']['wall'] <= limit and not r['assess'].get('timed_out'))}"
            )
    lines += [
        f"- read_excel/openpyxl ≥ 10× slower than assess: {ratio(x, a)} — "
        f"{mark(x['wall'] / a['wall'] >= 10 and not a.get('timed_out'))}",
        f"- peak memory < 1 GiB, all processes together ({big['n']:,} communes): {gib:.2f} GiB — {mark(gib < 1)}",
    ]
    return lines


def write_results(path: Path, rows: list[dict], notes: list[str], timeout: float) -> None:
    text = [
        "# Benchmark: `assess` at province and national scale",
        "",
        f"Written by `make bench` (`benchmarks/bench.py`) on {datetime.now():%Y-%m-%d %H:%M}.",
        "",
        f"Machine: {machine()}.",
        "",
        "Corpus: seeded synthetic workbooks, one per commune in district folders (5–30 communes a",
        "district), 5–15 villages each, laid out as the input contract (title row, Vietnamese labels in",
        "row 3, data from row 4), with a few typing slips (counts typed as text, empty cells). The",
        "smaller corpora are the first communes of the largest one.",
        "Each path runs in a fresh process on the same files, already in the page cache:",
        "**floor** = bare read of every sheet with python-calamine in one process; **assess** =",
        "`python -m pipeline assess --quiet` (read in parallel worker processes, validate, assess, write",
        "the CSVs and workbooks); **read_excel** = the same assessment reading each sheet with",
        "`pandas.read_excel(engine='openpyxl')`, one process. Memory: peak resident size of the largest",
        "process (`getrusage`) and, for assess, the peak of all its processes together, sampled every",
        "0.1 s as proportional set size (pages the forked workers share with the main process count",
        f'once). A run still going after {timeout:.0f} s is stopped and shown as "> t". The load average',
        "(1 min) was read just before each size: other work on the machine slows every path alike.",
        f"Up to {REPEATED_UP_TO:,} communes the floor and assess run {REPEATS} times, alternately, and the",
        "fastest run of each is shown, with the largest memory of its runs (this machine's speed drifts",
        "by a third from minute to minute; every assess time is in the last column). Every command runs",
        "with Python's bytecode cache, as an installed tool does.",
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


def bench(sizes: list[int], work: Path, results: Path, budget: float, timeout: float, seed: int) -> None:
    sizes = sorted(sizes)
    full = work / f"corpus-{sizes[-1]}"
    done = work / f"corpus-{sizes[-1]}-seed-{seed}.done"  # a kept corpus is reused, not rewritten
    if done.is_file():
        villages_full = int(done.read_text())
        print(f"reusing {sizes[-1]:,} commune workbooks in {full}", flush=True)
    else:
        t = time.perf_counter()
        print(f"generating {sizes[-1]:,} commune workbooks in {work} ...", flush=True)
        shutil.rmtree(full, ignore_errors=True)
        villages_full = generate(full, sizes[-1], seed)
        done.write_text(str(villages_full))
        print(f"  done in {time.perf_counter() - t:.0f} s ({villages_full:,} villages)", flush=True)
    rows, notes, rate = [], [], None
    for n in sizes:
        root = full if n == sizes[-1] else work / f"corpus-{n}"
        if root != full:
            subset(full, root, n, seed)
        files = sum(1 for _ in root.rglob("*.xlsx"))
        villages = villages_full if root == full else sum(_village_count(i, seed) for i in range(1, n + 1))
        for path in root.rglob("*.xlsx"):  # same starting point for every path: files in the page cache
            path.read_bytes()
        load = f"{os.getloadavg()[0]:.1f}"
        print(f"\n{n:,} communes, {files:,} files, {villages:,} villages (load average {load})", flush=True)
        row = {"n": n, "files": files, "villages": villages, "load": load}
        out = work / f"out-{n}"
        floors, assessed = [], []
        for _ in range(REPEATS if n <= REPEATED_UP_TO else 1):  # alternately: a slow spell falls on both
            floors.append(run_measured([sys.executable, __file__, "_floor", str(root)], timeout))
            assessed.append(run_measured(assess_command(root, out), timeout))
            if assessed[-1]["rc"] not in (0, 3) and not assessed[-1]["timed_out"]:
                raise SystemExit(f"assess failed:\n{assessed[-1]['stderr']}")
            print(f"  floor {floors[-1]['wall']:.2f} s, assess {assessed[-1]['wall']:.1f} s", flush=True)
        f = row["floor"] = fastest(floors)
        a = row["assess"] = fastest(assessed)
        print(f"  floor       {secs(f):>8} s  {mib(f['max_rss'])} MiB", flush=True)
        print(f"  assess      {secs(a):>8} s  {mib(a['max_rss'])} MiB, {mib(a['tree_mem'])} MiB all", flush=True)
        row["walls"] = " ".join(f"{m['wall']:.1f}" for m in assessed)
        predicted = rate * n if rate else 0.0
        if rows and rows[-1]["read_excel"].get("timed_out"):  # slower than the budget already at a smaller size
            x = row["read_excel"] = {"wall": rows[-1]["read_excel"]["wall"], "max_rss": 0, "timed_out": True}
        elif predicted > min(budget, timeout):
            x = row["read_excel"] = {"wall": predicted, "max_rss": 0, "extrapolated": True}
            notes.append(
                f"\\* read_excel at {n:,} communes is **not measured but extrapolated** linearly from "
                f"{rate * 1000:.0f} s per 1,000 communes measured at {rows[-1]['n']:,} communes "
                f"(a full run would take about {predicted / 60:.0f} min, over the {min(budget, timeout) / 60:.0f} min "
                "budget of a run)."
            )
        else:
            command = [sys.executable, __file__, "_read_excel", str(root), str(work / "xl")]
            x = row["read_excel"] = run_measured(command, timeout)
            if x["rc"] not in (0, 3) and not x["timed_out"]:
                raise SystemExit(f"read_excel path failed:\n{x['stderr']}")
            rate = None if x["timed_out"] else x["wall"] / n
            if not x["timed_out"] and not a["timed_out"] and not same_csvs(out, work / "xl"):
                notes.append(f"Note: at {n:,} communes the read_excel path's CSVs differ from assess's.")
                print("  warning: the read_excel path's CSVs differ from assess's", flush=True)
            shutil.rmtree(work / "xl", ignore_errors=True)
        tag = "" if x.get("extrapolated") else f"  {mib(x['max_rss'])} MiB"
        print(f"  read_excel  {secs(x):>8} s{tag}", flush=True)
        print(f"  assess ÷ floor {ratio(a, f, 2)}, read_excel ÷ assess {ratio(x, a)}", flush=True)
        shutil.rmtree(out, ignore_errors=True)
        rows.append(row)
        write_results(results, rows, notes, timeout)
    print()
    print("\n".join(table(rows)))
    print()
    print("\n".join(verdict(rows) + notes))
    print(f"\nwritten {results}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["_measure"]:
        print(json.dumps(measure(argv[3:], float(argv[1]))))
        return 0
    if argv[:1] == ["_floor"]:
        floor(Path(argv[1]))
        return 0
    if argv[:1] == ["_read_excel"]:
        sys.path.insert(0, str(ROOT))
        read_excel_assess(Path(argv[1]), Path(argv[2]))
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="communes per corpus")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--keep", type=Path, help="generate into this folder and keep it (default: a temporary folder)")
    p.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results.md")
    p.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="seconds; a run still going is stopped and shown as a bound"
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
        bench(a.sizes, a.keep, a.results, a.read_excel_budget, a.timeout, a.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="ntm-bench-") as work:
            bench(a.sizes, Path(work), a.results, a.read_excel_budget, a.timeout, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
