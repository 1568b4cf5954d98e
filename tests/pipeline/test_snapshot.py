"""The pipeline at a past date: by hand on the tiny history, and against the demo's truth."""

from __future__ import annotations

import pandas as pd
import pytest

from revlab import pipeline


def test_pipeline_at_a_date_by_hand(deal_source):
    got = pipeline.pipeline_at(deal_source, "2024-05-10").set_index("opportunity_id")
    # open on May 10: created by then and not closed (Q won May 3, J won Mar 15; K not yet)
    assert list(got.index) == ["A", "B", "C", "D", "E", "F", "G", "H", "I", "L", "M", "P"]
    assert got.loc["D", "stage"] == "demo" and got.loc["D", "amount"] == 45
    assert got.loc["G", "close_date"] == pd.Timestamp("2024-06-30")  # pulled in on May 5
    assert got.loc["A", "amount"] == 10  # won at 12 later
    assert got.loc["P", "amount"] == 25  # raised to 35 on Jun 1
    assert list(got.columns) == ["created_at", "stage", "amount", "close_date", "segment", "owner"]


def test_pipeline_at_for_a_quarter(deal_source):
    q3 = pipeline.pipeline_at(deal_source, "2024-05-10", quarter="2024Q3")
    assert list(q3["opportunity_id"]) == ["L"]
    assert pipeline.open_pipeline(deal_source, at="2024-07-01").count().execute() == 6 + 2


def test_pipeline_at_refuses_a_date_after_the_cut(deal_source):
    with pytest.raises(ValueError, match=r"after the source's as-of date"):
        pipeline.pipeline_at(deal_source, "2024-08-01")


def test_reconstructed_pipeline_equals_the_demo_snapshots(demo_company, demo_source):
    snaps = demo_company.truth.pipeline_snapshots
    mondays = sorted(snaps["snapshot_date"].unique())
    picked = [*mondays[1:30:7], *mondays[30::13], mondays[-1]]  # ramp-up, then every quarter
    for monday in picked:
        got = pipeline.pipeline_at(
            demo_source, monday, columns=("opportunity_id", "stage", "amount", "close_date")
        )
        want = snaps[snaps["snapshot_date"] == monday].drop(columns="snapshot_date")
        want = want.sort_values("opportunity_id").reset_index(drop=True)
        assert len(want) > 0
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=f"pipeline at {monday}")


def test_waterfall_between_mondays_matches_the_demo_snapshots(demo_company, demo_source):
    snaps = demo_company.truth.pipeline_snapshots
    start, end = pd.Timestamp("2025-07-07"), pd.Timestamp("2025-09-22")
    quarter = "2025Q3"
    wf = pipeline.waterfall(demo_source, quarter=quarter, start=start, end=end)
    wf = wf.set_index("movement")

    def in_q(day):
        s = snaps[snaps["snapshot_date"] == day]
        return s[(s["close_date"] >= "2025-07-01") & (s["close_date"] < "2025-10-01")]

    opening, closing = in_q(start), in_q(end)
    assert wf.loc["opening", "deals"] == len(opening) > 0
    assert wf.loc["opening", "value"] == pytest.approx(opening["amount"].sum(), rel=1e-12)
    assert wf.loc["closing", "deals"] == len(closing) > 0
    assert wf.loc["closing", "value"] == pytest.approx(closing["amount"].sum(), rel=1e-12)
    moves = wf.drop(["opening", "closing"])["value"].sum()
    assert wf.loc["opening", "value"] + moves == pytest.approx(
        wf.loc["closing", "value"], rel=1e-12
    )
    m = pipeline.movements(demo_source, quarter=quarter, start=start, end=end).to_pandas()
    assert m["opportunity_id"].is_unique
    assert set(m["opportunity_id"]) == set(opening["opportunity_id"]) | set(
        closing["opportunity_id"]
    )


def test_won_in_the_window_are_the_demo_quarters_bookings(demo_company, demo_source):
    for quarter in ("2025Q2", "2026Q3"):
        got = pipeline.closed_in_window(demo_source, quarter=quarter).set_index("outcome")
        booked = got.loc["won", "amount"].sum()
        assert booked == pytest.approx(demo_company.truth.bookings(quarter), rel=1e-12)
        # both the opening pipeline and deals that entered it later were won
        assert (got.loc["won", "deals"] > 0).all()
