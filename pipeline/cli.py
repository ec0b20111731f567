"""Command line: parse options, call the library, say how it went. Nothing else."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import signal
import sys
from pathlib import Path

import click

from pipeline import __version__, click_vi
from pipeline.catalog import CatalogError
from pipeline.roles import ROLES
from pipeline.writing.files import OutputError

click_vi.install()  # before the commands are declared: click looks some of its words up then
EXIT_NO_CATALOG = 4  # `template` for a year no criteria catalog covers yet: nothing written, nothing failed


def folder_option(name: str, default: str, help_text: str):
    """A folder option (--input, --output), written once for every command."""
    return click.option(
        f"--{name}",
        f"{name}_dir",
        type=click.Path(file_okay=False, path_type=Path),
        metavar="THƯ_MỤC",
        default=default,
        show_default=True,
        help=help_text,
    )


def schemas_option(must_exist: bool = True):
    """--schemas DIR: the department's catalog folder, written once for every command that reads the catalogs."""
    return click.option(
        "--schemas",
        "schemas_dir",
        type=click.Path(exists=must_exist, file_okay=False, path_type=Path),
        metavar="THƯ_MỤC",
        default=None,
        help="Thư mục danh mục của Sở (mặc định: schemas/ nơi chạy lệnh, nếu có); đọc trước danh mục kèm "
        "chương trình, tệp cùng tên thay tệp kèm theo.",
    )


@click.group(cls=click_vi.Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__)
def main():
    """Thẩm định chỉ tiêu ngành TT&TT của xã NTM từ các bảng tính xã gửi lên.

    Appraise the ICT indicators of new-rural communes from their workbooks.
    """


def entry_point() -> None:
    """`ntm-ict` and `python -m pipeline`: the command line, then a quick exit.

    When the command is over, the interpreter's last collections would walk every object the run made
    (0.3 s of a province's 3.5 s) to free memory the process gives back anyway: frozen, they are left alone.
    """
    printing_never_fails()
    stop_on_signals()
    try:
        main()
    finally:
        gc.freeze()


def printing_never_fails() -> None:
    """What cannot be printed never fails a command: a run's outputs are written by the time it prints its summary.

    A character the stream's encoding lacks (a Windows code page, when the output goes to a file:
    `tham-dinh.bat > log.txt`) is printed as "?"; once the reader has gone (`| head -1`), the rest is dropped
    and the command ends with its own exit status.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:  # started with the stream closed: click prints nothing there
            continue
        with contextlib.suppress(AttributeError, ValueError):  # not a text file of the interpreter's own
            stream.reconfigure(errors="replace")
        setattr(sys, name, _ReaderMayLeave(stream))


class _ReaderMayLeave:
    """A standard stream whose reader may go away: from the first broken pipe on, its file is the null device."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._drop()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._drop()

    def _drop(self) -> None:
        """Point the stream's file at the null device, so that what is still buffered (flushed again at exit)
        goes nowhere instead of failing once more."""
        with contextlib.suppress(OSError, ValueError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


class Stopped(KeyboardInterrupt):
    """SIGTERM (`kill`, `timeout`, a shutdown) or SIGHUP (the terminal closed), raised where the command is."""


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP stop a command as Ctrl-C does: the exception unwinds it, so a run removes its staging
    folder and leaves the previous outputs as they were (by default these signals end the process on the spot).
    Once one has come, the others are ignored: a second `kill` does not cut the cleanup short."""
    stopping = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])

    def stop(signum: int, _frame) -> None:
        for each in stopping:
            signal.signal(each, signal.SIG_IGN)
        raise Stopped(signum)

    for each in stopping:
        signal.signal(each, stop)


@main.command()
@folder_option("input", "input", "Thư mục chứa bảng tính của các xã (đọc cả thư mục con).")
@folder_option("output", "output", "Thư mục ghi kết quả (mỗi năm một thư mục con).")
@click.option(
    "--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, help="Ngôn ngữ của bảng tổng hợp."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="SỐ",
    default=None,
    help="Số tiến trình đọc và ghi tệp song song (mặc định: số lõi CPU; 1 = không song song).",
)
@click.option(
    "--registered",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="TỆP",
    default=None,
    help="Danh sách xã đăng ký (CSV hoặc bảng tính: ma_xa, ten_xa, huyen, hang_dang_ky, nam); "
    "xã có tên nhưng chưa nộp hồ sơ vẫn được đếm.",
)
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="TỆP",
    default=None,
    help="Tệp cấu hình của Sở cho báo cáo thẩm định (mặc định: cau-hinh.toml của thư mục đang đứng, "
    "nếu không có thì của thư mục dự án; không bao giờ lấy tệp trong thư mục đầu vào).",
)
@click.option(
    "--phieu/--khong-phieu",
    "sheets",
    default=None,
    help="Ghi (hoặc không) phiếu thẩm định từng xã; mặc định: ghi khi một năm có không quá 1.000 xã.",
)
@click.option(
    "--tep-xa/--khong-tep-xa",
    "commune_files",
    default=None,
    help="Ghi (hoặc không) mỗi xã một tệp phiếu để gửi lại xã (<năm>/xa/<mã>-<tên>.docx); mặc định: ghi khi "
    "các xã không có huyện (từ ngày 01/7/2025) và một năm có không quá 1.000 xã.",
)
@schemas_option()
@click.option("--quiet", "-q", is_flag=True, help="Chỉ in lỗi và lưu ý.")
@click.option(
    "--timings", is_flag=True, hidden=True, help="In thời gian từng bước (đọc, kiểm tra, đánh giá, ghi) ra stderr."
)
def assess(
    input_dir: Path,
    output_dir: Path,
    lang: str,
    workers: int | None,
    registered: Path | None,
    settings_file: Path | None,
    sheets: bool | None,
    commune_files: bool | None,
    schemas_dir: Path | None,
    quiet: bool,
    timings: bool,
):
    """Đánh giá mọi bảng tính trong thư mục --input và ghi kết quả vào thư mục --output.

    Mã thoát: 0 mọi xã được đánh giá; 3 có lỗi dữ liệu (xem loi-du-lieu.csv);
    1 không chạy được; 2 tùy chọn sai.

    Ví dụ: python -m pipeline assess --input input --output output
    """
    # The run's imports make some 80,000 objects that live as long as the process: collecting while they are made
    # took 0.1 s, and every later collection would walk them again; frozen, they are left alone (`run._settled`).
    gc.disable()
    from pipeline.catalog import department_folder
    from pipeline.checking.registration import RegistrationError  # imported here so that --help stays instant
    from pipeline.presenting.messages import TERMINAL
    from pipeline.run import run
    from pipeline.settings import SettingsError

    gc.freeze()
    gc.enable()

    click_vi.speak(lang)
    if not input_dir.is_dir():
        raise click.ClickException(TERMINAL[lang]["no_input"].format(folder=input_dir))
    try:
        outcome = run(
            input_dir,
            output_dir,
            lang=lang,
            workers=workers,
            quiet=quiet,
            registered=registered,
            settings_file=settings_file,
            sheets=sheets,
            commune_files=commune_files,
            schemas=department_folder(schemas_dir),
        )
    except (OutputError, CatalogError, RegistrationError, SettingsError) as e:
        raise click.ClickException(str(e)) from e
    for note in outcome.notes:
        click.echo(TERMINAL[lang]["note"].format(note=note), err=True)
    if timings:  # for benchmarks/bench.py
        click.echo(json.dumps({"timings": outcome.timings}), err=True)
    if not outcome.received:
        click.echo(TERMINAL[lang]["nothing"].format(folder=input_dir), err=True)
    if not quiet:
        for line in summary_lines(outcome, lang):
            click.echo(line)
    raise SystemExit(outcome.exit_code)


def summary_lines(outcome, lang: str = "vi") -> list[str]:
    """What the terminal says of a run: per year and tier the counts of the year's view, the problems, the files."""
    from pipeline.presenting.messages import TERMINAL
    from pipeline.presenting.summary import tier_label
    from pipeline.presenting.view import undated_note
    from pipeline.presenting.words import count

    say, lines = TERMINAL[lang], []
    for year, view in outcome.views.items():
        criteria = view.criteria
        lines.append(say["year"].format(year=year) + ("" if criteria.period else say["no_catalog"]))
        table = view.tiers
        for label, row in zip(tier_label(table[ROLES.tier], criteria, lang), table.itertuples(), strict=True):
            pairs = ((row.khong_dat, "khong_dat"), (row.khong_danh_gia_duoc, "khong_danh_gia_duoc"))
            rest = "".join(say["more"].format(n=count(n), what=say[w]) for n, w in pairs if n)
            lines.append(say["tier"].format(label=label, ratio=row.ti_so, rest=rest))
    if len(outcome.undated):
        lines.append(undated_note(len(outcome.undated), lang))
    errors = int(outcome.listed["muc_do"].eq("loi").sum())  # the rows of loi-du-lieu.csv
    warnings = len(outcome.listed) - errors
    lines.append(say["problems"].format(errors=errors, warnings=warnings) + (say["see"] if errors + warnings else ""))
    lines += [f"  {line}" for line in outcome.say.kinds(outcome.listed)]
    return lines + [f"  {line}" for line in written_lines(outcome.written, lang)]


LISTED_PER_FOLDER = 10  # beyond this many files in one folder (a national run's district workbooks), a count


def written_lines(paths: list[Path], lang: str = "vi") -> list[str]:
    """ "đã ghi <file>" per file, folder by folder; a folder of many files gets one line with their count."""
    from pipeline.presenting.messages import TERMINAL

    folders: dict[Path, list[Path]] = {}
    for path in paths:
        folders.setdefault(path.parent, []).append(path)
    lines = []
    for folder, files in folders.items():
        if len(files) > LISTED_PER_FOLDER:
            lines.append(TERMINAL[lang]["wrote_many"].format(n=len(files), folder=f"{folder}{os.sep}"))
        else:
            lines += [TERMINAL[lang]["wrote"].format(path=path) for path in files]
    return lines


@main.command()
@click.option(
    "--year",
    type=int,
    metavar="NĂM",
    default=lambda: dt.date.today().year,
    show_default="năm hiện tại",
    help="Năm đánh giá của biểu.",
)
@folder_option("output", "output", "Thư mục ghi biểu (mau-nhap-lieu-<năm>.xlsx).")
@click.option(
    "--communes",
    type=click.Path(exists=True, path_type=Path),
    metavar="TỆP",
    default=None,
    help="Danh sách xã để điền sẵn: tệp CSV (ma_xa, ten_xa, huyen, hang_dang_ky) "
    "hoặc bảng tính / thư mục đầu vào của năm trước. Mỗi xã (hoặc huyện) một tệp.",
)
@click.option(
    "--per",
    type=click.Choice(["commune", "district"]),
    default="commune",
    show_default=True,
    help="Với --communes: một tệp cho mỗi xã hay cho mỗi huyện.",
)
@click.option(
    "--province",
    type=int,
    metavar="MÃ_TỈNH",
    default=None,
    help="Mã tỉnh trong danh mục ngày 01/7/2025 (ví dụ 37 Ninh Bình): điền sẵn mã và tên mọi xã của tỉnh "
    "(không gồm phường, đặc khu), mỗi xã một tệp. Từ năm 2025.",
)
@schemas_option()
@click.option("--quiet", "-q", is_flag=True, help="Chỉ in lỗi và lưu ý.")
def template(
    year: int,
    output_dir: Path,
    communes: Path | None,
    per: str,
    province: int | None,
    schemas_dir: Path | None,
    quiet: bool,
):
    """Ghi biểu nhập liệu trống (hoặc điền sẵn cho từng xã) từ danh mục cột.

    Write the blank input template (or one pre-filled copy per commune or district).

    Ví dụ: python -m pipeline template --year 2025 --communes ds-xa.csv --per district

    Ví dụ: python -m pipeline template --year 2025 --province 37
    """
    from pipeline.catalog import department_folder
    from pipeline.writing.template import NoCatalog, TemplateError, generate

    if communes is not None and province is not None:
        raise click.UsageError("chọn một trong --communes và --province")
    try:
        made = generate(
            year, output_dir, communes=communes, per=per, province=province, schemas=department_folder(schemas_dir)
        )
    except NoCatalog as e:  # not a failure: the department has a catalog to add first (make tolerates this code)
        click.echo(str(e), err=True)
        raise SystemExit(EXIT_NO_CATALOG) from e
    except (OutputError, CatalogError, TemplateError) as e:
        raise click.ClickException(str(e)) from e
    for note in made.notes:
        click.echo(f"Lưu ý: {note}", err=True)
    if not quiet:
        for path in made.written:
            click.echo(f"  đã ghi {path}")


@main.group("catalog")
def catalog_group():
    """Danh mục cột và bộ chỉ tiêu: bắt đầu một giai đoạn mới, kiểm tra trước khi dùng.

    Catalogs: start a new period's file, check the files a department writes.
    The department's folder (schemas/ where the command runs, or --schemas DIR) is
    read before the catalogs shipped with the program.

    Ví dụ: python -m pipeline catalog new 2026-2030

    Ví dụ: python -m pipeline catalog check
    """


@catalog_group.command()
@click.argument("files", nargs=-1, metavar="[TỆP]...", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--columns",
    "columns_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="TỆP",
    default=None,
    help="Danh mục cột để đối chiếu bộ chỉ tiêu (mặc định: columns.toml cùng thư mục, nếu không có: của chương trình).",
)
@schemas_option()
def check(files: tuple[Path, ...], columns_file: Path | None, schemas_dir: Path | None):
    """Kiểm tra từng TỆP (danh mục cột, bộ chỉ tiêu, tệp của tỉnh); không ghi TỆP: mọi tệp của thư mục
    danh mục của Sở và của chương trình, theo từng thư mục.

    In "hợp lệ" với số chỉ tiêu, các hạng, các năm; hoặc lỗi: tệp, mục, khóa cần sửa.
    Mã thoát: 0 mọi tệp hợp lệ; 1 có tệp lỗi.

    Ví dụ: python -m pipeline catalog check schemas/criteria-2026-2030.toml
    """
    from pipeline.catalog import check_files, check_folders, department_folder

    if files:
        sections = [("", check_files(list(files), columns=columns_file))]
    else:
        sections = check_folders(department_folder(schemas_dir))
    for heading, results in sections:
        if heading:
            click.echo(heading)
        for _, ok, line in results:
            click.echo(f"  {line}" if heading else line, err=not ok)
    raise SystemExit(0 if all(ok for _, results in sections for _, ok, _ in results) else 1)


@catalog_group.command()
@click.argument("period", required=False, metavar="GIAI_ĐOẠN")
@schemas_option(must_exist=False)
def new(period: str | None, schemas_dir: Path | None):
    """Ghi tệp khởi đầu bộ chỉ tiêu của GIAI_ĐOẠN vào thư mục danh mục của Sở (mặc định schemas/).

    Write the starter catalog of a period: only what is verified of it, no
    indicator. Never writes over an existing file.

    Ví dụ: python -m pipeline catalog new 2026-2030
    """
    from pipeline.catalog import check_files, department_folder, new_catalog, starter_periods

    if not period:
        raise click.UsageError(f"hãy ghi giai đoạn, ví dụ: catalog new 2026-2030 (có: {', '.join(starter_periods())})")
    try:
        path = new_catalog(period, department_folder(schemas_dir))
    except CatalogError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"đã ghi {path}")
    for _, ok, line in check_files([path]):
        if not ok:
            click.echo(f"Việc còn lại — {line}")
    click.echo(f"Sửa tệp, rồi kiểm tra: python -m pipeline catalog check {path}")
