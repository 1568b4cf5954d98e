"""Writing the demo company to disk: tables to DuckDB, truth to a separate folder.

The tables go to one DuckDB file (one table each, canonical names); the truth goes to a folder
of Parquet files plus ``params.json``, which the analyses never read. Both are written to a
temporary sibling first and renamed into place, so a reader never sees a half-written store.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pandas as pd

from revlab.demo._truth import DemoTruth

TRUTH_FRAMES = ("leads", "deals", "pipeline_snapshots")


def write(company, path="data/demo.duckdb", truth_path="data/demo_truth") -> dict[str, int]:
    """Write the tables to ``path`` (DuckDB) and the truth to ``truth_path``; rows per table."""
    path, truth_path = Path(path), Path(truth_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, frame in company.tables.items():
                con.register("_frame", frame)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
                con.unregister("_frame")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    save_truth(company.truth, truth_path)
    return {name: len(frame) for name, frame in company.tables.items()}


def save_truth(truth: DemoTruth, truth_path) -> None:
    """Write the truth folder atomically (temporary folder, then rename)."""
    truth_path = Path(truth_path)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = truth_path.with_name(f".{truth_path.name}.{uuid.uuid4().hex}.tmp")
    tmp.mkdir()
    try:
        (tmp / "params.json").write_text(json.dumps(truth.params, indent=2, sort_keys=True))
        for name in TRUTH_FRAMES:
            getattr(truth, name).to_parquet(tmp / f"{name}.parquet", index=False)
        old = truth_path.with_name(f".{truth_path.name}.{uuid.uuid4().hex}.old")
        if truth_path.exists():
            truth_path.rename(old)
        tmp.rename(truth_path)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_truth(truth_path="data/demo_truth") -> DemoTruth:
    """The truth written by :func:`write`, with every method working as before."""
    truth_path = Path(truth_path)
    if not (truth_path / "params.json").exists():
        raise FileNotFoundError(
            f"{truth_path}: no demo truth here; generate it with `revlab demo` (or `make data`)."
        )
    params = json.loads((truth_path / "params.json").read_text())
    frames = {name: pd.read_parquet(truth_path / f"{name}.parquet") for name in TRUTH_FRAMES}
    return DemoTruth(params, **frames)
