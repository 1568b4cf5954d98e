"""Small synthetic lead data with a known signal: fast propensity tests without the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import named_seed

KINDS = ("web_visit", "email_open", "pricing_page_view", "demo_request")


def synthetic_tables(n_leads: int = 1500, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Leads and activities over 2023–2024; buyers touch more and convert within ~2 months."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    created = start + pd.to_timedelta(rng.uniform(0, 700, n_leads), unit="D")
    channel = rng.choice(["organic", "paid_search", "referral", "events"], n_leads)
    segment = rng.choice(["smb", "mid_market", "enterprise"], n_leads)
    logit = -1.4 + 1.2 * (channel == "referral") - 0.5 * (channel == "events")
    buyer = rng.random(n_leads) < 1 / (1 + np.exp(-logit))
    life = np.where(buyer, rng.gamma(3.0, 15.0, n_leads), rng.exponential(50.0, n_leads))
    convert = buyer & (rng.random(n_leads) < 0.85)
    end = created + pd.to_timedelta(life, unit="D")
    reaches_mql = rng.random(n_leads) < np.where(buyer, 0.8, 0.3)
    mql = np.where(reaches_mql, rng.uniform(0.1, 0.5, n_leads), np.nan)
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i:05d}" for i in range(n_leads)],
            "created_at": created.astype("datetime64[us]"),
            "channel": channel,
            "segment": segment,
            "acquisition_cost": rng.gamma(2.0, 50.0, n_leads),
            "mql_at": (created + pd.to_timedelta(mql * life, unit="D")).astype("datetime64[us]"),
            "converted_at": pd.Series(end).where(convert).astype("datetime64[us]"),
            "disqualified_at": pd.Series(end).where(~convert).astype("datetime64[us]"),
        }
    )
    leads["opportunity_id"] = np.where(convert, "O" + leads["lead_id"].str[1:], None)
    leads["opportunity_id"] = leads["opportunity_id"].astype("str").where(convert)
    return {"leads": leads, "activities": _activities(rng, leads, buyer, life)}


def _activities(rng, leads, buyer, life) -> pd.DataFrame:
    rate = np.where(buyer, 0.25, 0.08)  # touches per day
    n = rng.poisson(rate * life)
    idx = np.repeat(np.arange(len(leads)), n)
    frac = rng.random(len(idx)) ** np.where(buyer[idx], 0.5, 1.0)  # buyers warm up near the end
    when = leads["created_at"].to_numpy()[idx] + pd.to_timedelta(frac * life[idx], unit="D")
    probs_buyer = [0.4, 0.3, 0.2, 0.1]
    probs_loo = [0.55, 0.4, 0.04, 0.01]
    kind = np.where(
        buyer[idx],
        rng.choice(KINDS, len(idx), p=probs_buyer),
        rng.choice(KINDS, len(idx), p=probs_loo),
    )
    return pd.DataFrame(
        {
            "lead_id": leads["lead_id"].to_numpy()[idx],
            "occurred_at": pd.Series(when).astype("datetime64[us]"),
            "activity": kind,
        }
    ).sort_values("occurred_at", ignore_index=True)


@pytest.fixture(scope="session")
def synth_tables() -> dict[str, pd.DataFrame]:
    return synthetic_tables(1500, named_seed("propensity synthetic"))


@pytest.fixture(scope="session")
def synth_source(synth_tables):
    from revlab.sources import connect

    return connect(synth_tables)


@pytest.fixture(scope="session")
def synth_study(synth_source):
    """A small study on the synthetic leads: fortnightly snapshots, 60-day horizon."""
    from revlab import propensity

    return propensity.study(
        synth_source,
        horizon_days=60,
        every_days=14,
        test_days=120,
        seed=named_seed("study"),
        n_boot=50,
    )
