"""The reps' forecast call on the demo company with ``--forecast-calls``, checked by hand and
against the truth's per-rep optimism; no model is fitted (the model's side is a fake frame)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revlab.errors import Shortfall
from revlab.forecast import calls
from revlab.periods import Quarter
from revlab.sections import Sections


@pytest.fixture(scope="module")
def called():
    """The default demo company with the reps' calls."""
    from revlab import demo

    return demo.simulate(forecast_calls=True)


@pytest.fixture(scope="module")
def src(called):
    from revlab.sources import connect

    return connect(called.tables).at(called.as_of)


def test_the_option_adds_the_calls_and_changes_nothing_else(called, demo_company):
    for name, frame in demo_company.tables.items():
        extra = [c for c in called.tables[name].columns if c not in frame.columns]
        assert extra == (
            ["forecast_category"] if name in ("opportunities", "stage_history") else []
        )
        pd.testing.assert_frame_equal(called.tables[name][list(frame.columns)], frame)
    assert "forecast_calls" not in demo_company.truth.params
    optimism = called.truth.params["forecast_calls"]["rep_optimism_logit"]
    assert set(optimism) == set(called.tables["opportunities"]["owner"])


def test_closed_deals_are_called_closed_or_omitted(called):
    opps = called.tables["opportunities"]
    assert (opps.loc[opps["is_won"], "forecast_category"] == "Closed").all()
    lost = opps["is_closed"] & ~opps["is_won"]
    assert (opps.loc[lost, "forecast_category"] == "Omitted").all()
    assert (
        opps.loc[~opps["is_closed"], "forecast_category"]
        .isin(["Commit", "Best Case", "Pipeline", "Omitted"])
        .all()
    )


def _by_hand(tables, quarter: str, at: str) -> dict[str, tuple[float, int]]:
    """The roll-up counted from the tables: each deal's last change at or before ``at``."""
    q, at = Quarter.parse(quarter), pd.Timestamp(at)
    opps, hist = tables["opportunities"], tables["stage_history"]
    won = opps["is_won"] & opps["closed_at"].between(q.start, at) & (opps["closed_at"] < q.end)
    last = hist[hist["entered_at"] <= at].sort_values("entered_at").groupby("opportunity_id")
    state = last.last()
    open_ids = opps.loc[(opps["created_at"] <= at) & ~(opps["closed_at"] <= at), "opportunity_id"]
    state = state.loc[state.index.isin(open_ids)]
    state = state[(state["close_date"] >= q.start) & (state["close_date"] < q.end)]
    out = {"Closed": (float(opps.loc[won, "amount"].sum()), int(won.sum()))}
    for cat in ("Commit", "Best Case", "Pipeline", "Omitted"):
        mine = state[state["forecast_category"] == cat]
        out[cat] = (float(mine["amount"].sum()), len(mine))
    return out


@pytest.mark.parametrize("at", ["2026-07-01", "2026-08-15"])
def test_roll_up_equals_a_hand_count(called, src, at):
    roll = calls.roll_up(src, "2026Q3", at).set_index("category")
    hand = _by_hand(called.tables, "2026Q3", at)
    total, deals = 0.0, 0
    for cat in calls.ROLL_UP:
        total, deals = total + hand[cat][0], deals + hand[cat][1]
        assert roll.loc[cat, "added"] == pytest.approx(hand[cat][0])
        assert roll.loc[cat, "amount"] == pytest.approx(total)
        assert roll.loc[cat, "deals"] == deals
    assert roll.loc["Omitted", "amount"] == pytest.approx(hand["Omitted"][0])
    assert roll.loc["Commit", "added"] > 0  # something was committed: the check is not empty


def test_call_backtest_takes_the_model_from_the_backtest_frame(src):
    quarters = ["2026Q1", "2026Q2"]
    fake = pd.DataFrame(
        {
            "quarter": np.repeat(quarters, 2),
            "method": ["funnel", "seasonal_naive"] * 2,
            "actual": 0.0,
            "median": [4.0e6, 1.0, 4.4e6, 1.0],
            "q10": [3.0e6, 0.0, 3.5e6, 0.0],
            "q90": [5.0e6, 2.0, 5.5e6, 2.0],
            "ok": [True, True, False, True],  # the second fit failed its diagnostics
        }
    )
    result = calls.call_backtest(src, model_backtest=fake)
    table = result.table.set_index("quarter")
    assert list(table.index) == quarters
    assert table.loc["2026Q1", "model_median"] == 4.0e6
    assert np.isnan(table.loc["2026Q2", "model_median"])  # untrusted: not compared
    assert (table["commit_mid"] >= table["commit_start"] * 0.5).all()
    assert (table["best_case_start"] >= table["commit_start"]).all()
    s = result.summary
    assert s["commit_met"] == int((table["actual"] >= table["commit_start"]).sum())
    assert s["compared"] == 1
    assert s["model_closer"] + s["commit_closer"] == 1
    closer = (
        "model"
        if abs(4.0e6 - table.loc["2026Q1", "actual"]) < table.loc["2026Q1", "commit_error"]
        else "commit"
    )
    assert table.loc["2026Q1", "closer"] == closer


def test_commit_calls_lean_with_each_reps_optimism(called, src):
    """Reps who see deals rosier commit more than their pipeline then wins."""
    reps = calls.rep_calls(src, 8)
    optimism = called.truth.params["forecast_calls"]["rep_optimism_logit"]
    reps["optimism"] = reps["owner"].map(optimism)
    assert reps["optimism"].corr(reps["commit_over"], method="spearman") > 0.6
    hopeful = reps["optimism"] > reps["optimism"].median()
    assert reps.loc[hopeful, "commit_over"].mean() > reps.loc[~hopeful, "commit_over"].mean()
    assert (
        reps.loc[hopeful, "commit_exceeded"].mean() > reps.loc[~hopeful, "commit_exceeded"].mean()
    )
    # on average the reps lean hopeful (truth); then their commits exceed what closes more
    # often than not among the hopeful half
    assert np.mean(list(optimism.values())) > 0
    assert reps.loc[hopeful, "commit_exceeded"].mean() > 0.5


def test_data_without_calls_skip_with_a_reason(demo_source):
    with pytest.raises(Shortfall, match="opportunities table has no forecast_category"):
        calls.roll_up(demo_source, "2026Q3", "2026-08-01")
    shown = []
    sections = Sections(show=shown.append)
    sections.attempt("The forecast call", calls.call_backtest, demo_source, 2)
    assert shown and "forecast_category" in shown[0].reason
    assert "forecast_category" in shown[0].enable


def test_the_call_as_of_a_date_never_tells_the_end_without_history(called):
    from revlab.sources import connect

    tables = {"opportunities": called.tables["opportunities"]}  # no history
    at = "2026-04-01"
    cut = connect(tables).at(at).to_pandas("opportunities").set_index("opportunity_id")
    opps = called.tables["opportunities"].set_index("opportunity_id")
    later = opps.index[(opps["closed_at"] > pd.Timestamp(at)) & (opps["created_at"] <= at)]
    assert len(later) and cut.loc[later, "forecast_category"].isna().all()


def test_beside_model_gives_each_level_the_models_chance(src):
    class Draws:  # a forecast stand-in: draws of the quarter's bookings
        samples = np.linspace(0.0, 1.0e7, 1001)

        def prob_at_least(self, amount):
            return float(np.mean(self.samples >= amount))

    roll = calls.beside_model(calls.roll_up(src, "2026Q3", "2026-08-15"), Draws())
    chance = roll.set_index("category")["model_chance"]
    assert chance.loc["Commit"] >= chance.loc["Best Case"] >= chance.loc["Pipeline"]
    assert np.isnan(chance.loc["Omitted"])
    commit = roll.set_index("category").loc["Commit", "amount"]
    assert chance.loc["Commit"] == pytest.approx(np.mean(Draws.samples >= commit))


def test_past_calls_need_the_calls_in_the_history(called):
    from revlab.sources import connect

    tables = dict(called.tables)
    tables["stage_history"] = tables["stage_history"].drop(columns="forecast_category")
    src = connect(tables).at(called.as_of)
    assert len(calls.roll_up(src, "2026Q4"))  # today's calls are enough for today's roll-up
    with pytest.raises(Shortfall, match="stage_history table has no forecast_category"):
        calls.call_backtest(src, 2)


def test_calls_follow_a_fiscal_calendar(called, src):
    """FY labels (as the backtest frame carries them on a fiscal run) read on the source's year."""
    from revlab.periods import FiscalCalendar, Quarter

    fiscal = src.on_calendar(FiscalCalendar(2))
    q = Quarter.parse("FY2027Q2", fiscal.calendar)  # 2026-05-01 to 2026-08-01
    roll = calls.roll_up(fiscal, "FY2027Q2", "2026-05-01").set_index("category")
    hand = _by_hand(called.tables, q, "2026-05-01")
    assert roll.loc["Commit", "added"] == pytest.approx(hand["Commit"][0])
    fake = pd.DataFrame({"quarter": ["FY2027Q1", "FY2027Q2"], "method": "funnel", "actual": 0.0,
                         "median": 1.0, "q10": 0.0, "q90": 2.0, "ok": True})  # fmt: skip
    table = calls.call_backtest(fiscal, model_backtest=fake).table
    assert list(table["quarter"]) == ["FY2027Q1", "FY2027Q2"]
    won = called.tables["opportunities"].query("is_won")
    in_q = won[(won["closed_at"] >= q.start) & (won["closed_at"] < q.end)]
    assert table.set_index("quarter").loc["FY2027Q2", "actual"] == pytest.approx(
        in_q["amount"].sum()
    )
