"""revlab points PyTensor at the system OpenBLAS, or says there is none, unless the user chose.

It does so when a package that uses PyMC is imported (forecast, lifecycle), before PyTensor
loads; ``import revlab`` alone leaves the environment as it was.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from revlab import _blas


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """As if PyTensor were not loaded yet and no flags or rc file were set."""
    monkeypatch.delitem(sys.modules, "pytensor", raising=False)
    monkeypatch.delenv("PYTENSOR_FLAGS", raising=False)
    monkeypatch.setenv("PYTENSORRC", str(tmp_path / "absent.rc"))
    return monkeypatch


@pytest.mark.parametrize(("found", "flags"), [("libopenblas.so.0", "-lopenblas"), (None, "")])
def test_links_openblas_when_the_system_has_it_else_says_none(fresh, found, flags):
    fresh.setattr(_blas.ctypes.util, "find_library", lambda name: found)
    assert _blas.configure() == flags
    assert _blas.os.environ["PYTENSOR_FLAGS"] == f"blas__ldflags={flags}"


def test_keeps_the_users_other_flags(fresh):
    fresh.setenv("PYTENSOR_FLAGS", "floatX=float64")
    fresh.setattr(_blas.ctypes.util, "find_library", lambda name: None)
    _blas.configure()
    assert _blas.os.environ["PYTENSOR_FLAGS"] == "floatX=float64,blas__ldflags="


def test_a_users_choice_wins(fresh, tmp_path):
    fresh.setenv("PYTENSOR_FLAGS", "blas__ldflags=-lmkl_rt")
    assert _blas.configure() is None
    assert _blas.os.environ["PYTENSOR_FLAGS"] == "blas__ldflags=-lmkl_rt"
    rc = tmp_path / "pytensorrc"
    rc.write_text("[blas]\nldflags = -lblas\n")
    fresh.delenv("PYTENSOR_FLAGS")
    fresh.setenv("PYTENSORRC", str(rc))
    assert _blas.configure() is None
    assert "PYTENSOR_FLAGS" not in _blas.os.environ


def test_too_late_once_pytensor_is_loaded(fresh):
    fresh.setitem(sys.modules, "pytensor", object())
    assert _blas.configure() is None


ROOT = Path(__file__).resolve().parents[1]
#: Printed last by every child: the flags and whether PyTensor is loaded.
REPORT = (
    "import os, sys\nprint(os.environ.get('PYTENSOR_FLAGS', '<unset>'), 'pytensor' in sys.modules)"
)


def _run(code: str, tmp_path) -> list[str]:
    """The lines ``code`` then REPORT print in a fresh process with no PyTensor settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTENSOR")}
    env.update(PYTHONPATH=str(ROOT), PYTENSORRC=str(tmp_path / "absent.rc"))
    run = subprocess.run(
        [sys.executable, "-c", f"{code}\n{REPORT}"],
        capture_output=True, text=True, check=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    return run.stdout.splitlines()


def test_import_revlab_leaves_pytensor_flags_alone(tmp_path):
    code = "import revlab, revlab.sources, revlab.schema, revlab.plots"
    assert _run(code, tmp_path) == ["<unset> False"]


@pytest.mark.parametrize("package", ["revlab.forecast", "revlab.lifecycle"])
def test_the_packages_using_pymc_set_the_flags_before_pytensor_loads(tmp_path, package):
    (line,) = _run(f"import {package}", tmp_path)
    flags, loaded = line.rsplit(" ", 1)
    assert flags in ("blas__ldflags=-lopenblas", "blas__ldflags=") and loaded == "False"


def test_pytensor_loaded_for_a_model_has_the_flags(tmp_path):
    code = (
        "from revlab.forecast._sampling.model import BayesianModel\n"
        "import pytensor\n"
        "print(f'blas__ldflags={pytensor.config.blas__ldflags}')"
    )
    seen, line = _run(code, tmp_path)
    assert line == f"{seen} True"
