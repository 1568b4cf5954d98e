"""After the sale: annual subscription terms, renewals with expansion, and churn by segment.

A won deal starts a one-year term on the day it closes, for the deal's amount (annual contract
value). At the end of each term the customer renews with probability ``1 - annual_churn`` of
its segment, for the previous amount times a lognormal uplift (expansion), or churns. Terms that
start after the data end are not recorded; a term running at the end is still shown.
"""

from __future__ import annotations

import numpy as np

from revlab.demo._params import SEGMENTS

TERM_DAYS = 365
_MAX_TERMS = 50


def draw(won: dict, params: dict, until: float, rng) -> dict:
    """Terms of every won deal: deal index, term number, start/end days, amount, previous term."""
    seg = params["segments"]
    churn = np.array([seg[s]["annual_churn"] for s in SEGMENTS])
    uplift = np.log1p([seg[s]["renewal_uplift"] for s in SEGMENTS])
    deal = np.arange(won["closed"].size)
    start = np.floor(won["closed"])
    amount = won["amount"].astype(float)
    prev = np.full(deal.size, -1)
    rows = []
    first_id = 0
    for term in range(_MAX_TERMS):
        ids = first_id + np.arange(deal.size)
        rows.append(
            (deal, np.full(deal.size, term), start, start + TERM_DAYS - 1, amount, prev, ids)
        )
        first_id += deal.size
        s = won["segment"][deal]
        renew = rng.random(deal.size) >= churn[s]
        noise = 0.1 * rng.standard_normal(deal.size) - 0.005
        nxt = start + TERM_DAYS
        keep = renew & (nxt < until)
        deal, start, prev = deal[keep], nxt[keep], ids[keep]
        amount = (amount * np.exp(uplift[s] + noise))[keep]
        if not deal.size:
            break
    names = ("deal", "term", "start", "end", "amount", "renewed_from", "id")
    return {k: np.concatenate(v) for k, v in zip(names, zip(*rows, strict=True), strict=True)}
