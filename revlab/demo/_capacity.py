"""Sales capacity: account executives hired a quarter behind demand, and the slowdown when busy.

Each quarter the company staffs enough AEs for the opportunities it *expected* the quarter
before (``ae_capacity_per_28_days`` new deals per AE per four weeks), so growth and seasonal
peaks overload the team. A deal created when the last 28 days brought more new deals than the
team's capacity moves through every stage ``load ** overload_power`` times slower. The factor is
fixed at creation from deals already created, so it is known for every open deal and is
recomputed from simulated creations when the future is re-simulated.
"""

from __future__ import annotations

import numpy as np

from revlab.demo import _arrivals, _rates
from revlab.demo._calendar import Calendar
from revlab.demo._params import Model

WINDOW = 28


def headcount(cal: Calendar, model: Model, k: float, days: np.ndarray) -> np.ndarray:
    """Number of AEs on each day (planned from the previous quarter's expected deals)."""
    qidx = cal.lookup("qindex", days)
    cap = model.params["deals"]["ae_capacity_per_28_days"]
    opp_rate = _rates.channel_opportunity_rate(model)
    out = np.empty(qidx.size, dtype=np.int64)
    for q in np.unique(qidx):
        prev = int(q) - 1
        start = (
            np.datetime64(f"{prev // 4}-{3 * (prev % 4) + 1:02d}-01")
            - np.datetime64(cal.start.date())
        ).astype(int)
        qdays = np.arange(start, start + 91, dtype=float)
        per_day = k * (_arrivals.intensity(cal, model, qdays) * opp_rate).sum(axis=1).mean()
        out[qidx == q] = max(1, int(np.ceil(per_day * WINDOW / cap)))
    return out


def factors(cal: Calendar, model: Model, k: float, counts: np.ndarray, day0: int, day, sim):
    """Slowdown of deals created on ``day`` in world ``sim``.

    ``counts[s, i]`` is the number of deals created on day ``day0 + i`` in world ``s``.
    """
    dp = model.params["deals"]
    cum = np.concatenate([np.zeros((counts.shape[0], 1)), np.cumsum(counts, axis=1)], axis=1)
    i = np.asarray(day, dtype=np.int64) - day0
    recent = cum[sim, i] - cum[sim, np.maximum(i - WINDOW, 0)]
    staff = headcount(cal, model, k, np.asarray(day, dtype=float))
    load = recent / (dp["ae_capacity_per_28_days"] * staff)
    return np.maximum(load, 1.0) ** dp["overload_power"]


def daily_counts(day: np.ndarray, sim: np.ndarray, n_sims: int, day0: int, n_days: int):
    """Deals created per world and day, from day ``day0`` for ``n_days`` days."""
    i = np.asarray(day, dtype=np.int64) - day0
    ok = (i >= 0) & (i < n_days)
    flat = np.bincount(sim[ok] * n_days + i[ok], minlength=n_sims * n_days)
    return flat.reshape(n_sims, n_days)
