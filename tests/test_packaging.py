"""Packaging: environment.yml lists what pyproject.toml does; the package imports fast."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!\[ ;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _specs_without_names(spec: str) -> str:
    return re.sub(r"\[.*?\]", "", spec).replace(" ", "")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [
        d for d in env["dependencies"] if isinstance(d, str) and _name(d) not in {"python", "pip"}
    ]
    assert {_name(d) for d in wanted} == {_name(d) for d in conda}
    pins = {_name(d): _specs_without_names(d) for d in conda}
    for dep in wanted:
        spec = dep.split("#")[0].strip()
        assert pins[_name(spec)] == _specs_without_names(spec).replace(
            "ibis-framework", "ibis-framework"
        ), dep


def test_constraints_pin_every_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {
        _name(line) for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line
    }
    for dep in [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]:
        assert _name(dep) in pinned, f"{dep} is not pinned in constraints.txt"


def test_import_is_fast_and_light():
    code = (
        "import sys, time; t = time.perf_counter(); import revlab; "
        "print(time.perf_counter() - t, 'pymc' in sys.modules, 'ibis' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, pymc_loaded, ibis_loaded = out.stdout.split()
    assert float(seconds) < 2.0
    assert pymc_loaded == "False" and ibis_loaded == "False"


def _source_copy(tmp_path: Path) -> Path:
    """The files a build reads, copied so that the build leaves the checkout untouched."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "revlab", src / "revlab", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks", src / "notebooks")
    return src


def test_wheel_carries_the_notebooks_and_installed_report_finds_them(tmp_path):
    src = _source_copy(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(src),
         "-w", str(tmp_path / "dist")],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("revlab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    expected = sorted(f"revlab/notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(n for n in names if n.endswith(".ipynb")) == expected
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q",
         "--target", str(site), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    code = (
        "from revlab.report.run import default_notebooks, find_notebooks; "
        "print(default_notebooks()); print(len(find_notebooks(default_notebooks())))"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path, env=env).stdout.split()  # fmt: skip
    assert out[0] == str(site / "revlab" / "notebooks") and int(out[1]) == len(expected)


def test_report_help_from_any_folder_documents_the_notebooks_default(tmp_path):
    out = subprocess.run([sys.executable, "-m", "revlab.cli", "report", "--help"],
                         capture_output=True, text=True, check=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout  # fmt: skip
    text = " ".join(out.split())
    assert (
        "the repository's notebooks/ in a source checkout, else the notebooks installed with "
        "revlab" in text
    )
