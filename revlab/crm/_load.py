"""Read one export (a CSV path or a DataFrame) through a ColumnMap into a canonical table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from revlab.schema import TABLES, SchemaError

from . import _values
from ._mapping import ColumnMap, ValueMap, read_mapping

Source = str | Path | pd.DataFrame
MAX_EXAMPLES = 3


def read_source(source: Source) -> tuple[pd.DataFrame, str]:
    """The raw frame, all text for CSV files, and a name for messages; inputs are not changed."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), "DataFrame"
    path = Path(source)
    # Only an empty field is missing: "NA" is a region and "null" may be a stage name.
    frame = pd.read_csv(
        path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
    )
    return frame, path.name


def load_export(
    source: Source,
    mapping: ColumnMap | Mapping | str | Path,
    *,
    table: str | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    """Turn a CRM export into one canonical table, keeping every row.

    Parameters
    ----------
    source
        A CSV file or a DataFrame, one row per record.
    mapping
        A :class:`ColumnMap`, a dict, or the path of a YAML file (format in :mod:`revlab.crm`).
    table
        Canonical table name, if the mapping does not say.
    name
        What to call the source in messages (default: the file name).

    Returns
    -------
    DataFrame
        Canonical columns with canonical dtypes (required, then optional, in contract order),
        followed by kept attribute columns in snake_case. Same rows, same order.

    Raises
    ------
    SchemaError
        Listing every problem at once: columns the mapping names that the export lacks (with
        the columns it has), values a value map does not cover, values that do not parse.
    """
    cmap = read_mapping(mapping, table=table)
    raw, default_name = read_source(source)
    where = f"{name or default_name} → {cmap.table}"
    headers = _resolve(raw, cmap, where)
    problems: list[str] = []
    reported: set[str] = set()  # columns whose bad values are already in problems
    out = pd.DataFrame(index=raw.index)
    for src, dst in [*cmap.renames.items(), *cmap.optional.items()]:
        if headers.get(src) is not None:
            out[dst] = raw[headers[src]]
    for dst, vmap in cmap.values.items():
        if vmap.when_missing and dst in out.columns:
            continue
        out[dst], bad = _map_values(
            raw[headers[vmap.source]], vmap, dst, where, problems, raw, cmap
        )
        if bad.any():
            reported.add(dst)
    used = {headers[s] for s in [*cmap.renames, *cmap.optional] if headers.get(s)}
    out = _add_extras(out, raw, cmap, used, where, problems)
    for dst, value in cmap.fill.items():
        if dst in out.columns:
            out[dst] = _values.blank_to_na(out[dst]).fillna(value)
    out = _parse(out, raw, cmap, where, problems, reported)
    if not problems:
        for dst, rule in cmap.derive.items():
            if set(getattr(rule, "needs", ())) <= set(out.columns):
                out[dst] = rule(out)
    if problems:
        raise SchemaError(problems)
    assert len(out) == len(raw), "a CRM mapping must keep every row"
    return out[canonical_order(out.columns, cmap.table)].reset_index(drop=True)


def _resolve(raw: pd.DataFrame, cmap: ColumnMap, where: str) -> dict[str, str | None]:
    columns = [str(c) for c in raw.columns]
    needed = [*cmap.renames, *(v.source for v in cmap.values.values())]
    headers = {s: cmap.find(columns, s) for s in [*needed, *cmap.optional]}
    missing = [s for s in dict.fromkeys(needed) if headers[s] is None]
    if missing:
        listed = ", ".join(_with_alternatives(s, cmap) for s in missing)
        raise SchemaError(
            [
                f"{where}: the mapping names column(s) the export lacks: {listed}. "
                f"The export has: {', '.join(sorted(columns))}. "
                "Fix: export those columns too, or change the mapping to the names it uses."
            ]
        )
    return headers


def _with_alternatives(source: str, cmap: ColumnMap) -> str:
    alternatives = cmap.alternatives(source)
    return repr(source) + (f" (or {', '.join(map(repr, alternatives))})" if alternatives else "")


def _map_values(
    src: pd.Series,
    vmap: ValueMap,
    dst: str,
    where: str,
    problems: list,
    raw: pd.DataFrame,
    cmap: ColumnMap,
) -> tuple[pd.Series, pd.Series]:
    lookup = vmap.lookup()
    text = _values.to_text(src)
    keys = text.str.casefold().fillna("")
    covered = keys.isin(list(lookup))
    if not covered.all():
        counts = text[~covered].fillna("(empty)").value_counts()
        listed = ", ".join(f"{v!r} ({_rows(n)})" for v, n in counts.items())
        problems.append(
            f"{where}.{dst}: {_rows(int((~covered).sum()))} have {vmap.source} values the mapping "
            f"does not cover: {listed}{_example_ids(raw, ~covered, cmap)}. Fix: add them to the "
            f"value map for {dst} (known: {', '.join(map(repr, vmap.values))})."
        )
    return keys.map(lookup).where(covered), ~covered


def _add_extras(
    out: pd.DataFrame, raw: pd.DataFrame, cmap: ColumnMap, used: set, where: str, problems: list
) -> pd.DataFrame:
    if cmap.keep == "none":
        return out
    drop = {_values.header_key(d) for d in cmap.drop}
    if cmap.keep == "all":
        extras = [c for c in raw.columns if c not in used and _values.header_key(c) not in drop]
    else:
        extras = [cmap.find(list(raw.columns), k) or k for k in cmap.keep]
        absent = [k for k in extras if k not in raw.columns]
        if absent:
            problems.append(
                f"{where}: keep names column(s) the export lacks: {', '.join(map(repr, absent))}; "
                f"the export has: {', '.join(sorted(map(str, raw.columns)))}."
            )
            extras = [k for k in extras if k in raw.columns]
    names = {c: _values.snake_case(c) for c in extras}
    taken = set(out.columns) | set(TABLES[cmap.table].columns)
    clash = sorted(c for c, n in names.items() if n in taken or list(names.values()).count(n) > 1)
    if clash:
        problems.append(
            f"{where}: extra column(s) {', '.join(map(repr, clash))} would clash with another "
            "column once in snake_case; rename them in the mapping, or add them to `drop`."
        )
    kept = {names[c]: _values.infer_attribute(raw[c]) for c in extras if c not in clash}
    return pd.concat([out, pd.DataFrame(kept, index=raw.index)], axis=1) if kept else out


def _parse(
    out: pd.DataFrame,
    raw: pd.DataFrame,
    cmap: ColumnMap,
    where: str,
    problems: list,
    reported: set,
) -> pd.DataFrame:
    spec = TABLES[cmap.table].columns
    out = out.copy()
    for col in out.columns:
        kind = spec[col].kind if col in spec else ("timestamp" if col in cmap.dates else None)
        if kind is None:
            continue
        values, bad = _parse_one(out[col], kind, cmap.dates.get(col), cmap.timezone)
        if bad.any() and col not in reported:
            shown = out[col][bad].fillna("(empty)").drop_duplicates().head(MAX_EXAMPLES)
            shown = ", ".join(map(repr, shown))
            hint = {
                "timestamp": "give its format under `dates:` in the mapping (e.g. '%d/%m/%Y')",
                "bool": "map them under `values:` or use true/false",
                "float": "export plain numbers (no currency signs or thousands separators)",
            }.get(kind, "fix those values")
            problems.append(
                f"{where}.{col}: {_rows(int(bad.sum()))} cannot be read as {kind} "
                f"(values {shown}{_example_ids(raw, bad, cmap)}); {hint}."
            )
        out[col] = values
    return out


def _parse_one(series: pd.Series, kind: str, fmt: str | None, timezone: str):
    if kind == "timestamp":
        return _values.to_timestamp(series, fmt=fmt, timezone=timezone)
    if kind == "float":
        return _values.to_float(series)
    if kind == "bool":
        return _values.to_bool(series)
    return _values.to_text(series), pd.Series(False, index=series.index)


def _rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


def _example_ids(raw: pd.DataFrame, mask: pd.Series, cmap: ColumnMap) -> str:
    key = TABLES[cmap.table].key
    src = next((s for s, d in {**cmap.renames, **cmap.optional}.items() if d == key), None)
    header = cmap.find(list(raw.columns), src) if src else None
    if header is None:
        rows = list(raw.index[mask.to_numpy()][:MAX_EXAMPLES])
        return f"; rows {', '.join(map(str, rows))}"
    ids = raw.loc[mask.to_numpy(), header].head(MAX_EXAMPLES)
    more = ", …" if mask.sum() > MAX_EXAMPLES else ""
    return f"; {header} {', '.join(map(str, ids))}{more}"


def canonical_order(columns: Any, table: str) -> list[str]:
    """Canonical columns in contract order, then the others as they come."""
    canonical = [c for c in TABLES[table].columns if c in columns]
    return canonical + [c for c in columns if c not in canonical]
