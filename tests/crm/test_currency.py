"""CRM currencies: Salesforce CurrencyIsoCode and DatedConversionRate, HubSpot deal currency."""

from __future__ import annotations

from pathlib import Path

import pytest

from revlab.cli import main
from revlab.crm import hubspot, salesforce
from revlab.sources import connect

DATA = Path(__file__).parent / "data" / "currency"


def test_salesforce_rates_are_turned_around_and_deals_convert_at_close():
    tables = salesforce.from_salesforce(
        opportunity=DATA / "Opportunity.csv",
        dated_conversion_rate=DATA / "DatedConversionRate.csv",
    )
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps["currency"].to_dict() == {
        "006000000000C01": "EUR", "006000000000C02": "USD", "006000000000C03": "GBP",
    }  # fmt: skip
    fx = tables["fx_rates"]
    eur = fx[fx["currency"] == "EUR"].sort_values("valid_from")["rate"].tolist()
    assert eur == pytest.approx([1 / 0.8, 1 / 0.9])  # ConversionRate is EUR per 1 USD
    src = connect(tables)
    assert src.reporting_currency == "USD"  # the corporate currency, listed at 1
    amounts = src.to_pandas("opportunities").set_index("opportunity_id")["amount"]
    assert amounts["006000000000C01"] == pytest.approx(10000 / 0.9)  # closed 2024-02-15
    assert amounts["006000000000C02"] == 20000
    assert amounts["006000000000C03"] == pytest.approx(30000 / 0.8)  # open: at creation
    in_eur = connect(tables, reporting_currency="EUR").to_pandas("opportunities")
    in_eur = in_eur.set_index("opportunity_id")["amount"]
    assert in_eur["006000000000C01"] == pytest.approx(10000)
    assert in_eur["006000000000C02"] == pytest.approx(20000 * 0.9)  # 2024-03-01, via USD
    assert in_eur["006000000000C03"] == pytest.approx(30000 / 0.8 * 0.9)


def test_hubspot_deal_currency_and_exchange_rates():
    tables = hubspot.from_hubspot(
        deals=DATA / "deals.csv", exchange_rates=DATA / "exchange_rates.csv"
    )
    assert tables["opportunities"]["currency"].tolist() == ["EUR", "USD"]
    assert "currency" not in tables["stage_history"].columns  # the deal's, when converted
    src = connect(tables)
    src.validate(as_of="2025-01-01")
    amounts = src.to_pandas("opportunities").set_index("opportunity_id")["amount"]
    assert amounts["9101"] == pytest.approx(5000 * 1.2)  # closed 2024-02-20, the 02-15 rate
    assert amounts["9102"] == 8000


def test_import_finds_the_dated_conversion_rate_export(tmp_path):
    out = tmp_path / "crm.duckdb"
    files = [str(DATA / "Opportunity.csv"), str(DATA / "DatedConversionRate.csv")]
    assert main(["import", "--salesforce", *files, "--out", str(out)]) == 0
    src = connect(out)
    assert src.has("fx_rates") and src.reporting_currency == "USD"
