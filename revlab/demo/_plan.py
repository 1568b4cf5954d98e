"""The company's plan: expected bookings per quarter and the targets set from it.

Expected bookings are computed once, by Rao-Blackwellised Monte Carlo: synthetic leads arrive at
the expected rate (no noise), every one is pushed down the winning path, and each contributes
its exact probability of winning times the mean amount of its segment at the time its path
closes. Capacity slowdowns are left out of the plan, as planners do, which makes the targets a
little more ambitious in busy quarters. Each target is the expectation times a random uplift
(5–15%), rounded.
"""

from __future__ import annotations

import numpy as np

from revlab.demo import _arrivals, _deals, _funnel, _rates
from revlab.demo._calendar import Calendar
from revlab.demo._params import Model

N_SYNTHETIC = 60_000


def expected_bookings(cal: Calendar, model: Model, k: float, quarters: list, rng) -> np.ndarray:
    """Expected new-business bookings in each quarter (all quarters must start on or after 0)."""
    bounds = np.array([cal.quarter_bounds(q) for q in quarters])
    days = np.arange(0, int(np.ceil(bounds[-1, 1])), dtype=float)
    lam = _arrivals.intensity(cal, model, days)
    flat = lam.ravel() / lam.sum()
    cell = rng.choice(flat.size, size=N_SYNTHETIC, p=flat)
    day, channel = np.divmod(cell, lam.shape[1])
    t = day + rng.random(N_SYNTHETIC)
    segment, _, buyer = _arrivals.draw_attributes(channel, model, rng)
    intent = buyer.astype(np.int64)
    zero = np.zeros(N_SYNTHETIC, dtype=np.int64)
    times, _ = _funnel.run(
        model, zero, t, zero.astype(float), segment, intent, rng, adv=np.ones_like(model.lead_adv)
    )
    ones = np.ones(N_SYNTHETIC)
    paths = _deals.run(
        model, cal, zero, times[:, 2], zero.astype(float), ones, segment, intent, ones, rng
    )
    win = model.win_prob[intent, segment, channel]
    mean_amount = np.exp(model.amount_mu + model.amount_sigma**2 / 2)[segment]
    weight = _rates.p_opportunity(model)[intent] * win * mean_amount * k * lam.sum() / N_SYNTHETIC
    q = np.searchsorted(bounds[:, 1], paths.closed, side="right")
    ok = q < len(quarters)
    return np.bincount(q[ok], weights=weight[ok], minlength=len(quarters))


def targets(expected: np.ndarray, params: dict, rng) -> np.ndarray:
    """Ambitious but plausible targets: expectation times a 5–15% uplift, rounded."""
    tp = params["targets"]
    uplift = rng.uniform(tp["uplift_low"], tp["uplift_high"], expected.size)
    step = tp["round_to"]
    return np.maximum(np.round(expected * uplift / step), 1) * step
