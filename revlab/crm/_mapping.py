"""The description of one export: how its columns and values become a canonical table."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from revlab.schema import TABLES, SchemaError

from ._values import header_key

MAPPING_KEYS = (
    "table",
    "renames",
    "optional",
    "aliases",
    "values",
    "stages",
    "dates",
    "derive",
    "fill",
    "keep",
    "drop",
    "timezone",
)


@dataclass(frozen=True)
class ValueMap:
    """Derive a column from the values of a source column.

    Every non-empty source value must be a key of ``values`` (matched ignoring case and
    surrounding spaces); a value the map does not cover is an error, never a default. An
    empty source value matches the key ``""`` if there is one. With ``when_missing`` the map
    only fills a column that the renames did not provide (e.g. HubSpot's ``hs_is_closed``).
    """

    source: str
    values: Mapping[Any, Any]
    when_missing: bool = False

    def with_when_missing(self) -> ValueMap:
        """The same map, applied only when the renames did not provide its column."""
        return dataclasses.replace(self, when_missing=True)

    def lookup(self) -> dict[str, Any]:
        """Keys in matching form; two keys that only differ in case are a mapping error."""
        table: dict[str, Any] = {}
        for key, value in self.values.items():
            norm = str(key).strip().casefold()
            if norm in table and table[norm] != value:
                raise SchemaError(
                    [
                        f"mapping for {self.source}: keys {key!r} and another differing only in "
                        "case map to different values; keep one."
                    ]
                )
            table[norm] = value
        return table


@dataclass(frozen=True)
class Derived:
    """A column copied from another canonical column, optionally only where a flag is true.

    ``Derived("close_date", when="is_closed")`` gives ``closed_at``: the close date of closed
    deals and empty for open ones. ``fallback`` fills remaining gaps from a second column.
    """

    copy: str
    when: str | None = None
    fallback: str | None = None

    @property
    def needs(self) -> tuple[str, ...]:
        """Columns the rule reads; without them the column is not derived."""
        return tuple(c for c in (self.copy, self.when, self.fallback) if c is not None)

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        out = table[self.copy]
        if self.fallback is not None:
            out = out.where(out.notna(), table[self.fallback])
        if self.when is not None:
            out = out.where(table[self.when].astype(bool))
        return out


@dataclass(frozen=True)
class ColumnMap:
    """How one export becomes one canonical table; see the module docs for each field.

    Use ``with_(...)`` to change a ready map, e.g.
    ``SALESFORCE_LEAD.with_(fill={"channel": "(none)"})``.
    """

    table: str
    renames: Mapping[str, str] = field(default_factory=dict)
    optional: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, ValueMap] = field(default_factory=dict)
    dates: Mapping[str, str | None] = field(default_factory=dict)
    # A callable rule may list the columns it reads in a ``needs`` attribute.
    derive: Mapping[str, Derived | Callable[[pd.DataFrame], pd.Series]] = field(
        default_factory=dict
    )
    fill: Mapping[str, Any] = field(default_factory=dict)
    keep: str | Sequence[str] = "all"
    drop: Sequence[str] = ()
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        problems = []
        if self.table not in TABLES:
            problems.append(
                f"table {self.table!r} is not canonical; use one of {', '.join(TABLES)}."
            )
        targets = [*self.renames.values(), *self.optional.values()]
        doubled = sorted({t for t in targets if targets.count(t) > 1})
        if doubled:
            problems.append(f"several columns are renamed to {', '.join(doubled)}; keep one each.")
        both = sorted(t for t, v in self.values.items() if t in targets and not v.when_missing)
        if both:
            problems.append(
                f"{', '.join(both)} come from both a rename and a value map; keep one, or set "
                "`when_missing: true` on the value map."
            )
        if isinstance(self.keep, str) and self.keep not in ("all", "none"):
            problems.append(f"keep must be 'all', 'none' or a list of columns, not {self.keep!r}.")
        if problems:
            raise SchemaError([f"mapping for {self.table}: {p}" for p in problems])

    def with_(self, **changes: Any) -> ColumnMap:
        """A copy with some fields replaced (mappings are replaced whole, not merged)."""
        return dataclasses.replace(self, **changes)

    def targets(self) -> list[str]:
        """Every column this map can produce, in the order it produces them."""
        cols = [*self.renames.values(), *self.optional.values(), *self.values, *self.derive]
        return list(dict.fromkeys(cols))

    def find(self, columns: Sequence[str], source: str) -> str | None:
        """The header in ``columns`` that stands for ``source``: exact, an alias, or loose."""
        if source in columns:
            return source
        names = [source, *(alt for alt, canon in self.aliases.items() if canon == source)]
        loose = {header_key(c): c for c in columns}
        for name in names:
            if name in columns:
                return name
            if header_key(name) in loose:
                return loose[header_key(name)]
        return None

    def alternatives(self, source: str) -> list[str]:
        """Other headers accepted for ``source`` (for error messages)."""
        return [alt for alt, canon in self.aliases.items() if canon == source]


def stage_values(source: str, *, won: Sequence, lost: Sequence, open: Sequence) -> dict:
    """``is_closed`` and ``is_won`` value maps from lists of won, lost and open stages."""
    closed = {**{s: True for s in won}, **{s: True for s in lost}, **{s: False for s in open}}
    wins = {**{s: True for s in won}, **{s: False for s in lost}, **{s: False for s in open}}
    return {"is_closed": ValueMap(source, closed), "is_won": ValueMap(source, wins)}


def read_mapping(
    mapping: ColumnMap | Mapping | str | Path, *, table: str | None = None
) -> ColumnMap:
    """A ColumnMap from a ColumnMap, a dict, or a YAML file (format in :mod:`revlab.crm`)."""
    if isinstance(mapping, ColumnMap):
        return mapping if table in (None, mapping.table) else mapping.with_(table=table)
    if isinstance(mapping, str | Path):
        import yaml

        with open(mapping, encoding="utf-8") as fh:
            mapping = yaml.safe_load(fh) or {}
    if not isinstance(mapping, Mapping):
        raise SchemaError(
            [f"mapping: expected a dict or YAML mapping, got {type(mapping).__name__}."]
        )
    return _from_dict(dict(mapping), table)


def _from_dict(spec: dict, table: str | None) -> ColumnMap:
    unknown = sorted(set(spec) - set(MAPPING_KEYS))
    if unknown:
        raise SchemaError(
            [f"mapping: unknown key(s) {', '.join(unknown)}; known: {', '.join(MAPPING_KEYS)}."]
        )
    table = table or spec.get("table")
    if table is None:
        raise SchemaError(["mapping: no table; add `table: leads` (or opportunities, ...)."])
    values = {}
    for target, entry in (spec.get("values") or {}).items():
        if not isinstance(entry, Mapping) or "from" not in entry or "map" not in entry:
            raise SchemaError(
                [f"mapping values.{target}: expected `from: <source column>` and `map: {{...}}`."]
            )
        values[target] = ValueMap(
            entry["from"], dict(entry["map"]), bool(entry.get("when_missing"))
        )
    if spec.get("stages"):
        st = spec["stages"]
        values.update(
            stage_values(
                st["column"],
                won=st.get("won", []),
                lost=st.get("lost", []),
                open=st.get("open", []),
            )
        )
    derive = {
        target: Derived(d["copy"], d.get("when"), d.get("fallback"))
        for target, d in (spec.get("derive") or {}).items()
    }
    return ColumnMap(
        table=table,
        renames=dict(spec.get("renames") or {}),
        optional=dict(spec.get("optional") or {}),
        aliases=dict(spec.get("aliases") or {}),
        values=values,
        dates=dict(spec.get("dates") or {}),
        derive=derive,
        fill=dict(spec.get("fill") or {}),
        keep=spec.get("keep", "all"),
        drop=tuple(spec.get("drop") or ()),
        timezone=spec.get("timezone", "UTC"),
    )
