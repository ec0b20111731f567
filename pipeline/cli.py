"""Command line: parse options, call the library, say how it went. Nothing else."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline import __version__
from pipeline.catalog import CatalogError
from pipeline.files import OutputError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__)
def main():
    """Thẩm định chỉ tiêu ngành TT&TT của xã NTM từ các bảng tính xã gửi lên.

    Appraise the ICT indicators of new-rural communes from their workbooks.
    """


@main.command()
@click.option(
    "--input",
    "input_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="input",
    show_default=True,
    help="Thư mục chứa bảng tính của các xã (đọc cả thư mục con).",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="output",
    show_default=True,
    help="Thư mục ghi kết quả (mỗi năm một thư mục con).",
)
@click.option(
    "--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, help="Ngôn ngữ của bảng tổng hợp."
)
@click.option("--quiet", "-q", is_flag=True, help="Chỉ in lỗi.")
def assess(input_dir: Path, output_dir: Path, lang: str, quiet: bool):
    """Đánh giá mọi bảng tính trong INPUT và ghi kết quả vào OUTPUT.

    Exit status: 0 mọi xã được đánh giá; 3 có lỗi dữ liệu (xem loi-du-lieu.csv);
    1 không chạy được.

    Example: python -m pipeline assess --input input --output output
    """
    from pipeline.run import run  # imported here so that --help stays instant

    if not input_dir.is_dir():
        raise click.ClickException(f"Không có thư mục đầu vào {input_dir}; hãy tạo thư mục và chép bảng tính vào.")
    try:
        outcome = run(input_dir, output_dir, lang=lang)
    except (OutputError, CatalogError) as e:
        raise click.ClickException(str(e)) from e
    if not quiet:
        for year, result in outcome.years.items():
            click.echo(f"Năm {year}:")
            communes = result.communes
            for tier, group in communes.groupby("hang_dang_ky", sort=False):
                met = int(group["ket_qua"].eq("dat").sum())
                click.echo(f"  {tier}: {met}/{len(group)} xã đạt")
        errors = int(outcome.problems["muc_do"].eq("loi").sum())
        warnings = len(outcome.problems) - errors
        click.echo(f"Lỗi dữ liệu: {errors}, cảnh báo: {warnings}")
        for path in outcome.written:
            click.echo(f"  đã ghi {path}")
    raise SystemExit(outcome.exit_code)
