"""Figures kept between runs: computed once for given data and settings, then read back.

A report recomputes figures "as of the previous quarter" that the previous report already
computed. :func:`recall` and :func:`keep` store such figures (a flat mapping of numbers) in
``<folder>/results/<key>.json`` under a key that hashes what decides them: the figure's name,
the content fingerprint of the data it saw (with the cut date), its settings and the package
versions. Any change makes a new key, so a stale figure is never read. Deleting the folder
costs only time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from revlab._fingerprint import content_fingerprint, versions

FORMAT = 1


def key_for(name: str, src, settings: dict) -> str:
    """The key of figure ``name`` computed from source ``src`` (as cut) with ``settings``."""
    facts = {
        "format": FORMAT,
        "name": name,
        "as_of": None if src.as_of is None else f"{pd.Timestamp(src.as_of):%Y-%m-%d %H:%M:%S}",
        "data": content_fingerprint(src),
        "settings": settings,
        "versions": versions(),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def recall(folder: str | Path | None, key: str) -> dict[str, float] | None:
    """The figures kept under ``key`` in ``folder``, or None (no folder, missing, unreadable)."""
    if not folder or not str(folder).strip():
        return None
    try:
        entry = json.loads((Path(folder) / "results" / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None
    return entry.get("values") if entry.get("format") == FORMAT else None


def keep(folder: str | Path | None, key: str, values: dict[str, float]) -> None:
    """Keep ``values`` under ``key`` in ``folder`` (atomically); nothing without a folder."""
    if not folder or not str(folder).strip():
        return
    clean = {k: (None if pd.isna(v) else float(v)) for k, v in values.items()}
    entry = {"format": FORMAT, "key": key, "values": clean}
    write_json(Path(folder) / "results" / f"{key}.json", entry)


def write_json(path: Path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(obj, fh)
    os.chmod(tmp, 0o644)  # like any file the report writes, not mkstemp's owner-only 0600
    os.replace(tmp, path)
