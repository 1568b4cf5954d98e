"""Top of the funnel: how many new names came in, and what each one cost, by channel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from revlab.funnel import _base
from revlab.needs import requires
from revlab.periods import Quarter
from revlab.sources import Source

__all__ = ["cost_per_name", "new_names"]

ALL = "all"


@requires("leads", analysis="New names")
def new_names(
    src: Source,
    *,
    period: str = "month",
    by: str | Sequence[str] | None = "channel",
    since: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """New names (leads created) per period and group.

    ``n`` counts leads whose ``created_at`` falls in the period (weeks start on Monday).
    Every period from the first lead (or ``since``) to the as-of date appears for every
    group, with ``n = 0`` when none came in; ``complete`` is False for the running period.

    Returns
    -------
    DataFrame
        ``period`` (label like ``2026-07`` or ``2026Q3``), ``period_start``, ``complete``,
        ``by...``, ``n``.
    """
    by = _base.groups(by)
    _base.period_unit(period)
    at = _base.as_of(src)
    leads = src.table("leads")
    _base.check_columns(leads, "leads", by, "grouping new names")
    if since is not None:
        leads = leads.filter(leads.created_at >= _base.ts(since))
    leads = leads.mutate(period_start=_base.truncate(leads.created_at, period, src.calendar))
    got = leads.group_by(["period_start", *by]).aggregate(n=leads.count()).to_pandas()
    got["period_start"] = pd.to_datetime(got["period_start"]).astype("datetime64[us]")
    freq = _base.pandas_freq(period, src.calendar)
    first = pd.Timestamp(since) if since is not None else got["period_start"].min()
    if pd.isna(first):
        first = at
    periods = pd.period_range(first, _base.last_moment(at), freq=freq)
    grid = _base.cross(
        pd.DataFrame(
            {
                "period": _base.period_labels(periods, period, src.calendar),
                "period_start": periods.start_time.astype("datetime64[us]"),
                "complete": (periods + 1).start_time <= at,
            }
        ),
        _base.levels(src, "leads", by),
    )
    out = grid.merge(got, on=["period_start", *by], how="left").fillna({"n": 0})
    out["n"] = out["n"].astype("int64")
    return out.sort_values(["period_start", *by], ignore_index=True)


def _outcomes(src: Source, q: Quarter) -> pd.DataFrame:
    """Per channel: names created, opportunities and wins in the quarter (one query)."""
    leads = src.table("leads")
    if src.has("opportunities"):
        leads = _base.with_won(src, leads)
    counts = {"names": q.contains(leads.created_at)}
    if "converted_at" in leads.columns:
        counts["opportunities"] = q.contains(leads.converted_at)
    if "won_at" in leads.columns:
        counts["won"] = q.contains(leads.won_at)
    aggs = {k: v.fill_null(False).sum() for k, v in counts.items()}
    return leads.group_by("channel").aggregate(**aggs).to_pandas()


@requires("leads", "marketing_spend", analysis="Cost per name")
def cost_per_name(src: Source, *, quarter: Quarter | str, total: bool = True) -> pd.DataFrame:
    """Marketing spend per new name, per opportunity and per won deal, by channel, in a quarter.

    Definitions for the quarter: ``spend`` = sum of ``marketing_spend.spend`` over periods
    starting in the quarter; ``names`` = leads created in it; ``opportunities`` = leads that
    became opportunities (``converted_at``) in it; ``won`` = leads first won (their deal's
    close) in it; ``cost_per_name = spend / names``, ``cost_per_opportunity = spend /
    opportunities``, ``cost_per_won = spend / won``. These are period ratios (spend and
    outcomes in the same quarter), not cohort costs. A ratio is NaN when its denominator is 0
    or the channel has no spend recorded. ``total`` adds a ``channel = "all"`` row.

    Raises
    ------
    SourceError
        When the source has no ``marketing_spend`` table.
    """
    src.require("marketing_spend", "leads", analysis="cost per name")
    q = Quarter.parse(quarter, src.calendar)
    spend_t = src.table("marketing_spend")
    s = spend_t.filter(q.contains(spend_t.period_start))
    spend = s.group_by("channel").aggregate(spend=s.spend.sum()).to_pandas()
    out = _base.levels(src, "leads", ["channel"])
    out = out.merge(_base.levels(src, "marketing_spend", ["channel"]), how="outer")
    out = out.merge(spend, on="channel", how="left").merge(
        _outcomes(src, q), on="channel", how="left"
    )
    counts = [c for c in ("names", "opportunities", "won") if c in out.columns]
    out[counts] = out[counts].fillna(0).astype("int64")
    if total:
        tot = {"channel": ALL, "spend": out["spend"].sum(min_count=1)}
        out = pd.concat([out, pd.DataFrame([{**tot, **out[counts].sum()}])], ignore_index=True)
    names = {"names": "cost_per_name", "opportunities": "cost_per_opportunity"}
    for c in counts:
        name = names.get(c, "cost_per_won")
        denom = out[c].where(out[c] > 0).astype("float64")
        out[name] = np.where(denom.notna(), out["spend"] / denom, np.nan)
    out.insert(1, "quarter", str(q))
    return out.astype({c: "int64" for c in counts})
