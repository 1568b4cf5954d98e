"""Win rate, deal size, cycle, velocity and coverage on the hand-built funnel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revlab import funnel
from revlab.rates import wilson_interval
from revlab.sources import SourceError, connect


def test_closing_metrics_of_a_quarter_by_hand(hand):
    out = funnel.closing_by_quarter(hand, first="2024Q1", last="2024Q3").set_index("quarter")
    q1 = out.loc["2024Q1"]
    # Q1: O1 won (10 000, created day 10, closed day 40), O2 lost; nothing open on Jan 1
    assert (q1["closed"], q1["won"], q1["win_rate"]) == (2, 1, 0.5)
    assert (q1["lower"], q1["upper"]) == tuple(pytest.approx(x) for x in wilson_interval(1, 2))
    assert (q1["bookings"], q1["avg_deal_size"], q1["sales_cycle_days"]) == (10_000, 10_000, 30)
    assert np.isnan(q1["size_lower"])  # one deal: no interval for the mean
    assert (q1["open_at_start"], q1["pipeline_velocity"]) == (0, 0)
    # Q2 decided nothing: counts 0, rates unknown (not 0)
    q2 = out.loc["2024Q2"]
    assert (q2["closed"], q2["won"], q2["bookings"]) == (0, 0, 0)
    assert np.isnan(q2["win_rate"]) and np.isnan(q2["avg_deal_size"])
    # Q3 starts with O3 open (created day 100) but nothing closes by day 200
    q3 = out.loc["2024Q3"]
    assert q3["open_at_start"] == 1 and np.isnan(q3["pipeline_velocity"])


def test_closing_by_a_lead_column_and_a_deal_column(hand):
    seg = funnel.closing(hand, quarter="2024Q1", by="segment").set_index("segment")
    assert seg["win_rate"].to_dict() == {"enterprise": 0.0, "smb": 1.0}
    channel = funnel.closing(hand, quarter="2024Q1", by="channel").set_index("channel")
    assert channel.loc["paid", ["closed", "won"]].tolist() == [2, 1]
    assert channel.loc["organic", "closed"] == 0 and np.isnan(channel.loc["organic", "win_rate"])


def test_velocity_formula(demo_source):
    out = funnel.closing(demo_source, quarter="2025Q3").iloc[0]
    expected = (
        out["open_at_start"] * out["win_rate"] * out["avg_deal_size"] / out["sales_cycle_days"]
    )
    assert out["pipeline_velocity"] == pytest.approx(expected)
    assert out["size_lower"] < out["avg_deal_size"] < out["size_upper"]


def test_pipeline_coverage_by_hand(hand):
    q3 = funnel.pipeline_coverage(hand, quarter="2024Q3").iloc[0]
    # at the start of Q3 only O3 is open: 30 000 expected on 2024-08-15, target 60 000
    assert (q3["deals"], q3["pipeline_in_quarter"], q3["bookings_target"]) == (1, 30_000, 60_000)
    assert q3["coverage"] == pytest.approx(0.5)
    q2 = funnel.pipeline_coverage(hand, quarter="2024Q2").iloc[0]
    assert q2["deals"] == 0 and np.isnan(q2["coverage"])  # a zero target: no ratio
    q4 = funnel.pipeline_coverage(hand, quarter="2024Q4").iloc[0]
    assert np.isnan(q4["bookings_target"]) and np.isnan(q4["coverage"])


def test_coverage_reads_close_dates_as_known_then(hand, hand_tables, day):
    # O3's expected close moves from August to November on day 190. At the start of Q3
    # (day 182) it was still expected in Q3: the later push must not leak back.
    push = pd.DataFrame(
        {
            "opportunity_id": ["O3"],
            "stage": ["demo"],
            "entered_at": [day(190)],
            "amount": [30_000.0],
            "close_date": [pd.Timestamp("2024-11-15")],
        }
    ).astype({"entered_at": "datetime64[us]", "close_date": "datetime64[us]"})
    opps = hand_tables["opportunities"].copy()
    opps.loc[opps["opportunity_id"] == "O3", "close_date"] = pd.Timestamp("2024-11-15")
    tables = {
        **hand_tables,
        "stage_history": pd.concat([hand_tables["stage_history"], push], ignore_index=True),
        "opportunities": opps,
    }
    src = connect(tables, as_of=hand.as_of)
    assert funnel.pipeline_coverage(src, quarter="2024Q3")["pipeline_in_quarter"].iloc[0] == 30_000
    assert funnel.pipeline_coverage(src, quarter="2024Q4")["deals_in_quarter"].iloc[0] == 1


def test_missing_targets_is_a_clear_error(hand, hand_tables):
    tables = {k: v for k, v in hand_tables.items() if k != "targets"}
    with pytest.raises(SourceError, match=r"Pipeline coverage: the data have no targets table"):
        funnel.pipeline_coverage(connect(tables, as_of=hand.as_of), quarter="2024Q3")


def test_coverage_without_close_dates_is_a_shortfall_not_every_deal(hand, hand_tables):
    tables = {
        k: v.drop(columns="close_date", errors="ignore")
        if k in ("opportunities", "stage_history")
        else v
        for k, v in hand_tables.items()
    }
    src = connect(tables, as_of=hand.as_of)
    with pytest.raises(SourceError, match=r"Pipeline coverage: the opportunities table has no "):
        funnel.pipeline_coverage(src, quarter="2024Q3")
    assert np.isnan(funnel.headline(src, quarter="2024Q3")["pipeline_coverage"])
