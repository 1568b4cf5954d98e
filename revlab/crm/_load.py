"""Read one export (a CSV path or a DataFrame) through a ColumnMap into canonical tables."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from revlab import _dates
from revlab.schema import TABLES, SchemaError

from . import _privacy, _reshape, _values
from ._csv import read_csv
from ._mapping import ColumnMap, FillFrom, ValueMap
from ._spec import read_mapping
from ._summary import ExportSummary, Imported

Source = str | Path | pd.DataFrame
MAX_EXAMPLES = 3


def read_source(
    source: Source, *, encoding: str = "utf-8", delimiter: str = ","
) -> tuple[pd.DataFrame, str]:
    """The raw frame, all text for CSV files, and a name for messages; inputs are not changed."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), "DataFrame"
    return read_csv(source, encoding=encoding, delimiter=delimiter), Path(source).name


def read_export(
    source: Source,
    mapping: ColumnMap | Mapping | str | Path,
    *,
    table: str | None = None,
    name: str | None = None,
    lookups: Mapping[str, Source] | None = None,
    encoding: str | None = None,
) -> Imported:
    """Canonical tables from one export, with the summary of what was done (``.exports``).

    The mapping's table, plus ``stage_history`` when the mapping has ``stage_dates``.
    ``lookups`` replaces the files of the mapping's lookups by name (paths or DataFrames);
    ``encoding`` overrides the mapping's (default UTF-8). See :func:`load_export`.
    """
    cmap = read_mapping(mapping, table=table)
    if lookups:
        cmap = cmap.with_(lookups={k: dataclasses.replace(v, source=lookups.get(k, v.source))
                                   for k, v in cmap.lookups.items()})  # fmt: skip
    if encoding:
        cmap = cmap.with_(encoding=encoding)
    raw, default_name = read_source(source, encoding=cmap.encoding, delimiter=cmap.delimiter)
    return map_frame(raw, cmap, name=name or default_name)


def load_export(
    source: Source,
    mapping: ColumnMap | Mapping | str | Path,
    *,
    table: str | None = None,
    name: str | None = None,
    lookups: Mapping[str, Source] | None = None,
    encoding: str | None = None,
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
    lookups
        Files (or DataFrames) for the mapping's lookups by name, replacing the mapping's.
    encoding
        Text encoding of the CSV files (default: the mapping's, else UTF-8), e.g. ``cp1252``.

    Returns
    -------
    DataFrame
        Canonical columns with canonical dtypes (required, then optional, in contract order),
        followed by the attribute columns the mapping keeps, in snake_case. Same rows, same
        order (less rows of an empty ``skip_empty`` column). Use :func:`read_export` for the
        stage history of ``stage_dates`` and the summary.

    Raises
    ------
    SchemaError
        Listing every problem at once: an unreadable file (naming its line), columns the
        mapping names that the export lacks (with the columns it has), values a value map
        does not cover, values that do not parse, personal data in a kept column.
    """
    imported = read_export(
        source, mapping, table=table, name=name, lookups=lookups, encoding=encoding
    )
    return next(iter(imported.tables.values()))


def map_frame(raw: pd.DataFrame, cmap: ColumnMap, *, name: str) -> Imported:
    """The canonical table(s) of one raw export frame, and its summary."""
    where = f"{name} → {cmap.table}"
    summary = ExportSummary(name, cmap.table)
    problems: list[str] = []
    raw = _reshape.add_lookups(raw, cmap, where, problems)
    if problems:
        raise SchemaError(problems)
    headers = _resolve(raw, cmap, where)
    out = _build(raw, cmap, headers, where, problems, summary)
    if problems:
        raise SchemaError(problems)
    n_raw = len(raw)
    out, raw = _skip_empty(out, raw, cmap, summary)
    for dst, rule in cmap.derive.items():
        if set(getattr(rule, "needs", ())) <= set(out.columns):
            out[dst] = rule(out)
            needs, sep = getattr(rule, "needs", None), ", "
            if needs is None:
                needs, sep = getattr(rule, "columns", ()), " or "
            summary.derived.append(f"{dst} from {sep.join(c.lstrip('_') for c in needs)}")
    out = out.drop(columns=[c for c in out.columns if str(c).startswith("_")])
    summary.mapped = {k: v for k, v in summary.mapped.items() if not k.startswith("_")}
    assert len(out) + sum(summary.skipped.values()) == n_raw, "a mapping keeps every row"
    summary.rows = len(out)
    tables = {cmap.table: out[canonical_order(out.columns, cmap.table)].reset_index(drop=True)}
    imported = Imported(tables, [summary])
    if cmap.stage_dates:
        imported = imported.merged(_history(raw, cmap, headers, name, summary))
    return imported


def _build(raw, cmap, headers, where, problems, summary) -> pd.DataFrame:
    """Renames, stage names, value maps, attributes, fills, privacy and types, in that order."""
    reported: set[str] = set()  # columns whose bad values are already in problems
    out = pd.DataFrame(index=raw.index)
    for src, dst in [*cmap.renames.items(), *cmap.optional.items()]:
        if headers.get(src) is not None:
            out[dst] = raw[headers[src]]
            summary.mapped[dst] = headers[src]
    _canonical_stages(out, cmap, where, problems, raw)
    for dst, vmap in cmap.values.items():
        if vmap.when_missing and dst in out.columns:
            continue
        out[dst], bad = _map_values(raw[headers[vmap.source]], vmap, dst, where, problems, raw,
                                    cmap)  # fmt: skip
        summary.derived.append(f"{dst} from {headers[vmap.source]} (value map)")
        if bad.any():
            reported.add(dst)
    out = _attributes(out, raw, cmap, headers, where, problems, summary)
    _fill(out, raw, cmap, headers, summary)
    _protect(out, raw, cmap, where, problems, summary)
    return _parse(out, raw, cmap, where, problems, reported)


def _resolve(raw: pd.DataFrame, cmap: ColumnMap, where: str) -> dict[str, str | None]:
    columns = [str(c) for c in raw.columns]
    needed = [
        *cmap.renames,
        *(v.source for v in cmap.values.values()),
        *cmap.stage_dates,
        *(f.source for f in cmap.fill.values() if isinstance(f, FillFrom)),
    ]
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


def _canonical_stages(out, cmap: ColumnMap, where: str, problems: list, raw) -> None:
    """Won and lost stages written closed_won / closed_lost; uncovered ones reported."""
    if cmap.stages is None or "stage" not in out.columns:
        return
    out["stage"], uncovered = cmap.stages.canonical(_values.to_text(out["stage"]))
    # On deals a strict stage map already reports its uncovered values through is_closed.
    reported_elsewhere = cmap.table == "opportunities" and "is_closed" in cmap.values
    if cmap.stages.strict and not reported_elsewhere and uncovered.any():
        counts = out["stage"][uncovered].fillna("(empty)").value_counts()
        listed = ", ".join(f"{v!r} ({_rows(n)})" for v, n in counts.items())
        problems.append(
            f"{where}.stage: {_rows(int(uncovered.sum()))} have stages the `stages:` block does "
            f"not list: {listed}{_example_ids(raw, uncovered, cmap)}. Fix: add them to its "
            "won, lost or open list."
        )


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


def _attributes(out, raw, cmap: ColumnMap, headers, where, problems, summary) -> pd.DataFrame:
    """The attributes ``keep`` names, refused when personal; the rest left out and listed."""
    columns = list(raw.columns)
    found = {k: cmap.find(columns, k) for k in cmap.keep}
    absent = [k for k, h in found.items() if h is None]
    if absent:
        problems.append(
            f"{where}: keep names column(s) the export lacks: {', '.join(map(repr, absent))}; "
            f"the export has: {', '.join(sorted(map(str, columns)))}."
        )
    extras = list(dict.fromkeys(h for h in found.values() if h is not None))
    for attr in cmap.attributes:  # a ready map's standard attributes, when present and clean
        header = cmap.find(columns, attr)
        if header is not None and header not in extras and header not in headers.values():
            if not (_privacy.header_reason(header) or _privacy.value_reason(raw[header])):
                extras.append(header)
    names = {c: _values.snake_case(c) for c in extras}
    taken = set(out.columns) | set(TABLES[cmap.table].columns)
    clash = sorted(c for c, n in names.items() if n in taken or list(names.values()).count(n) > 1)
    if clash:
        problems.append(
            f"{where}: kept column(s) {', '.join(map(repr, clash))} would clash with another "
            "column once in snake_case; rename them in the mapping, or keep fewer."
        )
    for col in (found[k] for k in cmap.keep if found[k] is not None):
        reason = _privacy.header_reason(col) or _privacy.value_reason(raw[col])
        if reason:
            problems.append(
                f"{where}: keep names {col!r}, which holds {reason}; personal data and free "
                "text are not carried into the tables. Fix: remove it from `keep`."
            )
    _list_left_out(raw, cmap, headers, set(extras), summary)
    kept = {names[c]: _values.infer_attribute(raw[c]) for c in extras if c not in clash}
    summary.kept = list(kept)
    return pd.concat([out, pd.DataFrame(kept, index=raw.index)], axis=1) if kept else out


def _list_left_out(raw, cmap: ColumnMap, headers, kept: set, summary) -> None:
    lookup_cols = {new for lk in cmap.lookups.values() for new in lk.columns.values()}
    lookup_cols |= {cmap.find(list(raw.columns), lk.by) for lk in cmap.lookups.values()}
    used = {h for h in headers.values() if h} | kept | lookup_cols
    for col in raw.columns:
        if col in used:
            continue
        reason = _privacy.header_reason(col) or _privacy.value_reason(raw[col], sample=True)
        (summary.personal if reason else summary.left_out).append(str(col))


def _fill(out: pd.DataFrame, raw, cmap: ColumnMap, headers, summary) -> None:
    for dst, value in cmap.fill.items():
        if dst not in out.columns:
            if not isinstance(value, FillFrom):
                continue
            out[dst] = pd.Series(pd.NA, index=out.index, dtype="object")
        current = _values.blank_to_na(out[dst])
        source = raw[headers[value.source]] if isinstance(value, FillFrom) else value
        filled = current.isna() & (
            source.notna() if isinstance(source, pd.Series) else pd.Series(True, index=out.index)
        )
        out[dst] = current.where(current.notna(), source)
        if filled.any():
            what = f"from {headers[value.source]}" if isinstance(value, FillFrom) else repr(value)
            summary.filled[f"{dst} {what}"] = int(filled.sum())  # cells filled


def _protect(out: pd.DataFrame, raw, cmap: ColumnMap, where, problems, summary) -> None:
    """Owners as pseudonymous ids; no e-mail address or phone number in a text column."""
    spec = TABLES[cmap.table].columns
    if "owner" in out.columns and not cmap.owner_names:
        filled = set(map(str, (v for k, v in cmap.fill.items() if k == "owner")))
        keep_fill = out["owner"].isin(filled)
        ids, replaced = _privacy.owner_ids(out["owner"].where(~keep_fill), salt=cmap.owner_salt)
        if replaced:
            out["owner"] = ids.where(~keep_fill, out["owner"])
            summary.pseudonymised.append(
                "owner: names or e-mail addresses replaced by owner-<hash> ids "
                "(owner_names: true keeps them)"
            )
    for col in out.columns:
        if col not in spec or spec[col].kind != "string" or col == "owner":
            continue
        found = _privacy.personal_rows(_values.to_text(out[col]))
        if found:
            what, rows = found
            problems.append(
                f"{where}.{col}: {_rows(int(rows.sum()))} hold {what} (rows "
                f"{', '.join(map(str, list(rows[rows].index[:MAX_EXAMPLES])))}); personal data is not carried into the "  # noqa: E501
                f"tables. Fix: map a column of ids or categories to {col}."
            )


def _parse(out, raw, cmap: ColumnMap, where: str, problems: list, reported: set) -> pd.DataFrame:
    spec = TABLES[cmap.table].columns
    out = out.copy()
    for col in out.columns:
        kind = spec[col].kind if col in spec else ("timestamp" if col in cmap.dates else None)
        if kind is None:
            continue
        values, bad = _parse_one(out[col], kind, cmap.dates.get(col), cmap)
        if bad.any() and col not in reported:
            problems += _bad_values(out[col], bad, kind, col, raw, cmap, where)
        out[col] = values
    return out


def _bad_values(series, bad, kind, col, raw, cmap: ColumnMap, where) -> list[str]:
    out = []
    if kind == "timestamp":
        missing, repeated = _values.dst_gaps(
            series, fmt=cmap.dates.get(col), timezone=cmap.timezone
        )
        for mask, text, fix in (
            (missing & bad, "do not exist", "the clocks went forward, skipping them; set "
             "`nonexistent: shift_forward` (or shift_backward) in the mapping to move them "
             "across the gap"),
            (repeated & bad, "repeat", "the clocks went back, so each happened twice; set "
             "`ambiguous: earliest` (or latest) in the mapping to say which"),
        ):  # fmt: skip
            if mask.any():
                out.append(
                    f"{where}.{col}: {_rows(int(mask.sum()))} are local times that {text} in "
                    f"{cmap.timezone} (values {_shown(series, mask)}{_example_ids(raw, mask, cmap)}"  # noqa: E501
                    f"): {fix}, or fix them at the source."
                )
        bad = bad & ~missing & ~repeated
        if col not in cmap.dates:
            read = _dates.parse_text(series)
            if read.problem:
                out.append(
                    f"{where}.{col}: the column {read.problem} ({_rows(int(read.unsure.sum()))}, "
                    f"values {read.examples(series)}{_example_ids(raw, read.unsure, cmap)}); "
                    f"give its format under `dates:` in the mapping (e.g. {col}: '%d/%m/%Y' for "
                    "day first), or export ISO 8601 dates."
                )
                bad = bad & ~read.unsure
    if bad.any():
        hint = {
            "timestamp": "give its format under `dates:` in the mapping (e.g. '%d/%m/%Y')",
            "bool": "map them under `values:` or use true/false",
            "float": "export plain numbers (no currency signs or thousands separators)",
        }.get(kind, "fix those values")
        out.append(
            f"{where}.{col}: {_rows(int(bad.sum()))} cannot be read as {kind} "
            f"(values {_shown(series, bad)}{_example_ids(raw, bad, cmap)}); {hint}."
        )
    return out


def _shown(series: pd.Series, mask: pd.Series) -> str:
    shown = series[mask].fillna("(empty)").drop_duplicates().head(MAX_EXAMPLES)
    return ", ".join(map(repr, map(str, shown)))


def _parse_one(series: pd.Series, kind: str, fmt: str | None, cmap: ColumnMap):
    if kind == "timestamp":
        return _values.to_timestamp(series, fmt=fmt, timezone=cmap.timezone,
                                    ambiguous=cmap.ambiguous, nonexistent=cmap.nonexistent)  # fmt: skip  # noqa: E501
    if kind == "float":
        return _values.to_float(series)
    if kind == "bool":
        return _values.to_bool(series)
    return _values.to_text(series), pd.Series(False, index=series.index)


def _skip_empty(out, raw, cmap: ColumnMap, summary) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = pd.Series(True, index=out.index)
    for col in cmap.skip_empty:
        if col in out.columns:
            empty = out[col].isna() & keep
            if empty.any():
                summary.skipped[f"{col} empty (skip_empty)"] = int(empty.sum())
            keep &= ~empty
    return out[keep], raw[keep]


def _history(raw, cmap: ColumnMap, headers, name: str, summary: ExportSummary) -> Imported:
    """stage_history rows from the stage-date columns, through the same stage names."""
    id_src = next(s for s, d in {**cmap.renames, **cmap.optional}.items() if d == "opportunity_id")
    columns = {headers[c]: stage for c, stage in cmap.stage_dates.items()}
    long = _reshape.stage_entries(raw, columns, headers[id_src])
    hist_map = ColumnMap(
        table="stage_history",
        renames={"opportunity_id": "opportunity_id", "stage": "stage", "entered_at": "entered_at"},
        stages=cmap.stages,
        dates={"entered_at": cmap.dates.get("entered_at")},
        timezone=cmap.timezone,
        ambiguous=cmap.ambiguous,
        nonexistent=cmap.nonexistent,
    )
    history = map_frame(long, hist_map, name=f"{name} (stage dates)")
    entry = history.exports[0]
    entry.mapped = {}
    entry.derived = [f"one row per filled stage-date column ({', '.join(columns)})"]
    summary.derived.append(f"stage_history: {len(long):,} rows from {len(columns)} stage-date "
                           "columns")  # fmt: skip
    return history


def _rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


def _example_ids(raw: pd.DataFrame, mask: pd.Series, cmap: ColumnMap) -> str:
    spec = TABLES[cmap.table]
    key = spec.key or (spec.row_label[0] if spec.row_label else None)
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
