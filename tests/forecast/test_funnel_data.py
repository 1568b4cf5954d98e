import warnings

import pandas as pd
import pytest

from revlab.forecast import ForecastError, ForecastWarning
from revlab.forecast.funnel_data import collect
from revlab.sources import SourceError, connect


def test_collect_lays_out_the_history_by_channel_segment_and_stage(small_source):
    data = collect(small_source.at("2026-07-01"), "2026Q3")
    n_c, n_g, n_s = len(data.channels), len(data.segments), len(data.stages)
    assert data.volume.shape[1] == n_c
    assert data.mix.shape == (n_c, n_g)
    assert data.deal_adv_n.shape == (n_s * n_g * n_c,)
    assert data.stages == ("discovery", "demo", "proposal", "negotiation")
    assert data.horizon == 92 and data.start_offset == 0
    assert data.lead_open.key_age.size <= len(data.lead_open)


def test_a_quarter_already_over_is_refused(small_source):
    with pytest.raises(ForecastError, match=r"quarter 2026Q1 ended .* its bookings are known"):
        collect(small_source.at("2026-07-01"), "2026Q1")


def test_a_quarter_with_no_history_is_refused(small_source):
    with pytest.raises(ForecastError, match=r"needs at least 8 weeks of history"):
        collect(small_source.at("2023-10-15"), "2023Q4")
    with pytest.raises(ForecastError, match=r"no leads or deals"):
        collect(small_source.at("2023-06-01"), "2023Q3")


def test_a_source_without_leads_feeds_the_deals_only_model(small_company):
    opps = small_company.tables["opportunities"]
    src = connect({"opportunities": opps}).at("2026-07-01")
    with pytest.raises(SourceError, match=r"the funnel forecast: the data have no leads table"):
        collect(src, "2026Q3", deals_only=False)
    data = collect(src, "2026Q3")
    assert data.leads_are_deals and not data.has_dq and len(data.lead_open) == 0
    assert data.seasonal  # three years of deals: a season can be learned
    # the weekly volume counts new deals: the last full week's count, by hand
    at = pd.Timestamp("2026-07-01")
    last_week = opps["created_at"].between(at - pd.Timedelta(days=7), at, inclusive="left")
    assert data.volume[-1].sum() == last_week.sum()
    last_year = opps["created_at"].between(at - pd.Timedelta(days=365), at, inclusive="right")
    assert data.mix.sum() == last_year.sum()
    assert data.open_deals["opportunity_id"].nunique() == len(data.open_deals) > 0


def test_a_segment_with_a_single_won_deal_is_flagged(small_company):
    tables = {k: v.copy() for k, v in small_company.tables.items()}
    opps = tables["opportunities"]
    won_ent = opps.index[(opps["segment"] == "enterprise") & opps["is_won"]]
    opps.loc[won_ent[1:], "segment"] = "mid_market"  # keep one won enterprise deal
    src = connect(tables).at("2026-07-01")
    with pytest.warns(ForecastWarning, match=r"segment 'enterprise' has a single won deal"):
        data = collect(src, "2026Q3")
    assert any("borrowed from the other segments" in n for n in data.notes)


def test_no_won_deal_at_all_is_refused(small_company):
    tables = {k: v.copy() for k, v in small_company.tables.items()}
    opps = tables["opportunities"]
    opps["is_won"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ForecastError, match=r"no deal was won"):
            collect(connect(tables).at("2026-07-01"), "2026Q3")


def test_a_deals_export_without_segments_is_banded_by_amount(small_company):
    opps = small_company.tables["opportunities"].drop(columns=["segment", "lead_id"])
    data = collect(connect({"opportunities": opps}).at("2026-07-01"), "2026Q3")
    bands = [s for s in data.segments if s != "amount unknown"]
    assert len(bands) == 3 and any("grouped by amount into thirds" in n for n in data.notes)
    known = opps[(opps["amount"] > 0) & (opps["created_at"] <= "2026-07-01")]["amount"]
    lo, hi = known.quantile([1 / 3, 2 / 3])
    small = f"amount under {lo:,.0f}"
    assert small in bands and f"amount {hi:,.0f} and over" in bands
    # each open deal sits in the band of its amount
    od = data.open_deals
    assert (od.loc[od["segment"] == small, "amount"] < lo).all()
