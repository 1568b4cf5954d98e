"""The reps' forecast calls (``revlab demo --forecast-calls``): each change to a deal, a call.

At every recorded change to an open deal (a stage change, an amount revision, a close-date
push) its owner calls it in a forecast category from the deal's true probability of being won
at that moment (:func:`revlab.demo._deals.outcome_posterior`: its stage, the time spent in it,
its hidden intent), seen through the rep's own optimism, a shift of the log-odds fixed per rep,
plus a little noise per call: **Commit** at a perceived probability of 0.7 or more, **Best
Case** at 0.4, **Pipeline** below that, **Omitted** when the rep gives up (below 0.1). A won
deal is Closed, a lost one Omitted. Calls are made at changes only, not weekly, so a call
stands until the deal next changes (as in a CRM, where the category sits on the record).

Everything here draws from its own stream (``default_rng([seed, STREAM])``), so the demo's
other tables are the same with or without the calls. Each rep's optimism is kept in the
truth's ``params["forecast_calls"]``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from revlab._tables import FORECAST_CATEGORIES
from revlab.demo import _deals
from revlab.demo._calendar import Calendar
from revlab.demo._history import LOST, WON, Events
from revlab.demo._params import Model

#: The calls' own random stream, beside the simulator's eight (any constant would do).
STREAM = 0xCA11
#: How the reps call a deal from its perceived probability of being won.
SETTINGS = {
    "commit_at": 0.7,
    "best_case_at": 0.4,
    "omit_below": 0.1,
    "optimism_mean_logit": 0.3,  # reps lean hopeful, on average
    "optimism_sd_logit": 0.8,
    "call_noise_sd_logit": 0.3,
}
_CODE = {name: i for i, name in enumerate(FORECAST_CATEGORIES)}


def rep_names(n: int) -> list[str]:
    """The owners' ids in the opportunities table (AE-001, AE-002 and so on)."""
    return [f"AE-{i:03d}" for i in range(1, n + 1)]


def true_win_probability(events: Events, D: dict, model: Model, cal: Calendar) -> np.ndarray:
    """P(won | stage, time in stage, intent) at each open change (NaN once closed)."""
    stage = events.stage.astype(np.int64)
    open_ = stage < WON
    deal, s = events.deal[open_], stage[open_]
    entered = np.where(s == 0, D["created"][deal], D["entered"][deal, np.minimum(s, 3)])
    factor = D["factor"][deal]
    e = _deals.elapsed(cal, s, entered, events.t[open_], factor)
    w = _deals.outcome_posterior(
        model, s, np.maximum(e, 0.0), D["segment"][deal], D["intent"][deal], D["win_p"][deal]
    )
    p = np.full(stage.size, np.nan)
    p[open_] = w[:, 4] / np.maximum(w.sum(axis=1), 1e-300)
    return p


def draw(events: Events, D: dict, model: Model, cal: Calendar, seed: int) -> tuple:
    """Each change's forecast category and the truth kept: the reps' optimism.

    Returns ``(codes, truth)``: one code into ``FORECAST_CATEGORIES`` per event, and a
    JSON-ready dict with the settings and ``rep_optimism_logit`` by owner id.
    """
    rng = np.random.default_rng([seed, STREAM])
    n_reps = int(D["owner"].max())
    optimism = SETTINGS["optimism_mean_logit"] + SETTINGS[
        "optimism_sd_logit"
    ] * rng.standard_normal(n_reps)
    p = true_win_probability(events, D, model, cal)
    shift = optimism[D["owner"][events.deal] - 1]
    noise = SETTINGS["call_noise_sd_logit"] * rng.standard_normal(p.size)
    seen = expit(logit(np.clip(p, 1e-9, 1 - 1e-9)) + shift + noise)
    code = np.select(
        [
            seen >= SETTINGS["commit_at"],
            seen >= SETTINGS["best_case_at"],
            seen >= SETTINGS["omit_below"],
        ],
        [_CODE["Commit"], _CODE["Best Case"], _CODE["Pipeline"]],
        _CODE["Omitted"],
    )
    stage = events.stage.astype(np.int64)
    code = np.where(stage == WON, _CODE["Closed"], np.where(stage == LOST, _CODE["Omitted"], code))
    truth = {
        **SETTINGS,
        "stream": STREAM,
        "rep_optimism_logit": dict(zip(rep_names(n_reps), map(float, optimism), strict=True)),
    }
    return code, truth


def latest(events: Events, codes: np.ndarray, n_deals: int) -> np.ndarray:
    """Each deal's category code after its last recorded change (-1 for none).

    ``events`` are sorted by deal, then time.
    """
    out = np.full(n_deals, -1, dtype=np.int64)
    if events.deal.size:
        last = np.r_[np.flatnonzero(np.diff(events.deal)), events.deal.size - 1]
        out[events.deal[last]] = codes[last]
    return out
