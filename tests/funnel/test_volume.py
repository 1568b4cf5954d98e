"""New names and cost per name on the hand-built funnel, and a missing spend table."""

from __future__ import annotations

import numpy as np
import pytest

from revlab import funnel
from revlab.sources import SourceError, connect


def test_new_names_per_month_and_channel_with_empty_months(hand):
    out = funnel.new_names(hand, period="month", by="channel")
    # 3 channels x 7 months (January to July); July is still running on day 200
    assert len(out) == 21
    jan = out[out["period"] == "2024-01"].set_index("channel")["n"].to_dict()
    assert jan == {"events": 1, "organic": 2, "paid": 3}
    assert out.loc[out["period"] == "2024-03", "n"].tolist() == [0, 0, 0]
    june = out[out["period"] == "2024-06"].set_index("channel")["n"]
    assert june.to_dict() == {"events": 0, "organic": 1, "paid": 0}  # L6 on day 170
    assert out["n"].sum() == 8
    assert not out.loc[out["period"] == "2024-07", "complete"].any()
    assert out.loc[out["period"] == "2024-06", "complete"].all()


def test_new_names_per_week_and_quarter(hand):
    weeks = funnel.new_names(hand, period="week", by=None)
    # 2024-01-01 is a Monday: first week holds L1, L2, L5 (days 0, 0, 5)
    assert weeks.iloc[0][["period_start", "n"]].tolist()[1] == 3
    quarters = funnel.new_names(hand, period="quarter", by="segment")
    q1 = quarters[quarters["period"] == "2024Q1"].set_index("segment")["n"].to_dict()
    assert q1 == {"enterprise": 2, "smb": 4}
    with pytest.raises(ValueError, match="period must be one of"):
        funnel.new_names(hand, period="fortnight")


def test_cost_per_name_opportunity_and_won_by_hand(hand):
    out = funnel.cost_per_name(hand, quarter="2024Q1").set_index("channel")
    # paid: spend 1000 + 500; names L1, L2, L3; opportunities L1, L3; won L1
    paid = out.loc["paid"]
    assert (paid["spend"], paid["names"], paid["opportunities"], paid["won"]) == (1500, 3, 2, 1)
    assert (paid["cost_per_name"], paid["cost_per_opportunity"], paid["cost_per_won"]) == (
        500,
        750,
        1500,
    )
    # organic spent nothing in Q1 (its 200 is in April): a real zero per name, and no
    # opportunity in the quarter (L5 converted in April), so no cost per opportunity
    organic = out.loc["organic"]
    assert organic["cost_per_name"] == 0 and np.isnan(organic["cost_per_opportunity"])
    # events: one name, no conversion -> cost per won is unknown, not zero
    assert out.loc["events", "cost_per_name"] == 300 and np.isnan(
        out.loc["events", "cost_per_won"]
    )
    total = out.loc["all"]
    assert (total["spend"], total["names"], total["cost_per_name"]) == (1800, 6, 300)


def test_cost_per_name_in_an_empty_quarter_is_nan(hand):
    out = funnel.cost_per_name(hand, quarter="2023Q4")
    assert (out["names"] == 0).all()
    assert out["cost_per_name"].isna().all()


def test_missing_marketing_spend_is_a_clear_error(hand, hand_tables):
    tables = {k: v for k, v in hand_tables.items() if k != "marketing_spend"}
    src = connect(tables, as_of=hand.as_of)
    with pytest.raises(
        SourceError, match=r"Cost per name: the data have no marketing_spend table"
    ):
        funnel.cost_per_name(src, quarter="2024Q1")
