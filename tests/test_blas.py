"""revlab points PyTensor at the system OpenBLAS, or says there is none, unless the user chose."""

import sys

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
