"""Write canonical tables where ``revlab report --source`` reads them: DuckDB file or Parquet.

The target is replaced whole and atomically (written beside it, then renamed), so a failed
import leaves the previous one intact; a folder holding anything but canonical table files is
never overwritten.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from revlab.schema import TABLES

DUCKDB_SUFFIXES = (".duckdb", ".db", ".ddb")


class OutputError(ValueError):
    """The output path cannot take the import; the message says why and what to do."""


def write_tables(tables: dict[str, pd.DataFrame], out: str | Path) -> Path:
    """Write ``tables`` to a DuckDB file (``.duckdb``) or a folder of ``<table>.parquet``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix in DUCKDB_SUFFIXES:
        _write_duckdb(tables, out)
    else:
        _write_folder(tables, out)
    return out


def _write_duckdb(tables: dict[str, pd.DataFrame], out: Path) -> None:
    import duckdb

    if out.is_dir():
        raise OutputError(f"{out} is a folder; give a file name ending in .duckdb.")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(fd)
    os.unlink(tmp)  # DuckDB creates the file itself
    try:
        con = duckdb.connect(tmp)
        for name, frame in tables.items():
            con.register("_frame", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
            con.unregister("_frame")
        con.close()
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, f"{tmp}.wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)


def _write_folder(tables: dict[str, pd.DataFrame], out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file; give a folder (Parquet) or a name ending in .duckdb.")
    if out.exists():
        allowed = {f"{t}{s}" for t in TABLES for s in (".parquet", ".csv", ".csv.gz")}
        other = sorted(p.name for p in out.iterdir() if p.name not in allowed)
        if other:
            raise OutputError(
                f"{out} holds other files ({', '.join(other[:5])}); the import replaces the "
                "whole folder, so give a new or empty one."
            )
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        for name, frame in tables.items():
            frame.to_parquet(work / f"{name}.parquet", index=False)
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        work.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
