"""Deal kernel: discovery → demo → proposal → negotiation → closed won / closed lost.

A deal's hidden outcome is drawn first: won (probability by segment, channel and intent) or
lost at one of the four stages. Each stage then lasts a lognormal time whose median depends on
segment and intent, longer for the stage where a lost deal dies (lost deals linger), scaled by
the capacity factor fixed at creation. Proposal and negotiation run on the sales clock, which
is fast at quarter end (see :mod:`revlab.demo._calendar`), so closes bunch there.

Given a deal's stage, the time it has spent there, its intent and its capacity factor, the
posterior of the outcome is the prior times the survival of the stage time, so an open deal
can be re-simulated exactly from any as-of date by :func:`run` with its elapsed time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revlab.demo._calendar import Calendar
from revlab.demo._draws import categorical, survival, truncated_lognormal
from revlab.demo._params import Model

CLOCKED = 2  # stages from proposal on run on the sales clock


@dataclass
class DealPaths:
    """Simulated futures of deals: entry time per stage, close time and outcome."""

    entered: np.ndarray  # (n, 4), NaN where not reached (or reached before the start stage)
    closed: np.ndarray  # (n,)
    won: np.ndarray  # (n,) bool
    lost_stage: np.ndarray  # (n,) -1 if won


def elapsed(cal: Calendar, stage, entered, as_of, factor) -> np.ndarray:
    """Time spent in the current stage at ``as_of``, in the stage's own units."""
    real = np.asarray(as_of) - entered
    clocked = cal.clock(np.broadcast_to(as_of, np.shape(entered))) - cal.clock(entered)
    return np.where(stage >= CLOCKED, clocked, real) / factor


def outcome_posterior(model: Model, stage, e, segment, intent, win_p) -> np.ndarray:
    """Weights of (lost at stage 0..3, won) for deals still open in ``stage`` after ``e``."""
    mu = model.deal_mu[intent, segment, stage]
    sa = survival(e, mu, model.deal_sigma)
    sb = survival(e, mu + model.lost_shift, model.deal_sigma)
    lost = (1 - win_p)[:, None] * model.lost_stage[None, :]
    j = np.arange(4)[None, :]
    lost = np.where(j < stage[:, None], 0.0, lost)
    lost = lost * np.where(j == stage[:, None], sb[:, None], sa[:, None])
    return np.column_stack([lost, win_p * sa])


def run(model: Model, cal: Calendar, stage, entered, e, factor, segment, intent, win_p, rng):
    """Simulate each deal from ``stage`` (entered at ``entered``, ``e`` stage-time units in it)."""
    n = stage.size
    cat = categorical(outcome_posterior(model, stage, e, segment, intent, win_p), rng)
    won = cat == 4
    lost_stage = np.where(won, -1, cat)
    out = np.full((n, 4), np.nan)
    closed = np.full(n, np.nan)
    t = np.asarray(entered, dtype=float).copy()
    open_ = np.ones(n, dtype=bool)
    for j in range(4):
        idx = np.flatnonzero(open_ & (stage <= j))
        dies = lost_stage[idx] == j
        mu = model.deal_mu[intent[idx], segment[idx], j] + dies * model.lost_shift
        ej = np.where(stage[idx] == j, e[idx], 0.0)
        dur = factor[idx] * truncated_lognormal(ej, mu, model.deal_sigma, rng)
        start = t[idx]
        leave = cal.unclock(cal.clock(start) + dur) if j >= CLOCKED else start + dur
        ends = dies | (j == 3)
        closed[idx[ends]] = leave[ends]
        open_[idx[ends]] = False
        if j < 3:
            out[idx[~ends], j + 1] = leave[~ends]
            t[idx[~ends]] = leave[~ends]
    return DealPaths(out, closed, won, lost_stage)
