"""Point-in-time cuts: each canonical table as it was known at an as-of date, as Ibis expressions.

Rows created after the date disappear; events after it are blanked (a lead converted later is
still open at the date; a deal won later is still open). Where ``stage_history`` exists, an
opportunity's stage, amount, expected close date and forecast category are those of its last
change on or before the date; without it, values that only a closed deal reveals (final stage,
actual close date, the Closed or Omitted call) are blanked for deals that closed after the date.
A subscription term's satisfaction score is blanked until it was given (``surveyed_at``), or,
without that column, until the term ended.
"""

from __future__ import annotations

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
from ibis.common.exceptions import IbisError

from revlab._tables import CREATED

LEAD_EVENTS = ("mql_at", "sql_at", "converted_at", "disqualified_at")
#: Opportunity columns replayed from ``stage_history``: each row holds the values after a change.
REPLAYED = ("stage", "amount", "close_date", "forecast_category")


def cut(
    name: str, table: ir.Table, as_of: pd.Timestamp, *, history: ir.Table | None = None
) -> ir.Table:
    """``table`` as known at ``as_of`` (inclusive)."""
    at = ibis.literal(pd.Timestamp(as_of).to_pydatetime(), type="timestamp")
    if name not in CREATED:
        return table
    known = table.filter(table[CREATED[name]] <= at)
    if name == "leads":
        return _leads(known, at)
    if name == "opportunities":
        return _opportunities(known, at, history)
    if name == "subscriptions":
        return _subscriptions(known, at)
    return known


def _blank_after(col: ir.Value, at: ir.Value) -> ir.Value:
    return ibis.cases((col <= at, col), else_=ibis.null(col.type()))


def _leads(t: ir.Table, at: ir.Value) -> ir.Table:
    changes = {c: _blank_after(t[c], at) for c in LEAD_EVENTS if c in t.columns}
    if "opportunity_id" in t.columns and "converted_at" in t.columns:
        changes["opportunity_id"] = ibis.cases(
            (t.converted_at <= at, t.opportunity_id), else_=ibis.null("string")
        )
    return t.mutate(**changes)


def _subscriptions(t: ir.Table, at: ir.Value) -> ir.Table:
    """Terms with their satisfaction score only where it was known by the date.

    Known means given by then (``surveyed_at``) or, without a date, the term over by then: a
    score taken during a term but not dated might have been given after the cut.
    """
    if "satisfaction" not in t.columns:
        return t
    known_by = t.end_date
    changes = {}
    if "surveyed_at" in t.columns:
        known_by = t.surveyed_at.coalesce(t.end_date)
        changes["surveyed_at"] = _blank_after(t.surveyed_at, at)
    changes["satisfaction"] = ibis.cases(
        (known_by <= at, t.satisfaction), else_=ibis.null(t.satisfaction.type())
    )
    return t.mutate(**changes)


def _opportunities(t: ir.Table, at: ir.Value, history: ir.Table | None) -> ir.Table:
    if "closed_at" in t.columns:
        closed = t.is_closed & t.closed_at.notnull() & (t.closed_at <= at)
    else:
        closed = t.is_closed
    changes = {"is_closed": closed, "is_won": t.is_won & closed}
    if "closed_at" in t.columns:
        changes["closed_at"] = _blank_after(t.closed_at, at)
    reveal = {
        c: ibis.cases((closed, t[c]), else_=ibis.null(t[c].type()))
        for c in ("close_date", "forecast_category")
        if c in t.columns
    }
    if "stage" in t.columns:
        reveal["stage"] = ibis.cases((closed | ~t.is_closed, t.stage), else_=ibis.null("string"))
    if history is None:
        return t.mutate(**changes, **reveal)
    # today's call of a deal that closed after the date (Closed, Omitted) would tell its end
    hidden = {c: reveal[c] for c in ("forecast_category",) if c in reveal}
    return _with_history(t.mutate(**changes, **hidden), at, history)


def _has_argmax(table: ir.Table) -> bool:
    try:
        return ibis.get_backend(table).has_operation(ops.ArgMax)
    except IbisError:  # an unbound table: use the portable window
        return False


def _with_history(t: ir.Table, at: ir.Value, history: ir.Table) -> ir.Table:
    """Stage, amount, close date and call from each deal's last recorded change by the date."""
    h = history.filter(history.entered_at <= at)
    cols = {c: f"_h_{c}" for c in REPLAYED if c in h.columns}
    if _has_argmax(h):  # one grouped pass; DuckDB cannot shortcut Ibis's row_number() - 1 = 0
        last = h.group_by(_h_id=h.opportunity_id).aggregate(
            **{alias: h[col].argmax(h.entered_at) for col, alias in cols.items()}
        )
    else:
        window = ibis.window(group_by=h.opportunity_id, order_by=ibis.desc(h.entered_at))
        last = h.mutate(_rank=ibis.row_number().over(window)).filter(lambda x: x._rank == 0)
        last = last.select(_h_id=last.opportunity_id, **{a: last[c] for c, a in cols.items()})
    joined = t.left_join(last, t.opportunity_id == last._h_id)
    changes = {}
    for col in REPLAYED:
        if f"_h_{col}" in joined.columns:
            current = (
                joined[col] if col in joined.columns else ibis.null(joined[f"_h_{col}"].type())
            )
            changes[col] = joined[f"_h_{col}"].coalesce(current)
    drop = [c for c in joined.columns if c.startswith("_h_")]
    return joined.mutate(**changes).drop(*drop)
