"""Censoring-aware conversion on the hand-built funnel (see conftest.py for the story)."""

from __future__ import annotations

import numpy as np
import pytest

from revlab import funnel
from revlab.periods import Quarter
from revlab.rates import wilson_interval


def _row(frame, **where):
    mask = np.ones(len(frame), dtype=bool)
    for col, value in where.items():
        mask &= (frame[col] == value).to_numpy()
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


def test_matured_rate_ignores_young_leads_where_naive_share_does_not(hand):
    # paid: L1 (10 days) and L3 (15 days) became opportunities within 90 days; L2 did not;
    # L4 is only 50 days old, so it cannot tell yet. Naive share counts L4 as a loss: 2/4.
    out = funnel.conversion_rate(hand, by="channel", to="opportunity", within_days=90)
    paid = _row(out, channel="paid")
    naive = 2 / 4
    assert (paid["n"], paid["converted"]) == (3, 2)
    assert paid["rate"] == pytest.approx(2 / 3) != naive
    lower, upper = wilson_interval(2, 3)
    assert (paid["lower"], paid["upper"]) == (pytest.approx(lower), pytest.approx(upper))
    # organic: L5 converted after 95 days (not within 90), L7 never; L6 is too young
    organic = _row(out, channel="organic")
    assert (organic["n"], organic["converted"], organic["rate"]) == (2, 0, 0.0)


def test_channel_without_conversions_is_a_measured_zero_with_a_bound(hand):
    out = funnel.conversion_rate(hand, by="channel", to="won", within_days=90)
    events = _row(out, channel="events")
    assert (events["n"], events["converted"], events["rate"], events["lower"]) == (1, 0, 0, 0)
    assert events["upper"] == pytest.approx(wilson_interval(0, 1)[1])


def test_curve_is_kaplan_meier_not_converted_over_all(hand):
    # organic to opportunity: L6 censored at day 30, L5 converted on day 96 (95 days after
    # creation), L7 censored at day 180 (disqualified leads are censored at the as-of date).
    # S(96) = 1 - 1/2, so half converted by day 96; naive converted/all says 1/3.
    curve = funnel.conversion_curve(hand, to="opportunity", by="channel")
    organic = curve[curve["channel"] == "organic"].set_index("day")
    assert organic.index.tolist() == [30, 96, 180]
    assert organic["at_risk"].tolist() == [3, 2, 1]
    assert organic.loc[96, "rate"] == pytest.approx(0.5) != pytest.approx(1 / 3)
    assert organic.loc[30, "rate"] == 0 and organic.loc[30, "upper"] > 0
    paid = curve[curve["channel"] == "paid"].set_index("day")
    # paid: converted on days 11 and 16, censored at 50 (L4) and 200 (L2)
    assert paid.loc[11, "rate"] == pytest.approx(1 / 4)
    assert paid.loc[16, "rate"] == pytest.approx(1 - 3 / 4 * 2 / 3)
    assert (curve["lower"] <= curve["rate"]).all() and (curve["rate"] <= curve["upper"]).all()


def test_curve_from_a_later_stage_and_capped(hand):
    # MQL -> won: L1 (MQL day 2, won day 40: 38 days -> day 39); L2, L3, L4 and L5 (which
    # passed MQL when it became an opportunity on day 100) are censored, all after day 39
    curve = funnel.conversion_curve(hand, start="mql", to="won", by=None, max_days=100)
    assert curve["n"].iloc[0] == 5
    first = curve[curve["events"] > 0].iloc[0]
    assert (first["day"], first["rate"]) == (39, pytest.approx(1 / 5))
    assert curve["day"].max() <= 100


def test_cohorts_report_only_windows_that_have_ended(hand):
    out = funnel.conversion_by_cohort(
        hand, by=None, cohort="month", to="opportunity", within_days=(30, 180)
    )
    jan30 = _row(out, cohort="2024-01", within_days=30)
    # January: L1, L2, L3, L5, L7, L8; L1 and L3 converted within 30 days
    assert jan30["matured"] and (jan30["n"], jan30["converted"]) == (6, 2)
    assert jan30["rate"] == pytest.approx(2 / 6)
    jan180 = _row(out, cohort="2024-01", within_days=180)
    # January ends on day 31; 31 + 180 > 200, so the 180-day window has not ended yet
    assert not jan180["matured"] and np.isnan(jan180["rate"]) and jan180["n"] == 6
    march = _row(out, cohort="2024-03", within_days=30)  # no lead created in March
    assert (march["n"], march["matured"]) == (0, True) and np.isnan(march["rate"])
    assert out["cohort"].nunique() == 7  # January to July, every month shown


def test_stage_funnel_of_a_matured_quarter(hand):
    out = funnel.funnel_stages(hand, quarter="2024Q1", within_days=100)
    out = out.set_index("stage")
    # Q1 cohort: L1, L2, L3, L5, L7, L8. Within 100 days: MQL or beyond L1, L2, L3, L5 (L5
    # reached opportunity at 95 days, so it passed MQL and SQL); SQL: L1, L3, L5; won: L1.
    assert out["reached"].to_dict() == {
        "created": 6,
        "mql": 4,
        "sql": 3,
        "opportunity": 3,
        "won": 1,
    }
    assert out.loc["mql", "rate"] == pytest.approx(4 / 6)
    assert out.loc["sql", "rate"] == pytest.approx(3 / 4)
    assert out.loc["opportunity", "rate"] == pytest.approx(1.0)
    assert out.loc["won", "rate"] == pytest.approx(1 / 3)
    assert out.loc["won", "of_created"] == pytest.approx(1 / 6)
    assert out["matured"].all() and (out["cohort"] == "2024Q1").all()


def test_stage_funnel_of_a_young_quarter_has_no_rates(hand):
    out = funnel.funnel_stages(hand, quarter="2024Q2", within_days=100)
    assert not out["matured"].any()
    assert out["rate"].isna().all() and out["of_created"].isna().all()
    assert out.set_index("stage").loc["created", "reached"] == 2  # L4 and L6


def test_default_quarter_is_the_latest_matured(hand):
    assert funnel.matured_quarter(hand, within_days=100) == Quarter.parse("2024Q1")
    assert funnel.funnel_stages(hand, within_days=100)["cohort"].iloc[0] == "2024Q1"


def test_unknown_stage_is_refused(hand):
    with pytest.raises(ValueError, match="does not come after"):
        funnel.conversion_curve(hand, start="sql", to="mql")
    with pytest.raises(ValueError, match="stages must be among"):
        funnel.conversion_rate(hand, to="customer")


def test_curve_marks_a_group_without_leads(hand, day):
    curve = funnel.conversion_curve(hand, to="opportunity", by="channel", since=day(100))
    events = curve[curve["channel"] == "events"]  # its only lead came on day 30
    assert len(events) == 1 and events["n"].iloc[0] == 0 and np.isnan(events["rate"].iloc[0])
    paid = curve[curve["channel"] == "paid"]  # L4 only, still open after 50 days
    assert paid["n"].iloc[0] == 1 and (paid["rate"] == 0).all()
