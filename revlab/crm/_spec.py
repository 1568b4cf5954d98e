"""Turn a mapping written as YAML or a dict into a ColumnMap, checking every key and shape.

Every problem is collected and raised at once, each naming the file and line (for YAML) of
the key at fault, what was expected there and an example: a mapping never half-applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from revlab.schema import SchemaError

from ._mapping import (
    AMBIGUOUS,
    NONEXISTENT,
    ColumnMap,
    Derived,
    FillFrom,
    Lookup,
    StageMap,
    ValueMap,
    keep_problem,
)

#: Keys of a mapping and, for those holding a block, the keys of that block.
MAPPING_KEYS = (
    "table", "renames", "optional", "aliases", "stages", "stage_dates", "lookups", "values",
    "dates", "timezone", "ambiguous", "nonexistent", "derive", "fill", "keep", "skip_empty",
    "owner_names", "owner_salt", "encoding", "delimiter",
)  # fmt: skip
BLOCK_KEYS = {
    "stages": ("column", "won", "lost", "open"),
    "values": ("from", "map", "when_missing"),
    "derive": ("copy", "when", "fallback"),
    "lookups": ("file", "key", "by", "columns"),
}
NAME_MAPS = ("renames", "optional", "aliases", "stage_dates")
REMOVED = {"drop": "attributes are an allowlist now: list the ones to carry under `keep:`"}


class _Checker:
    """Collects problems, each prefixed with the file and line of the key at fault."""

    def __init__(self, name: str):
        self.name, self.problems = name, []

    def add(self, node: Any, key: Any, text: str) -> None:
        where = node.where(key) if hasattr(node, "where") else ""
        self.problems.append(f"{self.name}{' ' + where if where else ''}: {text}")

    def names(self, node: Any, key: str, example: str) -> dict[str, str]:
        """A block that maps names to names (``renames:`` and the like)."""
        value = node.get(key)
        if value is None:
            return {}
        ok = isinstance(value, Mapping) and all(
            isinstance(v, str) and str(k).strip() for k, v in value.items()
        )
        if not ok:
            self.add(node, key, f"`{key}` must map names to names, like `{example}`.")
            return {}
        return {str(k): v for k, v in value.items()}

    def strings(self, node: Any, key: str, example: str) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            self.add(node, key, f"`{key}` must be a list of names, like `{example}`.")
            return ()
        return tuple(str(v) for v in value)

    def block(self, node: Any, key: str) -> dict:
        """A block of named entries (``values:``, ``derive:``, ``lookups:``), each checked."""
        value = node.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add(node, key, f"`{key}` must hold one entry per column, not a list or value.")
            return {}
        out = {}
        for name, entry in value.items():
            if not isinstance(entry, Mapping):
                self.add(value, name, f"{key}.{name} must be a block with "
                         f"{', '.join(f'`{k}:`' for k in BLOCK_KEYS[key])}.")  # fmt: skip
                continue
            self.unknown(entry, BLOCK_KEYS[key], f"{key}.{name}")
            out[name] = entry
        return out

    def unknown(self, node: Mapping, known: tuple[str, ...], path: str) -> None:
        for key in node:
            if key in REMOVED and path == "mapping":
                self.add(node, key, f"`{key}` is no longer a key: {REMOVED[key]}.")
            elif key not in known:
                hint = (
                    " (YAML reads on/off/yes/no as true/false: quote it)"
                    if isinstance(key, bool)
                    else ""
                )
                self.add(node, key, f"unknown key {key!r} in {path}{hint}; known: "
                         f"{', '.join(known)}.")  # fmt: skip

    def need(self, node: Mapping, keys: tuple[str, ...], path: str, example: str) -> bool:
        missing = [k for k in keys if node.get(k) in (None, "", [], {})]
        if missing:
            self.add(node, None, f"{path} needs {', '.join(f'`{k}:`' for k in missing)}, "
                     f"like `{example}`.")  # fmt: skip
        return not missing


def from_dict(
    spec: Mapping, *, table: str | None, name: str = "mapping", folder: Path | None = None
) -> ColumnMap:
    """A ColumnMap from a mapping read from YAML (or a dict); every problem at once."""
    check = _Checker(name)
    check.unknown(spec, MAPPING_KEYS, "mapping")
    table = table or spec.get("table")
    if not table:
        check.add(spec, None, "no table; add `table: leads` (or opportunities, ...).")
    fields: dict[str, Any] = {k: check.names(spec, k, "Export Column: canonical_column")
                              for k in NAME_MAPS}  # fmt: skip
    values = _values(check, spec)
    stages = _stages(check, spec, table)
    if stages is not None and table == "opportunities":
        values.update({k: v for k, v in stages.outcomes().items() if k not in values})
    fields.update(
        values=values,
        stages=stages,
        lookups=_lookups(check, spec, folder or Path.cwd()),
        derive=_derive(check, spec),
        fill=_fill(check, spec),
        dates=_dates(check, spec),
        keep=_keep(check, spec),
        skip_empty=check.strings(spec, "skip_empty", "skip_empty: [lead_id]"),
        **_options(check, spec),
    )
    if check.problems:
        raise SchemaError(check.problems)
    try:
        return ColumnMap(table=table, **fields)
    except SchemaError as exc:
        raise SchemaError([f"{name}: {p}" for p in exc.problems]) from None


def _values(check: _Checker, spec: Mapping) -> dict[str, ValueMap]:
    out = {}
    for target, entry in check.block(spec, "values").items():
        example = "segment: {from: Tier, map: {T1: enterprise}}"
        if not check.need(entry, ("from", "map"), f"values.{target}", example):
            continue
        if not isinstance(entry["map"], Mapping):
            check.add(entry, "map", f"values.{target}.map must map source values to values.")
            continue
        out[target] = ValueMap(
            str(entry["from"]), dict(entry["map"]), bool(entry.get("when_missing"))
        )
    return out


def _stages(check: _Checker, spec: Mapping, table: str | None) -> StageMap | None:
    st = spec.get("stages")
    if st is None:
        return None
    if not isinstance(st, Mapping):
        check.add(spec, "stages", "`stages` must be a block with `column:`, `won:`, `lost:` and "
                  "`open:`.")  # fmt: skip
        return None
    check.unknown(st, BLOCK_KEYS["stages"], "stages")
    lists = {k: check.strings(st, k, f"{k}: [Won]") for k in ("won", "lost", "open")}
    example = "stages: {column: Stage, won: [Won], lost: [Lost], open: [New]}"
    if table == "opportunities" and not check.need(st, ("column",), "stages", example):
        return None
    if not (lists["won"] or lists["lost"]):
        check.add(st, None, f"stages needs the won and lost stages, like `{example}`.")
    column = st.get("column")
    return StageMap(None if column is None else str(column), **lists)


def _lookups(check: _Checker, spec: Mapping, folder: Path) -> dict[str, Lookup]:
    out = {}
    for name, entry in check.block(spec, "lookups").items():
        example = "accounts: {file: accounts.csv, key: Account ID, by: Account, columns: {...}}"
        if not check.need(entry, BLOCK_KEYS["lookups"], f"lookups.{name}", example):
            continue
        columns = check.names(entry, "columns", "Sector: Account Sector")
        source = entry["file"]
        if isinstance(source, str | Path) and not Path(source).is_absolute():
            source = folder / source
        out[name] = Lookup(source, str(entry["key"]), str(entry["by"]), columns)
    return out


def _derive(check: _Checker, spec: Mapping) -> dict[str, Derived]:
    out = {}
    for target, entry in check.block(spec, "derive").items():
        if check.need(entry, ("copy",), f"derive.{target}", "closed_at: {copy: close_date}"):
            out[target] = Derived(entry["copy"], entry.get("when"), entry.get("fallback"))
    return out


def _fill(check: _Checker, spec: Mapping) -> dict[str, Any]:
    fill = spec.get("fill")
    if fill is None:
        return {}
    if not isinstance(fill, Mapping):
        check.add(spec, "fill", "`fill` must map columns to a value or `{from: Column}`.")
        return {}
    out = {}
    for col, value in fill.items():
        if isinstance(value, Mapping):
            if set(value) != {"from"}:
                check.add(fill, col, f"fill.{col} must be a value or `{{from: Column}}`.")
                continue
            value = FillFrom(str(value["from"]))
        elif isinstance(value, list):
            check.add(fill, col, f"fill.{col} must be one value, not a list.")
            continue
        out[col] = value
    return out


def _dates(check: _Checker, spec: Mapping) -> dict[str, str | None]:
    dates = spec.get("dates")
    if dates is None:
        return {}
    if not isinstance(dates, Mapping) or not all(
        v is None or isinstance(v, str) for v in dates.values()
    ):
        check.add(spec, "dates", "`dates` must map columns to a format, like "
                  "`created_at: \"%d/%m/%Y %H:%M\"`.")  # fmt: skip
        return {}
    return dict(dates)


def _keep(check: _Checker, spec: Mapping) -> tuple[str, ...]:
    keep = spec.get("keep")
    if isinstance(keep, str) and keep in ("all", "none"):
        check.add(spec, "keep", keep_problem(keep))
        return ()
    return check.strings(spec, "keep", "keep: [Industry, Region]")


def _options(check: _Checker, spec: Mapping) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tz = spec.get("timezone")
    if tz is not None:
        if str(tz) not in available_timezones() and str(tz).upper() != "UTC":
            check.add(spec, "timezone", f"unknown time zone {tz!r}; use a name such as "
                      "Europe/Berlin or America/New_York.")  # fmt: skip
        out["timezone"] = str(tz)
    for key, allowed in (("ambiguous", AMBIGUOUS), ("nonexistent", NONEXISTENT)):
        if spec.get(key) is not None:
            if spec[key] not in allowed:
                check.add(spec, key, f"{key} must be one of {', '.join(allowed)}.")
            out[key] = spec[key]
    for key in ("encoding", "delimiter", "owner_salt"):
        if spec.get(key) is not None:
            out[key] = str(spec[key])
    if spec.get("owner_names") is not None:
        if not isinstance(spec["owner_names"], bool):
            check.add(spec, "owner_names", "owner_names must be true or false.")
        out["owner_names"] = bool(spec["owner_names"])
    return out


def read_mapping(
    mapping: ColumnMap | Mapping | str | Path, *, table: str | None = None
) -> ColumnMap:
    """A ColumnMap from a ColumnMap, a dict, or a YAML file (format in :mod:`revlab.crm`)."""
    if isinstance(mapping, ColumnMap):
        return mapping if table in (None, mapping.table) else mapping.with_(table=table)
    from ._yaml import load_yaml

    name, folder = "mapping", Path.cwd()
    if isinstance(mapping, str | Path):
        name, folder = Path(mapping).name, Path(mapping).resolve().parent
        mapping = load_yaml(mapping)
        if mapping is None:
            raise SchemaError([f"{name} is empty; write at least `table:` and `renames:`."])
    if not isinstance(mapping, Mapping):
        raise SchemaError(
            [f"{name}: expected a mapping of keys (table:, renames: ...), got "
             f"{type(mapping).__name__}."]
        )  # fmt: skip
    return from_dict(mapping, table=table, name=name, folder=folder)
