"""The waterfall on the hand-built history: every movement as worked out by hand, totals exact."""

from __future__ import annotations

import pandas as pd
import pytest

from revlab import pipeline
from revlab.periods import Quarter
from revlab.sources import SourceError, connect


def test_every_deal_gets_the_movement_worked_out_by_hand(deal_source, expected_movements):
    m = pipeline.movements(deal_source, quarter="2024Q2").to_pandas().set_index("opportunity_id")
    assert sorted(m.index) == sorted(expected_movements)  # H (in and out), J, K, L: no movement
    for deal, (movement, value) in expected_movements.items():
        assert m.loc[deal, "movement"] == movement, deal
        assert m.loc[deal, "value"] == value, deal
    assert m.loc["A", "amount_start"] == 10 and m.loc["A", "amount_end"] == 12
    assert m.loc["I", "close_date_end"] == pd.Timestamp("2024-06-30")
    assert pd.isna(m.loc["I", "close_date_start"])


def test_waterfall_totals_add_up_exactly(deal_source):
    wf = pipeline.waterfall(deal_source, quarter="2024Q2").set_index("movement")
    assert list(wf.index) == list(pipeline.MOVEMENTS)
    expected = {
        "opening": (7, 170), "new": (2, 95), "pulled_in": (2, 160), "slipped_out": (1, -30),
        "lost": (2, -35), "won": (2, -15), "amount_change": (1, 5), "closing": (6, 350),
    }  # fmt: skip
    for move, (deals, value) in expected.items():
        assert (wf.loc[move, "deals"], wf.loc[move, "value"]) == (deals, value), move
    moves = wf.drop(["opening", "closing"])
    assert wf.loc["opening", "value"] + moves["value"].sum() == wf.loc["closing", "value"]
    assert wf.loc["closing", "running"] == wf.loc["amount_change", "running"] == 350
    signs = {"new": 1, "pulled_in": 1, "slipped_out": -1, "lost": -1, "won": -1}
    counted = wf.loc["opening", "deals"] + sum(s * wf.loc[k, "deals"] for k, s in signs.items())
    assert counted == wf.loc["closing", "deals"]
    assert wf.attrs["quarter"] == "2024Q2"


def test_precedence_lost_beats_slipped(deal_source):
    """M was pushed out of the quarter and then lost: it counts once, as lost."""
    m = pipeline.movements(deal_source, quarter="2024Q2").to_pandas().set_index("opportunity_id")
    assert m.loc["M", "movement"] == "lost"
    assert (m.index == "M").sum() == 1


def test_a_shorter_window_sees_only_its_own_changes(deal_source):
    # May 10 -> Jun 12: Q closed before; A and H won, B lost in the window; C is pushed only on
    # Jun 15, so it is still in Q2; M was pushed to Aug 31 on Jun 2; P's amount rose on Jun 1.
    m = pipeline.movements(deal_source, quarter="2024Q2", start="2024-05-10", end="2024-06-12")
    got = dict(m.select("opportunity_id", "movement").to_pandas().itertuples(index=False))
    assert got == {
        "A": "won", "B": "lost", "C": "unchanged", "D": "unchanged", "E": "unchanged",
        "F": "unchanged", "G": "unchanged", "H": "won", "I": "unchanged", "M": "slipped_out",
        "P": "amount_change",
    }  # fmt: skip


def test_a_deal_created_and_won_inside_the_window_moves_nothing(deal_source):
    # H is created Apr 20 and won Jun 1: from Apr 18 it is in neither pipeline ...
    m = pipeline.movements(deal_source, quarter="2024Q2", start="2024-04-18", end="2024-06-12")
    got = dict(m.select("opportunity_id", "movement").to_pandas().itertuples(index=False))
    assert "H" not in got and got["P"] == "new"
    # ... from Apr 25 it is in the opening pipeline, and won.
    m = pipeline.movements(deal_source, quarter="2024Q2", start="2024-04-25", end="2024-06-12")
    got = dict(m.select("opportunity_id", "movement").to_pandas().itertuples(index=False))
    assert got["H"] == "won"


def test_by_segment_splits_the_waterfall(deal_source):
    wf = pipeline.waterfall(deal_source, quarter="2024Q2", by="segment")
    assert set(wf["segment"]) == {"enterprise", "smb"}
    for _, g in wf.groupby("segment"):
        g = g.set_index("movement")
        total = g.loc["opening", "value"] + g.drop(["opening", "closing"])["value"].sum()
        assert total == g.loc["closing", "value"]
    whole = pipeline.waterfall(deal_source, quarter="2024Q2").set_index("movement")["value"]
    summed = wf.groupby("movement")["value"].sum()
    pd.testing.assert_series_equal(summed.sort_index(), whole.sort_index())


def test_next_quarter_pipeline_and_quarter_objects(deal_source):
    wf = pipeline.waterfall(
        deal_source, quarter=Quarter.parse("2024Q3"), start="2024-04-01", end="2024-07-01"
    ).set_index("movement")
    # Q3 at Apr 1: G (Aug 31), L (Sep 30); at Jul 1: C (Dec 31 is Q4), L, M lost; G pulled out.
    assert wf.loc["opening", "deals"] == 2 and wf.loc["opening", "value"] == 70 + 120
    assert wf.loc["slipped_out", "deals"] == 1  # G moved to Jun 30, out of Q3 (earlier)
    assert wf.loc["closing", "value"] == 120


def test_end_after_the_as_of_date_is_refused(deal_tables):
    src = connect(deal_tables, as_of="2024-06-01")
    with pytest.raises(ValueError, match=r"after the source's as-of date 2024-06-01"):
        pipeline.waterfall(src, quarter="2024Q2", end="2024-07-01")
    # by default the window ends at the as-of date
    assert pipeline.waterfall(src, quarter="2024Q2").attrs["end"] == pd.Timestamp("2024-06-01")


def test_waterfall_needs_history_with_close_dates(deal_tables):
    no_history = connect({"opportunities": deal_tables["opportunities"]})
    with pytest.raises(SourceError, match=r"the data have no stage_history table"):
        pipeline.waterfall(no_history, quarter="2024Q2")
    bare = {
        **deal_tables,
        "stage_history": deal_tables["stage_history"].drop(columns="close_date"),
    }
    with pytest.raises(SourceError, match=r"the stage_history table has no close_date column"):
        pipeline.waterfall(connect(bare), quarter="2024Q2")


def test_window_must_not_end_before_it_starts(deal_source):
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        pipeline.waterfall(deal_source, quarter="2024Q2", start="2024-06-01", end="2024-05-01")


def test_closed_in_window_adds_the_deals_that_came_and_went(deal_source):
    got = pipeline.closed_in_window(deal_source, quarter="2024Q2")
    got = got.set_index(["outcome", "source"])
    # opening pipeline: A won at 12 (opened at 10) and Q at 5; B and M lost (20 + 15).
    assert got.loc[("won", "opening")].tolist() == [2, 17]
    assert got.loc[("lost", "opening")].tolist() == [2, 35]
    # H was created Apr 20 and won Jun 1: in neither pipeline, but booked in the quarter.
    assert got.loc[("won", "entered")].tolist() == [1, 80]
    assert got.loc[("lost", "entered")].tolist() == [0, 0]
    assert got["deals"].sum() == 5  # J won Mar 15, before the window


def test_waterfall_says_what_its_bars_cannot_show(deal_tables):
    """L (open, 120) loses its expected close date; E (unchanged, 50) its amount."""
    opps, h = deal_tables["opportunities"].copy(), deal_tables["stage_history"].copy()
    opps.loc[opps["opportunity_id"] == "L", "close_date"] = pd.NaT
    h.loc[h["opportunity_id"] == "L", "close_date"] = pd.NaT
    opps.loc[opps["opportunity_id"] == "E", "amount"] = 0.0
    h.loc[h["opportunity_id"] == "E", "amount"] = 0.0
    src = connect({**deal_tables, "opportunities": opps, "stage_history": h})
    wf = pipeline.waterfall(src, quarter="2024Q2")
    assert (wf.attrs["undated_deals"], wf.attrs["undated_value"]) == (1, 120)
    assert wf.attrs["unknown_amounts"] == 1
    full = pipeline.waterfall(connect(deal_tables), quarter="2024Q2").attrs
    assert (full["undated_deals"], full["undated_value"], full["unknown_amounts"]) == (0, 0, 0)
