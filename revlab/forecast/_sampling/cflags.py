"""Faster gcc flags for the C modules PyTensor compiles for revlab's models.

A first forecast in an empty compile cache compiles about 140 small C modules, one at a time,
and that was most of its time. Inside :func:`compile_flags` every module gets:

- ``-include`` of a precompiled header: every module PyTensor writes opens with the same
  Python, NumPy and C++ includes, and parsing them was about half a typical module's
  compile. The header is built once per compile cache, with the modules' own flags;
- ``-O1`` instead of PyTensor's ``-O3``: these loops run over a few hundred numbers, and the
  sampling took as long either way (measured 2026-11-25), while compiling took a third less.
  The draws differ in the last bits of each gradient, so a fit's draws differ from an
  ``-O3`` build's by Monte Carlo noise, as they do between machines;
- ``-g0`` (no debug symbols), ``-pipe``, and the gold linker where it is installed.

The flags are part of PyTensor's key for each module, so models are compiled and loaded
inside the same :func:`compile_flags`. The flags are first tried on a small module; if that
fails (another compiler, a missing linker) they are left as PyTensor has them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

#: The includes that open every module PyTensor writes (``CLinker.get_src_code``).
PRELUDE = """\
#include <Python.h>
#include "pytensor_mod_helper.h"
#include <math.h>
#include <numpy/arrayobject.h>
#include <numpy/arrayscalars.h>
#include <numpy/npy_math.h>
#include <vector>
#include <algorithm>
"""

HEADER_NAME = "revlab_prelude.h"
#: Added after PyTensor's own flags (the last ``-O`` wins, ``-g0`` cancels ``-g``).
OPTIONS = ["-O1", "-g0", "-pipe"]
#: A module as PyTensor writes them, small: what the flags are tried on.
_PROBE = PRELUDE + 'extern "C" double revlab_probe(double x) { return std::max(x, 0.0); }\n'


@contextlib.contextmanager
def compile_flags():
    """PyTensor's ``gcc__cxxflags`` with revlab's added (see the module doc), inside."""
    import pymc  # noqa: F401 - PyMC adds gcc flags on import; the header is built with them
    import pytensor

    current = pytensor.config.gcc__cxxflags
    extra = "" if HEADER_NAME in current else extra_flags()  # nested: already in place
    if not extra:
        yield
        return
    with pytensor.config.change_flags(gcc__cxxflags=f"{current} {extra}".strip()):
        yield


def extra_flags() -> str:
    """The flags :func:`compile_flags` adds: '' where they failed their trial."""
    import pytensor

    args = (pytensor.config.compiledir, pytensor.config.cxx, pytensor.config.gcc__cxxflags)
    extra = _extra_flags(*args)
    if extra and not Path(extra.rsplit(" ", 1)[-1]).is_file():  # the cache was cleared
        _extra_flags.cache_clear()
        extra = _extra_flags(*args)
    return extra


@cache
def _extra_flags(compiledir: str, cxx: str, cxxflags: str) -> str:
    """Built for these PyTensor settings (``cxxflags`` is part of what the header needs)."""
    if not cxx or not _is_gcc(cxx):
        return ""
    try:
        header = _build(Path(compiledir), cxx)
    except (OSError, subprocess.SubprocessError):
        return ""
    if header is None or " " in str(header):  # PyTensor splits its flags on spaces
        return ""
    return " ".join([*OPTIONS, *_linker(), "-include", str(header)])


def _is_gcc(cxx: str) -> bool:
    version = _version(cxx)
    return "Free Software Foundation" in version and "clang" not in version.lower()


@cache
def _version(cxx: str) -> str:
    """What ``cxx --version`` prints ('' if it cannot run): which compiler, and in the digest."""
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout


def _linker() -> list[str]:
    return ["-fuse-ld=gold"] if shutil.which("ld.gold") else []


def _build(compiledir: Path, cxx: str) -> Path | None:
    """The header and its ``.gch``, built with the modules' flags and tried; built once."""
    from pytensor.graph.fg import FunctionGraph
    from pytensor.link.c.basic import CLinker
    from pytensor.link.c.cmodule import std_include_dirs, std_lib_dirs, std_libs

    # what every module is compiled with: CLinker's own flags and the compiler's, user's included
    flags = [*CLinker().accept(FunctionGraph([], [])).compile_args(), *OPTIONS]
    includes = [f"-I{d}" for d in std_include_dirs() if d]
    digest = hashlib.sha256("\n".join([PRELUDE, _version(cxx), *flags, *includes]).encode())
    folder = compiledir / "revlab_pch" / digest.hexdigest()[:16]
    header, gch, tried = folder / HEADER_NAME, folder / f"{HEADER_NAME}.gch", folder / "tried"
    if tried.is_file() and gch.is_file() and header.is_file():
        return header
    folder.mkdir(parents=True, exist_ok=True)
    _write(header, PRELUDE.encode())
    base = [cxx, "-g", *flags, *includes]
    tmp_gch = folder / f"prelude.{os.getpid()}.gch"
    built = subprocess.run(
        [*base, "-x", "c++-header", str(header), "-o", str(tmp_gch)],
        capture_output=True,
        timeout=300,
    )
    if built.returncode != 0:
        tmp_gch.unlink(missing_ok=True)
        return None
    tmp_gch.replace(gch)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "probe.cpp"
        source.write_text(_PROBE)
        libs = [f"-L{d}" for d in std_lib_dirs()] + [f"-l{lib}" for lib in std_libs()]
        probe = [*base, "-shared", *_linker(), "-include", str(header), "-Werror=invalid-pch"]
        out = str(Path(tmp) / "probe.so")
        if subprocess.run([*probe, str(source), "-o", out, *libs], capture_output=True).returncode:
            return None
    _write(tried, b"ok\n")
    return header


def _write(path: Path, data: bytes) -> None:
    """Write by renaming a finished file into place: other processes see all of it or none."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)
