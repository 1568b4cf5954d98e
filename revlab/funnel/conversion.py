"""Censoring-aware conversion: cumulative curves, matured-cohort rates and the stage funnel.

A lead that has not converted yet is *censored*, not lost. Three views respect that:

* :func:`conversion_curve` -- Kaplan-Meier cumulative conversion by days since a stage, where
  each open lead counts only for the days it has been observed;
* :func:`conversion_by_cohort` and :func:`conversion_rate` -- "converted within ``w`` days"
  only for leads (or whole cohorts) created at least ``w`` days before the as-of date;
* :func:`funnel_stages` -- stage-to-stage conversion of one matured cohort.

Day convention, used throughout: a conversion ``e`` days after the start (``e`` fractional)
happens on day ``floor(e) + 1``, so "converted by day ``w``" means "within ``w`` days"
(``e < w``); a lead still open after ``c`` days of observation is censored at day ``floor(c)``
(the last day it was watched in full). Disqualified leads are censored at the as-of date like
any other non-converter (administrative censoring), which keeps censoring independent of
the outcome. Every rate comes with an interval (Wilson for proportions, Greenwood log-log for
curves); rows with ``n == 0`` or an immature window carry NaN, never a zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from revlab import rates
from revlab.funnel import _base
from revlab.needs import requires
from revlab.periods import FiscalCalendar, Quarter
from revlab.sources import Source

__all__ = ["conversion_by_cohort", "conversion_curve", "conversion_rate", "funnel_stages"]


def _stage_check(to: str, start: str = "created") -> None:
    stages = _base.LEAD_STAGES
    if to not in stages[1:] or start not in stages[:-1]:
        raise ValueError(
            f"stages must be among {', '.join(stages)} with start before to; "
            f"got start={start!r}, to={to!r}."
        )
    if stages.index(start) >= stages.index(to):
        raise ValueError(f"stage {to!r} does not come after {start!r} in the funnel.")


def _cohort_col(m: ir.Table, cohort: str | None, cal: FiscalCalendar) -> dict:
    if cohort is None:
        return {}
    return {"cohort_start": _base.truncate(m.created_at, cohort, cal)}


def _label(starts: pd.Series, cohort: str, cal: FiscalCalendar) -> pd.Series:
    periods = pd.to_datetime(starts).dt.to_period(_base.pandas_freq(cohort, cal))
    return _base.period_labels(periods, cohort, cal)


def _event_day(m: ir.Table, start: str, to: str) -> ir.Value:
    """Day (1-based) on which the lead reached ``to``, counted from ``start``; null if not."""
    day = _base.days_between(m[f"{start}_at"], m[f"{to}_at"]) + 1
    return ibis.cases((m[f"{to}_at"].isnull(), ibis.null("int64")), (day < 1, 1), else_=day)


@requires("leads", analysis="Conversion curves")
def conversion_curve(
    src: Source,
    *,
    to: str = "won",
    start: str = "created",
    by: str | Sequence[str] | None = "channel",
    cohort: str | None = None,
    since: str | pd.Timestamp | None = None,
    max_days: int = 365,
    level: float = 0.95,
) -> pd.DataFrame:
    """Cumulative share of leads that reached ``to`` by each day after reaching ``start``.

    Population: leads that reached ``start`` (created after ``since`` if given). Each lead
    contributes an event on day ``floor(e) + 1`` if it reached ``to`` after ``e`` days, or a
    censoring at day ``floor(c)``, ``c`` being the days observed up to the as-of date. Events
    after ``max_days`` count as censorings at ``max_days``. The engine returns counts per group
    and day; the Kaplan-Meier estimator (:func:`revlab.rates.cumulative_incidence`) runs on them.

    A group present in the leads but with none in the population (say, no lead since
    ``since``) gets one row at day 0 with ``n = 0`` and NaN rate.

    Returns
    -------
    DataFrame
        ``by...``, ``cohort`` (if asked; a label like ``2025Q3``), ``day``, ``n`` (leads),
        ``at_risk``, ``events``, ``censored``, ``rate`` (cumulative conversion by that day),
        ``lower``, ``upper``.
    """
    _stage_check(to, start)
    by = _base.groups(by)
    at = _base.as_of(src)
    m = _base.milestones(src, by=by, stages=(start, to))
    m = m.filter(m[f"{start}_at"].notnull())
    if since is not None:
        m = m.filter(m.created_at >= _base.ts(since))
    event = _event_day(m, start, to)
    observed = _base.days_between(m[f"{start}_at"], _base.ts(at))
    is_event = event.notnull() & (event <= max_days)
    day = ibis.cases((is_event, event), (observed > max_days, max_days), else_=observed)
    keys = [*by, *(["cohort_start"] if cohort else [])]
    counts = (
        m.mutate(_day=day, _event=is_event.cast("int32"), **_cohort_col(m, cohort, src.calendar))
        .group_by([*keys, "_day"])
        .aggregate(events=ibis._._event.sum(), censored=(1 - ibis._._event).sum())
        .to_pandas()
        .rename(columns={"_day": "day"})
    )
    curve = rates.cumulative_incidence(counts, time="day", by=keys, level=level)
    if cohort:
        curve.insert(len(by), "cohort", _label(curve.pop("cohort_start"), cohort, src.calendar))
    return _with_empty_groups(curve, _base.levels(src, "leads", by), by)


def _with_empty_groups(curve: pd.DataFrame, grid: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Add a day-0 row with ``n = 0`` and NaN rate for groups that have no lead at all."""
    if not by:
        return curve
    seen = curve[by].drop_duplicates()
    missing = grid.merge(seen, on=by, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"][by]
    if missing.empty:
        return curve
    empty = missing.assign(day=0, n=0.0, at_risk=0.0, events=0, censored=0)
    empty[["rate", "lower", "upper"]] = np.nan
    return pd.concat([curve, empty], ignore_index=True)[curve.columns]


def _within_counts(m: ir.Table, to: str, within_days: Sequence[int], at: pd.Timestamp) -> dict:
    """Aggregates ``n_<w>`` (leads old enough) and ``k_<w>`` (of them, converted within w)."""
    event = _event_day(m, "created", to)
    out = {}
    for w in within_days:
        old = m.created_at <= _base.ts(at - pd.Timedelta(days=w))
        hit = old & event.notnull() & (event <= w)
        out[f"n_{w}"] = old.sum()
        out[f"k_{w}"] = hit.sum()
    return out


@requires("leads", analysis="Conversion rates")
def conversion_rate(
    src: Source,
    *,
    by: str | Sequence[str] | None = "channel",
    to: str = "won",
    within_days: int = 180,
    since: str | pd.Timestamp | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of leads that reached ``to`` within ``within_days`` of creation, matured leads only.

    Definition: among leads created on or before ``as_of - within_days`` (and on or after
    ``since``), ``converted`` counts those that reached ``to`` less than ``within_days`` days
    after creation; ``rate = converted / n`` with a Wilson interval at ``level``. Younger leads
    are left out, not counted as losses. Every group present in the leads appears; a group
    with no matured lead has ``n = 0`` and NaN rate.

    Returns
    -------
    DataFrame
        ``by...``, ``within_days``, ``n``, ``converted``, ``rate``, ``lower``, ``upper``.
    """
    _stage_check(to)
    by = _base.groups(by)
    at = _base.as_of(src)
    m = _base.milestones(src, by=by, stages=(to,))
    if since is not None:
        m = m.filter(m.created_at >= _base.ts(since))
    aggs = _within_counts(m, to, [within_days], at)
    got = (m.group_by(by).aggregate(**aggs) if by else m.aggregate(**aggs)).to_pandas()
    got = got.rename(columns={f"n_{within_days}": "n", f"k_{within_days}": "converted"})
    grid = _base.levels(src, "leads", by)
    got = _base.complete(got, grid, by, {"n": 0, "converted": 0})
    got["n"] = got["n"].fillna(0).astype("int64")
    got["converted"] = got["converted"].fillna(0).astype("int64")
    got.insert(len(by), "within_days", within_days)
    out = rates.add_rate(got, k="converted", n="n", level=level)
    return out[[*by, "within_days", "n", "converted", "rate", "lower", "upper"]]


def _cohort_grid(
    first: pd.Timestamp, at: pd.Timestamp, cohort: str, cal: FiscalCalendar
) -> pd.DataFrame:
    freq = _base.pandas_freq(cohort, cal)
    periods = pd.period_range(pd.Timestamp(first), _base.last_moment(at), freq=freq)
    return pd.DataFrame(
        {
            "cohort": _base.period_labels(periods, cohort, cal),
            "cohort_end": (periods + 1).start_time.astype("datetime64[us]"),
        }
    )


@requires("leads", analysis="Conversion by cohort")
def conversion_by_cohort(
    src: Source,
    *,
    by: str | Sequence[str] | None = "channel",
    cohort: str = "quarter",
    to: str = "won",
    within_days: Sequence[int] = (30, 60, 90, 180),
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of each creation cohort that reached ``to`` within 30/60/90/180 days.

    A cohort is the leads created in one ``cohort`` period (week, month or quarter). Its
    "within ``w`` days" rate is reported only when the whole cohort is old enough to tell:
    ``cohort end + w <= as_of`` (``matured``). Then ``rate = converted / n`` with a Wilson
    interval, ``converted`` counting leads that reached ``to`` less than ``w`` days after
    creation. Immature rows keep ``n`` but have NaN ``converted``, ``rate`` and bounds.
    Every period from the first lead to the as-of date appears, empty ones with ``n = 0``.

    Returns
    -------
    DataFrame
        ``by...``, ``cohort`` (like ``2025Q3``), ``within_days``, ``matured``, ``n``,
        ``converted``, ``rate``, ``lower``, ``upper``.
    """
    _stage_check(to)
    by = _base.groups(by)
    at = _base.as_of(src)
    within_days = list(within_days)
    m = _base.milestones(src, by=by, stages=(to,))
    cal = src.calendar
    m = m.mutate(**_cohort_col(m, cohort, cal))
    event = _event_day(m, "created", to)
    aggs = {"n": m.count()}
    aggs |= {f"k_{w}": (event.notnull() & (event <= w)).sum() for w in within_days}
    keys = [*by, "cohort_start"]
    got = m.group_by(keys).aggregate(**aggs).to_pandas()
    starts = pd.to_datetime(got.pop("cohort_start"))
    got["cohort"] = _label(starts, cohort, cal)
    first = starts.min() if len(got) else Quarter.containing(at, cal).start
    first = pd.Period(first, freq=_base.pandas_freq(cohort, cal)).start_time
    grid = _base.cross(_base.levels(src, "leads", by), _cohort_grid(first, at, cohort, cal))
    wide = grid.merge(got, on=[*by, "cohort"], how="left").fillna(
        {"n": 0, **{f"k_{w}": 0 for w in within_days}}
    )
    long = wide.melt(
        id_vars=[*by, "cohort", "cohort_end", "n"],
        value_vars=[f"k_{w}" for w in within_days],
        var_name="within_days",
        value_name="converted",
    )
    long["within_days"] = long["within_days"].str.removeprefix("k_").astype("int64")
    long["n"] = long["n"].astype("int64")
    long["matured"] = long["cohort_end"] + pd.to_timedelta(long["within_days"], unit="D") <= at
    long["converted"] = long["converted"].where(long["matured"]).astype("float64")
    out = rates.add_rate(long, k="converted", n="n", level=level)
    cols = [*by, "cohort", "within_days", "matured", "n", "converted", "rate", "lower", "upper"]
    return out.sort_values([*by, "within_days", "cohort"], ignore_index=True)[cols]


def matured_quarter(src: Source, *, within_days: int = 180) -> Quarter:
    """The latest quarter whose leads have all had ``within_days`` days to convert."""
    at = _base.as_of(src)
    q = Quarter.containing(at, src.calendar)
    while q.end + pd.Timedelta(days=within_days) > at:
        q = q.previous
    return q


@requires("leads", analysis="Stage funnel")
def funnel_stages(
    src: Source,
    *,
    quarter: Quarter | str | None = None,
    by: str | Sequence[str] | None = None,
    within_days: int = 180,
    level: float = 0.95,
) -> pd.DataFrame:
    """Stage-to-stage conversion of the leads created in one quarter, within ``within_days``.

    ``reached`` counts the cohort's leads that reached each stage (or a later one) less than
    ``within_days`` days after creation. ``rate = reached / reached at the previous stage``
    (step conversion, Wilson interval ``lower``/``upper``); ``of_created = reached / n``.
    The default quarter is the latest matured one (see :func:`matured_quarter`); for a younger
    cohort ``matured`` is False and the rates are NaN, since a partly observed window would
    count open leads as losses.

    Returns
    -------
    DataFrame
        ``by...``, ``cohort``, ``stage`` (created, mql, sql, opportunity, won), ``matured``,
        ``reached``, ``n`` (reached at the previous stage), ``rate``, ``lower``, ``upper``,
        ``of_created``.
    """
    by = _base.groups(by)
    q = (
        matured_quarter(src, within_days=within_days)
        if quarter is None
        else Quarter.parse(quarter, src.calendar)
    )
    at = _base.as_of(src)
    leads = src.table("leads")
    stages = [s for s in _base.LEAD_STAGES[1:] if _stage_available(src, leads, s)]
    m = _base.milestones(src, by=by, stages=stages)
    m = m.filter(q.contains(m.created_at))
    aggs = {"reached_created": m.count()}
    for s in stages:
        event = _event_day(m, "created", s)
        aggs[f"reached_{s}"] = (event.notnull() & (event <= within_days)).sum()
    got = (m.group_by(by).aggregate(**aggs) if by else m.aggregate(**aggs)).to_pandas()
    got = _base.complete(got, _base.levels(src, "leads", by), by, {})
    return _funnel_long(
        got, by, ["created", *stages], q, q.end + pd.Timedelta(days=within_days) <= at, level
    )


def _stage_available(src: Source, leads: ir.Table, stage: str) -> bool:
    if stage == "won":
        return src.has("opportunities")
    return _base.STAGE_COLUMN[stage] in leads.columns


def _funnel_long(
    wide: pd.DataFrame, by: list[str], stages: list[str], q: Quarter, matured: bool, level: float
) -> pd.DataFrame:
    rows = []
    for _, row in wide.iterrows():
        n0 = 0 if pd.isna(row["reached_created"]) else int(row["reached_created"])
        prev = n0
        for s in stages:
            reached = 0 if pd.isna(row[f"reached_{s}"]) else int(row[f"reached_{s}"])
            rows.append({**{b: row[b] for b in by}, "stage": s, "reached": reached, "n": prev})
            prev = reached
    out = pd.DataFrame(rows)
    out.insert(len(by), "cohort", str(q))
    out.insert(len(by) + 2, "matured", matured)
    out = rates.add_rate(out, k="reached", n="n", level=level)
    with np.errstate(invalid="ignore", divide="ignore"):
        created = out.groupby(by, sort=False)["reached"].transform("first") if by else n0
        out["of_created"] = np.where(created > 0, out["reached"] / created, np.nan)
    if not matured:
        out[["rate", "lower", "upper", "of_created"]] = np.nan
    return out
