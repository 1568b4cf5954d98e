"""Packaging: environment.yml lists what pyproject.toml does; the package imports fast."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
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
