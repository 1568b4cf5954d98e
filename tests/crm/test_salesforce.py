from pathlib import Path

import pandas as pd
import pytest

from revlab import crm, schema
from revlab.schema import SchemaError

DATA = Path(__file__).parent / "data"
FILES = {
    "lead": DATA / "Lead.csv",
    "opportunity": DATA / "Opportunity.csv",
    "opportunity_history": DATA / "OpportunityHistory.csv",
}


@pytest.fixture(scope="module")
def tables():
    return crm.from_salesforce(**FILES)


def raw(name):
    return pd.read_csv(FILES[name], dtype=str, keep_default_na=False)


def test_every_row_is_kept(tables):
    assert len(tables["leads"]) == len(raw("lead")) == 12
    assert len(tables["opportunities"]) == len(raw("opportunity")) == 10
    assert len(tables["stage_history"]) == len(raw("opportunity_history")) == 19
    assert list(tables["leads"]["lead_id"]) == list(raw("lead")["Id"])


def test_canonical_columns_and_dtypes(tables):
    leads, opps, history = tables["leads"], tables["opportunities"], tables["stage_history"]
    assert list(leads.columns[:5]) == [
        "lead_id", "created_at", "channel", "converted_at", "opportunity_id"
    ]  # fmt: skip
    assert list(opps.columns[:5]) == [
        "opportunity_id",
        "created_at",
        "amount",
        "is_closed",
        "is_won",
    ]
    assert list(history.columns) == [
        "opportunity_id",
        "stage",
        "entered_at",
        "amount",
        "close_date",
        "forecast_category",
    ]
    for frame, col in [(leads, "created_at"), (leads, "converted_at"), (opps, "closed_at"),
                       (opps, "close_date"), (history, "entered_at")]:  # fmt: skip
        assert pd.api.types.is_datetime64_dtype(frame[col]), col
        assert frame[col].dt.tz is None
    assert opps["amount"].dtype == "float64"
    assert opps["is_won"].dtype == bool and opps["is_closed"].dtype == bool
    assert pd.api.types.is_string_dtype(leads["lead_id"])


def test_outcomes(tables):
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps["is_won"].sum() == 4
    assert opps["is_closed"].sum() == 6
    assert (opps["is_closed"] & ~opps["is_won"]).sum() == 2
    assert opps.loc["006000000000A04", "amount"] == 15500.50
    assert opps.loc["006000000000A03", "stage"] == "Negotiation/Review"


def test_timestamps_become_naive_utc(tables):
    leads = tables["leads"].set_index("lead_id")
    opps = tables["opportunities"].set_index("opportunity_id")
    assert leads.loc["00Q000000000010", "created_at"] == pd.Timestamp("2024-03-05 14:22:10")
    # 16:00 at -05:00 is 21:00 UTC
    assert opps.loc["006000000000A06", "created_at"] == pd.Timestamp("2024-03-20 21:00")


def test_converted_at_from_converted_date(tables):
    leads = tables["leads"].set_index("lead_id")
    assert leads.loc["00Q000000000001", "converted_at"] == pd.Timestamp("2024-01-10")
    # converted on its creation day: the creation time, not a midnight before it
    assert leads.loc["00Q000000000002", "converted_at"] == pd.Timestamp("2024-01-05 16:40:12")
    assert leads["converted_at"].notna().sum() == 6
    assert pd.isna(leads.loc["00Q000000000003", "converted_at"])
    assert leads.loc["00Q000000000005", "opportunity_id"] == "006000000000A03"


def test_closed_at_is_close_date_of_closed_deals(tables):
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps.loc["006000000000A01", "closed_at"] == pd.Timestamp("2024-02-15")
    assert opps.loc["006000000000A04", "closed_at"] == pd.Timestamp("2024-03-01 09:00")
    assert opps.loc[~opps["is_closed"], "closed_at"].isna().all()
    assert opps.loc[opps["is_closed"], "closed_at"].notna().all()


def test_opportunities_get_lead_ids_from_converted_leads(tables):
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps.loc["006000000000A03", "lead_id"] == "00Q000000000005"
    assert pd.isna(opps.loc["006000000000B01", "lead_id"])


def test_attributes_kept_personal_fields_dropped(tables):
    leads = tables["leads"].set_index("lead_id")
    assert {"industry", "number_of_employees", "country", "status", "is_converted"} <= set(
        leads.columns
    )
    assert not {"email", "first_name", "last_name"} & set(leads.columns)
    assert leads.loc["00Q000000000001", "number_of_employees"] == 120.0
    assert pd.isna(leads.loc["00Q000000000004", "number_of_employees"])
    assert leads.loc["00Q000000000005", "country"] == "NA"  # Namibia, not missing
    assert leads["is_converted"].sum() == 6
    assert "type" in tables["opportunities"].columns


def test_stage_history_values(tables):
    history = tables["stage_history"]
    row = history[
        history["opportunity_id"].eq("006000000000A06") & history["stage"].eq("closed_won")
    ]
    assert row["entered_at"].item() == pd.Timestamp("2024-04-10 18:20")
    assert row["amount"].item() == 30000.0
    assert row["close_date"].item() == pd.Timestamp("2024-04-10")
    assert "probability" not in history.columns


def test_validate_accepts_the_tables(tables):
    validated = schema.validate(tables, as_of="2024-06-30")
    assert {k: len(v) for k, v in validated.tables.items()} == {
        k: len(v) for k, v in tables.items()
    }


def test_inputs_are_not_changed():
    frame = raw("opportunity")
    before = frame.copy()
    crm.from_salesforce(opportunity=frame)
    pd.testing.assert_frame_equal(frame, before)


def test_missing_column_lists_the_columns_present():
    frame = raw("lead").drop(columns=["LeadSource"])
    with pytest.raises(SchemaError, match=r"lacks: 'LeadSource'") as err:
        crm.from_salesforce(lead=frame)
    message = str(err.value)
    assert "DataFrame → leads" in message
    assert "The export has: Company, ConvertedDate, ConvertedOpportunityId, Country," in message


def test_missing_column_names_the_file(tmp_path):
    path = tmp_path / "Lead.csv"
    raw("lead").drop(columns=["CreatedDate"]).to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"Lead\.csv → leads: .*'CreatedDate'"):
        crm.from_salesforce(lead=path)


def test_flags_from_stage_names_when_not_exported():
    frame = raw("opportunity").drop(columns=["IsClosed", "IsWon"])
    opps = crm.from_salesforce(opportunity=frame)["opportunities"]
    assert opps["is_won"].sum() == 4 and opps["is_closed"].sum() == 6


def test_unknown_stage_is_an_error_not_false():
    frame = raw("opportunity").drop(columns=["IsClosed", "IsWon"])
    frame.loc[[2, 4], "StageName"] = "Verbal Commit"
    with pytest.raises(
        SchemaError, match=r"opportunities\.is_won: 2 rows .*'Verbal Commit' \(2 rows\)"
    ):
        crm.from_salesforce(opportunity=frame)


def test_custom_stage_with_own_map():
    frame = raw("opportunity").drop(columns=["IsClosed", "IsWon"])
    frame.loc[2, "StageName"] = "Verbal Commit"
    stages = {**crm.SALESFORCE_STAGES, "open": (*crm.SALESFORCE_STAGES["open"], "Verbal Commit")}
    values = {c: v.with_when_missing() for c, v in crm.stage_values("StageName", **stages).items()}
    opp_map = crm.SALESFORCE_OPPORTUNITY.with_(values=values)
    opps = crm.from_salesforce(opportunity=frame, maps={"opportunities": opp_map})["opportunities"]
    assert not opps.loc[2, "is_closed"]


def test_fill_an_empty_channel():
    frame = raw("lead")
    frame.loc[0, "LeadSource"] = ""
    lead_map = crm.SALESFORCE_LEAD.with_(fill={"channel": "(none)"})
    leads = crm.from_salesforce(lead=frame, maps={"leads": lead_map})["leads"]
    assert leads.loc[0, "channel"] == "(none)"
    unfilled = crm.from_salesforce(lead=frame)["leads"]
    assert pd.isna(unfilled.loc[0, "channel"])


def test_forecast_categories_of_deals_and_their_history():
    """ForecastCategoryName is a label; OpportunityHistory's ForecastCategory an API value."""
    tables = crm.from_salesforce(
        opportunity=DATA / "forecast" / "Opportunity.csv",
        opportunity_history=DATA / "forecast" / "OpportunityHistory.csv",
    )
    opps, history = tables["opportunities"], tables["stage_history"]
    assert opps["forecast_category"].tolist() == [
        "Closed", "Commit", "Best Case", "Pipeline", "Omitted",
    ]  # fmt: skip
    assert history["forecast_category"].tolist() == [
        "Pipeline", "Best Case", "Commit", "Closed",  # BestCase, Forecast = Commit
        "Best Case", "Commit",  # MostLikely counts in Best Case
        "Best Case", "Pipeline", "Pipeline", "Omitted",
    ]  # fmt: skip
    assert "forecast_category_name" not in opps.columns  # a canonical column, not an attribute
    schema.validate(tables, as_of="2024-12-31")


def test_an_unknown_forecast_category_is_named_by_validation():
    opp = raw("opportunity").assign(ForecastCategoryName="Upside")
    tables = crm.from_salesforce(opportunity=opp)
    with pytest.raises(SchemaError, match=r"opportunities\.forecast_category: 10 rows are not"):
        schema.validate(tables, as_of="2025-12-31")
