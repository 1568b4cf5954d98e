"""A deal's recorded history: stage changes, amount changes and close-date pushes.

Like Salesforce's OpportunityHistory, each change to a deal is a row with the values *after*
the change. A deal opens in discovery with the rep's estimate of the amount and an expected
close date (a month or quarter end a typical cycle away); some estimates are
revised during the demo; the quote at proposal is the final amount. When a deal is still open
to miss its expected close date, the rep pushes the date to a later month or quarter end
(always a quarter end for enterprise), again and again for slow deals: most often in the two
weeks before the date, when the miss becomes clear (so deals slip out of a quarter before it
ends), otherwise a day or two after it. Because expected dates sit on month and, most often,
quarter ends, pushes bunch around them. Closing sets
the close date to the day it closed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revlab.demo._calendar import Calendar
from revlab.demo._params import Model

WON, LOST = 4, 5  # stage codes after the four open stages


@dataclass
class Events:
    """Changes to deals, sorted by deal then time; values after each change."""

    deal: np.ndarray
    t: np.ndarray
    stage: np.ndarray  # 0..3 open stages, 4 won, 5 lost
    amount: np.ndarray
    close_date: np.ndarray  # days (midnight of the expected close day)

    def select(self, mask: np.ndarray) -> Events:
        """The events where ``mask`` holds."""
        return Events(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def expected_close(cal: Calendar, model: Model, created, segment, rng) -> np.ndarray:
    """The rep's first expected close date: a typical cycle ahead, on a month or quarter end."""
    medians = np.exp(model.deal_mu[1]).sum(axis=1)  # buyer stage medians, per segment
    target = created + medians[segment] * rng.uniform(0.8, 1.2, created.size)
    return _period_end(cal, model, target, segment, rng)


def _period_end(cal: Calendar, model: Model, t, segment, rng) -> np.ndarray:
    """The month end on or after ``t``, or the quarter end (always for enterprise)."""
    p_quarter = np.asarray(model.params["deals"]["quarter_end_close_date_prob"])[segment]
    month_end = cal.lookup("month_end", t).astype(float)
    quarter_end = cal.lookup("qend", t).astype(float) - 1
    return np.where(rng.random(np.shape(t)) < p_quarter, quarter_end, month_end)


def pushes(
    cal, model: Model, close0, created, closed, segment, until: float, rng
) -> tuple[np.ndarray, ...]:
    """Close-date pushes of deals that miss their expected date, up to ``until``."""
    dp = model.params["deals"]
    probs = np.asarray(dp["slip_extra_months_probs"])
    empty = np.array([], dtype=float)
    deal, when, dates = [np.array([], dtype=np.int64)], [empty], [empty]
    idx = np.arange(close0.size)
    cd, last = close0.copy(), created.astype(float).copy()
    while idx.size:
        early = rng.random(idx.size) < dp["early_push_prob"]
        before = np.maximum(cd - rng.uniform(0, dp["early_push_days"], idx.size), last + 0.5)
        at = np.where(early & (before < cd), before, cd + 1 + rng.uniform(0, 2, idx.size))
        slip = (closed[idx] > cd + 1) & (at < closed[idx]) & (at < until)
        idx, at, cd = idx[slip], at[slip], cd[slip]
        last = at
        extra = rng.choice(probs.size, size=idx.size, p=probs)
        cd = _period_end(cal, model, cd + 1 + extra * 30.5, segment[idx], rng)
        deal.append(idx)
        when.append(at)
        dates.append(cd)
    return np.concatenate(deal), np.concatenate(when), np.concatenate(dates)


def build(deals: dict, paths, cal: Calendar, model: Model, until: float, rng) -> Events:
    """Every recorded change to every deal up to ``until`` (days)."""
    n = deals["created"].size
    ids = np.arange(n)
    close0 = expected_close(cal, model, deals["created"], deals["segment"], rng)
    nan = np.full(n, np.nan)
    parts = [(ids, deals["created"], np.zeros(n), deals["estimate"], close0)]
    rev = _revisions(deals, paths, model, rng)
    parts.append((rev[0], rev[1], np.full(rev[0].size, 1.0), rev[2], np.full(rev[0].size, np.nan)))
    for j in (1, 2, 3):
        amount = deals["amount"] if j == 2 else nan
        parts.append((ids, paths.entered[:, j], np.full(n, float(j)), amount, nan))
    end_stage = np.where(paths.won, WON, LOST).astype(float)
    parts.append((ids, paths.closed, end_stage, nan, np.floor(paths.closed)))
    p = pushes(cal, model, close0, deals["created"], paths.closed, deals["segment"], until, rng)
    parts.append((p[0], p[1], np.full(p[0].size, np.nan), np.full(p[0].size, np.nan), p[2]))
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    keep = ~np.isnan(cols[1]) & (cols[1] < until)
    cols = [c[keep] for c in cols]
    order = np.lexsort((cols[1], cols[0]))
    deal, t, stage, amount, cdate = (c[order] for c in cols)
    return Events(deal.astype(np.int64), t, *(_ffill(x) for x in (stage, amount, cdate)))


def _revisions(deals: dict, paths, model: Model, rng) -> tuple[np.ndarray, ...]:
    """Amount revisions during the demo stage for a share of deals."""
    dp = model.params["deals"]
    leave_demo = np.where(np.isnan(paths.entered[:, 2]), paths.closed, paths.entered[:, 2])
    reached = ~np.isnan(paths.entered[:, 1])
    pick = reached & (rng.random(reached.size) < dp["revision_prob"])
    idx = np.flatnonzero(pick)
    start = paths.entered[idx, 1]
    t = start + rng.random(idx.size) * (leave_demo[idx] - start)
    noise = np.exp(dp["revision_log_sigma"] * rng.standard_normal(idx.size))
    return idx, t, deals["amount"][idx] * noise


def _ffill(x: np.ndarray) -> np.ndarray:
    """Forward-fill NaN (every deal's first event carries every value)."""
    pos = np.where(np.isnan(x), 0, np.arange(x.size))
    return x[np.maximum.accumulate(pos)]


def snapshot(events: Events, created, closed, mondays: np.ndarray) -> dict:
    """Open deals at each Monday and their values as last recorded on or before it."""
    first = np.searchsorted(mondays, created, side="left")
    last = np.searchsorted(mondays, closed, side="left")  # Mondays strictly before closing
    count = np.maximum(last - first, 0)
    deal = np.repeat(np.arange(created.size), count)
    offset = np.arange(deal.size) - np.repeat(np.cumsum(count) - count, count)
    day = mondays[np.repeat(first, count) + offset]
    span = events.t.max() + 10 if events.t.size else 10.0
    key = events.deal * span + events.t
    pos = np.searchsorted(key, deal * span + day, side="right") - 1
    return {
        "day": day,
        "deal": deal,
        "stage": events.stage[pos],
        "amount": events.amount[pos],
        "close_date": events.close_date[pos],
    }
