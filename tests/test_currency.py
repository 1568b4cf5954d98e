"""Currencies: money converted once where tables are read, shown in the reporting currency.

The three-currency demo company is the one-currency company with its amounts written in each
account's (and channel's) currency; converting back must give the one-currency figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revlab import _currency, present
from revlab.demo import simulate
from revlab.demo._currencies import in_currencies
from revlab.schema import SchemaError, validate
from revlab.sources import SourceError, connect

from .conftest import named_seed

SEED = named_seed("three currencies")
CODES = ["USD", "EUR", "GBP"]


@pytest.fixture(scope="module")
def companies():
    """A small demo company, and the same company with its money in three currencies."""
    company = simulate(seed=SEED, n_leads=4000)
    return company.tables, in_currencies(company.tables, CODES, seed=SEED)


@pytest.fixture(scope="module")
def sources(companies):
    one, three = companies
    return connect(one), connect(three)


def test_the_demo_bills_in_every_currency_and_leaves_its_input_alone(companies):
    one, three = companies
    assert set(three["opportunities"]["currency"]) == set(CODES)
    assert "currency" not in one["opportunities"].columns
    assert set(three["fx_rates"]["currency"]) == {"EUR", "GBP"}
    subs = three["subscriptions"].merge(three["opportunities"], on="account_id")
    assert (subs["currency_x"] == subs["currency_y"]).all()  # an account bills in one
    in_eur = three["opportunities"]["currency"].eq("EUR")
    assert not np.allclose(three["opportunities"].loc[in_eur, "amount"],
                           one["opportunities"].loc[in_eur, "amount"])  # fmt: skip


@pytest.mark.parametrize(
    ("table", "key", "money"),
    [
        ("opportunities", ["opportunity_id"], "amount"),
        ("stage_history", ["opportunity_id", "entered_at", "stage"], "amount"),
        ("subscriptions", ["subscription_id"], "amount"),
        ("marketing_spend", ["channel", "period_start"], "spend"),
    ],
)
def test_every_row_converts_back_within_a_cent(sources, table, key, money):
    one, three = sources
    a = one.to_pandas(table).sort_values(key, ignore_index=True)
    b = three.to_pandas(table).sort_values(key, ignore_index=True)
    assert len(a) == len(b)
    assert (a[money] - b[money]).abs().max() < 0.01


def test_won_bookings_per_quarter_agree_in_every_cut(sources):
    from revlab.forecast.aggregates import bookings

    one, three = sources
    for as_of in ("2026-10-01", "2025-07-01"):
        a = bookings(one.at(as_of), freq="quarter")
        b = bookings(three.at(as_of), freq="quarter")
        assert a["bookings"].sum() > 0
        pd.testing.assert_frame_equal(a, b, atol=0.01 * len(a), check_exact=False)


def test_closing_spend_and_retention_totals_agree(sources):
    from revlab.funnel.closing import closing_by_quarter
    from revlab.funnel.volume import cost_per_name
    from revlab.lifecycle import revenue_retention

    one, three = sources
    cut = "2025-10-01"
    a = closing_by_quarter(one.at(cut), first="2024Q3", last="2025Q3").sort_values("quarter")
    b = closing_by_quarter(three.at(cut), first="2024Q3", last="2025Q3").sort_values("quarter")
    assert np.allclose(a["bookings"], b["bookings"], atol=1.0)
    assert np.allclose(a["avg_deal_size"], b["avg_deal_size"], atol=0.01)
    spend_a = cost_per_name(one.at(cut), quarter="2025Q2").set_index("channel")["spend"]
    spend_b = cost_per_name(three.at(cut), quarter="2025Q2").set_index("channel")["spend"]
    assert spend_a.sum() > 0
    assert np.allclose(spend_a, spend_b.loc[spend_a.index], atol=1.0)
    nrr_a = revenue_retention(one.at(cut), first="2025Q3", n_boot=20)["nrr"]
    nrr_b = revenue_retention(three.at(cut), first="2025Q3", n_boot=20)["nrr"]
    assert np.allclose(nrr_a, nrr_b, atol=1e-6)


def test_an_open_deal_converts_at_its_creation(sources, companies):
    """A deal decided later is open in an earlier cut: there it converts at its creation rate."""
    one, three = sources
    cut = "2025-07-01"
    a = one.at(cut).to_pandas("opportunities").set_index("opportunity_id")
    b = three.at(cut).to_pandas("opportunities").set_index("opportunity_id").sort_index()
    a = a.loc[b.index]  # rows come back in no set order
    raw = companies[1]["opportunities"].set_index("opportunity_id").loc[b.index]
    rates = companies[1]["fx_rates"].query("currency == 'EUR'").sort_values("valid_from")

    def rate(when: pd.Series) -> np.ndarray:
        at = np.searchsorted(rates["valid_from"].to_numpy(), when.to_numpy(), "right")
        return rates["rate"].to_numpy()[at - 1]

    later = ~b["is_closed"] & raw["is_closed"] & raw["currency"].eq("EUR") & a["amount"].gt(0)
    assert later.sum() >= 2
    final = rate(raw.loc[later, "closed_at"])
    made = rate(raw.loc[later, "created_at"])
    expected = a.loc[later, "amount"].to_numpy() * made / final
    assert np.allclose(b.loc[later, "amount"].to_numpy(), expected, atol=0.01)
    assert not np.allclose(b.loc[later, "amount"].to_numpy(), a.loc[later, "amount"], atol=0.01)


def test_reporting_in_another_currency_goes_through_the_rates(sources, companies):
    one, _ = sources
    three = connect(companies[1], reporting_currency="EUR")
    assert three.reporting_currency == "EUR"
    usd = one.to_pandas("subscriptions").set_index("subscription_id")["amount"]
    eur = three.to_pandas("subscriptions").set_index("subscription_id")
    rates = companies[1]["fx_rates"].query("currency == 'EUR'").sort_values("valid_from")
    at = np.searchsorted(rates["valid_from"].to_numpy(), eur["start_date"].to_numpy(), "right")
    expected = usd.loc[eur.index] / rates["rate"].to_numpy()[at - 1]
    assert np.allclose(eur["amount"], expected, atol=0.01)


def test_the_default_currency_is_the_data_s():
    deals = pd.DataFrame({"opportunity_id": ["O1"], "created_at": pd.to_datetime(["2024-01-02"]),
                          "amount": [10.0], "is_closed": [False], "is_won": [False]})  # fmt: skip
    assert connect({"opportunities": deals}).reporting_currency == "USD"
    gbp = connect({"opportunities": deals.assign(currency="GBP")})
    assert gbp.reporting_currency == "GBP"
    assert gbp.to_pandas("opportunities")["amount"].iloc[0] == 10.0
    two = connect({"opportunities": pd.concat([deals.assign(currency="USD"),
                  deals.assign(opportunity_id="O2", currency="EUR")])})  # fmt: skip
    with pytest.raises(SourceError, match=r"EUR, USD, which have no fx_rates rates"):
        two.reporting_currency  # noqa: B018


def test_a_missing_rate_names_table_currency_rows_dates_and_the_fix(companies):
    _, three = companies
    fx = three["fx_rates"]
    late = fx[(fx["currency"] != "EUR") | (fx["valid_from"] >= "2025-01-01")]
    with pytest.raises(SchemaError) as err:
        validate({**three, "fx_rates": late}, as_of="2030-01-01")
    text = str(err.value)
    opps = three["opportunities"]
    eur = opps[opps["currency"].eq("EUR") & (opps["created_at"] < late.query(
        "currency == 'EUR'")["valid_from"].min())]  # fmt: skip
    assert (
        f"opportunities.currency: {len(eur)} rows in EUR have no EUR rate in fx_rates valid at "
        f"the date they convert at ({eur['created_at'].min():%Y-%m-%d} to "
    ) in text
    assert f"add fx_rates rows for EUR valid from ≤ {eur['created_at'].min():%Y-%m-%d}" in text
    assert "subscriptions.currency:" in text and "marketing_spend.currency:" in text
    assert "GBP" not in text


def test_bad_codes_and_rates_are_named(tiny_tables):
    opps = tiny_tables["opportunities"].assign(currency=["eur", "USD"][: len(tiny_tables[
        "opportunities"])] + ["USD"] * (len(tiny_tables["opportunities"]) - 2))  # fmt: skip
    fx = pd.DataFrame({"currency": ["EUR"], "valid_from": pd.to_datetime(["2020-01-01"]),
                       "rate": [0.0]})  # fmt: skip
    with pytest.raises(SchemaError) as err:
        validate({**tiny_tables, "opportunities": opps, "fx_rates": fx}, as_of="2030-01-01")
    assert "opportunities.currency: 1 row with no ISO 4217 code (values 'eur'" in str(err.value)
    assert "fx_rates.rate: 1 row is empty, zero, negative or infinite" in str(err.value)


def test_one_foreign_currency_without_rates_is_refused_for_another_reporting_currency(
    tiny_tables,
):
    opps = tiny_tables["opportunities"].assign(currency="EUR")
    validate({**tiny_tables, "opportunities": opps}, as_of="2030-01-01")  # EUR is reported
    with pytest.raises(SchemaError, match=r"reporting currency USD has no fx_rates rows"):
        validate(
            {**tiny_tables, "opportunities": opps},
            as_of="2030-01-01",
            reporting_currency="USD",
        )


@pytest.mark.parametrize(
    ("code", "value", "text"),
    [
        ("USD", 1_234_567, "$1.2M"),
        ("EUR", 45_600, "€45.6k"),
        ("GBP", -950, "-£950"),
        ("JPY", 123_456_789, "¥123M"),
        ("CHF", 1_200_000, "CHF 1.2M"),
    ],
)
def test_money_is_written_in_the_reporting_currency(code, value, text):
    with _currency.showing(code):
        assert present.money(value) == text
    assert present.money(value).startswith(("$", "-$"))


def test_figure_axes_use_the_symbol_literally():
    import matplotlib.pyplot as plt

    from revlab.plots import pipeline

    frame = pd.DataFrame({
        "movement": ["opening", "won", "closing"], "label": ["Opening", "Won", "Closing"],
        "value": [2e6, -5e5, 1.5e6], "running": [2e6, 1.5e6, 1.5e6], "deals": [10, 3, 7],
    })  # fmt: skip
    with _currency.showing("EUR"):
        ax = pipeline.plot_waterfall(frame)
        plt.gcf().canvas.draw()
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all("€" in t for t in labels)
    assert pipeline._money(1e6) == "$1.0M"


def test_setup_shows_money_in_the_chosen_currency(companies, tmp_path, duckdb_file):
    path = duckdb_file(companies[1], tmp_path / "three.duckdb")
    try:
        run = present.setup(source=str(path), quarter="2025Q2", reporting_currency="EUR",
                            show=False)  # fmt: skip
        assert run.parameters["reporting_currency"] == "EUR"
        assert run.src.reporting_currency == "EUR"
        assert present.money(2500) == "€2.5k"
        run = present.setup(source=str(path), quarter="2025Q2", show=False)
        assert "reporting_currency" not in run.parameters
        assert present.money(2500) == "$2.5k"
    finally:
        _currency.show_in("USD")


@pytest.mark.parametrize("reporting", ["USD", "EUR"])
def test_the_interval_join_for_engines_without_asof_gives_the_same_rows(companies, reporting):
    from revlab import _fx
    from revlab.sources import cast_canonical

    src = connect(companies[1], reporting_currency=reporting)
    reporting, base, _ = src._currency_plan()
    subs = cast_canonical(src.raw("subscriptions"), "subscriptions")
    fx = cast_canonical(src.raw("fx_rates"), "fx_rates")
    both = [
        _fx.convert(subs, fx, date="start_date", money=("amount",), reporting=reporting,
                    base=base, asof=asof).to_pandas().sort_values("subscription_id")
        for asof in (True, False)
    ]  # fmt: skip
    assert both[0]["amount"].notna().all()
    assert np.allclose(both[0]["amount"], both[1]["amount"], rtol=1e-12)


def test_two_currencies_without_rates_are_a_validation_problem(tiny_tables):
    opps = tiny_tables["opportunities"]
    mixed = opps.assign(currency=["EUR"] + ["USD"] * (len(opps) - 1))
    with pytest.raises(SchemaError, match=r"money is stored in EUR, USD, which have no fx_rates"):
        validate({**tiny_tables, "opportunities": mixed}, as_of="2030-01-01")
