"""The canonical tables of the data contract, as code, and the checks every dataset passes.

Everything downstream reads these tables, never raw exports. Column names are snake_case;
timestamps are timezone-naive UTC (``datetime64[us]``); money is a float (in the row's
``currency`` where it has one, see :mod:`revlab._fx`); ids are strings; flags are booleans.

``validate`` checks a whole dataset at once and raises a single :class:`SchemaError` that lists
every problem (table, column, how many rows, example row ids, and the fix). It never drops a row
or changes a value: the only conversions it makes are the documented type coercions (text to
timestamp or number, timezone-aware to naive UTC), and it reports each one in ``notes``.
The table specs live in :mod:`revlab._tables`, the row-level rules in :mod:`revlab._rules`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from revlab import _rules
from revlab._tables import CREATED, PANDAS_DTYPES, TABLES, Column, Kind, TableSpec
from revlab.errors import DataError

__all__ = [
    "CLOSED_STAGES",
    "CREATED",
    "OPPORTUNITY_STAGES",
    "PANDAS_DTYPES",
    "TABLES",
    "Column",
    "ContractTable",
    "DataQualityWarning",
    "Kind",
    "SchemaError",
    "TableSpec",
    "Validated",
    "describe",
    "validate",
]

#: Opportunity stages of the demo company, in funnel order; users' CRMs may differ.
OPPORTUNITY_STAGES: tuple[str, ...] = ("discovery", "demo", "proposal", "negotiation")
CLOSED_STAGES: tuple[str, ...] = ("closed_won", "closed_lost")


class SchemaError(DataError):
    """A dataset breaks the data contract; the message lists every problem and its fix."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the data:"
        super().__init__("\n".join([head, *(f"- {p}" for p in self.problems)]))


class DataQualityWarning(UserWarning):
    """Suspicious but legal data: worth a look, not a reason to stop."""


@dataclass
class Validated:
    """A dataset that passed :func:`validate`: typed tables, plus what was noticed on the way."""

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tables


def validate(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: str | pd.Timestamp | None = None,
    require: Iterable[str] = (),
    reporting_currency: str | None = None,
) -> Validated:
    """Check a dataset against the contract; raise one SchemaError listing every problem.

    Parameters
    ----------
    tables
        Canonical table name to DataFrame; unknown names are refused, absent ones skipped.
    as_of
        Nothing may have happened after this date (default: now, UTC).
    require
        Tables the caller's analysis needs; a missing one is a problem.
    reporting_currency
        The currency money is reported in (default: see :func:`revlab._currency.choose`);
        every other currency needs an fx_rates rate at each date its rows convert at.

    Returns
    -------
    Validated
        The same rows and values with canonical dtypes, plus notes (conversions made) and
        warnings (suspicious but legal data, also issued as DataQualityWarning).
    """
    cutoff = (
        _as_naive_utc(as_of) if as_of is not None else pd.Timestamp.now("UTC").tz_localize(None)
    )
    problems: list[str] = []
    notes: list[str] = []
    typed: dict[str, pd.DataFrame] = {}
    for name in require:
        if name not in tables:
            problems.append(
                f"{name}: table is missing; this analysis needs it. Provide a '{name}' table "
                f"({TABLES[name].doc}) with columns "
                f"{', '.join(c.name for c in TABLES[name].required)}."
            )
    for name, frame in tables.items():
        if name not in TABLES:
            problems.append(
                f"{name}: unknown table; canonical tables are {', '.join(TABLES)}. "
                "Rename it or map it with revlab.crm."
            )
            continue
        frame_problems, frame_notes, typed_frame = _rules.coerce_table(TABLES[name], frame)
        problems += frame_problems
        notes += frame_notes
        if typed_frame is not None:
            typed[name] = typed_frame
    problems += _rules.check_rows(typed, cutoff)
    problems += _rules.check_references(typed)
    problems += _rules.check_currencies(typed, reporting_currency)
    if problems:
        raise SchemaError(problems)
    found = _rules.suspicious(typed)
    for w in found:
        warnings.warn(w, DataQualityWarning, stacklevel=2)
    return Validated(typed, notes, found)


def _as_naive_utc(value: str | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


class ContractTable(pd.DataFrame):
    """A DataFrame that prints whole: every row and the full text of every column.

    ``print(revlab.schema.describe())`` shows the entire contract, not pandas' truncated
    preview; any operation on it (filtering, ``groupby``) returns a plain DataFrame.
    """

    @property
    def _constructor(self):
        return pd.DataFrame

    def __repr__(self) -> str:
        text = self.astype(object).map(
            lambda v: ("yes" if v else "") if isinstance(v, bool) else str(v)
        )
        widths = {c: max(len(str(c)), *text[c].str.len()) for c in text.columns}

        def line(values) -> str:
            return "  ".join(
                str(v).ljust(widths[c]) for c, v in zip(text.columns, values, strict=True)
            ).rstrip()

        out, previous = [line(text.columns)], None
        for row in text.itertuples(index=False):
            if "table" in text.columns and previous is not None and row[0] != previous:
                out.append("")
            out.append(line(row))
            previous = row[0]
        return "\n".join(out)

    __str__ = __repr__


def describe() -> pd.DataFrame:
    """The data contract as a table: one row per column of every canonical table.

    Columns: ``table``, ``column``, ``kind`` (string, timestamp, float, bool), ``required``,
    ``key`` (the table's id column), ``doc``. Printing it shows every row in full.
    """
    rows = [
        {
            "table": t.name,
            "column": c.name,
            "kind": c.kind,
            "required": c in t.required,
            "key": c.name == t.key,
            "doc": c.doc or (f"{t.doc} (the table)" if c.name == t.key else ""),
        }
        for t in TABLES.values()
        for c in t.columns.values()
    ]
    return ContractTable(rows)
