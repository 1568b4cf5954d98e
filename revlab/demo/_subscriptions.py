"""After the sale: annual subscription terms, satisfaction, renewals with expansion, and churn.

A won deal starts a one-year term on the day it closes, for the deal's amount (annual contract
value). Each account has a hidden fit with the product (standard normal, drawn once); each term
has a latent satisfaction ``u = w * fit + sqrt(1 - w**2) * noise`` (standard normal), surveyed
on an NPS-style 0–10 scale mid-term. At the end of each term the customer churns with
probability ``expit(intercept[segment] - beta * u)`` or renews, for the previous amount times a
lognormal uplift (expansion) whose log rises with ``u``. The intercepts are set so that a new
customer's churn probability, averaged over satisfaction, is the segment's ``annual_churn``.
Terms that start after the data end are not recorded; a term running at the end is still shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from revlab.demo._params import SEGMENTS

TERM_DAYS = 365
_MAX_TERMS = 50
_HERMITE = np.polynomial.hermite_e.hermegauss(60)  # nodes, weights for the standard normal
_UPLIFT_SIGMA = 0.1  # log-scale noise of the renewal uplift; its mean is corrected by -sigma²/2
BANDS = (("detractor", 0, 6), ("passive", 7, 8), ("promoter", 9, 10))


def churn_intercepts(churn: np.ndarray, beta: float) -> np.ndarray:
    """Log-odds intercepts ``a`` with ``E[expit(a - beta * u)] = churn`` for ``u ~ N(0, 1)``."""
    nodes, weights = _HERMITE
    weights = weights / weights.sum()

    def mean_churn(a: float, target: float) -> float:
        return float(weights @ special.expit(a - beta * nodes)) - target

    return np.array([optimize.brentq(mean_churn, -30.0, 30.0, args=(c,)) for c in churn])


def scores(u: np.ndarray, sat: dict) -> np.ndarray:
    """The survey score (0 to ``score_max``, whole points) for latent satisfaction ``u``."""
    raw = np.round(sat["score_mean"] + sat["score_sd"] * u)
    return np.clip(raw, 0, sat["score_max"]).astype(float)


def draw(won: dict, params: dict, until: float, rng) -> dict:
    """Terms of every won deal: index, term number, start/end days, amount, previous, score.

    The score (``satisfaction``) is NaN for terms not surveyed or not surveyed by ``until``.
    """
    seg, sat = params["segments"], params["satisfaction"]
    beta, w = sat["churn_log_odds_per_sd"], sat["fit_weight"]
    intercept = churn_intercepts(np.array([seg[s]["annual_churn"] for s in SEGMENTS]), beta)
    uplift = np.log1p([seg[s]["renewal_uplift"] for s in SEGMENTS])
    deal = np.arange(won["closed"].size)
    fit = rng.standard_normal(deal.size)
    start = np.floor(won["closed"])
    amount = won["amount"].astype(float)
    prev = np.full(deal.size, -1)
    rows = []
    first_id = 0
    for term in range(_MAX_TERMS):
        ids = first_id + np.arange(deal.size)
        u = w * fit[deal] + np.sqrt(1 - w**2) * rng.standard_normal(deal.size)
        asked = (rng.random(deal.size) < sat["response_rate"]) & (
            start + sat["survey_day"] < until
        )
        score = np.where(asked, scores(u, sat), np.nan)
        end = start + TERM_DAYS - 1
        rows.append((deal, np.full(deal.size, term), start, end, amount, prev, ids, score))
        first_id += deal.size
        s = won["segment"][deal]
        renew = rng.random(deal.size) >= special.expit(intercept[s] - beta * u)
        noise = _UPLIFT_SIGMA * rng.standard_normal(deal.size) - _UPLIFT_SIGMA**2 / 2
        nxt = start + TERM_DAYS
        keep = renew & (nxt < until)
        deal, start, prev = deal[keep], nxt[keep], ids[keep]
        growth = uplift[s] + sat["expansion_log_per_sd"] * u + noise
        amount = (amount * np.exp(growth))[keep]
        if not deal.size:
            break
    names = ("deal", "term", "start", "end", "amount", "renewed_from", "id", "satisfaction")
    return {k: np.concatenate(v) for k, v in zip(names, zip(*rows, strict=True), strict=True)}


def satisfaction_truth(params: dict) -> pd.DataFrame:
    """Churn and expansion of a new customer's first term by segment and NPS band (exact)."""
    seg, sat = params["segments"], params["satisfaction"]
    beta, kappa = sat["churn_log_odds_per_sd"], sat["expansion_log_per_sd"]
    churn = np.array([seg[s]["annual_churn"] for s in SEGMENTS])
    intercept = churn_intercepts(churn, beta)
    u = np.linspace(-8.0, 8.0, 16_001)
    density = stats.norm.pdf(u) * (u[1] - u[0])
    score = scores(u, sat)
    bands = [*BANDS, ("all", 0, sat["score_max"])]
    rows = []
    for i, name in enumerate(SEGMENTS):
        p = special.expit(intercept[i] - beta * u)
        log_up = np.log1p(seg[name]["renewal_uplift"]) + kappa * u
        grows = stats.norm.cdf((log_up - _UPLIFT_SIGMA**2 / 2) / _UPLIFT_SIGMA)
        for band, lo, hi in bands:
            d = density * ((score >= lo) & (score <= hi))
            stay = d * (1 - p)
            rows.append({
                "segment": name,
                "band": band,
                "share": d.sum(),
                "churn_rate": (d * p).sum() / d.sum(),
                "expansion_rate": (stay * grows).sum() / stay.sum(),
                "mean_uplift": (stay * np.exp(log_up)).sum() / stay.sum(),
            })  # fmt: skip
    return pd.DataFrame(rows)
