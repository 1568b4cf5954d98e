"""Headline figures, their change, and the groups that drove it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revlab import funnel
from revlab.funnel.change import _decompose
from revlab.sources import connect


def test_headline_of_a_quarter_by_hand(hand):
    h = funnel.headline(hand, quarter="2024Q2", within_days=60, stale_after_days=30)
    assert set(h) == set(funnel.HEADLINES)
    # Q2: L4 and L6 created; spend 200 (organic, April)
    assert (h["new_names"], h["cost_per_name"]) == (2, 100)
    # cohort Q1 (its 60-day window ended on day 151, before Q2's end): L1 won in 40 days of 6
    assert h["lead_to_customer"] == pytest.approx(1 / 6)
    # open on July 1 (day 182): L6 new (12 days old), L8 new (152), L4 MQL (32), O3 demo
    # (82); stale: L8 (no touch since day 30) and O3 (in demo since day 120)
    assert h["open_inventory"] == 4
    assert h["inventory_median_age_days"] == 32
    assert h["stale_share"] == pytest.approx(0.5)
    # no deal closed in Q2 and the target was 0: unknown, not zero
    for key in ("win_rate", "avg_deal_size", "sales_cycle_days", "pipeline_coverage"):
        assert np.isnan(h[key]), key
    assert h["bookings"] == 0


def test_headline_sees_only_what_was_known_at_the_quarter_end(hand):
    h = funnel.headline(hand, quarter="2024Q1", within_days=60)
    # on April 1 (day 91) L4 and L6 did not exist and L5 was still new
    assert h["new_names"] == 6 and h["open_inventory"] == 2  # L5, L8 new; O1, O2 closed
    assert (h["win_rate"], h["avg_deal_size"], h["sales_cycle_days"]) == (0.5, 10_000, 30)
    assert h["pipeline_coverage"] == 0  # nothing open on Jan 1 against a 20 000 target
    assert np.isnan(h["lead_to_customer"])  # no cohort had 60 days to mature by April 1


def test_headline_without_optional_tables(hand_tables, hand):
    src = connect({"leads": hand_tables["leads"]}, as_of=hand.as_of)
    h = funnel.headline(src, quarter="2024Q2")
    assert h["new_names"] == 2
    assert np.isnan(h["cost_per_name"]) and np.isnan(h["win_rate"])
    assert np.isnan(h["stale_share"]) and h["open_inventory"] == 3  # leads only: L4, L6, L8


def test_compare_against_previous_and_year_ago(hand):
    out = funnel.compare(hand, quarter="2024Q2", within_days=60).set_index("metric")
    names = out.loc["new_names"]
    assert (names["current"], names["previous"], names["year_ago"]) == (2, 6, 0)
    assert names["change"] == pytest.approx(2 / 6 - 1)
    assert np.isnan(names["change_yoy"])  # a year earlier there were none: no ratio
    stale = out.loc["stale_share"]
    assert stale["unit"] == "pct" and stale["better"] == "lower"
    assert stale["change"] == pytest.approx(stale["current"] - stale["previous"])  # points


def test_compare_history_is_each_quarter_as_known_at_its_end_from_the_datas_start(hand):
    out = funnel.compare(hand, quarter="2024Q3", within_days=60, history_quarters=8)
    names = out.set_index("metric").loc["new_names"]
    # the data start on 2024-01-01: 2023 quarters would read as zero names, so they are left out
    assert names["history"] == {"2024Q1": 6.0, "2024Q2": 2.0, "2024Q3": 0.0}
    assert names["history"]["2024Q3"] == names["current"]
    assert names["history"]["2024Q2"] == names["previous"]
    plain = funnel.compare(hand, quarter="2024Q3", within_days=60)
    assert "history" not in plain.columns
    assert plain.equals(out.drop(columns="history"))  # the same figures either way


def test_drivers_of_a_total(hand):
    out = funnel.drivers(hand, quarter="2024Q2", metric="new_names", by="channel")
    # Q1 -> Q2: paid 3 -> 1, organic 2 -> 1, events 1 -> 0
    assert out["channel"].iloc[0] == "paid"
    assert out.set_index("channel")["contribution"].to_dict() == {
        "paid": -2,
        "organic": -1,
        "events": -1,
    }
    assert out["share"].sum() == pytest.approx(1)


def test_ratio_decomposition_by_hand():
    # before: A won 1 of 2, B 1 of 2 (50%); now: A 3 of 4, B 0 of 0 (75%)
    both = pd.DataFrame(
        {
            "g": ["A", "B"],
            "num1": [3.0, 0.0],
            "den1": [4.0, 0.0],
            "num0": [1.0, 1.0],
            "den0": [2.0, 2.0],
        }
    )
    out = _decompose(both, ratio=True).set_index("g")
    # A: weights 1/2 -> 1, rate 1/2 -> 3/4: contribution 3/4 - 1/4 = 1/2,
    # rate effect 3/4 * 1/4 = 3/16, mix effect 1/2 * 5/8 = 5/16
    assert out.loc["A", "contribution"] == pytest.approx(0.5)
    assert out.loc["A", "rate_effect"] == pytest.approx(3 / 16)
    assert out.loc["A", "mix_effect"] == pytest.approx(5 / 16)
    # B vanished: its rate is carried over, so its change (-1/4) is all mix
    assert out.loc["B", "contribution"] == pytest.approx(-0.25)
    assert out.loc["B", "rate_effect"] == 0
    assert out["contribution"].sum() == pytest.approx(0.75 - 0.5)


def test_ratio_drivers_add_up_to_the_change(demo_source):
    cmp = funnel.compare(demo_source, quarter="2026Q2").set_index("metric")
    for metric, by in (("win_rate", "segment"), ("avg_deal_size", "channel")):
        out = funnel.drivers(demo_source, quarter="2026Q2", metric=metric, by=by)
        change = cmp.loc[metric, "current"] - cmp.loc[metric, "previous"]
        assert out["contribution"].sum() == pytest.approx(change)
        assert (out["rate_effect"] + out["mix_effect"]).to_numpy() == pytest.approx(
            out["contribution"].to_numpy()
        )
    yoy = funnel.drivers(demo_source, quarter="2026Q2", metric="new_names", against="year_ago")
    assert yoy["contribution"].sum() == pytest.approx(
        cmp.loc["new_names", "current"] - cmp.loc["new_names", "year_ago"]
    )


def test_drivers_refuse_unknown_metric_and_split(hand):
    with pytest.raises(ValueError, match="metric must be one of"):
        funnel.drivers(hand, quarter="2024Q2", metric="vibes")
    with pytest.raises(ValueError, match="only be split by channel"):
        funnel.drivers(hand, quarter="2024Q2", metric="cost_per_name", by="segment")


def test_headline_from_deals_alone(hand, hand_tables):
    deals_only = {k: hand_tables[k] for k in ("opportunities", "stage_history", "targets")}
    h = funnel.headline(connect(deals_only, as_of=hand.as_of), quarter="2024Q3")
    assert np.isnan(h["new_names"]) and np.isnan(h["lead_to_customer"])
    assert h["open_inventory"] == 1  # O3 in demo on day 200
    assert np.isnan(h["stale_share"])  # no activities to judge staleness by
    assert h["pipeline_coverage"] == pytest.approx(0.5)


def test_compare_as_text(hand):
    frame = funnel.compare(hand, quarter="2024Q2", within_days=60)
    text = funnel.compare_text(
        frame,
        fmt=lambda v, unit: "n/a" if np.isnan(v) else f"{v:g} {unit}",
        change=lambda new, old, unit: (
            "n/a" if np.isnan(new) or np.isnan(old) else f"{new - old:+g}"
        ),
    )
    names = text.set_index("metric").loc["New names"]
    assert names.to_dict() == {
        "this quarter": "2 count",
        "last quarter": "6 count",
        "change": "-4",
        "a year ago": "0 count",
        "change on a year": "+2",
    }


def test_compare_keeps_no_preferred_direction_as_none(hand):
    frame = funnel.compare(hand, quarter="2024Q2", within_days=60).set_index("metric")
    assert frame.loc["open_inventory", "better"] is None
    assert frame.loc["win_rate", "better"] == "higher"


def test_attainment_is_bookings_against_the_quarters_target(hand):
    q1 = funnel.headline(hand, quarter="2024Q1", within_days=60)
    assert q1["bookings_target"] == 20_000
    assert q1["attainment"] == pytest.approx(q1["bookings"] / 20_000)
    q2 = funnel.headline(hand, quarter="2024Q2", within_days=60)
    assert q2["bookings_target"] == 0 and np.isnan(q2["attainment"])  # no target, no attainment
    q4 = funnel.headline(hand, quarter="2024Q4", within_days=60)
    assert np.isnan(q4["bookings_target"]) and np.isnan(q4["attainment"])  # no row for it
