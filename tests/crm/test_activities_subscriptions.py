"""Activities and subscriptions from CRM exports: Salesforce Task, Event and Contract; HubSpot
engagements and commerce subscriptions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revlab import crm, schema

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def salesforce():
    lead = pd.read_csv(DATA / "Lead.csv", dtype=str, keep_default_na=False)
    lead["ConvertedContactId"] = ""
    lead.loc[0, "ConvertedContactId"] = "003000000000C01"  # Ada became contact C01
    return crm.read_salesforce(lead=lead, opportunity=DATA / "Opportunity.csv",
                               task=DATA / "Task.csv", event=DATA / "Event.csv",
                               contract=DATA / "Contract.csv", contract_amount="ARR__c")  # fmt: skip  # noqa: E501


def test_salesforce_tasks_and_events(salesforce):
    acts = salesforce["activities"]
    # 5 tasks + 2 events; one task has no WhoId, one names a contact that never was a lead
    assert len(acts) == 5
    assert acts["occurred_at"].is_monotonic_increasing
    ada = acts[acts["lead_id"] == "00Q000000000001"]
    assert list(ada["activity"]) == ["Call", "Call"]  # her own call, and one as contact C01
    assert ada["occurred_at"].iloc[1] == pd.Timestamp(
        "2024-01-12"
    )  # no CompletedDateTime: ActivityDate
    assert set(acts["activity"]) == {"Call", "Email", "Event"}
    assert acts.loc[acts["lead_id"] == "00Q000000000005", "occurred_at"].item() == pd.Timestamp(
        "2024-02-05 16:00"
    )
    skipped = {
        k: v for e in salesforce.exports if e.table == "activities" for k, v in e.skipped.items()
    }
    assert skipped == {
        "lead_id empty (skip_empty)": 1,
        "WhoId names a contact that never was a lead": 1,
    }
    assert "converted_contact_id" not in salesforce["leads"].columns


def test_salesforce_contracts(salesforce):
    subs = salesforce["subscriptions"].set_index("subscription_id")
    assert list(subs.index) == ["800000000000K01", "800000000000K02"]  # the draft is not a term
    assert subs.loc["800000000000K02", "end_date"] == pd.Timestamp("2024-08-31")  # 6 months
    assert subs.loc["800000000000K02", "amount"] == 15500.5


def test_salesforce_tables_validate(salesforce):
    schema.validate(salesforce.tables, as_of="2025-12-31")


def test_hubspot_engagements_and_subscriptions():
    tables = crm.from_hubspot(contacts=DATA / "contacts.csv", engagements=DATA / "engagements.csv",
                              subscriptions=DATA / "subscriptions.csv")  # fmt: skip
    acts = tables["activities"]
    # the e-mail to two contacts is one touch of each; the note without a contact is left out
    assert sorted(acts["lead_id"]) == ["75201", "75201", "75203", "75204"]
    assert acts.loc[acts["activity"] == "EMAIL", "occurred_at"].iloc[0] == pd.Timestamp(
        "2024-01-10 15:20"
    )
    assert acts.loc[acts["activity"] == "CALL", "detail"].item() == "OUTBOUND"
    subs = tables["subscriptions"].set_index("subscription_id")
    assert subs.loc["7001", "amount"] == 12000.0  # MRR 1,000 × 12 months
    assert subs.loc["7002", "end_date"] == pd.Timestamp("2024-09-26")  # start + P6M
    assert subs.loc["7002", "amount"] == 3000.0
    schema.validate(tables, as_of="2025-12-31")
