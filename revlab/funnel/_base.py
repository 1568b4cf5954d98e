"""Shared building blocks of the funnel metrics: the as-of date, grouping, lead milestones.

Everything here builds Ibis expressions from portable operations (filter, group_by/aggregate,
joins, window functions, truncation, casts), so the same metric runs on DuckDB, Postgres or
Spark. Dates and windows are computed in Python and enter the query as literals.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from revlab import periods
from revlab.periods import CALENDAR, FiscalCalendar
from revlab.sources import Source, SourceError

DAY_SECONDS = 86_400
#: Lead stages in funnel order; each but ``won`` is a column of ``leads``.
LEAD_STAGES: tuple[str, ...] = ("created", "mql", "sql", "opportunity", "won")
STAGE_COLUMN = {
    "created": "created_at",
    "mql": "mql_at",
    "sql": "sql_at",
    "opportunity": "converted_at",
    "won": "won_at",
}
#: Period names accepted by the volume and inventory functions, with the Ibis truncation unit.
PERIOD_UNITS = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}
PANDAS_PERIODS = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}


def as_of(src: Source) -> pd.Timestamp:
    """The moment the data is known to: the source's as-of cut, or its latest lead event.

    Without leads, the latest deal event (creation or close) stands in.
    """
    if src.as_of is not None:
        return pd.Timestamp(src.as_of)
    name = "leads" if src.has("leads") or not src.has("opportunities") else "opportunities"
    table = src.table(name)
    events = (*STAGE_COLUMN.values(), "closed_at")
    cols = [c for c in events if c in table.columns]
    latest = table.aggregate(**{c: table[c].max() for c in cols}).to_pandas().iloc[0]
    found = [pd.Timestamp(v) for v in latest if not pd.isna(v)]
    if not found:
        raise SourceError(f"{name}: the table is empty, so there is no date to measure up to.")
    return max(found)


def last_moment(at: pd.Timestamp) -> pd.Timestamp:
    """The last moment before ``at``, which decides the running period.

    A cut at midnight on the 1st thus ends the month before rather than opening an empty one.
    """
    return pd.Timestamp(at) - pd.Timedelta(microseconds=1)


def ts(value: pd.Timestamp | str) -> ir.Value:
    """A timestamp literal for comparisons inside a query."""
    return ibis.literal(pd.Timestamp(value).to_pydatetime(), type="timestamp")


def groups(by: str | Sequence[str] | None) -> list[str]:
    """Grouping columns as a list (None: no grouping)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def check_columns(table: ir.Table, name: str, columns: Sequence[str], purpose: str) -> None:
    """Raise a SourceError naming the columns ``purpose`` needs that ``table`` lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SourceError(
            f"{name}: no column(s) {', '.join(missing)}, which {purpose} needs; "
            f"the table has {', '.join(table.columns)}."
        )


def period_unit(period: str) -> str:
    """The Ibis truncation unit of a period name; a clear error for anything else."""
    if period not in PERIOD_UNITS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_UNITS)}, got {period!r}.")
    return PERIOD_UNITS[period]


def truncate(when: ir.Value, period: str, cal: FiscalCalendar = CALENDAR) -> ir.Value:
    """The start of the period of each moment, in the engine; quarters on ``cal``."""
    unit = period_unit(period)
    return periods.truncate_quarter(when, cal) if period == "quarter" else when.truncate(unit)


def pandas_freq(period: str, cal: FiscalCalendar = CALENDAR) -> str:
    """The pandas frequency of a period name; quarters on ``cal`` (``Q-JAN`` for February)."""
    return cal.freq if period == "quarter" and not cal.is_calendar else PANDAS_PERIODS[period]


def period_labels(values, period: str, cal: FiscalCalendar = CALENDAR):
    """Labels of pandas periods (``2026-07``, ``2026Q3``, or ``FY2027Q1`` on a fiscal ``cal``)."""
    return periods.period_labels(values, cal) if period == "quarter" else values.astype("str")


def seconds(when: ir.Value) -> ir.Value:
    """Whole seconds since 1970, fractions dropped.

    Engines disagree on the fraction (DuckDB and Postgres keep or round it, Spark, BigQuery and
    Snowflake drop it), so it is dropped before it can tip a duration one way or the other.
    """
    return when.truncate("s").epoch_seconds()


def days_between(start: ir.Value, end: ir.Value) -> ir.Value:
    """Whole days elapsed from ``start`` to ``end`` (floor of the difference in seconds)."""
    return (seconds(end) - seconds(start)) // DAY_SECONDS


def latest(a: ir.Value, b: ir.Value) -> ir.Value:
    """The later of two nullable timestamps (null only when both are)."""
    return ibis.cases((a.isnull(), b), (b.isnull(), a), (a >= b, a), else_=b)


def levels(src: Source, name: str, by: Sequence[str]) -> pd.DataFrame:
    """Every combination of the grouping columns found in table ``name`` (a small frame).

    ``name`` is a canonical table; for ``opportunities`` the grouping columns may come from
    the leads (see :func:`deals`). Memoised per data cut.
    """
    if not by:
        return pd.DataFrame(index=[0])
    from revlab.funnel import _memo

    def compute() -> pd.DataFrame:
        table = deals(src, by=by) if name == "opportunities" else src.table(name)
        found = table.select(*by).distinct().to_pandas()
        return found.sort_values(list(by), ignore_index=True)

    return _memo.memoised(src, "levels", (name, tuple(by)), compute)


def opportunities(src: Source) -> ir.Table:
    """Deals as known at the as-of date, without looking up their stage history.

    Creation, close, win and amount-at-close are what the funnel needs; the history lookup of
    :meth:`Source.table` (stage, amount and expected close of open deals as last recorded)
    costs a window over ``stage_history`` that these metrics do not use. Pipeline coverage,
    which does use it, reads ``src.table("opportunities")``.
    """
    src.require("opportunities", analysis="deal metrics")
    return src.table("opportunities", history=False)


def deals(src: Source, *, by: Sequence[str] = ()) -> ir.Table:
    """Opportunities with the grouping columns attached, as text.

    A grouping column the opportunities table lacks (``channel``) comes from the lead the deal
    came from, through ``opportunities.lead_id``.
    """
    opps = opportunities(src)
    need = [b for b in by if b not in opps.columns]
    opps = opps.mutate(**{b: opps[b].cast("string") for b in by if b in opps.columns})
    if not need:
        return opps
    if "lead_id" not in opps.columns or not src.has("leads"):
        raise SourceError(
            f"grouping deals by {', '.join(need)} needs opportunities.lead_id and a leads table "
            f"with those columns; group by a column of opportunities instead."
        )
    leads = src.table("leads")
    check_columns(leads, "leads", need, "grouping deals")
    extra = leads.select(_lid=leads.lead_id, **{b: leads[b].cast("string") for b in need})
    return opps.left_join(extra, opps.lead_id == extra._lid).drop("_lid")


def closed_time(opps: ir.Table) -> ir.Value:
    """When a closed deal closed: ``closed_at``, else its ``close_date``."""
    cols = [opps[c] for c in ("closed_at", "close_date") if c in opps.columns]
    if not cols:
        raise SourceError(
            "opportunities: no closed_at or close_date column, so when deals closed is unknown; "
            "add closed_at (when the deal closed)."
        )
    return ibis.coalesce(*cols) if len(cols) > 1 else cols[0]


def won_at(src: Source) -> tuple[ir.Table, str]:
    """When each lead was first won, and the key to join it to ``leads`` on.

    A lead is won when an opportunity it became is won; the time is the opportunity's
    ``closed_at`` (its ``close_date`` when ``closed_at`` is absent). With
    ``leads.opportunity_id`` the table is ``_won_key`` (the opportunity id), ``won_at``;
    otherwise it is grouped by ``opportunities.lead_id`` (the first win of each lead).
    """
    opps = opportunities(src)
    won = opps.filter(opps.is_won)
    if "opportunity_id" in src.table("leads").columns:
        return won.select(_won_key=won.opportunity_id, won_at=closed_time(won)), "opportunity_id"
    if "lead_id" not in opps.columns:
        raise SourceError(
            "conversion to won needs a link between leads and deals: leads.opportunity_id or "
            "opportunities.lead_id."
        )
    won = won.mutate(_t=closed_time(won))
    return won.group_by(_won_key=won.lead_id).aggregate(won_at=won._t.min()), "lead_id"


def with_won(src: Source, leads: ir.Table) -> ir.Table:
    """``leads`` with a ``won_at`` column (null for leads not won by the as-of date)."""
    won, key = won_at(src)
    return leads.left_join(won, leads[key] == won._won_key).drop("_won_key")


def milestones(src: Source, *, by: Sequence[str] = (), stages: Sequence[str] = ()) -> ir.Table:
    """One row per lead: ``lead_id``, grouping columns, and when it reached each stage.

    A lead has *reached* a stage when it reached it or any later one (a lead converted without
    a recorded SQL date still passed SQL), so the time is the first non-empty of the stage's
    column and those after it. Columns: ``created_at``, ``<stage>_at`` for every stage asked
    for (``mql``, ``sql``, ``opportunity``, ``won``), ``disqualified_at`` when present.
    """
    src.require("leads", analysis="funnel metrics")
    leads = src.table("leads")
    check_columns(leads, "leads", by, "grouping")
    wanted = [s for s in LEAD_STAGES[1:] if s in stages]
    if "won" in wanted:
        leads = with_won(src, leads)
    cols = {"lead_id": leads.lead_id, "created_at": leads.created_at}
    cols |= {b: leads[b] for b in by}
    order = [STAGE_COLUMN[s] for s in LEAD_STAGES[1:]]
    present = [c for c in order if c in leads.columns]
    for stage in wanted:
        col = STAGE_COLUMN[stage]
        if col not in present:
            raise SourceError(
                f"leads: no column {col}, so conversion to '{stage}' cannot be measured; "
                f"map it from your CRM or choose another stage."
            )
        later = present[present.index(col) :]
        cols[f"{stage}_at"] = (
            ibis.coalesce(*[leads[c] for c in later]) if len(later) > 1 else (leads[col])
        )
    if "disqualified_at" in leads.columns:
        cols["disqualified_at"] = leads.disqualified_at
    return leads.select(**cols)


def complete(frame: pd.DataFrame, grid: pd.DataFrame, keys: Sequence[str], fill: dict):
    """``frame`` reindexed on every row of ``grid`` (by ``keys``), missing counts filled."""
    if not keys:
        return frame
    out = grid.merge(frame, on=list(keys), how="left")
    return out.fillna(fill)


def cross(*frames: pd.DataFrame) -> pd.DataFrame:
    """Cartesian product of small frames (the empty-column frame is the identity)."""
    out = pd.DataFrame(index=[0])
    for f in frames:
        out = out.merge(f, how="cross")
    return out.reset_index(drop=True)
