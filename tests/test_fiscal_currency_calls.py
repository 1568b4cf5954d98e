"""A February fiscal year, three currencies and the reps' calls in one demo company.

Each option is tested on its own beside its code; here they meet, as in a real CRM export: the
fiscal quarters' bookings in the reporting currency equal the one-currency calendar company's
won amounts over the same three months, and the reps' roll-up reads FY labels in converted money.
"""

from __future__ import annotations

import pandas as pd
import pytest

from revlab.demo import simulate
from revlab.demo._currencies import in_currencies
from revlab.periods import FiscalCalendar, Quarter
from revlab.schema import validate
from revlab.sources import connect

from .conftest import named_seed

SEED = named_seed("fiscal currencies calls")
FEBRUARY = FiscalCalendar(2)


@pytest.fixture(scope="module")
def companies():
    """The calendar company in one currency, and the same company with all three options."""
    plain = simulate(seed=SEED, n_leads=4000)
    called = simulate(seed=SEED, n_leads=4000, fiscal_year_start=2, forecast_calls=True)
    return plain, in_currencies(called.tables, ["USD", "EUR", "GBP"], seed=SEED), called.as_of


def test_the_three_options_meet_the_contract(companies):
    _, tables, as_of = companies
    checked = validate(tables, as_of=as_of)
    assert {"fx_rates", "targets"} <= set(checked.tables)
    assert tables["targets"]["quarter"].str.startswith("FY").all()
    assert tables["opportunities"]["forecast_category"].notna().any()


def test_fiscal_bookings_in_the_reporting_currency_are_the_won_amounts_of_their_months(
    companies,
):
    from revlab.funnel.closing import closing_by_quarter

    plain, tables, as_of = companies
    src = connect(tables).on_calendar(FEBRUARY).at(as_of)
    got = closing_by_quarter(src, first="FY2026Q1", last="FY2027Q2").set_index("quarter")
    won = plain.tables["opportunities"].query("is_won")
    for label in got.index:
        q = Quarter.parse(label, FEBRUARY)
        in_q = won[(won["closed_at"] >= q.start) & (won["closed_at"] < q.end)]
        assert got.loc[label, "bookings"] == pytest.approx(in_q["amount"].sum(), abs=0.05)
    assert got["bookings"].sum() > 0


def test_the_reps_roll_up_reads_fy_labels_in_converted_money(companies):
    from revlab.forecast import calls

    plain, tables, as_of = companies
    src = connect(tables).on_calendar(FEBRUARY).at(as_of)
    q = Quarter.parse("FY2027Q2", FEBRUARY)
    roll = calls.roll_up(src, "FY2027Q2", q.start + pd.Timedelta(days=45)).set_index("category")
    converted = connect(tables).to_pandas("opportunities")
    closed = converted[converted["is_won"] & (converted["closed_at"] >= q.start)
                       & (converted["closed_at"] < q.start + pd.Timedelta(days=45))]  # fmt: skip
    assert roll.loc["Closed", "amount"] == pytest.approx(closed["amount"].sum(), abs=0.05)
    start = calls.roll_up(src, "FY2027Q2", q.start).set_index("category")
    assert start.loc["Commit", "added"] > 0  # called at the quarter's first day
    assert start.loc["Best Case", "amount"] >= start.loc["Commit", "amount"]
    ids = set(closed["opportunity_id"])
    one = plain.tables["opportunities"]
    assert roll.loc["Closed", "amount"] == pytest.approx(
        one.loc[one["opportunity_id"].isin(ids), "amount"].sum(), abs=0.05
    )  # the same deals as the one-currency company's, in the same dollars
