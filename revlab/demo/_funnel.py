"""Lead funnel kernel: new → MQL → SQL → opportunity, or disqualified when the lead goes stale.

In each stage a lead either advances (probability by stage and hidden intent) after a
lognormal time whose median depends on segment and intent, or goes stale and is
disqualified after a lognormal time that does not. The stages form a semi-Markov chain: given
the stage a lead is in, how long it has been there and its intent, its future does not depend
on anything else (not its channel, its activities or its earlier stages). That makes the
true probability of converting within a horizon from any date a small computation
(:func:`convert_within`) and lets :func:`run` re-simulate any open lead from any date.
"""

from __future__ import annotations

import numpy as np

from revlab.demo._draws import survival, truncated_lognormal
from revlab.demo._params import Model

_GRID_STEP = 0.25  # days, for the numerical convolution of stage times


def advance_posterior(model: Model, stage, elapsed, segment, intent, adv=None) -> np.ndarray:
    """P(the lead will advance from its stage | still in it after ``elapsed`` days)."""
    adv = model.lead_adv if adv is None else adv
    p = adv[intent, stage]
    sa = survival(elapsed, model.lead_mu[intent, segment, stage], model.lead_sigma)
    sd = survival(elapsed, model.stale_mu[stage], model.stale_sigma)
    num, den = p * sa, p * sa + (1 - p) * sd
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), p)


def run(model: Model, stage, entered, elapsed, segment, intent, rng, *, adv=None):
    """Simulate each lead from ``stage`` (entered at ``entered``, ``elapsed`` days in it).

    Returns
    -------
    times : (n, 3) array
        Times of reaching MQL, SQL and opportunity (NaN if not reached or already past).
    disqualified : (n,) array
        Time of disqualification (NaN if the lead converts).
    """
    adv = model.lead_adv if adv is None else adv
    n = stage.size
    times = np.full((n, 3), np.nan)
    disqualified = np.full(n, np.nan)
    t = np.asarray(entered, dtype=float).copy()
    alive = np.ones(n, dtype=bool)
    for j in range(3):
        idx = np.flatnonzero(alive & (stage <= j))
        e = np.where(stage[idx] == j, elapsed[idx], 0.0)
        seg, it = segment[idx], intent[idx]
        go = rng.random(idx.size) < advance_posterior(model, j, e, seg, it, adv)
        mu = np.where(go, model.lead_mu[it, seg, j], model.stale_mu[j])
        sigma = np.where(go, model.lead_sigma, model.stale_sigma)
        leave = t[idx] + truncated_lognormal(e, mu, sigma, rng)
        times[idx[go], j] = leave[go]
        t[idx[go]] = leave[go]
        disqualified[idx[~go]] = leave[~go]
        alive[idx[~go]] = False
    return times, disqualified


def convert_within(model: Model, stage, elapsed, segment, intent, horizon: float):
    """True P(the lead becomes an opportunity within ``horizon`` days | stage, elapsed, intent)."""
    stage, elapsed = np.asarray(stage), np.asarray(elapsed, dtype=float)
    segment, intent = np.asarray(segment), np.asarray(intent)
    out = np.zeros(stage.size)
    for k in range(3):
        for s in range(model.lead_mu.shape[1]):
            for i in range(2):
                m = (stage == k) & (segment == s) & (intent == i)
                if m.any():
                    out[m] = _group_within(model, k, s, i, elapsed[m], horizon)
    return out


def _group_within(model: Model, k: int, s: int, i: int, e: np.ndarray, horizon: float):
    """Leads sharing stage k, segment s and intent i."""
    post = advance_posterior(model, k, e, s, i)
    later = np.prod(model.lead_adv[i, k + 1 :])
    mu, sig = model.lead_mu[i, s, k], model.lead_sigma
    edges = np.minimum(np.arange(0.0, horizon + _GRID_STEP, _GRID_STEP), horizon)
    edges = np.unique(edges)
    s_e = survival(e, mu, sig)
    s_grid = survival(e[:, None] + edges[None, :], mu, sig)
    mass = -np.diff(s_grid, axis=1) / np.where(s_e > 0, s_e, 1.0)[:, None]
    mids = (edges[:-1] + edges[1:]) / 2
    timing = mass @ _later_cdf(model, k, s, i, horizon - mids)
    return post * later * np.clip(timing, 0.0, 1.0)


def _later_cdf(model: Model, k: int, s: int, i: int, x: np.ndarray) -> np.ndarray:
    """CDF at x of the summed advancing times of the stages after k (1 when there are none)."""
    mus = model.lead_mu[i, s, k + 1 :]
    sig = model.lead_sigma
    if mus.size == 0:
        return np.ones_like(x)
    if mus.size == 1:
        return 1.0 - survival(x, mus[0], sig) * (x > 0)
    edges = np.arange(0.0, max(x.max(), 0.0) + 2 * _GRID_STEP, _GRID_STEP)
    first = -np.diff(survival(edges, mus[0], sig))
    mids = (edges[:-1] + edges[1:]) / 2
    rest = x[:, None] - mids[None, :]
    cdf_rest = np.where(rest > 0, 1.0 - survival(rest, mus[1], sig), 0.0)
    return cdf_rest @ first
