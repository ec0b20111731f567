"""The package as `pip install .` makes it: the catalogs inside, found from any folder.

The wheel is built once (pip, in an isolated build environment, from a copy of the
sources so that the work tree gets no build/ folder) and installed without its
dependencies into a folder of its own; the installed console script then runs
from another folder with that folder first on PYTHONPATH, so it needs no network.
"""

from __future__ import annotations

import csv
import email
import os
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO

import pipeline
from pipeline import catalog

pytestmark = pytest.mark.slow  # building the wheel takes some 20 s


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src)
    shutil.copytree(REPO / "pipeline", src / "pipeline", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(src), "-w", str(dist)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed alone into a folder (its dependencies come from this environment)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    return target


def test_the_wheel_ships_every_catalog(wheel):
    shipped = sorted(
        p.relative_to(REPO).as_posix() for p in (REPO / "pipeline" / "schemas").rglob("*") if p.suffix == ".toml"
    )
    assert "pipeline/schemas/columns.toml" in shipped
    assert any(name.startswith("pipeline/schemas/criteria-") for name in shipped)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for name in shipped:
            assert name in names, f"{name} is not in the wheel"
            assert z.read(name) == (REPO / name).read_bytes()
        (meta,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(z.read(meta))
    assert metadata["Version"] == pipeline.__version__  # one version source: pipeline/__init__.py
    runtime = {r.split(">")[0].split("=")[0].strip() for r in metadata.get_all("Requires-Dist") if "extra ==" not in r}
    assert {"pandas", "numpy", "pandera", "python-calamine", "xlsxwriter", "click"} <= runtime
    assert "openpyxl" not in runtime  # only the tests read workbooks back with it


def test_the_catalog_folder_is_package_data():
    assert Path(pipeline.__file__).parent / "schemas" == catalog.SCHEMAS
    assert (catalog.SCHEMAS / "columns.toml").is_file()
    assert sorted(catalog.SCHEMAS.glob("criteria-*.toml"))


def test_the_installed_package_assesses_the_sample_from_another_folder(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed)}
    where = subprocess.run(
        [sys.executable, "-c", "import pipeline.catalog as c; print(c.__file__); print(c.SCHEMAS)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert [Path(line).is_relative_to(installed) for line in where] == [True, True], where

    script = installed / "bin" / ("ntm-ict.exe" if os.name == "nt" else "ntm-ict")
    out = tmp_path / "out"
    result = subprocess.run(
        [str(script), "assess", "--input", str(REPO / "input"), "--output", str(out), "--workers", "1"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with (out / "2024" / "xa-2024.csv").open(encoding="utf-8-sig", newline="") as f:
        communes = list(csv.DictReader(f))
    met = Counter(c["hang_dang_ky"] for c in communes if c["ket_qua"] == "dat")
    registered = Counter(c["hang_dang_ky"] for c in communes)
    assert (met, registered) == ({"nang_cao": 15, "kieu_mau": 2}, {"nang_cao": 15, "kieu_mau": 2})
