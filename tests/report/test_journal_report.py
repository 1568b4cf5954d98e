"""The forecast journal across reports: one quarter's forecast is the next report's backtest."""

from __future__ import annotations

import json
import warnings

import pytest

from revlab.cli import main
from revlab.forecast.journal import Journal
from revlab.report.scorecard import read_section

FAST = ["-p", "draws", "200", "-p", "tune", "200", "-p", "backtest_quarters", "1"]


@pytest.mark.slow
@pytest.mark.notebooks
def test_a_later_report_reuses_and_scores_the_earlier_reports_forecast(tmp_path, duckdb_file):
    from revlab import demo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = demo.simulate(n_leads=6_000).tables
    source = duckdb_file(tables, tmp_path / "company.duckdb")
    out = tmp_path / "reports"

    def report(quarter):
        args = ["report", "--quarter", quarter, "--source", str(source), "--out", str(out)]
        assert main([*args, *FAST]) == 0

    report("2026Q2")  # forecasts 2026Q3 as of 2026-07-01 and keeps it
    journal = Journal(out / ".journal")
    kept = journal.entries()
    made_then = kept[(kept["kind"] == "forecast") & (kept["quarter"] == "2026Q3")]
    assert len(made_then) == 1
    first = read_section(out / "2026Q2" / "03_forecast.ipynb", "Forecast")
    assert "Track record of earlier forecasts" in [s["analysis"] for s in first.skipped]

    report("2026Q3")  # its backtest of 2026Q3 is the forecast above, read back
    kept = journal.entries()
    refits = kept[(kept["kind"] == "backtest") & (kept["quarter"] == "2026Q3")]
    assert set(refits["method"]) == {"seasonal_naive", "stage_weighted"}  # no model refit
    later = read_section(out / "2026Q3" / "03_forecast.ipynb", "Forecast")
    assert "Track record of earlier forecasts" not in [s["analysis"] for s in later.skipped]
    page = (out / "2026Q3" / "03_forecast.html").read_text(encoding="utf-8")
    assert "Forecasts of earlier reports against what was booked" in page
    entry = journal.get(made_then["key"].iloc[0])
    assert entry["as_of"] == "2026-07-01" and len(entry["samples"]) == 400
    assert json.dumps(entry["settings"]["sampler_config"]) == json.dumps(
        {"draws": 200, "tune": 200, "chains": 2}
    )
