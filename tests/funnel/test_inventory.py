"""Prospect inventory on the hand-built funnel: flows, snapshot, aging and Little's law."""

from __future__ import annotations

import numpy as np
import pytest

from revlab import funnel
from revlab.sources import connect


def test_flow_of_new_leads_per_month_by_hand(hand):
    out = funnel.inventory_flow(hand, period="month")
    new = out[out["stage"] == "new"].set_index("period")
    # January: 6 leads created; L1, L2, L3 moved on to MQL; L5, L7 and L8 still new.
    # February: L7 disqualified. April: L5 became an opportunity. May: L4 created.
    # June: L6 created, L4 became an MQL.
    expected = {
        "2024-01": (6, 3, 0, 3),
        "2024-02": (0, 1, 1, 2),
        "2024-03": (0, 0, 0, 2),
        "2024-04": (0, 1, 0, 1),
        "2024-05": (1, 0, 0, 2),
        "2024-06": (1, 1, 0, 2),
        "2024-07": (0, 0, 0, 2),
    }
    got = new[["entered", "exited", "lost", "open_end"]].apply(tuple, axis=1).to_dict()
    assert got == expected
    assert not new.loc["2024-07", "complete"] and new.loc["2024-06", "complete"]
    mql = out[out["stage"] == "mql"].set_index("period")
    # L1 (days 2-5), L2 (3-30, disqualified), L3 (12-20) all in January; L4 from day 160
    assert tuple(mql.loc["2024-01", ["entered", "exited", "lost", "open_end"]]) == (3, 3, 1, 0)
    assert mql.loc["2024-06", "open_end"] == 1
    assert list(out["stage"].unique()) == ["new", "mql", "sql", "discovery", "demo", "proposal"]


def test_flow_agrees_with_the_snapshot(hand, day):
    flow = funnel.inventory_flow(hand, period="month", by="channel")
    feb = flow[(flow["period"] == "2024-02")].set_index(["stage", "channel"])["open_end"]
    snap = funnel.inventory_at(hand, at=day(60), by="channel", total=False)
    for _, row in snap.iterrows():
        assert feb.loc[(row["stage"], row["channel"])] == row["open"]
    assert feb.sum() == snap["open"].sum() == 3


def test_snapshot_ages_and_stale_share_by_hand(hand, day):
    out = funnel.inventory_at(hand, at=day(60), stale_after_days=30).set_index("stage")
    # open on day 60: L5 (new, 55 days old, last touch day 10), L8 (new, 30 days, never
    # touched since creation on day 30), O2 (demo since day 35, deal created day 25, touch 20)
    assert out["open"].to_dict() == {"new": 2, "demo": 1, "all": 3}
    total = out.loc["all"]
    assert (total["median_age_days"], total["p90_age_days"]) == (35, 55)
    assert total["mean_age_days"] == pytest.approx(40)
    assert total["mean_days_in_stage"] == pytest.approx((55 + 30 + 25) / 3)
    assert (total["stale"], total["stale_share"]) == (2, pytest.approx(2 / 3))
    assert out.loc["new", "stale_share"] == 1 and out.loc["demo", "stale_share"] == 0
    assert total["lower"] < 2 / 3 < total["upper"]


def test_snapshot_at_the_as_of_date(hand):
    out = funnel.inventory_at(hand).set_index("stage")
    # L6 and L8 new, L4 an MQL, O3 in demo: ages 30, 170, 50, 100 days
    assert out["open"].to_dict() == {"new": 2, "mql": 1, "demo": 1, "all": 4}
    assert (out.loc["all", "median_age_days"], out.loc["all", "p90_age_days"]) == (50, 170)


def test_stale_share_without_activities_is_unknown(hand, hand_tables, day):
    tables = {k: v for k, v in hand_tables.items() if k != "activities"}
    out = funnel.inventory_at(connect(tables, as_of=hand.as_of), at=day(60))
    assert out["open"].sum() == 6  # 2 + 1 + the total row 3
    assert out["stale_share"].isna().all()


def test_aging_buckets(hand, day):
    out = funnel.inventory_aging(hand, at=day(60), bins=(0, 30, 60))
    new = out[out["stage"] == "new"].set_index("age_bucket")
    assert new["open"].to_dict() == {"0-29": 0, "30-59": 2, "60+": 0}
    assert new.loc["30-59", "share"] == 1
    assert out.groupby("stage", sort=False)["share"].sum().tolist() == [1.0, 1.0]


def test_littles_law_check_by_hand(hand):
    out = funnel.stage_times(hand, quarter="2024Q1").set_index("stage")
    new = out.loc["new"]
    # end-of-day counts over Q1's 91 days: L1 2 days, L2 3, L3 2, L5 86, L7 30, L8 61
    assert new["days"] == 91
    assert new["avg_open"] == pytest.approx(184 / 91)
    # stays that ended in Q1: L1 2 days, L2 3, L3 2, L7 30
    assert (new["entered"], new["exited"]) == (6, 4)
    assert new["mean_days_in_stage"] == pytest.approx(37 / 4)
    assert new["little_open"] == pytest.approx(4 / 91 * 37 / 4)
    assert new["discrepancy"] == pytest.approx(37 / 184 - 1)
    discovery = out.loc["discovery"]  # O1 days 10-20, O2 days 25-35
    assert (discovery["exited"], discovery["mean_days_in_stage"]) == (2, 10)


def test_inventory_of_deals_without_stage_history(hand, hand_tables, day):
    tables = {k: v for k, v in hand_tables.items() if k != "stage_history"}
    out = funnel.inventory_at(connect(tables, as_of=hand.as_of), at=day(60), total=False)
    assert out.set_index("stage")["open"].to_dict() == {"new": 2, "opportunity": 1}
    assert np.isfinite(out["median_age_days"]).all()


def test_memo_keeps_cuts_and_connections_apart(hand, hand_tables, day):
    funnel.clear_cache()
    first = funnel.inventory_at(hand, at=day(60))
    again = funnel.inventory_at(hand, at=day(60))
    assert first.equals(again) and first is not again
    # another in-memory connection with other data, same as-of date: not confused
    fewer = {**hand_tables, "leads": hand_tables["leads"].iloc[:4]}
    fewer["opportunities"] = hand_tables["opportunities"].iloc[:2]
    fewer["stage_history"] = hand_tables["stage_history"].iloc[:6]
    other = funnel.inventory_at(connect(fewer, as_of=hand.as_of), at=day(60))
    assert other["open"].sum() != first["open"].sum()
    # a different cut of the same connection: not confused either
    earlier = funnel.inventory_at(hand.at(day(60)))
    assert earlier.set_index("stage")["open"].to_dict() == {"new": 2, "demo": 1, "all": 3}
    assert funnel.inventory_at(hand).set_index("stage").loc["all", "open"] == 4
