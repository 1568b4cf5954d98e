"""New names: daily arrivals per channel with trend, yearly seasonality and weekly noise.

The expected number of new leads on day ``d`` from channel ``c`` is::

    scale * share_c * exp(growth_c * d / 365.25) * month_multiplier[month(d)] ** power_c
          * weekday_weight[weekday(d)]

where ``scale`` makes the expected total over the data window equal ``n_leads``. Each week
and channel gets a mean-one lognormal noise multiplier, and the day's count is Poisson.
Marketing spend is the channel's cost per name times the week's expected names (the budget
buys the volume); each lead's acquisition cost is its week's spend shared equally.
The same draw serves the realised data and every re-simulated future.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revlab.demo._calendar import Calendar
from revlab.demo._draws import categorical
from revlab.demo._params import CHANNELS, Model


def intensity(cal: Calendar, model: Model, days: np.ndarray) -> np.ndarray:
    """Relative expected arrivals, shape (len(days), channel), before scaling."""
    ch = model.params["channels"]
    vol = model.params["volume"]
    share = np.array([ch[c]["volume_share"] for c in CHANNELS])
    growth = np.array([ch[c]["log_growth_per_year"] for c in CHANNELS])
    power = np.array([ch[c]["seasonality_power"] for c in CHANNELS])
    month = np.asarray(vol["month_multiplier"])[cal.lookup("month", days)]
    weekday = np.asarray(vol["weekday_weight"])[cal.lookup("weekday", days)]
    trend = np.exp(np.outer(days / 365.25, growth))
    return share * trend * month[:, None] ** power * weekday[:, None]


def scale(cal: Calendar, model: Model, n_leads: float) -> float:
    """Multiplier that makes the expected number of leads in the window ``n_leads``."""
    days = np.arange(int(cal.horizon), dtype=float)
    return float(n_leads / intensity(cal, model, days).sum())


@dataclass
class Arrivals:
    """Leads arriving in a window, for one or many simulated worlds."""

    sim: np.ndarray  # which world (0 .. n_sims-1)
    t: np.ndarray  # creation time, days
    channel: np.ndarray  # channel index
    expected: np.ndarray  # (n_sims, n_days, channel): expected names per day after noise
    first_day: int


def draw(
    cal: Calendar,
    model: Model,
    k: float,
    t0: float,
    t1: float,
    rng,
    *,
    n_sims: int = 1,
    sort: bool = True,
) -> Arrivals:
    """Arrivals in ``(t0, t1]`` (days), ``n_sims`` independent worlds (sorted by world, time)."""
    first, last = int(np.floor(t0)), int(np.ceil(t1))
    days = np.arange(first, last, dtype=float)
    overlap = np.minimum(days + 1, t1) - np.maximum(days, t0)
    sigma = model.params["volume"]["weekly_log_sigma"]
    week = ((days + cal.start.weekday()) // 7).astype(np.int64)
    week -= week[0]
    noise = np.exp(sigma * rng.standard_normal((n_sims, week[-1] + 1, len(CHANNELS))))
    noise *= np.exp(-(sigma**2) / 2)
    expected = k * intensity(cal, model, days)[None] * noise[:, week, :]
    counts = rng.poisson(expected * overlap[None, :, None])
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    sim, day_i, channel = np.unravel_index(cell, counts.shape)
    lo = np.maximum(days[day_i], t0)
    t = lo + rng.random(cell.size) * overlap[day_i]
    if not sort:
        return Arrivals(sim, t, channel, expected, first)
    order = np.lexsort((t, sim))
    return Arrivals(sim[order], t[order], channel[order], expected, first)


def draw_attributes(channel: np.ndarray, model: Model, rng) -> tuple[np.ndarray, ...]:
    """Segment, region and hidden intent (1 = real buyer) of each lead."""
    segment = categorical(model.seg_mix[channel], rng)
    region = categorical(model.reg_mix[channel], rng)
    buyer = rng.random(channel.size) < model.buyer_prob[channel, segment, region]
    return segment, region, buyer


def weekly_spend(cal: Calendar, model: Model, arr: Arrivals, rng) -> tuple[np.ndarray, ...]:
    """Spend per Monday-week and channel: cost per name x the week's expected names."""
    ch = model.params["channels"]
    cpn = np.array([ch[c]["cost_per_name"] for c in CHANNELS])
    cgrowth = np.array([ch[c]["cost_log_growth_per_year"] for c in CHANNELS])
    days = np.arange(arr.first_day, arr.first_day + arr.expected.shape[1], dtype=float)
    in_window = (days >= 0) & (days < cal.horizon)
    week = ((days + cal.start.weekday()) // 7).astype(np.int64)
    names = np.zeros((week.max() + 1, len(CHANNELS)))
    np.add.at(names, week[in_window], arr.expected[0][in_window])
    mondays = np.arange(names.shape[0]) * 7.0 - cal.start.weekday()
    cost = cpn * np.exp(np.outer(np.maximum(mondays, 0) / 365.25, cgrowth))
    sigma = model.params["volume"]["cost_log_sigma"]
    noise = np.exp(sigma * rng.standard_normal(names.shape) - sigma**2 / 2)
    return mondays, names * cost * noise


def acquisition_cost(cal: Calendar, t: np.ndarray, channel: np.ndarray, spend: np.ndarray):
    """Each lead's share of its week's spend in its channel."""
    week = ((np.floor(t) + cal.start.weekday()) // 7).astype(np.int64)
    cell = week * spend.shape[1] + channel
    counts = np.bincount(cell, minlength=spend.size)
    return spend.ravel()[cell] / counts[cell]
