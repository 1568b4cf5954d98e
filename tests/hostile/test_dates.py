"""One date parse for every path (issue 21): validate, folder sources and CRM imports read a
text timestamp column alike; a column whose day/month order cannot be told is refused with
exit 3, naming the table, column, values, rows and the fix; ISO 8601 with ``Z`` or an offset is
read as UTC, never a later DuckDB conversion error."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from revlab import crm, validate
from revlab.cli import main
from revlab.schema import SchemaError
from revlab.sources import connect

LEADS_MAP = {"table": "leads", "renames": {"id": "lead_id", "at": "created_at", "src": "channel"}}


def _leads(created) -> pd.DataFrame:
    n = len(created)
    return pd.DataFrame(
        {"lead_id": [f"L{i}" for i in range(n)], "created_at": created, "channel": ["web"] * n}
    )


def _folder(tmp_path, frame: pd.DataFrame, name="leads"):
    folder = tmp_path / "export"
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _validate_cli(capsys, folder) -> tuple[int, str]:
    code = main(["validate", "--source", str(folder), "--as-of", "2026-01-01"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


AMBIGUOUS = ["05/03/2024", "06/03/2024", "07/03/2024"]


def test_validate_refuses_an_ambiguous_day_month_column():
    with pytest.raises(SchemaError) as err:
        validate({"leads": _leads(AMBIGUOUS)}, as_of="2026-01-01")
    text = str(err.value)
    assert (
        "leads.created_at: the column has day and month of 12 or less in every value, so it is "
        "ambiguous whether '05/03/2024' puts the day or the month first (3 rows, values "
        "'05/03/2024', '06/03/2024', '07/03/2024'; lead_id L0, L1, L2)" in text
    )
    assert "write the dates as ISO 8601" in text and "under `dates:`" in text


def test_a_folder_with_an_ambiguous_column_exits_3(capsys, tmp_path):
    folder = _folder(tmp_path, _leads(AMBIGUOUS))
    code, err = _validate_cli(capsys, folder)
    assert code == 3
    assert f"leads.created_at ({folder / 'leads.csv'}): the column has day and month" in err
    assert "lead_id L0, L1, L2" in err and "ISO 8601" in err


@pytest.mark.parametrize(
    "values, why",
    [
        (["2024-03-05", "05/03/2024"], "mixes ISO 8601 dates ('2024-03-05') with day/month"),
        (["25/03/2024", "03/25/2024"], "puts the day first in some values ('25/03/2024')"),
    ],
)
def test_mixed_formats_are_refused(tmp_path, capsys, values, why):
    with pytest.raises(SchemaError, match=re.escape(f"leads.created_at: the column {why}")):
        validate({"leads": _leads(values)}, as_of="2026-01-01")
    code, err = _validate_cli(capsys, _folder(tmp_path, _leads(values)))
    assert code == 3 and why in err


def test_unambiguous_day_first_reads_the_same_in_every_path(tmp_path):
    values = ["05/03/2024", "25/03/2024 09:30"]
    expected = pd.to_datetime(["2024-03-05", "2024-03-25 09:30"], format="ISO8601")
    checked = validate({"leads": _leads(values)}, as_of="2026-01-01")
    assert list(checked["leads"]["created_at"]) == list(expected)
    assert any("read text as timestamps (day first)" in n for n in checked.notes)
    src = connect(_folder(tmp_path, _leads(values)))
    assert list(src.to_pandas("leads")["created_at"]) == list(expected)
    assert list(src.validate(as_of="2026-01-01")["leads"]["created_at"]) == list(expected)
    frame = pd.DataFrame({"id": ["L0", "L1"], "at": values, "src": ["web"] * 2})
    assert list(crm.load_export(frame, LEADS_MAP)["created_at"]) == list(expected)


def test_the_crm_import_refuses_an_ambiguous_column_and_names_dates():
    frame = pd.DataFrame({"id": ["L0", "L1"], "at": AMBIGUOUS[:2], "src": ["web"] * 2})
    with pytest.raises(SchemaError, match=r"leads\.created_at: the column has day and month"):
        crm.load_export(frame, LEADS_MAP)
    with pytest.raises(SchemaError, match=r"give its format under `dates:` in the mapping"):
        crm.load_export(frame, LEADS_MAP)
    day_first = crm.load_export(frame, {**LEADS_MAP, "dates": {"created_at": "%d/%m/%Y"}})
    assert day_first["created_at"].iloc[0] == pd.Timestamp("2024-03-05")


@pytest.mark.parametrize(
    "value, utc",
    [
        ("2024-03-05T05:00Z", "2024-03-05 05:00"),
        ("2024-03-05T05:00:00+02:00", "2024-03-05 03:00"),
        ("2024-03-05T14:22:10.000+0000", "2024-03-05 14:22:10"),
    ],
)
def test_iso_with_z_or_an_offset_is_read_as_utc_in_every_path(tmp_path, capsys, value, utc):
    frame = _leads([value, "2024-03-06T00:00:00Z"])
    checked = validate({"leads": frame}, as_of="2026-01-01")
    assert checked["leads"]["created_at"].iloc[0] == pd.Timestamp(utc)
    src = connect(_folder(tmp_path, frame))
    assert src.to_pandas("leads")["created_at"].iloc[0] == pd.Timestamp(utc)  # no DuckDB error
    code, _ = _validate_cli(capsys, tmp_path / "export")
    assert code == 0


def test_unreadable_text_in_a_folder_is_named_by_validation(tmp_path, capsys):
    code, err = _validate_cli(capsys, _folder(tmp_path, _leads(["2024-03-05", "next tuesday"])))
    assert code == 3
    assert "leads.created_at: 1 row cannot be read as timestamp (values 'next tuesday'" in err


@pytest.mark.parametrize("store", ["duckdb", "parquet"])
def test_text_dates_the_engine_would_misread_are_refused(tmp_path, capsys, duckdb_file, store):
    # DuckDB's cast drops a +02:00 and fails on ...T05:00Z: validation refuses them up front.
    frame = _leads(["2024-03-05T05:00Z", "2024-03-05T05:00:00+02:00"])
    if store == "duckdb":
        source = duckdb_file({"leads": frame}, tmp_path / "crm.duckdb")
    else:
        source = tmp_path / "export"
        source.mkdir()
        frame.to_parquet(source / "leads.parquet")
    code, err = _validate_cli(capsys, source)
    assert code == 3
    assert (
        "leads.created_at: 2 rows are text timestamps with offsets or Z (values "
        "'2024-03-05T05:00Z', '2024-03-05T05:00:00+02:00') stored as text in" in err
    )
    assert "store the column as TIMESTAMP in UTC" in err


def test_a_folder_csv_with_offsets_and_a_bad_value_gets_one_message(tmp_path, capsys):
    frame = _leads(["2024-03-05T05:00Z", "next tuesday"])
    code, err = _validate_cli(capsys, _folder(tmp_path, frame))
    assert code == 3 and "1 problem in the data" in err
    assert "cannot be read as timestamp (values 'next tuesday'" in err


def test_a_date_attribute_in_a_folder_csv_goes_through_the_same_parse(tmp_path, capsys):
    # DuckDB guesses one date order for the whole file; the shared parse decides per column.
    sure = _leads(["25/03/2024", "26/03/2024"]).assign(signed_on=["27/03/2024", "28/03/2024"])
    leads = connect(_folder(tmp_path, sure)).to_pandas("leads")
    assert list(leads["signed_on"]) == [pd.Timestamp("2024-03-27"), pd.Timestamp("2024-03-28")]
    unsure = sure.assign(signed_on=["05/03/2024", "06/03/2024"])
    code, err = _validate_cli(capsys, _folder(tmp_path / "b", unsure))
    assert code == 3 and "leads.signed_on (" in err and "ambiguous whether '05/03/2024'" in err
