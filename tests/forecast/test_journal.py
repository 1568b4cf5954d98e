"""The forecast journal: kept forecasts are read back, not refitted, and scored once closed."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from revlab import forecast
from revlab.errors import NotRequested, Shortfall
from revlab.forecast.journal import KEPT_DRAWS, Journal, kept_draws
from revlab.sources import connect
from tests.forecast.conftest import TINY

BASELINES = ("seasonal_naive", "stage_weighted")


def _backtest(src, journal, **kwargs):
    return forecast.backtest(
        src.at("2026-07-01"), quarters=2, methods=BASELINES, random_seed=7, journal=journal,
        **kwargs,
    )  # fmt: skip


def test_a_second_backtest_reads_every_forecast_back_with_the_same_scores(small_source, tmp_path):
    journal = Journal(tmp_path / "journal")
    first = _backtest(small_source, journal)
    assert not first["reused"].any() and len(list(journal.folder.glob("*.json"))) == 4
    second = _backtest(small_source, journal)
    assert second["reused"].all()
    pd.testing.assert_frame_equal(first.drop(columns="reused"), second.drop(columns="reused"))
    without = _backtest(small_source, None)  # no journal: the same numbers, nothing kept
    pd.testing.assert_frame_equal(first.drop(columns="reused"), without.drop(columns="reused"))


def test_changed_settings_or_edited_data_are_refitted(small_company, small_source, tmp_path):
    journal = Journal(tmp_path / "journal")
    _backtest(small_source, journal)
    assert not _backtest(small_source, journal, n_sims=500)["reused"].any()
    history = small_company.tables["stage_history"].copy()
    first = history.index[history["opportunity_id"] == history["opportunity_id"].iloc[0]]
    history.loc[first, "amount"] += 1.0  # one old deal's recorded amounts edited by a dollar
    edited = connect({**small_company.tables, "stage_history": history})
    assert not _backtest(edited, journal)["reused"].any()


def test_an_unreadable_or_other_format_entry_is_refitted(small_source, tmp_path):
    journal = Journal(tmp_path / "journal")
    _backtest(small_source, journal)
    files = sorted(journal.folder.glob("*.json"))
    files[0].write_text("{not json")
    entry = json.loads(files[1].read_text())
    files[1].write_text(json.dumps(entry | {"format": 0}))
    again = _backtest(small_source, journal)
    assert int((~again["reused"]).sum()) == 2


def test_kept_draws_are_order_statistics():
    draws = np.random.default_rng(0).gamma(2.0, 1e6, 6000)
    kept = kept_draws(draws)
    assert len(kept) == KEPT_DRAWS and np.all(np.diff(kept) >= 0)
    assert abs(np.median(kept) - np.median(draws)) / np.median(draws) < 0.01
    assert kept_draws(draws[:100]).tolist() == draws[:100].tolist()


def test_the_track_record_scores_earlier_reports_forecasts_once_closed(small_source, tmp_path):
    """A report keeps its forecast; a report after the quarter closed scores it."""
    journal = Journal(tmp_path / "journal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecast.forecast(
            small_source.at("2026-04-01"), "2026Q2", sampler_config=TINY, n_sims=400,
            random_seed=3, journal=journal,
        )  # fmt: skip
    with pytest.raises(Shortfall, match="no forecast kept by an earlier report"):
        forecast.track_record(journal, small_source.at("2026-05-15"))  # not closed yet
    record = forecast.track_record(journal, small_source.at("2026-07-01"))
    row = record.iloc[0]
    assert (row["quarter"], row["method"]) == ("2026Q2", fc.method)
    assert row["median"] == pytest.approx(np.median(kept_draws(fc.samples)))
    actual = forecast.backtest(small_source.at("2026-07-01"), quarters=1, methods=BASELINES)
    assert row["actual"] == pytest.approx(actual["actual"].iloc[0])
    assert row["crps"] > 0 and row["covered_80"] in (0.0, 1.0)
    assert journal.entries()["kind"].tolist() == ["forecast"]
    with pytest.raises(NotRequested, match="keeps no forecast journal"):
        forecast.track_record(None, small_source)


def test_an_empty_or_missing_journal_has_no_track_record_yet(small_source, tmp_path):
    """A report whose data allow no forecast keeps nothing: the section says so, no error."""
    for journal in (Journal(tmp_path / "never-written"), Journal(tmp_path)):
        with pytest.raises(Shortfall, match="no forecast kept by an earlier report"):
            forecast.track_record(journal, small_source.at("2026-07-01"))
    Journal(tmp_path / "b").put(
        "k", forecast.seasonal_naive(small_source.at("2026-04-01"), "2026Q2"), kind="backtest",
        settings={}, data="x",
    )  # fmt: skip
    with pytest.raises(Shortfall):  # only backtests kept: no report's forecast to score
        forecast.track_record(Journal(tmp_path / "b"), small_source.at("2026-07-01"))
