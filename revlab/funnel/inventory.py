"""Prospect inventory, treated like work in process: how many, how old, how fresh, how fast.

All counts come from stage stays (see :mod:`revlab.funnel._intervals`): lead stages ``new``,
``mql``, ``sql`` and the open deal stages. Inventory over time cumulates a +1/-1 event log per
stage and day (computed in the engine); the snapshot at one date filters stays open then.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from revlab import rates
from revlab.funnel import _base, _intervals
from revlab.needs import requires
from revlab.periods import Quarter
from revlab.sources import Source

__all__ = ["inventory_aging", "inventory_at", "inventory_flow", "stage_times"]

ALL = "all"


@requires(one_of=("leads", "opportunities"), analysis="Inventory flow")
def inventory_flow(
    src: Source,
    *,
    period: str = "month",
    by: str | Sequence[str] | None = None,
    since: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Inflow, outflow and open inventory per stage and period.

    Definitions per stage, group and period: ``entered`` = stays that began in the period;
    ``exited`` = stays that ended in it (to a later stage, a close or a disqualification);
    ``lost`` = the exits that were a disqualification or a lost deal; ``open_end`` = stays
    open at the end of the period (or at the as-of date for the running period, flagged by
    ``complete = False``), i.e. all entries minus all exits up to then.

    Returns
    -------
    DataFrame
        ``stage``, ``by...``, ``period`` (label), ``period_start``, ``complete``, ``entered``,
        ``exited``, ``lost``, ``open_end``; stages in funnel order.
    """
    by = _base.groups(by)
    _base.period_unit(period)
    at = _base.as_of(src)
    daily = _intervals.daily_log(src, by=by)
    keys = ["stage", *by]
    cols = [*keys, "period", "period_start", "complete", "entered", "exited", "lost", "open_end"]
    if daily.empty:
        return pd.DataFrame(columns=cols)
    per = daily["day"].dt.to_period(_base.pandas_freq(period, src.calendar))
    grouped = daily.assign(_p=per).groupby([*keys, "_p"], sort=False)
    out = grouped.agg(
        entered=("entered", "sum"),
        exited=("exited", "sum"),
        lost=("lost", "sum"),
        open_end=("open", "last"),
    ).reset_index()
    out["period"] = _base.period_labels(out["_p"], period, src.calendar)
    out["period_start"] = out["_p"].dt.start_time.astype("datetime64[us]")
    out["complete"] = (out["_p"] + 1).dt.start_time <= at
    if since is not None:
        out = out[out["period_start"] >= pd.Timestamp(since)]
    return _in_stage_order(out[cols], [*by, "period_start"])


def _in_stage_order(frame: pd.DataFrame, then: list[str]) -> pd.DataFrame:
    order = _intervals.stage_order(frame["stage"].unique())
    if ALL in set(frame["stage"]):
        order = [*order, ALL]
    rank = frame["stage"].map({s: i for i, s in enumerate(order)})
    return (
        frame.assign(_r=rank).sort_values(["_r", *then]).drop(columns="_r").reset_index(drop=True)
    )


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value with at least share ``q`` of the weight at or below it."""
    if weights.sum() <= 0:
        return np.nan
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1])])


def _summarise(hist: pd.DataFrame, level: float) -> pd.Series:
    ages, n = hist["age_days"].to_numpy(float), hist["open"].to_numpy(float)
    total = n.sum()
    stale = (hist["stale"] * hist["open"]).sum(min_count=1)
    out = {
        "open": int(total),
        "median_age_days": _weighted_quantile(ages, n, 0.5),
        "mean_age_days": (ages * n).sum() / total if total else np.nan,
        "p90_age_days": _weighted_quantile(ages, n, 0.9),
        "mean_days_in_stage": hist["stage_days"].sum() / total if total else np.nan,
        "stale": stale,
    }
    return pd.Series(out)


@requires(one_of=("leads", "opportunities"), analysis="Prospect inventory")
def inventory_at(
    src: Source,
    *,
    at: str | pd.Timestamp | None = None,
    by: str | Sequence[str] | None = None,
    stale_after_days: int = 30,
    total: bool = True,
    level: float = 0.95,
) -> pd.DataFrame:
    """Open prospects at a date by stage: how many, how old, and what share is stale.

    A prospect is open in a stage at ``at`` (default: the as-of date) when it entered it on or
    before ``at`` and left it after ``at`` or not yet. Ages are whole days since the prospect
    was created (the lead; the deal for deal stages); ``median_age_days`` and
    ``p90_age_days`` are the smallest ages with at least 50% / 90% of the open prospects at or
    below them. ``stale`` counts prospects with neither an activity nor a stage change in the
    last ``stale_after_days`` days; ``stale_share = stale / open`` with a Wilson interval
    (NaN without an activities table). ``total`` adds a row with ``stage = "all"``.

    Returns
    -------
    DataFrame
        ``stage``, ``by...``, ``open``, ``median_age_days``, ``mean_age_days``,
        ``p90_age_days``, ``mean_days_in_stage``, ``stale``, ``stale_share``, ``lower``,
        ``upper``.
    """
    by = _base.groups(by)
    when = _base.as_of(src) if at is None else pd.Timestamp(at)
    hist = _intervals.open_histogram(src, at=when, by=by, stale_after_days=stale_after_days)
    if total:
        hist = pd.concat([hist, hist.assign(stage=ALL)], ignore_index=True)
    keys = ["stage", *by]
    cols = [*keys, "open", "median_age_days", "mean_age_days", "p90_age_days"]
    cols += ["mean_days_in_stage", "stale", "stale_share", "lower", "upper"]
    if hist.empty:
        return pd.DataFrame(columns=cols)
    out = hist.groupby(keys, sort=False).apply(_summarise, level, include_groups=False)
    out = rates.add_rate(out.reset_index(), k="stale", n="open", level=level, name="stale_share")
    out["open"] = out["open"].astype("int64")
    return _in_stage_order(out[cols], by)


@requires(one_of=("leads", "opportunities"), analysis="Inventory aging")
def inventory_aging(
    src: Source,
    *,
    at: str | pd.Timestamp | None = None,
    by: str | Sequence[str] | None = None,
    bins: Sequence[int] = (0, 30, 60, 90, 180, 365),
    stale_after_days: int = 30,
) -> pd.DataFrame:
    """Age distribution of the open inventory at a date: prospects per stage and age bucket.

    Buckets are half-open ``[bins[i], bins[i+1])`` whole days since creation, the last one
    open-ended (``365+``). ``share`` is the bucket's share of its stage's open prospects;
    ``stale`` counts the bucket's stale prospects (as in :func:`inventory_at`; NaN without an
    activities table).

    Returns
    -------
    DataFrame
        ``stage``, ``by...``, ``age_bucket`` (ordered categorical like ``0-29``), ``open``,
        ``share``, ``stale``.
    """
    by = _base.groups(by)
    when = _base.as_of(src) if at is None else pd.Timestamp(at)
    hist = _intervals.open_histogram(src, at=when, by=by, stale_after_days=stale_after_days)
    edges = [*bins, np.inf]
    labels = [f"{a}-{b - 1}" for a, b in zip(bins[:-1], bins[1:], strict=True)]
    labels.append(f"{bins[-1]}+")
    hist["age_bucket"] = pd.cut(hist["age_days"], edges, right=False, labels=labels)
    hist["_stale"] = hist["stale"] * hist["open"]
    keys = ["stage", *by]
    grouped = hist.groupby([*keys, "age_bucket"], observed=False, sort=False)
    out = grouped.agg(open=("open", "sum"), stale=("_stale", lambda x: x.sum(min_count=1)))
    out = out.reset_index()
    totals = out.groupby(keys, sort=False)["open"].transform("sum")
    out["share"] = np.where(totals > 0, out["open"] / totals.where(totals > 0), np.nan)
    out["open"] = out["open"].astype("int64")
    out = out[[*keys, "age_bucket", "open", "share", "stale"]]
    return _in_stage_order(out, [*by, "age_bucket"])


@requires(one_of=("leads", "opportunities"), analysis="Time in stage")
def stage_times(
    src: Source, *, quarter: Quarter | str, by: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """Time in stage and a Little's-law check, per stage, over one quarter.

    Definitions over the quarter's days up to the as-of date (``days``): ``avg_open`` = mean
    of the end-of-day open counts (L); ``entered`` and ``exited`` = stays begun and ended;
    ``throughput_per_day = exited / days`` (lambda); ``mean_days_in_stage`` = mean length of the
    stays that ended in the quarter (W, in days). Little's law says L = lambda x W for a stable
    process, so ``little_open = throughput_per_day * mean_days_in_stage`` and
    ``discrepancy = little_open / avg_open - 1`` shows how far from steady state (growth,
    backlog, or long stays not yet ended) the stage was.

    Returns
    -------
    DataFrame
        ``stage``, ``by...``, ``days``, ``avg_open``, ``entered``, ``exited``,
        ``throughput_per_day``, ``mean_days_in_stage``, ``little_open``, ``discrepancy``.
    """
    by = _base.groups(by)
    q = Quarter.parse(quarter, src.calendar)
    at = _base.as_of(src)
    daily = _intervals.daily_log(src, by=by)
    days = daily[(daily["day"] >= q.start) & (daily["day"] < min(q.end, at))]
    keys = ["stage", *by]
    out = days.groupby(keys, sort=False).agg(
        days=("day", "nunique"),
        avg_open=("open", "mean"),
        entered=("entered", "sum"),
        exited=("exited", "sum"),
        stay_days=("stay_days", "sum"),
    )
    out = out.reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["throughput_per_day"] = out["exited"] / out["days"]
        out["mean_days_in_stage"] = np.where(
            out["exited"] > 0, out["stay_days"] / out["exited"].where(out["exited"] > 0), np.nan
        )
        out["little_open"] = out["throughput_per_day"] * out["mean_days_in_stage"]
        out["discrepancy"] = out["little_open"] / out["avg_open"].where(out["avg_open"] > 0) - 1
    return _in_stage_order(out.drop(columns="stay_days"), by)
