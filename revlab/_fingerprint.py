"""Reproducibility facts for a run: package versions and a fingerprint of the data."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Mapping
from importlib import metadata

import ibis
import pandas as pd

from revlab._tables import CREATED
from revlab.sources import Source

_PACKAGES = ("revlab", "pandas", "numpy", "ibis-framework", "duckdb", "scikit-learn", "pymc")


def versions() -> dict[str, str]:
    """Python and the versions of the packages a result depends on."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def fingerprint(src: Source) -> str:
    """A short hash of each table's row count and latest time: same data, same fingerprint."""
    parts = []
    for name in src.available():
        table = src.table(name)
        col = CREATED.get(name)
        stats = (
            table.aggregate(n=table.count(), latest=table[col].max())
            if col
            else table.aggregate(n=table.count())
        )
        row = stats.to_pandas().iloc[0].to_dict()
        parts.append(f"{name}:{row}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def content_fingerprint(src: Source) -> str:
    """A hash of every table's content as the source stands (cut at its as-of date).

    Each table contributes its row count and the sum of its columns' row hashes, computed in the
    engine: any added, removed or edited row changes it, row order does not. Engines without a
    hash function get :func:`fingerprint` (row counts and latest times) instead.
    """
    parts = []
    try:
        for name in src.available():
            table = src.table(name)
            total = sum((table[c].hash().sum() for c in table.columns), ibis.literal(0))
            row = table.aggregate(n=table.count(), h=total).to_pandas().iloc[0]
            parts.append(f"{name}:{int(row['n'])}:{row['h']}")
    except (NotImplementedError, ibis.common.exceptions.OperationNotDefinedError):
        return fingerprint(src)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def table_fingerprint(tables: Mapping[str, pd.DataFrame]) -> str:
    """A hash of every table's name, columns, dtypes and values: same tables, same hash.

    Rows are sorted first, so the order a backend returns them in does not matter. This is the
    fingerprint ``revlab demo`` prints: DuckDB's file layout (its compression) differs between
    two writes of the same tables, so the same seed gives the same tables, not the same bytes.
    """
    digest = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name]
        frame = frame[sorted(map(str, frame.columns))]
        rows = frame.sort_values(list(frame.columns), kind="stable", na_position="last")
        digest.update(f"{name}:{dict(frame.dtypes.astype(str))}".encode())
        digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def source_fingerprint(src: Source) -> str:
    """:func:`table_fingerprint` of every table a source holds, read with canonical dtypes."""
    return table_fingerprint({name: src.to_pandas(name) for name in src.available()})
