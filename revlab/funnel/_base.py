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

from revlab.periods import Quarter
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
    """The moment the data is known to: the source's as-of cut, or its latest lead event."""
    if src.as_of is not None:
        return pd.Timestamp(src.as_of)
    leads = src.table("leads")
    cols = [c for c in (*STAGE_COLUMN.values(),) if c in leads.columns]
    latest = leads.aggregate(**{c: leads[c].max() for c in cols}).to_pandas().iloc[0]
    found = [pd.Timestamp(v) for v in latest if not pd.isna(v)]
    if not found:
        raise SourceError("leads: the table is empty, so there is no date to measure up to.")
    return max(found)


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


def quarter_of(quarter: Quarter | str) -> Quarter:
    """Parse a quarter given as text or Quarter."""
    return Quarter.parse(quarter)


def period_unit(period: str) -> str:
    """The Ibis truncation unit of a period name; a clear error for anything else."""
    if period not in PERIOD_UNITS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_UNITS)}, got {period!r}.")
    return PERIOD_UNITS[period]


def days_between(start: ir.Value, end: ir.Value) -> ir.Value:
    """Whole days elapsed from ``start`` to ``end`` (floor of the difference in seconds)."""
    return (end.epoch_seconds() - start.epoch_seconds()) // DAY_SECONDS


def earliest(a: ir.Value, b: ir.Value) -> ir.Value:
    """The earlier of two nullable timestamps (null only when both are)."""
    return ibis.cases((a.isnull(), b), (b.isnull(), a), (a <= b, a), else_=b)


def latest(a: ir.Value, b: ir.Value) -> ir.Value:
    """The later of two nullable timestamps (null only when both are)."""
    return ibis.cases((a.isnull(), b), (b.isnull(), a), (a >= b, a), else_=b)


def levels(table: ir.Table, by: Sequence[str]) -> pd.DataFrame:
    """Every combination of the grouping columns present in ``table`` (a small frame)."""
    if not by:
        return pd.DataFrame(index=[0])
    return table.select(*by).distinct().to_pandas().sort_values(list(by), ignore_index=True)


def won_at(src: Source) -> ir.Table:
    """Per lead, when it was first won: ``lead_id``, ``won_at`` (leads that won only).

    A lead is won when an opportunity it became is won; the time is the opportunity's
    ``closed_at`` (its ``close_date`` when ``closed_at`` is absent).
    """
    src.require("opportunities", analysis="conversion to won")
    opps = src.table("opportunities")
    won = opps.filter(opps.is_won).mutate(_won=closed_time(opps))
    leads = src.table("leads")
    if "opportunity_id" in leads.columns:
        link = leads.select("lead_id", "opportunity_id").filter(leads.opportunity_id.notnull())
        won = won.drop(*[c for c in ("lead_id",) if c in won.columns])
        won = won.join(link, "opportunity_id")
    elif "lead_id" not in opps.columns:
        raise SourceError(
            "conversion to won needs a link between leads and deals: leads.opportunity_id or "
            "opportunities.lead_id."
        )
    return won.group_by("lead_id").aggregate(won_at=won._won.min())


def deals(src: Source, *, by: Sequence[str] = ()) -> ir.Table:
    """Opportunities with the grouping columns attached, as text.

    A grouping column the opportunities table lacks (``channel``) comes from the lead the deal
    came from, through ``opportunities.lead_id``.
    """
    src.require("opportunities", analysis="deal metrics")
    opps = src.table("opportunities")
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
    """When a deal closed: ``closed_at``, else its ``close_date``."""
    cols = [opps[c] for c in ("closed_at", "close_date") if c in opps.columns]
    if not cols:
        raise SourceError(
            "opportunities: no closed_at or close_date column, so when deals closed is unknown; "
            "add closed_at (when the deal closed)."
        )
    return ibis.coalesce(*cols) if len(cols) > 1 else cols[0]


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
        leads = leads.left_join(won_at(src), "lead_id").drop("lead_id_right")
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
