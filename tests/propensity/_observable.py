"""The best any model of the demo company's *observable* data can do, for the oracle test.

``truth.buy_probability`` knows each lead's hidden intent. A model sees only what the tables
show, so its ceiling is the simulator's own probability averaged over the intent posterior
given everything observable: prior by channel, segment and region; the first touch; the path
through the stages (time to each stage and survival in the current one); and the count and
kinds of touches per stage (engagement integrated out). Computed from the true parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from revlab.demo import ACTIVITIES, CHANNELS, REGIONS, SEGMENTS
from revlab.demo._draws import survival
from revlab.demo._funnel import convert_within

DAY = pd.Timedelta(days=1)


def observable_probability(company, frame: pd.DataFrame, horizon_days: int) -> np.ndarray:
    """P(convert within horizon | observable history) for each (lead_id, snapshot_at) row."""
    model = company.truth.model
    leads = company.tables["leads"].set_index("lead_id").reindex(frame["lead_id"])
    t0 = pd.Timestamp(company.truth.params["run"]["start"])
    t = ((frame["snapshot_at"] - t0) / DAY).to_numpy()
    created = ((leads["created_at"] - t0) / DAY).to_numpy()
    mql = ((leads["mql_at"] - t0) / DAY).to_numpy()
    sql = ((leads["sql_at"] - t0) / DAY).to_numpy()
    mql, sql = np.where(mql <= t, mql, np.nan), np.where(sql <= t, sql, np.nan)
    stage = np.where(~np.isnan(sql), 2, np.where(~np.isnan(mql), 1, 0))
    elapsed = t - np.where(stage == 2, sql, np.where(stage == 1, mql, created))
    seg = pd.Index(SEGMENTS).get_indexer(leads["segment"])
    prior = model.buyer_prob[
        pd.Index(CHANNELS).get_indexer(leads["channel"]),
        seg,
        pd.Index(REGIONS).get_indexer(leads["region"]),
    ]
    durations = np.column_stack(
        [
            np.where(stage == 0, elapsed, mql - created),
            np.where(stage == 1, elapsed, np.where(stage == 2, sql - mql, 0.0)),
            np.where(stage == 2, elapsed, 0.0),
        ]
    )
    loglik = _touches(company, frame, t0, created, mql, sql, durations)
    loglik += _path(model, stage, elapsed, seg, durations)
    odds = np.log(prior / (1 - prior)) + loglik[:, 1] - loglik[:, 0]
    post = 1 / (1 + np.exp(-odds))
    ones, zeros = np.ones(len(frame), int), np.zeros(len(frame), int)
    p1 = convert_within(model, stage, elapsed, seg, ones, float(horizon_days))
    p0 = convert_within(model, stage, elapsed, seg, zeros, float(horizon_days))
    return post * p1 + (1 - post) * p0


def _touches(company, frame, t0, created, mql, sql, durations) -> np.ndarray:
    ap = company.truth.params["activities"]
    acts = company.tables["activities"]
    keys = frame[["lead_id", "snapshot_at"]].reset_index(drop=True).reset_index()
    j = keys.merge(acts[["lead_id", "occurred_at", "activity"]], on="lead_id")
    j = j[j["occurred_at"] <= j["snapshot_at"]]
    row, at = j["index"].to_numpy(), ((j["occurred_at"] - t0) / DAY).to_numpy()
    kind = pd.Index(ACTIVITIES).get_indexer(j["activity"])
    first = np.isclose(at, created[row], atol=1e-6)
    st = np.where(sql[row] <= at, 2, np.where(mql[row] <= at, 1, 0))
    n = len(frame)
    out = np.zeros((n, 2))
    demo_first = np.zeros(n, bool)
    demo_first[row[first]] = kind[first] == ACTIVITIES.index("demo_request")
    rates, sigma = ap["rate_per_day"], ap["engagement_log_sigma"]
    counts = np.zeros((n, 3))
    np.add.at(counts, (row[~first], st[~first]), 1)
    g = np.exp(sigma * norm.ppf((np.arange(200) + 0.5) / 200) - sigma**2 / 2)
    for i, intent in enumerate(("lookie_loo", "buyer")):
        pd_first = ap["demo_request_first_touch"][intent]
        out[:, i] += np.where(demo_first, np.log(pd_first), np.log(1 - pd_first))
        probs = np.array(ap["kind_probs"][intent])
        np.add.at(out[:, i], row[~first], np.log(probs[st[~first], kind[~first]]))
        lam = np.array(rates[intent])[None, :] * durations
        ll = counts.sum(1)[:, None] * np.log(g)[None, :] - lam.sum(1)[:, None] * g[None, :]
        ll += (counts * np.log(np.where(lam > 0, lam, 1.0))).sum(1)[:, None]
        top = ll.max(1)
        out[:, i] += top + np.log(np.exp(ll - top[:, None]).mean(1))
    return out


def _path(model, stage, elapsed, seg, durations) -> np.ndarray:
    out = np.zeros((stage.size, 2))
    for i in range(2):
        for j in range(2):
            d = np.maximum(durations[:, j], 1e-9)
            dens = norm.logpdf(np.log(d), model.lead_mu[i, seg, j], model.lead_sigma) - np.log(d)
            out[:, i] += np.where(stage > j, np.log(model.lead_adv[i, j]) + dens, 0.0)
        adv = model.lead_adv[i, stage]
        stay = adv * survival(elapsed, model.lead_mu[i, seg, stage], model.lead_sigma)
        stay += (1 - adv) * survival(elapsed, model.stale_mu[stage], model.stale_sigma)
        out[:, i] += np.log(stay)
    return out
