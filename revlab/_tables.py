"""The canonical tables as specs: columns, keys and the column dating each table's rows.

:mod:`revlab.schema` (validation) and :mod:`revlab._rules` (its row rules) both need them, so
they live here, importing nothing from revlab, and neither of those imports the other back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["string", "timestamp", "float", "bool"]

#: pandas dtype of each column kind in the canonical tables.
PANDAS_DTYPES: dict[str, str] = {
    "string": "str",
    "timestamp": "datetime64[us]",
    "float": "float64",
    "bool": "bool",
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``event`` marks timestamps of things that happened, which cannot lie after the as-of date
    (an expected ``close_date`` or a contract's ``end_date`` may).
    """

    name: str
    kind: Kind
    doc: str = ""
    event: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its key, required and optional columns."""

    name: str
    doc: str
    required: tuple[Column, ...]
    optional: tuple[Column, ...] = ()
    key: str | None = None
    row_label: tuple[str, ...] = ()

    @property
    def columns(self) -> dict[str, Column]:
        """All known columns by name, required first."""
        return {c.name: c for c in (*self.required, *self.optional)}

    def label_columns(self) -> tuple[str, ...]:
        """Columns that name a row in error messages."""
        return (self.key,) if self.key else self.row_label


def _ts(name: str, doc: str = "", event: bool = True) -> Column:
    return Column(name, "timestamp", doc, event)


def _s(name: str, doc: str = "") -> Column:
    return Column(name, "string", doc)


def _f(name: str, doc: str = "") -> Column:
    return Column(name, "float", doc)


def _b(name: str, doc: str = "") -> Column:
    return Column(name, "bool", doc)


def _currency() -> Column:
    return _s("currency", "ISO 4217 code of the row's money, like EUR; empty: the reporting one")


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in [
        TableSpec(
            "leads",
            "one row per new name",
            required=(_s("lead_id"), _ts("created_at"), _s("channel")),
            optional=(
                _s("segment"),
                _s("region"),
                _f("acquisition_cost", "cost to acquire this name"),
                _ts("mql_at"),
                _ts("sql_at"),
                _ts("converted_at", "when the lead became an opportunity"),
                _s("opportunity_id"),
                _ts("disqualified_at"),
            ),
            key="lead_id",
        ),
        TableSpec(
            "activities",
            "one row per touch",
            required=(_s("lead_id"), _ts("occurred_at"), _s("activity")),
            optional=(_s("channel"), _s("detail")),
            row_label=("lead_id", "occurred_at"),
        ),
        TableSpec(
            "opportunities",
            "one row per deal",
            required=(
                _s("opportunity_id"),
                _ts("created_at"),
                _f("amount"),
                _b("is_closed"),
                _b("is_won"),
            ),
            optional=(
                _s("account_id"),
                _s("lead_id"),
                _s("stage"),
                _ts("close_date", "expected (open) or actual (closed) close date", event=False),
                _ts("closed_at"),
                _s("segment"),
                _s("owner"),
                _currency(),
            ),
            key="opportunity_id",
        ),
        TableSpec(
            "stage_history",
            "one row per change to a deal; values after the change",
            required=(_s("opportunity_id"), _s("stage"), _ts("entered_at")),
            optional=(_f("amount"), _ts("close_date", event=False), _currency()),
            row_label=("opportunity_id", "entered_at"),
        ),
        TableSpec(
            "marketing_spend",
            "one row per channel and period",
            required=(_ts("period_start"), _s("channel"), _f("spend")),
            optional=(_currency(),),
            row_label=("channel", "period_start"),
        ),
        TableSpec(
            "targets",
            "one row per quarter",
            required=(_s("quarter", "like 2026Q3"), _f("bookings_target")),
            key="quarter",
        ),
        TableSpec(
            "subscriptions",
            "one row per contract term",
            required=(
                _s("account_id"),
                _ts("start_date"),
                _ts("end_date", event=False),
                _f("amount"),
            ),
            optional=(
                _s("subscription_id"),
                _s("renewed_from", "subscription_id renewed"),
                _f("satisfaction", "the account's survey score in the term (CSAT 1-5, NPS 0-10)"),
                _ts(
                    "surveyed_at",
                    "when that score was given; without it a score counts as known only once "
                    "its term has ended",
                ),
                _currency(),
            ),
            key="subscription_id",
            row_label=("account_id", "start_date"),
        ),
        TableSpec(
            "fx_rates",
            "one row per currency and date a rate takes effect",
            required=(
                _s("currency", "ISO 4217 code, like EUR"),
                _ts("valid_from", "the rate holds from this time until the next row's", False),
                _f("rate", "units of the reporting currency per 1 unit of currency"),
            ),
            row_label=("currency", "valid_from"),
        ),
    ]
}

#: Money columns of each table, converted to the reporting currency (see revlab._fx).
MONEY: dict[str, tuple[str, ...]] = {
    "opportunities": ("amount",),
    "stage_history": ("amount",),
    "marketing_spend": ("spend",),
    "subscriptions": ("amount",),
}

#: The column that dates each table's rows (when a row came to be): as-of cuts and fingerprints.
CREATED: dict[str, str] = {
    "leads": "created_at",
    "activities": "occurred_at",
    "opportunities": "created_at",
    "stage_history": "entered_at",
    "marketing_spend": "period_start",
    "subscriptions": "start_date",
}
