import numpy as np
import pandas as pd
import pytest

from revlab.forecast import aggregates as agg
from tests.forecast.conftest import AS_OF


@pytest.fixture(scope="module")
def cut(small_source):
    return small_source.at(AS_OF)


def test_lead_volume_counts_every_lead_of_the_full_weeks(cut):
    vol = agg.lead_volume(cut)
    leads = cut.to_pandas("leads")
    weeks = vol["week"].nunique()
    start = pd.Timestamp(AS_OF) - pd.Timedelta(weeks=weeks)
    assert vol["leads"].sum() == (leads["created_at"] > start).sum()
    assert len(vol) == weeks * leads["channel"].nunique()  # zeros included


def test_lead_cohorts_account_for_every_lead_and_censor_open_ones(cut):
    c = agg.lead_cohorts(cut)
    leads = cut.to_pandas("leads")
    assert c["n"].sum() == len(leads)
    by = c.groupby("status")["n"].sum()
    assert by["converted"] == leads["converted_at"].notna().sum()
    open_ = leads["converted_at"].isna() & leads["disqualified_at"].isna()
    assert by["open"] == open_.sum()
    # one row per channel, segment, status and day: bounded by those, not by the leads
    assert not c.duplicated(["channel", "segment", "status", "days"]).any()


def test_stage_exits_count_each_stage_entry_once(cut):
    exits = agg.stage_exits(cut)
    history = cut.to_pandas("stage_history")
    entries = history[~history["stage"].isin(["closed_won", "closed_lost"])]
    assert exits["n"].sum() == entries.drop_duplicates(["opportunity_id", "stage"]).shape[0]
    assert set(exits["status"]) == {"advanced", "lost", "open"}


def test_open_deals_are_the_deals_open_at_the_date(cut):
    od = agg.open_deals(cut)
    opps = cut.to_pandas("opportunities")
    assert set(od["opportunity_id"]) == set(opps.loc[~opps["is_closed"], "opportunity_id"])
    assert (od["days_in_stage"] >= 0).all()
    assert (od["days_in_stage"] <= od["age_days"] + 1e-9).all()


def test_won_amounts_are_sufficient_statistics_of_log_amounts(cut):
    w = agg.won_amounts(cut).set_index("segment")
    opps = cut.to_pandas("opportunities")
    won = opps[opps["is_won"]]
    logs = np.log(won.groupby("segment")["amount"].apply(np.asarray).explode().astype(float))
    for seg, group in logs.groupby(level=0):
        assert w.loc[seg, "n"] == len(group)
        assert w.loc[seg, "sum_log"] == pytest.approx(group.sum())
        assert w.loc[seg, "sum_log2"] == pytest.approx((group**2).sum())


def test_bookings_per_month_add_up_to_all_won_amounts(cut):
    b = agg.bookings(cut, freq="month")
    opps = cut.to_pandas("opportunities")
    assert b["bookings"].sum() == pytest.approx(opps.loc[opps["is_won"], "amount"].sum())
    assert agg.booked(cut, "2026Q2") == pytest.approx(
        opps.loc[opps["is_won"] & (opps["closed_at"] >= "2026-04-01"), "amount"].sum()
    )
    assert agg.booked(cut, "2026Q3") == 0.0  # nothing closed yet on the quarter's first day


def test_aggregates_work_on_the_tiny_hand_built_tables(tiny_tables):
    from revlab.sources import connect

    src = connect(tiny_tables).at("2024-03-31")
    assert agg.lead_cohorts(src)["n"].sum() == 3
    assert list(agg.open_deals(src)["opportunity_id"]) == ["O2"]
    assert agg.stage_order(src) == ["discovery", "proposal"]
