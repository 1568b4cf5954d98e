"""The report on a fiscal year: flags, refusals, and one render with FY labels throughout."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

from revlab.cli import main

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _args(env, *extra):
    """``revlab report`` on the test notebook and tiny source (as in test_report.py)."""
    return ["report", "--quarter", "2024Q1", "--source", str(env["source"]),
            "--out", str(env["out"]), "--notebooks", str(env["notebooks"]), *extra]  # fmt: skip


def test_fiscal_parameters_are_set_by_flags_not_p(report_env, capsys):
    assert main(_args(report_env, "-p", "fiscal_year_start", "2")) == 2
    assert "use --fiscal-year-start instead of -p fiscal_year_start" in capsys.readouterr().err
    assert main(_args(report_env, "-p", "fiscal_year_named_by", "start")) == 2
    assert "--fiscal-year-named-by instead" in capsys.readouterr().err


def test_bad_fiscal_settings_and_quarters_exit_2(report_env, capsys):
    assert main(_args(report_env, "--fiscal-year-start", "13")) == 2
    assert "is not a month number 1 to 12" in capsys.readouterr().err
    fiscal_q = _args(report_env)
    fiscal_q[fiscal_q.index("--quarter") + 1] = "FY2024Q4"
    assert main(fiscal_q) == 2  # an FY quarter needs the fiscal setting
    assert "set the fiscal year start" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(_args(report_env, "--fiscal-year-named-by", "middle"))
    assert not report_env["out"].exists() or not any(report_env["out"].iterdir())


def test_calendar_targets_under_a_fiscal_run_exit_3_naming_them(report_env, capsys):
    fiscal_q = _args(report_env, "--fiscal-year-start", "2")
    fiscal_q[fiscal_q.index("--quarter") + 1] = "FY2024Q4"
    assert main(fiscal_q) == 3
    err = capsys.readouterr().err
    assert "targets.quarter: 1 row names calendar quarters" in err and "February" in err


@pytest.mark.notebooks
def test_the_funnel_report_on_a_february_year_names_fy_quarters(tmp_path, duckdb_file):
    from revlab import demo
    from revlab.report.scorecard import read_section

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        company = demo.simulate(seed=11, n_leads=3_000, fiscal_year_start=2)
    source = duckdb_file(company.tables, tmp_path / "fy.duckdb")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS / "01_funnel.ipynb", notebooks)
    out = tmp_path / "reports"
    args = ["report", "--source", str(source), "--out", str(out), "--notebooks", str(notebooks)]
    assert main([*args, "--fiscal-year-start", "2"]) == 0
    folder = out / "FY2027Q2"  # the data end 2026-09-30: the last full February quarter
    scorecard = (folder / "index.html").read_text(encoding="utf-8")
    assert "In <b>FY2027Q2</b> we booked" in scorecard and ">FY2027Q1<" in scorecard
    page = (folder / "01_funnel.html").read_text(encoding="utf-8")
    assert "FY2027Q2" in page
    for text in (scorecard, page):
        assert not re.findall(r"(?<![FY\w])20\d\dQ[1-4]", text)  # no calendar quarter left
    metrics = {m["key"]: m for m in read_section(folder / "01_funnel.ipynb", "Funnel").metrics}
    opps = company.tables["opportunities"]
    dates = {"value": ("2026-05-01", "2026-08-01"), "previous": ("2026-02-01", "2026-05-01")}
    for field, (start, end) in dates.items():  # FY2027Q2 and FY2027Q1, written out
        closed = opps["closed_at"]
        won = opps["is_won"] & (closed >= pd.Timestamp(start)) & (closed < pd.Timestamp(end))
        assert metrics["bookings"][field] == pytest.approx(opps.loc[won, "amount"].sum())
    target = company.tables["targets"].set_index("quarter").loc["FY2027Q2", "bookings_target"]
    assert metrics["bookings_target"]["value"] == target
