"""A demo company with a fiscal year: targets for FY quarters, every other table unchanged."""

from __future__ import annotations

import pandas as pd
import pytest
from demo_helpers import seed_of

from revlab import demo
from revlab.periods import FiscalCalendar, Quarter


@pytest.fixture(scope="module")
def fiscal(small):
    return demo.simulate(seed=seed_of("demo small"), n_leads=4_000, fiscal_year_start=2)


def test_only_the_targets_change(small, fiscal):
    for name, table in small.tables.items():
        if name != "targets":
            pd.testing.assert_frame_equal(fiscal.tables[name], table, obj=name)
    assert "fiscal_year_start" not in small.truth.params["run"]


def test_targets_are_for_consecutive_fiscal_quarters_in_the_window(fiscal):
    targets = fiscal.tables["targets"]
    quarters = [Quarter.parse(q, FiscalCalendar(2)) for q in targets["quarter"]]
    assert all(b == a.shift(1) for a, b in zip(quarters, quarters[1:], strict=False))
    assert quarters[0].start >= pd.Timestamp(fiscal.truth.params["run"]["start"])
    assert str(quarters[0]) == "FY2024Q4" and (targets["bookings_target"] > 0).all()


def test_truth_books_fiscal_quarters_as_the_tables_do(fiscal):
    q = Quarter.parse("FY2026Q2", FiscalCalendar(2))
    opps = fiscal.tables["opportunities"]
    won = opps["is_won"] & q.contains(opps["closed_at"])
    assert fiscal.truth.bookings(str(q)) == pytest.approx(opps.loc[won, "amount"].sum())


def test_the_command_takes_the_fiscal_year_start(tmp_path, capsys):
    from revlab.cli import main
    from revlab.sources import connect

    out = tmp_path / "fy.duckdb"
    args = ["demo", "--leads", "300", "--seed", "3", "--out", str(out)]
    assert main([*args, "--fiscal-year-start", "2"]) == 0
    labels = connect(str(out)).to_pandas("targets")["quarter"]
    assert labels.str.match(r"^FY\d{4}Q[1-4]$").all()
