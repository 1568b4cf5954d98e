"""Compiled models kept on disk between processes: loading one takes a fraction of compiling it."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

#: The modules whose code makes a compiled model (with the model's own module): a change to
#: any of them compiles afresh.
_MACHINERY = ("model", "compile_cache", "disk_cache", "nuts", "traces")


def compiled_cache_dir() -> Path | None:
    """Where compiled models are kept between processes.

    ``$REVLAB_CACHE_DIR``, else ``~/.cache/revlab/compiled``; ``REVLAB_CACHE_DIR=off`` turns
    the disk cache off. Entries are keyed by the model's code and the library versions, so a
    changed model is compiled afresh.
    """
    value = os.environ.get("REVLAB_CACHE_DIR", "")
    if value.lower() in ("off", "0", "none"):
        return None
    return Path(value) if value else Path.home() / ".cache" / "revlab" / "compiled"


def _disk_key(obj: Any, key: tuple) -> str:
    """Digest of the cache key, the model's and the machinery's source code, library versions."""
    import pymc
    import pytensor

    modules = [sys.modules[type(obj).__module__]]
    modules += [importlib.import_module(f"{__package__}.{name}") for name in _MACHINERY]
    source = "".join(inspect.getsource(module) for module in modules)
    text = json.dumps([key, source, pymc.__version__, pytensor.__version__, sys.version])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load(obj: Any, key: tuple):
    """The compiled model stored under ``key`` for ``obj``'s class, or None."""
    folder = compiled_cache_dir()
    if folder is None:
        return None
    path = folder / f"{_disk_key(obj, key)}.pkl"
    if not path.exists():
        return None
    try:
        import cloudpickle

        return cloudpickle.loads(path.read_bytes())
    except Exception:  # noqa: BLE001 - a stale or broken entry is rebuilt, never fatal
        path.unlink(missing_ok=True)
        return None


def save(obj: Any, key: tuple, compiled) -> None:
    """Store ``compiled`` under ``key`` for ``obj``'s class, if the disk cache is on."""
    folder = compiled_cache_dir()
    if folder is None:
        return
    try:
        import cloudpickle

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_disk_key(obj, key)}.pkl"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(cloudpickle.dumps(compiled))
        tmp.replace(path)
    except Exception:  # noqa: BLE001 - caching is an optimisation; failing to write is fine
        return
