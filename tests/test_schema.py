"""Every validation rule: bad input is refused naming table, column and rows; good data passes."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from revlab.schema import TABLES, DataQualityWarning, SchemaError, describe, validate

AS_OF = "2025-01-01"


def _break(tables, table, **changes):
    out = {k: v.copy() for k, v in tables.items()}
    for col, (row, value) in changes.items():
        out[table][col] = out[table][col].astype(object)
        out[table].loc[row, col] = value
    return out


def test_good_data_passes_untouched(tiny_tables):
    checked = validate(tiny_tables, as_of=AS_OF)
    for name, frame in tiny_tables.items():
        pd.testing.assert_frame_equal(
            checked.tables[name], frame, check_dtype=False, check_index_type=False
        )
        assert len(checked.tables[name]) == len(frame)
    assert checked.tables["leads"]["created_at"].dtype == "datetime64[us]"
    assert checked.notes == []


def test_missing_required_table_named_with_its_columns(tiny_tables):
    del tiny_tables["opportunities"]
    tiny_tables["leads"] = tiny_tables["leads"].drop(columns="opportunity_id")
    with pytest.raises(SchemaError, match=r"opportunities: table is missing.*opportunity_id"):
        validate(tiny_tables, as_of=AS_OF, require=["opportunities"])


def test_missing_required_column_lists_the_columns_present(tiny_tables):
    tiny_tables["leads"] = tiny_tables["leads"].rename(columns={"channel": "source"})
    with pytest.raises(SchemaError, match=r"leads\.channel: required column is missing.*source"):
        validate(tiny_tables, as_of=AS_OF)


def test_unparseable_timestamp_names_value_and_row(tiny_tables):
    bad = _break(tiny_tables, "leads", created_at=(1, "next tuesday"))
    with pytest.raises(
        SchemaError,
        match=r"leads\.created_at: 1 row cannot be read as timestamp "
        r"\(values 'next tuesday'; lead_id L2\)",
    ):
        validate(bad, as_of=AS_OF)


def test_unparseable_amount(tiny_tables):
    bad = _break(tiny_tables, "opportunities", amount=(0, "12k"))
    with pytest.raises(SchemaError, match=r"opportunities\.amount: 1 row cannot be read as float"):
        validate(bad, as_of=AS_OF)


def test_unparseable_flag(tiny_tables):
    bad = _break(tiny_tables, "opportunities", is_won=(0, "maybe"))
    with pytest.raises(SchemaError, match=r"opportunities\.is_won: 1 row cannot be read as bool"):
        validate(bad, as_of=AS_OF)


def test_text_flags_and_dates_are_read(tiny_tables):
    opps = tiny_tables["opportunities"].copy()
    opps["is_closed"] = ["TRUE", "false"]
    opps["created_at"] = ["2024-01-20", "2024-02-01"]
    tiny_tables["opportunities"] = opps
    checked = validate(tiny_tables, as_of=AS_OF)
    assert checked["opportunities"]["is_closed"].tolist() == [True, False]
    assert checked["opportunities"]["is_closed"].dtype == bool
    assert any("opportunities.created_at: read text" in n for n in checked.notes)


def test_empty_required_value(tiny_tables):
    bad = _break(tiny_tables, "leads", channel=(2, None))
    with pytest.raises(SchemaError, match=r"leads\.channel: 1 row is empty \(lead_id L3\)"):
        validate(bad, as_of=AS_OF)


def test_duplicate_ids(tiny_tables):
    bad = _break(tiny_tables, "leads", lead_id=(2, "L1"))
    bad["opportunities"] = bad["opportunities"].assign(lead_id=["L1", "L2"])
    with pytest.raises(SchemaError, match=r"leads\.lead_id: 2 rows share an id.*L1, L1"):
        validate(bad, as_of=AS_OF)


@pytest.mark.parametrize(
    ("table", "column", "row"),
    [
        ("opportunities", "amount", 0),
        ("leads", "acquisition_cost", 1),
        ("marketing_spend", "spend", 0),
        ("targets", "bookings_target", 0),
    ],
)
def test_negative_money(tiny_tables, table, column, row):
    bad = _break(tiny_tables, table, **{column: (row, -1.0)})
    with pytest.raises(SchemaError, match=rf"{table}\.{column}: 1 row is negative"):
        validate(bad, as_of=AS_OF)


def test_closed_before_created(tiny_tables):
    bad = _break(tiny_tables, "opportunities", closed_at=(0, pd.Timestamp("2023-12-01")))
    with pytest.raises(
        SchemaError,
        match=r"opportunities\.closed_at: 1 row is before created_at "
        r"\(opportunity_id O1\)",
    ):
        validate(bad, as_of=AS_OF)


def test_converted_before_created(tiny_tables):
    bad = _break(tiny_tables, "leads", converted_at=(1, pd.Timestamp("2024-01-01")))
    with pytest.raises(SchemaError, match=r"leads\.converted_at: 1 row is before created_at"):
        validate(bad, as_of=AS_OF)


def test_won_but_not_closed(tiny_tables):
    bad = _break(tiny_tables, "opportunities", is_won=(1, True))
    with pytest.raises(
        SchemaError,
        match=r"opportunities\.is_won: 1 row is won but not closed "
        r"\(opportunity_id O2\)",
    ):
        validate(bad, as_of=AS_OF)


def test_activity_for_unknown_lead(tiny_tables):
    bad = _break(tiny_tables, "activities", lead_id=(0, "L404"))
    with pytest.raises(
        SchemaError,
        match=r"activities\.lead_id: 1 row points at leads that do "
        r"not exist \(lead_id L404",
    ):
        validate(bad, as_of=AS_OF)


def test_opportunity_for_unknown_lead(tiny_tables):
    bad = _break(tiny_tables, "opportunities", lead_id=(0, "L404"))
    with pytest.raises(SchemaError, match=r"opportunities\.lead_id: 1 row points at leads"):
        validate(bad, as_of=AS_OF)


def test_timestamps_after_as_of(tiny_tables):
    early = {
        "leads": tiny_tables["leads"].iloc[:2],
        "activities": tiny_tables["activities"].iloc[:2],
    }
    early["leads"] = early["leads"].assign(converted_at=pd.NaT, opportunity_id=None)
    validate(early, as_of="2024-01-31")
    with pytest.raises(
        SchemaError,
        match=r"activities\.occurred_at: 1 row is after the as-of "
        r"date 2024-01-05 12:00",
    ):
        validate(early, as_of="2024-01-05 12:00")


def test_expected_close_date_may_be_in_the_future(tiny_tables):
    checked = validate(tiny_tables, as_of="2024-03-31")
    assert checked["opportunities"]["close_date"].max() > pd.Timestamp("2024-03-31")


def test_timezone_aware_converted_to_naive_utc_and_said_so(tiny_tables):
    leads = tiny_tables["leads"].copy()
    leads["created_at"] = leads["created_at"].dt.tz_localize("Europe/Paris")
    tiny_tables["leads"] = leads
    checked = validate(tiny_tables, as_of=AS_OF)
    assert checked["leads"]["created_at"].iloc[0] == pd.Timestamp("2024-01-01 23:00")
    assert checked["leads"]["created_at"].dt.tz is None
    assert any("leads.created_at: converted timezone-aware" in n for n in checked.notes)


def test_text_with_offsets_read_as_utc(tiny_tables):
    leads = tiny_tables["leads"].copy()
    leads["created_at"] = ["2024-01-02T10:00:00+02:00", "2024-01-05T00:00:00Z", "2024-02-01"]
    tiny_tables["leads"] = leads
    checked = validate(tiny_tables, as_of=AS_OF)
    assert checked["leads"]["created_at"].iloc[0] == pd.Timestamp("2024-01-02 08:00")
    assert any("offsets converted to naive UTC" in n for n in checked.notes)


def test_empty_table(tiny_tables):
    tiny_tables["marketing_spend"] = tiny_tables["marketing_spend"].iloc[:0]
    with pytest.raises(SchemaError, match=r"marketing_spend: table is empty"):
        validate(tiny_tables, as_of=AS_OF)


def test_bad_quarter_format(tiny_tables):
    bad = _break(tiny_tables, "targets", quarter=(0, "Q1 2024"))
    with pytest.raises(SchemaError, match=r"targets\.quarter: 1 row is not quarters like"):
        validate(bad, as_of=AS_OF)


def test_unknown_table_refused(tiny_tables):
    tiny_tables["deals"] = tiny_tables["opportunities"]
    with pytest.raises(SchemaError, match=r"deals: unknown table"):
        validate(tiny_tables, as_of=AS_OF)


def test_every_problem_reported_at_once(tiny_tables):
    bad = _break(tiny_tables, "opportunities", amount=(0, -3.0))
    bad = _break(bad, "leads", channel=(0, None))
    with pytest.raises(SchemaError) as info:
        validate(bad, as_of=AS_OF)
    assert len(info.value.problems) == 2
    assert str(info.value).startswith("2 problems in the data:")


def test_suspicious_data_warns_without_failing(tiny_tables):
    opps = tiny_tables["opportunities"].copy()
    opps.loc[0, "amount"] = 0.0
    tiny_tables["opportunities"] = opps
    with pytest.warns(DataQualityWarning, match=r"won deals have amount 0"):
        checked = validate(tiny_tables, as_of=AS_OF)
    assert len(checked["opportunities"]) == 2


def test_clean_data_issues_no_warning(tiny_tables):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        validate(tiny_tables, as_of=AS_OF)


def test_contract_matches_design():
    table = describe()
    required = table[table.required].groupby("table")["column"].apply(set).to_dict()
    assert required["opportunities"] == {
        "opportunity_id",
        "created_at",
        "amount",
        "is_closed",
        "is_won",
    }
    assert required["leads"] == {"lead_id", "created_at", "channel"}
    assert set(TABLES) == {
        "leads",
        "activities",
        "opportunities",
        "stage_history",
        "marketing_spend",
        "targets",
        "subscriptions",
        "fx_rates",
    }


def test_subscriptions_satisfaction_is_optional_and_numeric(tiny_tables):
    subs = pd.DataFrame(
        {
            "account_id": ["A1", "A1"],
            "start_date": pd.to_datetime(["2024-03-01", "2024-09-01"]),
            "end_date": pd.to_datetime(["2024-08-31", "2025-02-28"]),
            "amount": [1200.0, 1300.0],
        }
    )
    checked = validate({**tiny_tables, "subscriptions": subs}, as_of=AS_OF)
    assert "satisfaction" not in checked["subscriptions"].columns
    scored = subs.assign(satisfaction=["9", None])
    checked = validate({**tiny_tables, "subscriptions": scored}, as_of=AS_OF)
    assert checked["subscriptions"]["satisfaction"].dtype == "float64"
    assert checked["subscriptions"]["satisfaction"].iloc[0] == 9.0
    bad = subs.assign(satisfaction=["great", "7"])
    with pytest.raises(
        SchemaError, match=r"subscriptions\.satisfaction: 1 row cannot be read as float"
    ):
        validate({**tiny_tables, "subscriptions": bad}, as_of=AS_OF)
