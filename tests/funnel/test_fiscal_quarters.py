"""Per-quarter tables on a fiscal calendar count the fiscal quarter's months, labelled FY.

A demo company with a February fiscal year: every FY quarter's figures equal the same
figures counted directly on the tables over its three calendar months.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from demo_helpers import seed_of

from revlab import funnel, lifecycle, pipeline
from revlab.forecast import aggregates
from revlab.periods import FiscalCalendar, Quarter
from revlab.sources import connect

FEB = FiscalCalendar(2)
AS_OF = pd.Timestamp("2026-08-01")  # the end of FY2027Q2
LAST = Quarter.parse("FY2027Q2", FEB)


@pytest.fixture(scope="module")
def company():
    from revlab import demo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return demo.simulate(seed=seed_of("fiscal quarters"), n_leads=3_000, fiscal_year_start=2)


@pytest.fixture(scope="module")
def fiscal(company):
    return connect(company.tables).at(AS_OF).on_calendar(FEB)


def _closed_in(opps: pd.DataFrame, q: Quarter) -> pd.Series:
    closed = opps["closed_at"].fillna(opps["close_date"])
    return opps["is_closed"] & (closed >= q.start) & (closed < q.end)


def test_closing_by_quarter_counts_each_fiscal_quarters_months(company, fiscal):
    got = funnel.closing_by_quarter(fiscal, first=LAST.shift(-3), last=LAST).set_index("quarter")
    assert list(got.index) == ["FY2026Q3", "FY2026Q4", "FY2027Q1", "FY2027Q2"]
    opps = company.tables["opportunities"]
    for q in (LAST.shift(-k) for k in range(4)):
        inside = _closed_in(opps, q)
        won = inside & opps["is_won"]
        assert got.loc[str(q), "closed"] == inside.sum() > 0
        assert got.loc[str(q), "won"] == won.sum()
        booked = opps.loc[won & (opps["amount"] > 0), "amount"].sum()
        assert got.loc[str(q), "bookings"] == pytest.approx(booked, rel=1e-9)
        assert booked == pytest.approx(company.truth.bookings(str(q)), rel=1e-9)


def test_new_names_and_cohorts_by_fiscal_quarter(company, fiscal):
    leads = company.tables["leads"]
    names = funnel.new_names(fiscal, period="quarter", by=None).set_index("period")
    cohorts = funnel.conversion_by_cohort(fiscal, by=None, cohort="quarter", within_days=[90])
    cohorts = cohorts.set_index("cohort")
    for q in (LAST, LAST.previous, LAST.year_ago):
        n = int(q.contains(leads["created_at"]).sum())
        assert names.loc[str(q), "n"] == n > 0
        assert names.loc[str(q), "period_start"] == q.start
        assert cohorts.loc[str(q), "n"] == n
    assert names.index.str.startswith("FY").all() and names["complete"].iloc[-1]


def test_inventory_flow_by_fiscal_quarter_sums_its_months(fiscal):
    quarterly = funnel.inventory_flow(fiscal, period="quarter").set_index(["stage", "period"])
    monthly = funnel.inventory_flow(fiscal, period="month")
    months = monthly[LAST.contains(monthly["period_start"])]
    entered = months.groupby("stage")["entered"].sum()
    for stage, n in entered.items():
        assert quarterly.loc[(stage, str(LAST)), "entered"] == n
    assert quarterly.loc[(entered.index[0], str(LAST)), "period_start"] == LAST.start


def test_forecast_bookings_by_fiscal_quarter(company, fiscal):
    got = aggregates.bookings(fiscal, freq="quarter").set_index("period")["bookings"]
    assert {t.month for t in got.index} == {2, 5, 8, 11}
    assert got[LAST.start] == pytest.approx(company.truth.bookings(str(LAST)), rel=1e-9)
    calendar = aggregates.bookings(fiscal, freq="quarter", cal=FiscalCalendar())
    assert {t.month for t in calendar["period"]} == {1, 4, 7, 10}
    assert calendar["bookings"].sum() == pytest.approx(got.sum(), rel=1e-9)


def test_pipeline_and_retention_read_fiscal_labels(fiscal):
    wf = pipeline.waterfall(fiscal, quarter="FY2027Q2")
    assert wf.attrs["end"] <= LAST.end
    retention = lifecycle.revenue_retention(fiscal, n_boot=20)
    assert retention["quarter"].str.startswith("FY").all()
    assert retention["quarter"].iloc[-1] == str(LAST)


def test_a_fiscal_quarter_given_to_a_calendar_source_keeps_its_calendar(company):
    plain = connect(company.tables).at(AS_OF)
    got = funnel.closing(plain, quarter=LAST)
    assert got["quarter"].tolist() == ["FY2027Q2"] and got["closed"].iloc[0] > 0
