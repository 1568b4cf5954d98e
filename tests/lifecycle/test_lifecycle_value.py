"""Lifetime value, acquisition cost per won deal, LTV / CAC and payback months."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revlab import funnel, lifecycle
from revlab.errors import Shortfall
from revlab.lifecycle.value import _payback
from revlab.periods import Quarter
from revlab.sources import SourceError, connect

QUARTERS = [Quarter.parse("2026Q3").shift(-i) for i in range(4)]


@pytest.fixture(scope="module")
def demo_src(demo_company):
    return connect(demo_company.tables).at(demo_company.as_of)


def test_cac_by_channel_sums_the_funnels_cost_per_won(demo_src):
    cac = lifecycle.acquisition_cost(demo_src, quarters=QUARTERS).set_index("channel")
    parts = pd.concat(funnel.cost_per_name(demo_src, quarter=q) for q in QUARTERS)
    summed = parts.groupby("channel")[["spend", "won"]].sum()
    for ch in cac.index.drop("all"):
        assert cac.loc[ch, "spend"] == pytest.approx(summed.loc[ch, "spend"])
        assert cac.loc[ch, "won"] == summed.loc[ch, "won"]
    total = cac.loc["all"]
    assert total["cac"] == pytest.approx(total["spend"] / total["won"])
    assert (cac["lower"] < cac["cac"]).all() and (cac["cac"] < cac["upper"]).all()
    assert cac.loc["organic", "cac"] < cac.loc["events", "cac"]


def test_cac_by_segment_uses_lead_acquisition_costs(demo_src, book):
    cac = lifecycle.acquisition_cost(demo_src, quarters=QUARTERS, by="segment")
    assert cac["segment"].tolist() == ["enterprise", "mid_market", "smb", "all"]
    assert (cac["won"] > 0).all()
    with pytest.raises(SourceError, match=r"leads table has no acquisition_cost column"):
        lifecycle.acquisition_cost(connect(book), quarters=["2024Q1"], by="segment")


def test_payback_interpolates_within_the_month():
    monthly = np.full((3, 24), 100.0)
    months = _payback(monthly, np.array([250.0, 50.0, 5000.0]))
    assert months[0] == pytest.approx(2.5) and months[1] == pytest.approx(0.5)
    assert np.isinf(months[2])


@pytest.mark.slow
def test_lifetime_value_and_ltv_to_cac(segment_model, demo_terms, demo_src):
    ltv = lifecycle.lifetime_value(segment_model, demo_terms, horizon_months=60)
    ltv = ltv.set_index("segment")
    assert ltv.loc["enterprise", "ltv"] > ltv.loc["mid_market", "ltv"] > ltv.loc["smb", "ltv"]
    assert ((ltv["lower"] < ltv["ltv"]) & (ltv["ltv"] < ltv["upper"])).all()
    assert (ltv["expected_terms"].drop("all") <= 5).all()
    seg = ltv.drop("all")
    mix = (seg["ltv"] * seg["customers"]).sum() / seg["customers"].sum()
    assert ltv.loc["all", "ltv"] == pytest.approx(mix, rel=1e-6)
    margin = lifecycle.lifetime_value(segment_model, demo_terms, margin=0.8)
    assert margin["ltv"].iloc[0] == pytest.approx(0.8 * ltv["ltv"].iloc[0], rel=1e-9)
    cac = lifecycle.acquisition_cost(demo_src, quarters=QUARTERS, by="segment")
    ratio = lifecycle.ltv_to_cac(segment_model, demo_terms, cac).set_index("segment")
    assert ratio.index.tolist() == ["enterprise", "mid_market", "smb", "all"]
    assert ratio["ltv_to_cac"].to_numpy() == pytest.approx(
        (ratio["ltv"] / ratio["cac"]).to_numpy()
    )
    assert (ratio["lower"] < ratio["ltv_to_cac"]).all()
    assert (ratio["ltv_to_cac"] < ratio["upper"]).all()
    assert (ratio["payback_months"] > 0).all() and np.isfinite(ratio["payback_months"]).all()
    with pytest.raises(ValueError, match="grouped by"):
        lifecycle.ltv_to_cac(segment_model, demo_terms, cac.rename(columns={"segment": "x"}))


def test_quantiles_of_payback_keep_never_as_inf():
    from revlab.lifecycle.value import _q

    draws = np.array([1.0, 2.0, np.inf, np.inf, np.nan])
    assert _q(draws, 0.25) == 1.0 and np.isinf(_q(draws, 0.9))
    assert np.isnan(_q(np.array([np.nan]), 0.5))


def test_a_group_named_all_is_refused_not_merged_with_the_total(demo_terms):
    class OneGroupNamedAll:  # the churn model's interface that lifetime value reads
        by = "segment"

        def parameter_draws(self):
            return np.ones((10, 1)), np.ones((10, 1)), ["all"]

    with pytest.raises(Shortfall, match=r"one segment is named 'all'.*Rename that segment"):
        lifecycle.lifetime_value(OneGroupNamedAll(), demo_terms)


def test_ranked_ratios_drop_the_total_and_refuse_when_no_group_has_one():
    ratio = pd.DataFrame(
        {"channel": ["web", "events", "paid", "all"], "ltv_to_cac": [2.0, np.nan, 5.0, 3.0]}
    )
    assert lifecycle.ranked_ratios(ratio)["channel"].tolist() == ["web", "paid"]
    with pytest.raises(Shortfall, match=r"no channel had both won deals and marketing spend"):
        lifecycle.ranked_ratios(ratio.assign(ltv_to_cac=[np.nan, np.nan, np.nan, 3.0]))
