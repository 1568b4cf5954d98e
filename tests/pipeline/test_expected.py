"""Expected value of the open pipeline: stage weights, and win rates known at the date."""

from __future__ import annotations

import numpy as np
import pytest

from revlab import pipeline


def test_calibrated_rates_use_only_what_was_known(deal_source):
    # By May 10 only J (discovery, proposal) and Q (discovery) had closed, both won; B's loss
    # on Jun 10 is not known yet. D is in demo but no deal that passed demo has closed.
    got = pipeline.calibrated_win_rates(deal_source, at="2024-05-10").set_index("stage")
    assert list(got.index) == ["discovery", "demo", "proposal"]
    assert got.loc["discovery", ["n", "won"]].tolist() == [2, 2]
    assert got.loc["proposal", ["n", "won"]].tolist() == [1, 1]
    assert got.loc["demo", "n"] == 0 and np.isnan(got.loc["demo", "rate"])
    later = pipeline.calibrated_win_rates(deal_source, at="2024-07-01").set_index("stage")
    assert later.loc["discovery", ["n", "won"]].tolist() == [6, 4]  # A H J Q won, B M lost


def test_calibrated_rates_by_segment_and_lookback(deal_source):
    got = pipeline.calibrated_win_rates(deal_source, at="2024-07-01", by="segment")
    got = got.set_index(["stage", "segment"])
    assert got.loc[("discovery", "smb"), ["n", "won"]].tolist() == [3, 2]  # A Q won, B lost
    assert got.loc[("discovery", "enterprise"), ["n", "won"]].tolist() == [3, 2]  # H J / M
    recent = pipeline.calibrated_win_rates(deal_source, at="2024-07-01", lookback_days=40)
    # closed after May 22: H won Jun 1, B lost Jun 10, M lost Jun 20
    assert recent.set_index("stage").loc["discovery", ["n", "won"]].tolist() == [3, 1]


def test_expected_value_by_hand(deal_source):
    ev = pipeline.expected_value(deal_source, at="2024-05-10").set_index("stage")
    assert list(ev.index) == ["discovery", "demo", "proposal", "total"]
    assert ev.loc["discovery", ["deals", "amount"]].tolist() == [10, 520]
    assert ev["expected_weighted"].to_dict() == pytest.approx(
        {"discovery": 52.0, "demo": 9.0, "proposal": 37.5, "total": 98.5}
    )
    assert ev.loc["discovery", "expected_calibrated"] == 520
    assert ev.loc["proposal", "expected_calibrated"] == 50
    # demo has no calibrated rate yet, so neither has the total: unknown, never a silent zero
    assert np.isnan(ev.loc["demo", "expected_calibrated"])
    assert np.isnan(ev.loc["total", "expected_calibrated"])
    assert ev.loc["total", "weight"] == pytest.approx(98.5 / 615)


def test_expected_value_with_own_weights_and_quarter(deal_source):
    ev = pipeline.expected_value(
        deal_source, at="2024-07-01", quarter="2024Q3", weights={"discovery": 0.5}
    ).set_index("stage")
    # open on Jul 1 expecting Q3: L only (C moved to Dec 31)
    assert ev.loc["discovery", "amount"] == 120
    assert ev.loc["total", "expected_weighted"] == 60
    assert ev.loc["total", "expected_calibrated"] == pytest.approx(120 * 4 / 6)
    lo, hi = ev.loc["total", ["expected_lower", "expected_upper"]]
    assert lo < 80 < hi


def test_demo_calibrated_rates_rise_through_the_funnel(demo_source):
    got = pipeline.calibrated_win_rates(demo_source, at="2025-07-01").set_index("stage")
    assert list(got.index) == ["discovery", "demo", "proposal", "negotiation"]
    assert got["rate"].is_monotonic_increasing
    ev = pipeline.expected_value(demo_source, at="2025-07-01").set_index("stage")
    total = ev.loc["total"]
    assert total["expected_lower"] < total["expected_calibrated"] < total["expected_upper"]
    assert total["amount"] == pytest.approx(ev.drop("total")["amount"].sum())
