"""Closing: win rate, deal size, sales cycle, pipeline velocity and coverage of the target.

Closing metrics are about deals *decided* in a quarter (closed in it), so they carry no
censoring: an open deal is not in the denominator. Deal-side grouping columns (``segment``)
come from ``opportunities``; others (``channel``) from the lead each deal came from.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

from revlab import _amounts, periods, rates
from revlab.funnel import _base
from revlab.needs import requires
from revlab.periods import Quarter, quarters_between
from revlab.sources import Source

__all__ = ["closing", "closing_by_quarter", "pipeline_coverage"]


def _decided(src: Source, by: list[str], first: Quarter, last: Quarter) -> pd.DataFrame:
    """Per close quarter and group: closed, won, bookings, deal-size and cycle moments."""
    opps = _base.deals(src, by=by)
    closed = opps.filter(opps.is_closed).mutate(_closed=_base.closed_time(opps))
    closed = closed.filter(
        (closed._closed >= _base.ts(first.start)) & (closed._closed < _base.ts(last.end))
    )
    won = closed.is_won
    cycle = (_base.seconds(closed._closed) - _base.seconds(closed.created_at)).cast("float64")
    cycle = cycle / _base.DAY_SECONDS
    priced = won & _amounts.known(closed.amount)
    amount = ibis.cases((priced, closed.amount), else_=ibis.null("float64"))
    cycle = ibis.cases((won, cycle), else_=ibis.null("float64"))
    start = periods.truncate_quarter(closed._closed, first.cal)
    closed = closed.mutate(_q=start, _amount=amount, _cycle=cycle)
    got = closed.group_by(["_q", *by]).aggregate(
        closed=closed.count(),
        won=won.sum(),
        unknown_amounts=(won & ~priced).sum(),
        bookings=closed._amount.sum(),
        avg_deal_size=closed._amount.mean(),
        _sd=closed._amount.std(),
        sales_cycle_days=closed._cycle.mean(),
    )
    out = got.to_pandas()
    out["quarter"] = periods.quarter_label(pd.to_datetime(out.pop("_q")), first.cal)
    return out


def _open_at_starts(src: Source, by: list[str], quarters: list[Quarter]) -> pd.DataFrame:
    """Deals open at each quarter's start, from a +1 (created) / -1 (closed) event log."""
    opps = _base.deals(src, by=by)
    closed_at = ibis.cases((opps.is_closed, _base.closed_time(opps)), else_=ibis.null("timestamp"))
    born = opps.select(*by, day=opps.created_at.truncate("D"), delta=ibis.literal(1, "int64"))
    gone = opps.mutate(_c=closed_at).filter(ibis._._c.notnull())
    gone = gone.select(*by, day=gone._c.truncate("D"), delta=ibis.literal(-1, "int64"))
    log = born.union(gone)
    daily = log.group_by(["day", *by]).aggregate(delta=log.delta.sum()).to_pandas()
    daily["day"] = pd.to_datetime(daily["day"])
    rows = []
    groups = daily.groupby(by, sort=False) if by else [((), daily)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        for q in quarters:
            open_ = int(g.loc[g["day"] < q.start, "delta"].sum())
            rows.append(
                {**dict(zip(by, key, strict=True)), "quarter": str(q), "open_at_start": open_}
            )
    return pd.DataFrame(rows, columns=[*by, "quarter", "open_at_start"])


@requires("opportunities", analysis="Closing by quarter")
def closing_by_quarter(
    src: Source,
    *,
    first: Quarter | str,
    last: Quarter | str | None = None,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Closing metrics per quarter from ``first`` to ``last`` (default: ``first`` only).

    Definitions, for deals closed in the quarter (``closed_at``, else ``close_date``):
    ``closed`` and ``won`` counts; ``win_rate = won / closed`` with a Wilson interval
    (``lower``, ``upper``); ``bookings`` = summed amount won; ``avg_deal_size`` = mean amount
    won, with a Student-t interval (``size_lower``, ``size_upper``); ``sales_cycle_days`` =
    mean days from deal creation to close, won deals; ``open_at_start`` = deals open at the
    quarter's first moment; ``pipeline_velocity = open_at_start * win_rate * avg_deal_size /
    sales_cycle_days``, the expected amount won per day from the pipeline on hand. Quarters or
    groups without closed deals have 0 counts and NaN rates, sizes and velocity. A won deal's
    amount of 0 or missing is unknown, not zero (:mod:`revlab._amounts`): ``bookings`` and
    ``avg_deal_size`` count known amounts only, and ``unknown_amounts`` counts the won deals
    without one.

    Returns
    -------
    DataFrame
        ``quarter``, ``by...``, ``closed``, ``won``, ``win_rate``, ``lower``, ``upper``,
        ``bookings``, ``unknown_amounts``, ``avg_deal_size``, ``size_lower``, ``size_upper``,
        ``sales_cycle_days``, ``open_at_start``, ``pipeline_velocity``.
    """
    by = _base.groups(by)
    q0 = Quarter.parse(first, src.calendar)
    q1 = q0 if last is None else Quarter.parse(last, q0.cal)
    quarters = quarters_between(q0, q1)
    got = _decided(src, by, q0, q1)
    grid = _base.cross(
        pd.DataFrame({"quarter": [str(q) for q in quarters]}),
        _base.levels(src, "opportunities", by),
    )
    out = grid.merge(got, on=["quarter", *by], how="left")
    out = out.fillna({"closed": 0, "won": 0, "unknown_amounts": 0})
    out = out.merge(_open_at_starts(src, by, quarters), on=[*by, "quarter"], how="left")
    out = out.fillna({"open_at_start": 0, "bookings": 0.0})
    counts = ["closed", "won", "unknown_amounts", "open_at_start"]
    out[counts] = out[counts].astype("int64")
    out = rates.add_rate(out, k="won", n="closed", level=level, name="win_rate")
    out["size_lower"], out["size_upper"] = rates.mean_interval(
        out["avg_deal_size"], out.pop("_sd"), out["won"], level=level
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        velocity = out["open_at_start"] * out["win_rate"] * out["avg_deal_size"]
        out["pipeline_velocity"] = velocity / out["sales_cycle_days"].where(
            out["sales_cycle_days"] > 0
        )
    cols = ["quarter", *by, "closed", "won", "win_rate", "lower", "upper", "bookings"]
    cols += ["unknown_amounts"]
    cols += ["avg_deal_size", "size_lower", "size_upper", "sales_cycle_days"]
    cols += ["open_at_start", "pipeline_velocity"]
    return out[cols].sort_values(["quarter", *by], ignore_index=True)


@requires("opportunities", analysis="Closing")
def closing(
    src: Source,
    *,
    quarter: Quarter | str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Closing metrics of one quarter; see :func:`closing_by_quarter` for the definitions."""
    return closing_by_quarter(src, first=quarter, by=by, level=level)


@requires("opportunities", "targets", columns=("opportunities.close_date",),
          analysis="Pipeline coverage")  # fmt: skip
def pipeline_coverage(src: Source, *, quarter: Quarter | str) -> pd.DataFrame:
    """Open pipeline at the quarter's start expected to close in it, against the target.

    Definitions: the pipeline is read as it stood at the quarter's first moment (stages,
    amounts and expected close dates as last recorded by then); ``open_pipeline`` sums the
    amount of every open deal, ``pipeline_in_quarter`` of those expected to close in the
    quarter; ``coverage = pipeline_in_quarter / bookings_target`` (NaN without a positive
    target for the quarter).
    ``unknown_amounts`` counts the deals in the quarter whose amount is unknown (0 or
    missing, summed as nothing), ``no_close_date`` the open deals with no expected close date
    (in no quarter's pipeline).

    Raises
    ------
    SourceError
        When the source has no ``targets`` or ``opportunities`` table, or the deals have no
        ``close_date`` (which deals are due in the quarter is then unknown).
    """
    q = Quarter.parse(quarter, src.calendar)
    start = q.start if src.as_of is None else min(q.start, pd.Timestamp(src.as_of))
    opps = src.at(start).table("opportunities")
    opps = opps.filter(~opps.is_closed)
    due = q.contains(opps.close_date).fill_null(False)
    priced = _amounts.known(opps.amount)
    amount = ibis.cases((priced, opps.amount), else_=0.0)
    got = opps.aggregate(
        deals=opps.count(),
        open_pipeline=amount.sum(),
        deals_in_quarter=due.sum(),
        pipeline_in_quarter=ibis.cases((due, amount), else_=0.0).sum(),
        unknown_amounts=(due & ~priced).sum(),
        no_close_date=opps.close_date.isnull().sum(),
    ).to_pandas()
    targets = src.table("targets")
    target = targets.filter(targets.quarter == str(q)).bookings_target.sum().to_pandas()
    target = float(target) if target is not None and not pd.isna(target) else np.nan
    out = got.fillna(0).assign(quarter=str(q), bookings_target=target)
    out["coverage"] = out["pipeline_in_quarter"] / target if target > 0 else np.nan
    cols = ["quarter", "deals", "open_pipeline", "deals_in_quarter", "pipeline_in_quarter"]
    return out[[*cols, "unknown_amounts", "no_close_date", "bookings_target", "coverage"]]
