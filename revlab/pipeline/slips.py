"""Slipped deals: how often expected close dates are pushed, and what slipping says about winning.

A *push* is a recorded change that moves a deal's expected close date later while the deal is
open: a ``stage_history`` row whose ``close_date`` is later than that of the deal's previous row
(by ``entered_at``) and whose stage is not closed. Closing itself (which sets the close date to
the day the deal closed) is not a push. A deal *slipped* if it was pushed at least once.

The analysis looks at deals *decided* in a window (closed in it), whose slip history is complete
and whose outcome is known, so open deals are neither slipped nor unslipped yet: they are left
out, never counted as losses.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from revlab import rates
from revlab.needs import requires
from revlab.pipeline import _base
from revlab.sources import Source

__all__ = ["close_date_pushes", "slip_analysis"]


@requires(
    *_base.HISTORY,
    columns=_base.CLOSE_DATES,
    analysis="Close-date pushes",
)
def close_date_pushes(src: Source, *, deals: ir.Table | None = None) -> ir.Table:
    """Pushes of the expected close date per pushed deal (engine expression).

    Parameters
    ----------
    src
        A source with ``opportunities`` and ``stage_history`` (with ``close_date``).
    deals
        Only these deals (a table with ``opportunity_id``); default: every deal.

    Returns
    -------
    ibis Table
        ``opportunity_id``, ``pushes`` (number of pushes, at least 1) and ``pushed_days``
        (total days its close date moved later by pushes). Deals never pushed have no row.
    """
    h = src.table("stage_history")
    if deals is not None:
        h = h.semi_join(deals, "opportunity_id")
    won, lost = _base.closed_stages(h)
    # a flag rather than the stage name rides through the sort: less to move
    h = h.select("opportunity_id", "entered_at", "close_date", _open=~h.stage.isin(won + lost))
    w = ibis.window(group_by=h.opportunity_id, order_by=[h.entered_at, h.close_date])
    h = h.mutate(_prev=h.close_date.lag().over(w))
    pushed = h.filter((h.close_date > h._prev) & h._open)
    moved = pushed.close_date.epoch_seconds() - pushed._prev.epoch_seconds()
    return pushed.group_by("opportunity_id").aggregate(
        pushes=pushed.count(), pushed_days=(moved.cast("float64") / 86_400).sum()
    )


@requires(
    *_base.HISTORY,
    columns=_base.CLOSE_DATES,
    minimums=(_base.CLOSE_DATE_HISTORY,),
    analysis="Slipped deals",
)
def slip_analysis(
    src: Source,
    *,
    by: str | Sequence[str] | None = None,
    closed_from: str | pd.Timestamp | None = None,
    closed_to: str | pd.Timestamp | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of deals and value that slipped, pushes per deal, and win rates slipped vs not.

    Parameters
    ----------
    src
        A source with ``opportunities`` and ``stage_history`` (with ``close_date``).
    by
        Deal columns to group by, such as ``"segment"`` or ``"owner"`` (default: one row).
    closed_from, closed_to
        Deals closed in ``[closed_from, closed_to)`` (default: every deal closed by the
        source's as-of date). A deal's close time is ``closed_at``, else its ``close_date``.
    level
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        One row per group: ``by...``; ``deals``, ``slipped`` (deals pushed at least once),
        ``slip_share``; ``value`` (their amount, as stored), ``slipped_value``,
        ``slip_value_share``; ``pushes``, ``pushes_per_deal``, ``pushes_per_slipped``,
        ``days_pushed_per_slipped`` (mean total days a slipped deal's date moved); the win rate
        of slipped deals ``won_slipped``, ``win_rate_slipped``, ``lower_slipped``,
        ``upper_slipped``, and of never-slipped deals ``never`` (count), ``won_never``,
        ``win_rate_never``, ``lower_never``, ``upper_never``. Rates of empty groups are NaN.

    References
    ----------
    Wilson (1927), JASA 22; Brown, Cai & DasGupta (2001), Statistical Science 16(2).
    """
    by = _base.group_columns(by)
    o = _decided(src)
    _base.check_group_columns(o, by)
    closed_time = o.closed_at.coalesce(o.close_date) if "closed_at" in o.columns else o.close_date
    o = o.filter(o.is_closed).mutate(_t=closed_time)
    if closed_from is not None:
        o = o.filter(o._t >= _base.ts(closed_from))
    if closed_to is not None:
        o = o.filter(o._t < _base.ts(closed_to))
    p = close_date_pushes(src, deals=o if closed_from or closed_to else None)
    j = o.left_join(p, o.opportunity_id == p.opportunity_id)
    n_push = j.pushes.fill_null(0)
    slipped = n_push > 0
    won = j.is_won
    counts = (
        j.group_by(by).aggregate(**_sums(j, n_push, slipped, won))
        if by
        else j.aggregate(**_sums(j, n_push, slipped, won))
    )
    return _finish(counts.to_pandas(), by, level)


def _decided(src: Source) -> ir.Table:
    """``opportunities`` with outcomes as of the source's cut, amounts as stored.

    A decided deal's amount is its amount at the close, so the history need not be replayed
    (which would cost a pass over every change) to value it.
    """
    return src.table("opportunities", history=False)


def _sums(j: ir.Table, n_push, slipped, won) -> dict:
    one = ibis.literal(1, "int64")
    zero = ibis.literal(0, "int64")
    fzero = ibis.literal(0.0)
    return {
        "deals": j.count(),
        "slipped": ibis.cases((slipped, one), else_=zero).sum(),
        "value": j.amount.sum(),
        "slipped_value": ibis.cases((slipped, j.amount), else_=fzero).sum(),
        "pushes": n_push.sum(),
        "_days": j.pushed_days.fill_null(0.0).sum(),
        "won_slipped": ibis.cases((slipped & won, one), else_=zero).sum(),
        "won_never": ibis.cases((~slipped & won, one), else_=zero).sum(),
    }


def _finish(c: pd.DataFrame, by: list[str], level: float) -> pd.DataFrame:
    c = c.sort_values(by).reset_index(drop=True) if by else c
    for col in ("deals", "slipped", "pushes", "won_slipped", "won_never"):
        c[col] = c[col].fillna(0).astype("int64")
    for col in ("value", "slipped_value", "_days"):
        c[col] = c[col].fillna(0.0).astype("float64")
    c["never"] = c["deals"] - c["slipped"]
    nan = float("nan")
    c["slip_share"] = (c["slipped"] / c["deals"]).where(c["deals"] > 0, nan)
    c["slip_value_share"] = (c["slipped_value"] / c["value"]).where(c["value"] > 0, nan)
    c["pushes_per_deal"] = (c["pushes"] / c["deals"]).where(c["deals"] > 0, nan)
    c["pushes_per_slipped"] = (c["pushes"] / c["slipped"]).where(c["slipped"] > 0, nan)
    c["days_pushed_per_slipped"] = (c["_days"] / c["slipped"]).where(c["slipped"] > 0, nan)
    for kind in ("slipped", "never"):
        c = rates.add_rate(c, k=f"won_{kind}", n=kind, level=level, name=f"win_rate_{kind}",
                           lower=f"lower_{kind}", upper=f"upper_{kind}")  # fmt: skip
    cols = [*by, "deals", "slipped", "slip_share", "value", "slipped_value", "slip_value_share",
            "pushes", "pushes_per_deal", "pushes_per_slipped", "days_pushed_per_slipped",
            "won_slipped", "win_rate_slipped", "lower_slipped", "upper_slipped",
            "never", "won_never", "win_rate_never", "lower_never", "upper_never"]  # fmt: skip
    return c[cols]
