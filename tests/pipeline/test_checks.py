"""Bad deal histories are reported clearly: table, column, how many, which deals, and the fix."""

from __future__ import annotations

import pandas as pd
import pytest

from revlab import pipeline
from revlab.schema import SchemaError
from revlab.sources import connect

T = pd.Timestamp


def _add_rows(tables, *rows):
    h = tables["stage_history"]
    extra = pd.DataFrame(rows, columns=h.columns).astype(h.dtypes.to_dict())
    return {**tables, "stage_history": pd.concat([h, extra], ignore_index=True)}


def test_sound_histories_pass(deal_source, demo_source):
    assert pipeline.check_history(deal_source) == []
    assert pipeline.check_history(demo_source) == []
    pipeline.validate_history(deal_source)  # does not raise


def test_rows_before_creation(deal_tables):
    bad = _add_rows(deal_tables, ("F", "discovery", T("2024-04-01"), 60.0, T("2024-06-30")))
    with pytest.raises(
        SchemaError,
        match=r"stage_history\.entered_at: 1 row is before its deal's created_at "
        r"\(opportunity_id F\); .*time-zone",
    ):
        pipeline.validate_history(connect(bad))


def test_changes_at_the_same_time_with_different_values(deal_tables):
    bad = _add_rows(
        deal_tables,
        ("D", "proposal", T("2024-05-01"), 45.0, T("2024-06-30")),  # clashes with demo row
        ("E", "proposal", T("2024-04-10"), 50.0, T("2024-06-15")),  # an exact copy: harmless
    )
    (problem,) = pipeline.check_history(connect(bad))
    assert problem.startswith(
        "stage_history.entered_at: 2 rows share their deal and change time with a different "
        "change (opportunity_id D); the order of those changes is unknown"
    )


def test_changes_after_the_close(deal_tables):
    bad = _add_rows(
        deal_tables,
        ("A", "closed_won", T("2024-05-25"), 13.0, T("2024-05-20")),
        ("B", "discovery", T("2024-06-11"), 20.0, T("2024-06-30")),
    )
    problems = pipeline.check_history(connect(bad))
    assert any(
        p.startswith(
            "stage_history.entered_at: 2 rows come after their deal's closing change "
            "(closed_won or closed_lost) (opportunity_id A, B); closing must be"
        )
        for p in problems
    )
    # those late rows also leave the history contradicting the deals' final state
    assert any(
        p.startswith("stage_history.stage: 1 deal ends its history in an open") for p in problems
    )
    assert any(
        p.startswith("stage_history.amount: 1 deal ends its history at an amount")
        for p in problems
    )


def test_history_contradicting_the_final_state(deal_tables):
    o = deal_tables["opportunities"].set_index("opportunity_id")
    o.loc["A", "is_won"] = False  # history ends closed_won
    o.loc["B", "is_won"] = True  # history ends closed_lost
    o.loc["D", "is_closed"] = True  # history ends in demo
    o.loc["F", "amount"] = 61.0  # history ends at 60
    bad = {**deal_tables, "opportunities": o.reset_index()}
    with pytest.raises(SchemaError) as info:
        pipeline.validate_history(connect(bad))
    message = str(info.value)
    assert message.startswith("4 problems in the data:")
    assert (
        "stage_history.stage: 1 deal ends its history in closed_won but opportunities.is_won "
        "is false (opportunity_id A); the history and the deal disagree" in message
    )
    assert (
        "stage_history.stage: 1 deal ends its history in closed_lost but opportunities "
        "says won or open (opportunity_id B)" in message
    )
    assert (
        "in an open stage but opportunities.is_closed is true (opportunity_id D); add the "
        "closing change" in message
    )
    assert (
        "stage_history.amount: 1 deal ends its history at an amount other than "
        "opportunities.amount (opportunity_id F)" in message
    )


def test_crm_spellings_of_closed_stages_are_understood(deal_tables):
    h = deal_tables["stage_history"].copy()
    h["stage"] = h["stage"].replace({"closed_won": "Closed Won", "closed_lost": "Closed Lost"})
    assert pipeline.check_history(connect({**deal_tables, "stage_history": h})) == []


def test_many_offenders_are_summarised(deal_tables):
    rows = [(d, "discovery", T("2023-01-01"), 1.0, T("2023-03-31")) for d in "ABCDE"]
    (problem,) = pipeline.check_history(connect(_add_rows(deal_tables, *rows)))
    assert "5 rows are before their deal's created_at (opportunity_id A, B, C, …)" in problem


def test_history_analyses_name_the_tables_and_columns_they_lack(deal_tables, deal_source):
    from revlab.errors import Shortfall

    assert pipeline.check_history(deal_source) == []
    only_deals = connect({"opportunities": deal_tables["opportunities"]})
    with pytest.raises(Shortfall, match=r"Deal history check: the data have no stage_history"):
        pipeline.check_history(only_deals)
    h = deal_tables["stage_history"].drop(columns="close_date")
    no_dates = connect({**deal_tables, "stage_history": h})
    with pytest.raises(Shortfall, match=r"the stage_history table has no close_date column"):
        pipeline.slip_analysis(no_dates)
    assert pipeline.check_history(no_dates) == []  # the check needs no close dates


def test_slips_without_close_date_history_are_unknown_not_none(deal_tables):
    from revlab.errors import Shortfall

    h = deal_tables["stage_history"].copy()
    h["close_date"] = h.groupby("opportunity_id")["close_date"].transform("last")
    flat = connect({**deal_tables, "stage_history": h})
    with pytest.raises(Shortfall, match=r"slips are unknown rather than none"):
        pipeline.slip_analysis(flat)
