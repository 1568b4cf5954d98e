"""Slip analysis on the hand-built history: pushes, shares and win rates worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revlab import pipeline, rates


def test_pushes_count_later_close_dates_of_open_deals_only(deal_source):
    p = pipeline.close_date_pushes(deal_source).to_pandas().set_index("opportunity_id")
    assert p["pushes"].to_dict() == {"C": 2, "I": 1, "M": 1}  # C on Jun 15 and Jun 25
    # G was pulled in (an earlier date); Q closed on May 3, after its expected Apr 30: neither
    # is a push, and deals never pushed have no row.
    assert (
        p.loc["C", "pushed_days"] == (pd.Timestamp("2024-12-31") - pd.Timestamp("2024-06-30")).days
    )


def test_slip_analysis_by_hand(deal_source):
    # closed deals: A, H, J, Q won; B, M lost. Only M was pushed (once), and lost.
    got = pipeline.slip_analysis(deal_source).iloc[0]
    assert (got["deals"], got["slipped"], got["never"]) == (6, 1, 5)
    assert got["slip_share"] == pytest.approx(1 / 6)
    value = 12 + 20 + 80 + 100 + 15 + 5
    assert got["value"] == value and got["slipped_value"] == 15
    assert got["slip_value_share"] == pytest.approx(15 / value)
    assert got["pushes"] == 1 and got["pushes_per_deal"] == pytest.approx(1 / 6)
    assert got["pushes_per_slipped"] == 1
    assert (
        got["days_pushed_per_slipped"]
        == (pd.Timestamp("2024-08-31") - pd.Timestamp("2024-05-31")).days
    )
    assert got["win_rate_slipped"] == 0 and got["win_rate_never"] == pytest.approx(4 / 5)
    lo, hi = map(float, rates.wilson_interval(4, 5))
    assert (got["lower_never"], got["upper_never"]) == pytest.approx((lo, hi))
    lo, hi = map(float, rates.wilson_interval(0, 1))
    assert (got["lower_slipped"], got["upper_slipped"]) == pytest.approx((lo, hi))


def test_slip_analysis_by_owner_and_window(deal_source):
    by_owner = pipeline.slip_analysis(deal_source, by="owner").set_index("owner")
    # AE-1: A, B, J, M closed; AE-2: Q; AE-3: H
    assert by_owner["deals"].to_dict() == {"AE-1": 4, "AE-2": 1, "AE-3": 1}
    assert by_owner.loc["AE-1", "slipped"] == 1
    assert np.isnan(by_owner.loc["AE-2", "win_rate_slipped"])  # nobody slipped: unknown, not 0
    assert by_owner.loc["AE-2", "slip_share"] == 0
    window = pipeline.slip_analysis(deal_source, closed_from="2024-05-01", closed_to="2024-06-05")
    assert window.iloc[0]["deals"] == 3  # Q (May 3), A (May 20), H (Jun 1)


def test_slip_analysis_of_the_demo_has_every_segment(demo_source):
    got = pipeline.slip_analysis(demo_source, by="segment")
    assert set(got["segment"]) == {"smb", "mid_market", "enterprise"}
    assert (got["slipped"] > 0).all() and (got["slip_share"] < 1).all()
    ok = got.dropna(subset=["win_rate_slipped"])
    assert (
        (ok["lower_slipped"] <= ok["win_rate_slipped"])
        & (ok["win_rate_slipped"] <= ok["upper_slipped"])
    ).all()
    # enterprise deals sit on quarter-end dates, so each push moves them further
    days = got.set_index("segment")["days_pushed_per_slipped"]
    assert days["enterprise"] > days["smb"]
