"""Personal data: an allowlist of columns, values checked, owners as pseudonymous ids."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revlab import crm
from revlab.crm._privacy import pseudonym
from revlab.schema import SchemaError

DATA = Path(__file__).parent / "data"


def _raw(name):
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


def test_salesforce_standard_and_custom_personal_fields_stay_out():
    lead = _raw("Lead.csv").assign(Description="Met at the fair, call +1 415 555 0100",
                                   Private_Email__c="x@example.com", Mobile_Phone__c="555 0100")  # fmt: skip  # noqa: E501
    tables = crm.from_salesforce(lead=lead, opportunity=DATA / "Opportunity.csv",
                                 task=DATA / "Task.csv")  # fmt: skip
    for table in tables.values():
        text = table.astype(str).to_string()
        assert "@" not in text and "555" not in text
    assert not {"name", "description", "private_email", "email", "first_name"} & {
        c for t in tables.values() for c in t.columns
    }


def test_named_custom_email_field_is_refused_even_when_asked_for():
    opp = _raw("Opportunity.csv").assign(Champion_Email__c="buyer@client.example")
    opp_map = crm.SALESFORCE_OPPORTUNITY.with_(keep=["Champion_Email__c"])
    with pytest.raises(
        SchemaError, match=r"keep names 'Champion_Email__c', which holds personal field"
    ):
        crm.from_salesforce(opportunity=opp, maps={"opportunity": opp_map})


def test_named_custom_field_with_phone_values_is_refused():
    opp = _raw("Opportunity.csv").assign(Hotline__c="+49 30 1234567")
    opp_map = crm.SALESFORCE_OPPORTUNITY.with_(keep=["Hotline__c"])
    with pytest.raises(SchemaError, match=r"'Hotline__c', which holds phone numbers"):
        crm.from_salesforce(opportunity=opp, maps={"opportunity": opp_map})


def test_named_clean_custom_field_is_carried():
    opp = _raw("Opportunity.csv").assign(Region__c="EMEA")
    opp_map = crm.SALESFORCE_OPPORTUNITY.with_(keep=["Region__c"])
    opps = crm.from_salesforce(opportunity=opp, maps={"opportunity": opp_map})["opportunities"]
    assert set(opps["region"]) == {"EMEA"}


def test_hubspot_personal_properties_stay_out():
    contacts = _raw("contacts.csv").assign(work_email="ada@corp.example",
                                           hs_additional_emails="a@b.example;c@d.example",
                                           message="Please call me back tomorrow morning")  # fmt: skip  # noqa: E501
    deals = _raw("deals.csv").assign(**{"Associated Contact": "Ada Lovelace (ada@example.com)"})
    tables = crm.from_hubspot(contacts=contacts, deals=deals, engagements=DATA / "engagements.csv")
    columns = {c for t in tables.values() for c in t.columns}
    assert not {"work_email", "hs_additional_emails", "message", "associated_contact",
                "dealname", "hs_call_body", "hs_email_text"} & columns  # fmt: skip
    for table in tables.values():
        assert "@" not in table.astype(str).to_string()


def test_owner_names_and_emails_become_stable_pseudonyms():
    deals = pd.DataFrame({"Record ID": ["1", "2", "3"], "Deal Stage": ["Closed Won"] * 3,
                          "Amount": ["1", "2", "3"], "Create Date": ["2024-01-01"] * 3,
                          "Deal owner": ["Anna Berg", "anna  berg", "ben@acme.example"]})  # fmt: skip  # noqa: E501
    owners = crm.from_hubspot(deals=deals)["opportunities"]["owner"]
    assert owners[0] == owners[1] == pseudonym("Anna Berg", "") != owners[2]
    assert all(o.startswith("owner-") and len(o) == 16 for o in owners)
    salted = crm.HUBSPOT_DEALS.with_(owner_salt="s3cret")
    other = crm.from_hubspot(deals=deals, maps={"deals": salted})["opportunities"]["owner"]
    assert other[0] != owners[0]  # without the salt a guess cannot be checked
    named = crm.HUBSPOT_DEALS.with_(owner_names=True)
    kept = crm.from_hubspot(deals=deals, maps={"deals": named})["opportunities"]["owner"]
    assert kept[0] == "Anna Berg"


def test_owner_ids_are_kept():
    opps = crm.from_salesforce(opportunity=DATA / "Opportunity.csv")["opportunities"]
    assert opps["owner"].str.startswith("005").all()  # OwnerId values, as exported


def test_email_in_a_canonical_column_is_refused_without_echoing_it():
    frame = pd.DataFrame(
        {"id": ["a@x.example", "b"], "at": ["2024-01-01"] * 2, "src": ["web"] * 2}
    )
    mapping = {
        "table": "leads",
        "renames": {"id": "lead_id", "at": "created_at", "src": "channel"},
    }
    with pytest.raises(
        SchemaError, match=r"leads\.lead_id: 1 row hold e-mail addresses \(rows 0\)"
    ) as err:
        crm.load_export(frame, mapping)
    assert "a@x.example" not in str(err.value)
