from pathlib import Path

import pandas as pd
import pytest
import yaml

from revlab import crm, schema
from revlab.crm._values import snake_case
from revlab.schema import SchemaError

DATA = Path(__file__).parent / "data"
DEALS = DATA / "acme_deals.csv"
MAPPING = DATA / "acme_crm.yaml"


def raw():
    return pd.read_csv(DEALS, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def opps():
    return crm.load_export(DEALS, MAPPING)


def test_yaml_mapping_for_another_crm(opps):
    assert len(opps) == len(raw()) == 6
    assert list(opps.columns[:5]) == [
        "opportunity_id",
        "created_at",
        "amount",
        "is_closed",
        "is_won",
    ]
    by_id = opps.set_index("opportunity_id")
    assert list(by_id["is_won"]) == [True, False, False, False, False, False]
    assert list(by_id["is_closed"]) == [True, True, False, False, True, False]
    assert by_id.loc["D-6", "stage"] == "qualified"  # matched "Qualified", kept as written
    assert list(by_id["segment"]) == [
        "enterprise",
        "mid-market",
        "smb",
        "enterprise",
        "mid-market",
        "smb",
    ]
    assert by_id.loc["D-3", "owner"] == "unassigned"
    assert by_id.loc["D-2", "region"] == "NA"


def test_yaml_dates_and_time_zone(opps):
    by_id = opps.set_index("opportunity_id")
    # 09:30 in Berlin in March (CET, UTC+1) is 08:30 UTC; in April (CEST, UTC+2) 08:00 is 06:00
    assert by_id.loc["D-1", "created_at"] == pd.Timestamp("2024-03-05 08:30")
    assert by_id.loc["D-4", "created_at"] == pd.Timestamp("2024-04-01 06:00")
    # a date without a time is a calendar day: not shifted
    assert by_id.loc["D-1", "close_date"] == pd.Timestamp("2024-03-20")
    assert by_id.loc["D-1", "closed_at"] == pd.Timestamp("2024-03-20")
    assert pd.isna(by_id.loc["D-3", "closed_at"])
    assert opps["created_at"].dt.tz is None


def test_validate_accepts_the_yaml_loaded_table(opps):
    schema.validate({"opportunities": opps}, as_of="2024-12-31")


def test_dict_mapping_equals_yaml(opps):
    spec = yaml.safe_load(MAPPING.read_text())
    pd.testing.assert_frame_equal(crm.load_export(raw(), spec), opps)


def test_table_given_as_argument():
    spec = yaml.safe_load(MAPPING.read_text())
    del spec["table"]
    with pytest.raises(SchemaError, match="no table"):
        crm.load_export(DEALS, spec)
    assert len(crm.load_export(DEALS, spec, table="opportunities")) == 6


def test_unmapped_stage_fails_with_values_and_counts():
    frame = raw()
    frame.loc[[0, 1, 2], "Stage"] = ["Verbal", "Verbal", "On Hold"]
    with pytest.raises(SchemaError) as err:
        crm.load_export(frame, MAPPING, name="acme_deals.csv")
    message = str(err.value)
    assert "acme_deals.csv → opportunities.is_closed: 3 rows have Stage values" in message
    assert "'Verbal' (2 rows), 'On Hold' (1 row)" in message
    assert "Deal ID D-1, D-2, D-3" in message
    assert "add them to the value map" in message


def test_empty_stage_is_reported():
    frame = raw()
    frame.loc[5, "Stage"] = ""
    with pytest.raises(SchemaError, match=r"'\(empty\)' \(1 row\)"):
        crm.load_export(frame, MAPPING)


def test_missing_column_lists_columns_present():
    spec = yaml.safe_load(MAPPING.read_text())
    spec["renames"]["Amount"] = "amount"
    del spec["renames"]["Value"]
    expected = (
        r"acme_deals\.csv → opportunities: the mapping names column\(s\) the export lacks: "
        r"'Amount'\. The export has: Created, Deal ID, Expected Close, Region, Rep, Stage, Tier, "
        r"Value\. Fix:"
    )
    with pytest.raises(SchemaError, match=expected):
        crm.load_export(DEALS, spec)


def test_every_problem_reported_at_once():
    frame = raw()
    frame.loc[1, "Created"] = "yesterday"
    frame.loc[2, "Value"] = "$750"
    frame.loc[3, "Stage"] = "Limbo"
    with pytest.raises(SchemaError) as err:
        crm.load_export(frame, MAPPING)
    problems = err.value.problems
    assert len(problems) == 4  # is_closed and is_won both need the stage
    assert any(
        "created_at: 1 row cannot be read as timestamp (values 'yesterday'" in p for p in problems
    )
    assert any("amount: 1 row cannot be read as float (values '$750'" in p for p in problems)


def test_bad_boolean_is_reported():
    frame = pd.DataFrame(
        {"id": ["a", "b"], "at": ["2024-01-01", "2024-01-02"], "amt": ["1", "2"],
         "closed": ["true", "maybe"], "won": ["1", "0"]}
    )  # fmt: skip
    mapping = {
        "table": "opportunities",
        "renames": {"id": "opportunity_id", "at": "created_at", "amt": "amount",
                    "closed": "is_closed", "won": "is_won"},
    }  # fmt: skip
    with pytest.raises(
        SchemaError, match=r"is_closed: 1 row cannot be read as bool \(values 'maybe'"
    ):
        crm.load_export(frame, mapping)
    frame.loc[1, "closed"] = "FALSE"
    out = crm.load_export(frame, mapping)
    assert list(out["is_closed"]) == [True, False] and list(out["is_won"]) == [True, False]


def test_unknown_mapping_key_and_table():
    with pytest.raises(SchemaError, match="unknown key.*renmaes"):
        crm.read_mapping({"table": "leads", "renmaes": {}})
    with pytest.raises(SchemaError, match="'deals' is not canonical"):
        crm.read_mapping({"table": "deals"})


def test_rename_and_value_map_to_one_column_is_refused():
    with pytest.raises(SchemaError, match="is_won come from both a rename and a value map"):
        crm.read_mapping(
            {
                "table": "opportunities",
                "renames": {"Won": "is_won"},
                "values": {"is_won": {"from": "Stage", "map": {"Won": True}}},
            }
        )


def test_attribute_clash_is_reported():
    frame = pd.DataFrame(
        {"Id": ["1"], "Created": ["2024-01-01"], "Source": ["web"], "Lead ID": ["x"]}
    )
    mapping = {
        "table": "leads",
        "renames": {"Id": "lead_id", "Created": "created_at", "Source": "channel"},
    }
    with pytest.raises(SchemaError, match=r"'Lead ID' would clash"):
        crm.load_export(frame, {**mapping, "keep": ["Lead ID"]})
    # attributes are an allowlist: a column nobody named is left out, and listed as such
    imported = crm.read_export(frame, mapping)
    assert list(imported["leads"].columns) == ["lead_id", "created_at", "channel"]
    assert imported.exports[0].left_out == ["Lead ID"]


def test_keep_a_list_of_attributes():
    frame = pd.DataFrame(
        {"Id": ["1", "2"], "Created": ["2024-01-01", "2024-01-02"], "Source": ["web", "ads"],
         "Industry": ["Retail", ""], "Phone": ["555", "556"], "Trial": ["yes", "no"]}
    )  # fmt: skip
    mapping = {
        "table": "leads",
        "renames": {"Id": "lead_id", "Created": "created_at", "Source": "channel"},
        "keep": ["Industry", "Trial"],
    }
    out = crm.load_export(frame, mapping)
    assert list(out.columns) == ["lead_id", "created_at", "channel", "industry", "trial"]
    assert out["trial"].tolist() == [True, False]
    assert pd.isna(out.loc[1, "industry"])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("NumberOfEmployees", "number_of_employees"),
        ("Industry", "industry"),
        ("Lead Status", "lead_status"),
        ("Region__c", "region"),
        ("ARRBand", "arr_band"),
        ("hs_lifecyclestage_lead_date", "hs_lifecyclestage_lead_date"),
    ],
)
def test_snake_case(header, expected):
    assert snake_case(header) == expected


def test_a_custom_forecast_category_is_mapped_with_values():
    """Another CRM's categories ("Upside", "Won") map onto the contract's with `values:`."""
    spec = yaml.safe_load(MAPPING.read_text())
    spec["values"]["forecast_category"] = {
        "from": "Call",
        "map": {"Won": "Closed", "Lost": "Omitted", "Upside": "Best Case", "Commit": "Commit"},
    }
    frame = raw()
    frame["Call"] = frame["Stage"].map({"Won": "Won", "Lost": "Lost"}).fillna("upside")
    opps = crm.load_export(frame, spec)
    assert set(opps["forecast_category"]) <= {"Closed", "Omitted", "Best Case"}
    assert (opps.loc[opps["is_won"], "forecast_category"] == "Closed").all()
    schema.validate({"opportunities": opps}, as_of="2025-12-31")
