"""Re-simulating the future from any as-of date: the true predictive distribution of bookings.

At ``as_of`` the simulator's state is: deals already closed; open deals (stage, time in stage,
intent, capacity factor, final amount); open leads (stage, time in stage, intent); and the
arrival process of leads still to come. Because leads and deals are semi-Markov and the sales
clock and staffing plan are fixed functions of the calendar, running the same kernels from that
state (with stage times truncated at the time already spent) draws exactly from the future the
realised data was drawn from. Worlds are simulated in batches, each batch from its own child
of ``SeedSequence(seed)``.
"""

from __future__ import annotations

import numpy as np

from revlab.demo import _arrivals, _capacity, _deals, _funnel, _rates
from revlab.demo._params import SEGMENTS

BATCH = 100
N_WITHIN = 200_000


def resimulate(truth, a: float, quarter, *, n_sims: int, seed: int) -> np.ndarray:
    """Draws of the quarter's bookings given the state at day ``a``."""
    qs, qe = truth.calendar.quarter_bounds(quarter)
    D = truth.arrays()["deal"]
    known = D["won"] & (D["closed"] >= qs) & (D["closed"] < qe) & (D["closed"] <= a)
    base = float(D["amount"][known].sum())
    if a >= qe:
        return np.full(n_sims, base)
    state = _state(truth, a)
    out = np.empty(n_sims)
    children = np.random.SeedSequence(seed).spawn(-(-n_sims // BATCH))
    for b, child in enumerate(children):
        lo = b * BATCH
        n = min(BATCH, n_sims - lo)
        out[lo : lo + n] = base + _batch(
            truth, state, a, (qs, qe), n, np.random.default_rng(child)
        )
    return out


def _state(truth, a: float) -> dict:
    """Open deals and open leads at day ``a``, and recent deal creations per day."""
    D = truth.arrays()["deal"]
    idx = np.flatnonzero((D["created"] <= a) & (D["closed"] > a))
    reached = D["entered"][idx] <= a  # NaN compares False
    stage = reached.sum(axis=1) - 1
    entered = D["entered"][idx, stage]
    e = _deals.elapsed(truth.calendar, stage, entered, a, D["factor"][idx])
    day0 = int(np.floor(a)) - _capacity.WINDOW
    made = D["created"] <= a
    day = np.floor(D["created"][made]).astype(np.int64)
    counts = _capacity.daily_counts(
        day, np.zeros(day.size, dtype=np.int64), 1, day0, _capacity.WINDOW + 1
    )
    return {
        "deals": (idx, stage, entered, e),
        "leads": truth.open_leads_at(a),
        "day0": day0,
        "counts": counts[0],
    }


def _batch(truth, state: dict, a: float, quarter: tuple, n: int, rng) -> np.ndarray:
    """Bookings in the quarter from the open state, for ``n`` worlds (known wins excluded)."""
    cal, model = truth.calendar, truth.model
    D, L = truth.arrays()["deal"], truth.arrays()["lead"]
    idx, stage, entered, e = state["deals"]
    sim = np.repeat(np.arange(n), idx.size)
    i = np.tile(idx, n)
    paths = _deals.run(
        model,
        cal,
        np.tile(stage, n),
        np.tile(entered, n),
        np.tile(e, n),
        D["factor"][i],
        D["segment"][i],
        D["intent"][i],
        D["win_p"][i],
        rng,
    )
    total = _in_quarter(sim, paths, D["amount"][i], quarter, n)
    new = _from_open_leads(truth, state["leads"], L, n, quarter[1], rng)
    new = _join(new, _from_arrivals(truth, a, n, quarter[1], rng))
    return total + _new_deal_bookings(truth, state, new, a, quarter, n, rng)


def _in_quarter(sim, paths, amount, quarter, n) -> np.ndarray:
    qs, qe = quarter
    won = paths.won & (paths.closed >= qs) & (paths.closed < qe)
    return np.bincount(sim[won], weights=amount[won], minlength=n)


def _from_open_leads(truth, state: dict, L: dict, n: int, qe: float, rng) -> dict:
    idx = state["index"]
    i = np.tile(idx, n)
    times, _ = _funnel.run(
        truth.model,
        np.tile(state["stage"], n),
        np.tile(state["entered"], n),
        np.tile(state["elapsed"], n),
        L["segment"][i],
        L["intent"][i],
        rng,
    )
    conv = times[:, 2] < qe
    return {
        "sim": np.repeat(np.arange(n), idx.size)[conv],
        "created": times[conv, 2],
        "segment": L["segment"][i][conv],
        "channel": L["channel"][i][conv],
        "intent": L["intent"][i][conv],
    }


def _from_arrivals(truth, a: float, n: int, qe: float, rng) -> dict:
    cal, model = truth.calendar, truth.model
    k = _arrivals.scale(cal, model, truth.params["run"]["n_leads"])
    arr = _arrivals.draw(cal, model, k, a, qe, rng, n_sims=n, sort=False)
    segment, _, buyer = _arrivals.draw_attributes(arr.channel, model, rng)
    intent = buyer.astype(np.int64)
    zero = np.zeros(arr.t.size, dtype=np.int64)
    times, _ = _funnel.run(model, zero, arr.t, zero.astype(float), segment, intent, rng)
    conv = times[:, 2] < qe
    return {
        "sim": arr.sim[conv],
        "created": times[conv, 2],
        "segment": segment[conv],
        "channel": arr.channel[conv],
        "intent": intent[conv],
    }


def _join(x: dict, y: dict) -> dict:
    return {key: np.concatenate([x[key], y[key]]) for key in x}


def _new_deal_bookings(truth, state, new: dict, a: float, quarter, n: int, rng) -> np.ndarray:
    """Deals created after ``a`` in each world: capacity factor, amount, path, bookings."""
    cal, model = truth.calendar, truth.model
    k = _arrivals.scale(cal, model, truth.params["run"]["n_leads"])
    day0 = state["day0"]
    n_days = int(np.ceil(quarter[1])) - day0 + 1
    day = np.floor(new["created"]).astype(np.int64)
    counts = _capacity.daily_counts(day, new["sim"], n, day0, n_days)
    counts[:, : state["counts"].size] += state["counts"]
    factor = _capacity.factors(cal, model, k, counts, day0, day, new["sim"])
    seg, ch, intent = new["segment"], new["channel"], new["intent"]
    amount = np.exp(model.amount_mu[seg] + model.amount_sigma[seg] * rng.standard_normal(seg.size))
    zero = np.zeros(seg.size, dtype=np.int64)
    win_p = model.win_prob[intent, seg, ch]
    paths = _deals.run(
        model, cal, zero, new["created"], zero.astype(float), factor, seg, intent, win_p, rng
    )
    return _in_quarter(new["sim"], paths, amount, quarter, n)


def won_within(truth, channel_weights, *, by: str, within_days: float, cohort=None) -> np.ndarray:
    """P(lead is won within ``within_days`` of its creation) per ``by`` level.

    Exact eventual probabilities per cell times the share of winning paths that close in time;
    that share is estimated per segment and intent from ``N_WITHIN`` simulated winning paths
    (creation times from the cohort's arrival curve, the capacity factors the realised deals
    met, 1 after the data end), so the Monte Carlo error is well under 0.1 percentage point.
    """
    cal, model = truth.calendar, truth.model
    rng = np.random.default_rng(np.random.SeedSequence([truth.params["run"]["seed"], 7]))
    lo, hi = (0.0, cal.horizon) if cohort is None else map(cal.to_days, cohort)
    days = np.arange(np.floor(lo), np.ceil(hi), dtype=float)
    lam = _arrivals.intensity(cal, model, days).sum(axis=1)
    t = rng.choice(days, size=N_WITHIN, p=lam / lam.sum()) + rng.random(N_WITHIN)
    seg = rng.integers(0, len(SEGMENTS), N_WITHIN)
    intent = rng.integers(0, 2, N_WITHIN)
    zero = np.zeros(N_WITHIN, dtype=np.int64)
    ones = np.ones(N_WITHIN)
    times, _ = _funnel.run(
        model, zero, t, zero.astype(float), seg, intent, rng, adv=np.ones_like(model.lead_adv)
    )
    created = times[:, 2]
    paths = _deals.run(
        model,
        cal,
        zero,
        created,
        zero.astype(float),
        _realised_factor(truth, created),
        seg,
        intent,
        ones,
        rng,
    )
    hit = paths.closed - t <= within_days
    cell = seg * 2 + intent
    share = np.bincount(cell, weights=hit, minlength=6) / np.bincount(cell, minlength=6)
    values = _rates.p_outcome(model, "won") * share.reshape(1, len(SEGMENTS), 1, 2)
    return _rates.group_mean(_rates.cell_weights(model, channel_weights), values, by)


def _realised_factor(truth, created: np.ndarray) -> np.ndarray:
    """Capacity factor the realised company had on each creation day (1 after the data end)."""
    cal, model = truth.calendar, truth.model
    k = _arrivals.scale(cal, model, truth.params["run"]["n_leads"])
    D = truth.arrays()["deal"]
    n_days = int(cal.horizon)
    day = np.floor(D["created"]).astype(np.int64)
    counts = _capacity.daily_counts(day, np.zeros(day.size, dtype=np.int64), 1, 0, n_days + 1)
    q = np.clip(np.floor(created).astype(np.int64), 0, n_days)
    f = _capacity.factors(cal, model, k, counts, 0, q, np.zeros(q.size, dtype=np.int64))
    return np.where(created < cal.horizon, f, 1.0)
