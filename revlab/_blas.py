"""Point PyTensor at the system OpenBLAS before it loads, when the user has not chosen a BLAS.

PyTensor installed by pip searches only its own prefix for a BLAS, finds none on a Debian
machine even with ``libopenblas-dev`` installed, and warns at import that BLAS operations will
be slow. revlab links the system OpenBLAS when there is one (``make setup`` installs it where
it can), and otherwise says explicitly that there is none, which keeps the warning out of
every report. A ``blas__ldflags`` the user set in ``PYTENSOR_FLAGS`` or ``~/.pytensorrc`` wins.

:func:`configure` runs when :mod:`revlab.forecast` or :mod:`revlab.lifecycle` is imported (the
packages that use PyMC, so before either loads PyTensor), not on ``import revlab``. Code that
imports PyMC itself before either package keeps PyTensor's own BLAS search.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from pathlib import Path


def configure() -> str | None:
    """Add ``blas__ldflags`` to ``PYTENSOR_FLAGS`` unless PyTensor is loaded or it is set.

    Returns the flags chosen (``-lopenblas`` or an empty string), or None when left alone.
    """
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "pytensor" in sys.modules or "blas__ldflags" in flags or _in_rc_file():
        return None
    chosen = "-lopenblas" if ctypes.util.find_library("openblas") else ""
    os.environ["PYTENSOR_FLAGS"] = ",".join(p for p in (flags, f"blas__ldflags={chosen}") if p)
    return chosen


def _in_rc_file() -> bool:
    rc = os.environ.get("PYTENSORRC", str(Path.home() / ".pytensorrc"))
    return any("ldflags" in Path(p).read_text() for p in rc.split(os.pathsep) if Path(p).is_file())
