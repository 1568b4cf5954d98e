"""Reshape an export before and after mapping: lookups into a second file, stage-date columns.

* **Lookups** bring columns of a second export (accounts, products) into each row by key, so
  renames and value maps can use them like the export's own columns.
* **Stage dates**: an export with one date column per stage ("Demo On", "Won On") becomes one
  ``stage_history`` row per filled cell, the general form of HubSpot's date-entered-stage
  columns.
"""

from __future__ import annotations

import pandas as pd

from ._csv import read_csv
from ._mapping import ColumnMap, Lookup
from ._values import to_text

MAX_EXAMPLES = 3


def add_lookups(
    raw: pd.DataFrame, cmap: ColumnMap, where: str, problems: list[str]
) -> pd.DataFrame:
    """``raw`` with the columns of every lookup added; problems appended, rows unchanged."""
    out = raw.copy()
    for name, lookup in cmap.lookups.items():
        other, label = _read(lookup, cmap)
        added = _one_lookup(out, other, lookup, cmap, f"{where}: lookups.{name} ({label})")
        if isinstance(added, str):
            problems.append(added)
            continue
        clash = sorted(set(added.columns) & set(out.columns))
        if clash:
            problems.append(
                f"{where}: lookups.{name} names column(s) {', '.join(map(repr, clash))} that the "
                "export already has; give them other names under `columns:`."
            )
            continue
        out = pd.concat([out, added], axis=1)
    return out


def _read(lookup: Lookup, cmap: ColumnMap) -> tuple[pd.DataFrame, str]:
    if isinstance(lookup.source, pd.DataFrame):
        return lookup.source, "DataFrame"
    from pathlib import Path

    path = Path(lookup.source)
    return read_csv(path, encoding=cmap.encoding, delimiter=cmap.delimiter), path.name


def _one_lookup(
    raw: pd.DataFrame, other: pd.DataFrame, lookup: Lookup, cmap: ColumnMap, where: str
) -> pd.DataFrame | str:
    """The looked-up columns, one row per export row, or the problem as text."""
    on = cmap.find(list(raw.columns), lookup.by)
    key = next((c for c in other.columns if str(c).strip() == lookup.key), None)
    absent = [repr(c) for c in lookup.columns if c not in other.columns]
    if on is None:
        return f"{where}: `by: {lookup.by}` is not a column of the export."
    if key is None or absent:
        missing = ", ".join([*([repr(lookup.key)] if key is None else []), *absent])
        return (
            f"{where}: the file lacks column(s) {missing}; it has: "
            f"{', '.join(map(str, other.columns))}."
        )
    keys = to_text(other[key])
    doubled = keys[keys.notna() & keys.duplicated(keep=False)].drop_duplicates()
    if len(doubled):
        shown = ", ".join(map(repr, doubled.head(MAX_EXAMPLES)))
        return f"{where}: {key} repeats ({shown}); each key must name one row."
    table = other.assign(_key=keys).dropna(subset=["_key"]).set_index("_key")
    wanted = to_text(raw[on])
    unknown = wanted.notna() & ~wanted.isin(table.index)
    if unknown.any():
        counts = wanted[unknown].value_counts()
        shown = ", ".join(
            f"{v!r} ({n} row{'s' if n > 1 else ''})" for v, n in counts.head(5).items()
        )
        return (
            f"{where}: {int(unknown.sum())} rows have {on} values that {key} does not hold: "
            f"{shown}; add them to the file, or fix the export."
        )
    return pd.DataFrame(
        {new: wanted.map(table[src]).to_numpy() for src, new in lookup.columns.items()},
        index=raw.index,
    )


def stage_entries(raw: pd.DataFrame, columns: dict[str, str], id_col: str) -> pd.DataFrame:
    """One row per filled stage-date cell: opportunity_id, stage, entered_at (as text).

    ``columns`` maps each export column to its stage. Rows come out by deal, then by the
    order of the columns, so a deal's history reads in funnel order when times tie.
    """
    parts = []
    for order, (column, stage) in enumerate(columns.items()):
        cell = raw[column]
        filled = cell.notna() & cell.astype("str").str.strip().ne("")
        parts.append(
            pd.DataFrame(
                {
                    "opportunity_id": raw.loc[filled, id_col],
                    "stage": stage,
                    "entered_at": cell[filled],
                    "_order": order,
                    "_row": raw.index[filled],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["opportunity_id", "stage", "entered_at"], dtype="str")
    long = pd.concat(parts).sort_values(["_row", "_order"], kind="stable")
    return long.drop(columns=["_row", "_order"]).reset_index(drop=True).astype("str")
