"""Personal data recheck (issue 21 item 5): the CRM loaders carry canonical columns and the
attributes a mapping names, never free text or values that look like e-mails or phone numbers,
and owners as ids unless asked. The cases tests/crm/test_privacy.py did not cover."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revlab import crm
from revlab.cli import main
from revlab.crm._privacy import pseudonym
from revlab.schema import SchemaError

DATA = Path(__file__).parents[1] / "crm" / "data"
PHONE = "+44 20 7946 0958"


def _raw(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


def _opportunity() -> pd.DataFrame:
    return _raw("Opportunity.csv").assign(
        Description=f"Met at the fair; call {PHONE}",
        Champion_Email__c="buyer@client.example",
        Buyer_Phone__c=PHONE,
    )


def _text(tables) -> str:
    return " ".join(t.astype(str).to_string() for t in tables.values())


def test_salesforce_opportunity_description_name_and_custom_contacts_stay_out():
    opp = _opportunity()
    opp.loc[0, "OwnerId"] = "anna.berg@corp.example"  # an owner exported as an e-mail
    imported = crm.read_salesforce(opportunity=opp)
    tables = imported.tables
    text = _text(tables)
    assert "@" not in text and "7946" not in text and "Met at" not in text
    assert "Acme - platform" not in text  # Opportunity Name: free text naming the customer
    cols = set(tables["opportunities"].columns)
    assert not {"name", "description", "champion_email", "buyer_phone"} & cols
    owners = tables["opportunities"]["owner"]
    assert owners.str.fullmatch(r"owner-[0-9a-f]{10}").all()  # all pseudonyms, ids too
    assert owners[0] == pseudonym("anna.berg@corp.example", "")
    (summary,) = [e for e in imported.exports if e.table == "opportunities"]
    personal = summary.personal
    assert {"Name", "Description", "Champion_Email__c", "Buyer_Phone__c"} <= set(personal)


@pytest.mark.parametrize(
    "field, reason",
    [
        ("Description", "free text"),
        ("Name", "personal field"),
        ("Buyer_Phone__c", "personal field"),
        ("Champion_Email__c", "personal field"),
    ],
)
def test_salesforce_opportunity_personal_fields_are_refused_when_named(field, reason):
    opp_map = crm.SALESFORCE_OPPORTUNITY.with_(keep=[field])
    with pytest.raises(SchemaError, match=rf"keep names '{field}', which holds {reason}") as err:
        crm.from_salesforce(opportunity=_opportunity(), maps={"opportunity": opp_map})
    assert "buyer@client.example" not in str(err.value) and PHONE not in str(err.value)


@pytest.mark.parametrize(
    "obj, field, value",
    [
        ("contacts", "work_email", "ada@corp.example"),
        ("contacts", "hs_additional_emails", "a@b.example;c@d.example"),
        ("contacts", "message", "Please call me back tomorrow morning"),
        ("deals", "Associated Contact", "Ada Lovelace (ada@example.com)"),
    ],
)
def test_hubspot_personal_properties_are_refused_when_named(obj, field, value):
    raw = _raw(f"{obj}.csv").assign(**{field: value})
    base = crm.HUBSPOT_CONTACTS if obj == "contacts" else crm.HUBSPOT_DEALS
    with pytest.raises(SchemaError, match=rf"keep names '{field}', which holds") as err:
        crm.from_hubspot(**{obj: raw}, maps={obj: base.with_(keep=[field])})
    assert value not in str(err.value)


@pytest.mark.parametrize("owner", ["Anna Berg", "anna.berg@corp.example"])
def test_hubspot_owner_ids_given_as_names_or_emails_become_pseudonyms(owner):
    deals = _raw("deals.csv").assign(hubspot_owner_id=owner)
    opps = crm.from_hubspot(deals=deals)["opportunities"]
    assert (opps["owner"] == pseudonym(owner, "")).all()
    assert owner not in _text({"o": opps})


def test_free_text_in_a_canonical_column_is_refused(tmp_path, capsys):
    lead = _raw("Lead.csv")
    lead.loc[0, "LeadSource"] = "Met Ada at the fair.\nCall her back about the platform"
    with pytest.raises(SchemaError, match=r"leads\.channel: 1 row hold free text \(rows 0\)"):
        crm.from_salesforce(lead=lead)
    path = tmp_path / "Lead.csv"
    lead.to_csv(path, index=False)
    code = main(["import", "--salesforce", str(path), "--out", str(tmp_path / "crm.duckdb")])
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err
    assert "leads.channel: 1 row hold free text" in err and "Met Ada" not in err
    assert "Fix: map a column of ids or categories to channel" in err
