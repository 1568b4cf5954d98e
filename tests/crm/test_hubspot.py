from pathlib import Path

import pandas as pd
import pytest

from revlab import crm, schema
from revlab.schema import SchemaError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def tables():
    return crm.from_hubspot(contacts=DATA / "contacts.csv", deals=DATA / "deals.csv")


def raw(name):
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


def test_every_row_is_kept(tables):
    assert len(tables["leads"]) == len(raw("contacts.csv")) == 10
    assert len(tables["opportunities"]) == len(raw("deals.csv")) == 8
    entered = raw("deals.csv").filter(like="hs_date_entered_")
    assert len(tables["stage_history"]) == int(entered.ne("").sum().sum()) == 17


def test_leads(tables):
    leads = tables["leads"].set_index("lead_id")
    assert list(tables["leads"].columns[:6]) == [
        "lead_id", "created_at", "channel", "mql_at", "sql_at", "converted_at"
    ]  # fmt: skip
    assert leads.loc["75201", "created_at"] == pd.Timestamp("2024-01-04 10:15:30.123")
    assert leads.loc["75201", "converted_at"] == pd.Timestamp("2024-01-15 12:00")
    assert leads.loc["75204", "converted_at"] == pd.Timestamp("2024-02-12 23:59:59.999")
    # a customer without an opportunity date converts when it became a customer
    assert leads.loc["75203", "converted_at"] == pd.Timestamp("2024-03-01 08:30")
    assert leads["converted_at"].notna().sum() == 5
    assert leads["mql_at"].notna().sum() == 7
    assert leads.loc["75206", "sql_at"] == pd.Timestamp("2024-02-19 16:30")
    assert leads.loc["75209", "channel"] == "PAID_SOCIAL"
    assert leads.loc["75202", "lead_at"] == pd.Timestamp("2024-01-09 08:00")
    assert leads.loc["75201", "industry"] == "COMPUTER_SOFTWARE"
    assert not {"email", "firstname", "lastname"} & set(leads.columns)


def test_deals(tables):
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps["is_won"].sum() == 2
    assert opps["is_closed"].sum() == 4
    assert opps.loc["9005", "amount"] == 22000.5
    assert opps.loc["9002", "closed_at"] == pd.Timestamp("2024-03-10 09:00")
    assert opps.loc[~opps["is_closed"], "closed_at"].isna().all()
    assert opps.loc["9003", "close_date"] == pd.Timestamp("2024-05-31")
    assert opps.loc["9004", "owner"] == "303"
    assert opps["is_won"].dtype == bool and opps["amount"].dtype == "float64"
    assert not any(c.startswith("hs_date_entered") for c in opps.columns)


def test_stage_history_from_date_entered_columns(tables):
    history = tables["stage_history"]
    deal = history[history["opportunity_id"] == "9001"]
    assert list(deal["stage"]) == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "closed_won",
    ]  # won: canonical name
    assert deal["entered_at"].iloc[-1] == pd.Timestamp("2024-02-20 12:00")


def test_validate_accepts_the_tables(tables):
    validated = schema.validate(tables, as_of="2024-06-30")
    assert len(validated["opportunities"]) == 8


def ui_contacts():
    return pd.DataFrame(
        {
            "Record ID": ["1", "2"],
            "First Name": ["Ada", "Alan"],
            "Create Date": ["2024-03-05 14:22", "2024-07-01 09:00"],
            "Original Source": ["Organic Search", "Direct Traffic"],
            "Became an Opportunity Date": ["2024-03-07 10:00", ""],
            "Lifecycle Stage": ["Opportunity", "Lead"],
        }
    )


def test_ui_export_labels_and_portal_time_zone():
    leads = crm.from_hubspot(contacts=ui_contacts(), timezone="America/New_York")["leads"]
    # 14:22 EST is 19:22 UTC; in July New York is on EDT, 4 hours behind
    assert list(leads["created_at"]) == [
        pd.Timestamp("2024-03-05 19:22"),
        pd.Timestamp("2024-07-01 13:00"),
    ]
    assert leads.loc[0, "converted_at"] == pd.Timestamp("2024-03-07 15:00")
    assert leads.loc[1, "channel"] == "Direct Traffic"
    assert "lifecycle_stage" in leads.columns and "first_name" not in leads.columns


def test_ui_deal_labels():
    deals = pd.DataFrame(
        {
            "Record ID": ["1", "2", "3"],
            "Deal Stage": ["Closed Won", "Contract Sent", "closed lost"],
            "Amount": ["10", "20", "30"],
            "Create Date": ["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-03 10:00"],
            "Close Date": ["2024-02-01 10:00", "", "2024-02-03 10:00"],
            'Date entered "Closed Won (Sales Pipeline)"': ["2024-02-01 10:00", "", ""],
        }
    )
    tables = crm.from_hubspot(deals=deals)
    assert list(tables["opportunities"]["is_won"]) == [True, False, False]
    assert list(tables["opportunities"]["is_closed"]) == [True, False, True]
    assert tables["stage_history"].to_dict("list") == {
        "opportunity_id": ["1"],
        "stage": ["closed_won"],
        "entered_at": [pd.Timestamp("2024-02-01 10:00")],
    }


def test_custom_pipeline_stage_is_reported_then_mapped():
    deals = raw("deals.csv")
    deals.loc[[0, 4], "dealstage"] = "98765432"
    with pytest.raises(SchemaError, match=r"'98765432' \(2 rows\).*hs_object_id 9001, 9005"):
        crm.from_hubspot(deals=deals)
    opps = crm.from_hubspot(deals=deals, stages={"won": ["98765432"]})["opportunities"]
    assert opps["is_won"].sum() == 2


def test_is_closed_properties_win_over_stage_map():
    deals = raw("deals.csv")
    deals["dealstage"] = "custom-stage"
    deals["hs_is_closed"] = ["true", "true", "false", "false", "true", "false", "false", "true"]
    deals["hs_is_closed_won"] = [
        "true",
        "false",
        "false",
        "false",
        "true",
        "false",
        "false",
        "false",
    ]
    opps = crm.from_hubspot(deals=deals)["opportunities"]
    assert opps["is_won"].sum() == 2 and opps["is_closed"].sum() == 4


def test_epoch_millisecond_dates():
    contacts = raw("contacts.csv").head(2)
    contacts["createdate"] = ["1704363330123", "1704787200000"]
    leads = crm.from_hubspot(contacts=contacts)["leads"]
    assert leads.loc[0, "created_at"] == pd.Timestamp("2024-01-04 10:15:30.123")
    assert leads.loc[1, "created_at"] == pd.Timestamp("2024-01-09 08:00")


def test_missing_deal_column():
    deals = raw("deals.csv").drop(columns=["dealstage"])
    with pytest.raises(
        SchemaError, match=r"lacks: 'dealstage'.*The export has: amount, closedate"
    ):
        crm.from_hubspot(deals=deals)


def test_manual_forecast_category():
    deals = crm.from_hubspot(deals=DATA / "forecast" / "deals.csv")["opportunities"]
    assert deals["forecast_category"].fillna("(none)").tolist() == [
        "Closed", "Omitted", "Pipeline", "Best Case", "Commit", "(none)",
    ]  # fmt: skip
    ui = raw("forecast/deals.csv").rename(
        columns={"hs_manual_forecast_category": "Forecast category"}
    )
    ui["Forecast category"] = [
        "Closed won",
        "Not forecasted",
        "Pipeline",
        "Best case",
        "Commit",
        "",
    ]
    again = crm.from_hubspot(deals=ui)["opportunities"]
    pd.testing.assert_series_equal(again["forecast_category"], deals["forecast_category"])


def test_deals_without_a_forecast_category_have_no_column(tables):
    assert "forecast_category" not in tables["opportunities"].columns
