"""The description of one export: how its columns and values become canonical tables."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from revlab.schema import TABLES, SchemaError

from ._values import blank_to_na, header_key

#: Canonical names of the closing stages, as the pipeline and funnel analyses expect them.
WON, LOST = "closed_won", "closed_lost"
AMBIGUOUS = ("earliest", "latest")
NONEXISTENT = ("shift_forward", "shift_backward")


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
class StageMap:
    """Stage values by outcome, for the deals and for their history.

    Won stages are written ``closed_won`` and lost ones ``closed_lost`` in the ``stage``
    column of both ``opportunities`` and ``stage_history``, so the deal, its history and the
    pipeline analyses agree; open stages are kept as written. With ``strict`` a stage value
    that is none of these is an error (a YAML ``stages:`` block); without, it is kept as
    written (the ready Salesforce and HubSpot maps, whose deals carry their own flags).
    """

    column: str | None
    won: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    open: tuple[str, ...] = ()
    strict: bool = True

    def canonical(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Stage names with won/lost renamed; and the mask of values no list covers."""
        text = values.astype("str").str.strip().where(values.notna())
        key = text.str.casefold()
        won = {s.strip().casefold() for s in (*self.won, WON)}
        lost = {s.strip().casefold() for s in (*self.lost, LOST)}
        known = won | lost | {s.strip().casefold() for s in self.open}
        out = text.mask(key.isin(won), WON).mask(key.isin(lost), LOST)
        return out, ~key.isin(known)

    def outcomes(self) -> dict[str, ValueMap]:
        """``is_closed`` and ``is_won`` value maps from the stage column."""
        return stage_values(self.column, won=self.won, lost=self.lost, open=self.open)

    def extended(self, more: Mapping[str, Sequence[str]]) -> StageMap:
        """The same map with more stages per outcome."""
        return dataclasses.replace(
            self, **{k: (*getattr(self, k), *more.get(k, ())) for k in ("won", "lost", "open")}
        )


@dataclass(frozen=True)
class Lookup:
    """Columns brought in from a second export by key (an account's sector, a list price).

    ``by`` is this export's column holding the key, ``key`` the second file's; ``columns``
    maps the second file's columns to the names they take in this export, where renames,
    value maps and fills can use them. A key the second file lacks is an error naming it; an
    empty key brings empty values.
    """

    source: Any  # a CSV path or a DataFrame
    key: str
    by: str
    columns: Mapping[str, str]


@dataclass(frozen=True)
class FillFrom:
    """Fill the empty cells of a column from another column of the export (or a lookup)."""

    source: str


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
class FirstOf:
    """The first non-empty value among columns (those the table has), else ``default``.

    E.g. a task's time: ``FirstOf(("_completed", "_due", "_created"))``. Columns whose names
    start with ``_`` are working columns: renamed in, read by rules, then dropped.
    """

    columns: tuple[str, ...]
    default: Any = None

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        present = [table[c] for c in self.columns if c in table.columns]
        if not present:
            return pd.Series(self.default, index=table.index)
        out = present[0]
        for other in present[1:]:
            out = out.where(out.notna(), other)
        return out if self.default is None else out.where(out.notna(), self.default)


#: CRMs' forecast-category values (API names and labels), matched ignoring case, spaces,
#: underscores and dashes, and the contract's names they stand for: Salesforce's
#: OpportunityHistory writes ``BestCase`` and ``Forecast`` (= Commit) and may carry
#: ``MostLikely``, which its cumulative roll-up counts in Best Case; HubSpot writes ``OMIT``
#: ("Not forecasted"), ``BEST_CASE`` and ``CLOSED`` ("Closed won").
FORECAST_VALUES = {
    "pipeline": "Pipeline", "bestcase": "Best Case", "mostlikely": "Best Case",
    "commit": "Commit", "forecast": "Commit", "closed": "Closed", "closedwon": "Closed",
    "omitted": "Omitted", "omit": "Omitted", "notforecasted": "Omitted",
}  # fmt: skip


@dataclass(frozen=True)
class ForecastCategories:
    """``forecast_category`` from a CRM's category column: its values to the contract's names.

    A value not in :data:`FORECAST_VALUES` is kept as written, so that validation names it
    with its rows (a custom category needs a ``values:`` map instead).
    """

    source: str

    @property
    def needs(self) -> tuple[str, ...]:
        """The column read; without it the deals carry no category."""
        return (self.source,)

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        """The derived column."""
        values = blank_to_na(table[self.source])
        text = values.astype("str").str.strip().where(values.notna())
        key = text.str.replace(r"[\s_-]", "", regex=True).str.casefold()
        return key.map(FORECAST_VALUES).where(key.isin(list(FORECAST_VALUES)), text)


@dataclass(frozen=True)
class ColumnMap:
    """How one export becomes a canonical table; see :mod:`revlab.crm` for each field.

    Use ``with_(...)`` to change a ready map, e.g.
    ``SALESFORCE_LEAD.with_(fill={"channel": "(none)"})``.
    """

    table: str
    renames: Mapping[str, str] = field(default_factory=dict)
    optional: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, ValueMap] = field(default_factory=dict)
    stages: StageMap | None = None
    stage_dates: Mapping[str, str] = field(default_factory=dict)
    lookups: Mapping[str, Lookup] = field(default_factory=dict)
    dates: Mapping[str, str | None] = field(default_factory=dict)
    # A callable rule may list the columns it reads in a ``needs`` attribute.
    derive: Mapping[str, Derived | Callable[[pd.DataFrame], pd.Series]] = field(
        default_factory=dict
    )
    fill: Mapping[str, Any] = field(default_factory=dict)
    keep: Sequence[str] = ()
    attributes: Sequence[str] = ()
    skip_empty: Sequence[str] = ()
    owner_names: bool = False
    owner_salt: str = ""
    timezone: str = "UTC"
    ambiguous: str | None = None
    nonexistent: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","

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
        if isinstance(self.keep, str):
            problems.append(keep_problem(self.keep))
        if self.ambiguous not in (None, *AMBIGUOUS):
            problems.append(f"ambiguous must be one of {', '.join(AMBIGUOUS)}.")
        if self.nonexistent not in (None, *NONEXISTENT):
            problems.append(f"nonexistent must be one of {', '.join(NONEXISTENT)}.")
        if self.stage_dates and self.table != "opportunities":
            problems.append("stage_dates belong in the mapping of the deals (opportunities).")
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


def keep_problem(keep: str) -> str:
    """Why ``keep`` must be a list: attributes are an allowlist."""
    if keep == "none":
        return "keep: 'none' is the default now; leave it out."
    return (
        f"keep must list the attribute columns to carry, not {keep!r}: attributes are an "
        "allowlist, so that no personal field (names, e-mails, phones, notes) passes unnamed."
    )


def closing_stages(opportunities: pd.DataFrame) -> dict[str, list[str]]:
    """Stage names that only closed won (or only closed lost) deals have, from their flags.

    Salesforce and HubSpot deals carry ``IsWon`` / ``hs_is_closed_won`` next to their stage,
    so the exports themselves say which custom stages close a deal; the history's stage names
    are then read with them.
    """
    if "stage" not in opportunities.columns:
        return {"won": [], "lost": []}
    closed = opportunities[opportunities["is_closed"] & opportunities["stage"].notna()]
    outcome = closed.groupby("stage")["is_won"].agg(["all", "any"])
    return {
        "won": sorted(outcome.index[outcome["all"]]),
        "lost": sorted(outcome.index[~outcome["any"]]),
    }


def stage_values(source: str, *, won: Sequence, lost: Sequence, open: Sequence) -> dict:
    """``is_closed`` and ``is_won`` value maps from lists of won, lost and open stages."""
    closed = {**{s: True for s in won}, **{s: True for s in lost}, **{s: False for s in open}}
    wins = {**{s: True for s in won}, **{s: False for s in lost}, **{s: False for s in open}}
    return {"is_closed": ValueMap(source, closed), "is_won": ValueMap(source, wins)}
