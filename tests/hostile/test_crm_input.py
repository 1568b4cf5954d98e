"""Hostile CRM input: every unreadable file and malformed mapping is a SchemaError naming the
file and line with the fix, and `revlab import` exits 3 (data) or 2 (arguments), never with a
traceback. Issue 21 item 9, and the YAML items of issue 25."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revlab import crm
from revlab.cli import main
from revlab.schema import SchemaError

DATA = Path(__file__).parents[1] / "crm" / "data"
HEADER = "Deal ID,Created,Value,Stage\n"
MAPPING = {
    "table": "opportunities",
    "renames": {"Deal ID": "opportunity_id", "Created": "created_at", "Value": "amount",
                "Stage": "stage"},
    "stages": {"column": "Stage", "won": ["Won"], "lost": ["Lost"], "open": ["New"]},
}  # fmt: skip


def _csv(tmp_path, text: str | bytes, name="deals.csv") -> Path:
    path = tmp_path / name
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


def _yaml(tmp_path, text: str, name="crm.yaml") -> Path:
    return _csv(tmp_path, text, name)


def _import(capsys, *argv) -> tuple[int, str]:
    code = main(["import", *map(str, argv)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


# --- files -------------------------------------------------------------------------------


def test_non_utf8_names_line_column_and_the_encoding_to_pass(tmp_path, capsys):
    path = _csv(
        tmp_path, (HEADER + "D-1,2024-01-02,10,Won\nD-2,2024-01-03,5,Gewählt\n").encode("cp1252")
    )
    expected = (
        r"deals\.csv line 3, column 21: not utf-8 text \(byte 0xe4\); the file is probably "
        r'Windows-1252.*pass encoding="cp1252"'
    )
    with pytest.raises(SchemaError, match=expected):
        crm.load_export(path, MAPPING)
    code, err = _import(capsys, path, "--mapping", _yaml(tmp_path, "table: leads\n"), "--out",
                        tmp_path / "out.duckdb")  # fmt: skip
    assert code == 3 and "--encoding cp1252" in err
    frame = crm.load_export(path, {**MAPPING, "stages": {**MAPPING["stages"],
                                   "open": ["New", "Gewählt"]}}, encoding="cp1252")  # fmt: skip
    assert frame.loc[1, "stage"] == "Gewählt"


def test_utf16_file_says_which_encoding(tmp_path):
    path = _csv(tmp_path, (HEADER + "D-1,2024-01-02,10,Won\n").encode("utf-16"))
    with pytest.raises(
        SchemaError, match=r'deals\.csv line 1: the file is UTF-16 text; pass encoding="utf-16"'
    ):
        crm.load_export(path, MAPPING)
    assert len(crm.load_export(path, MAPPING, encoding="utf-16")) == 1


def test_empty_file(tmp_path, capsys):
    path = _csv(tmp_path, "")
    with pytest.raises(SchemaError, match=r"deals\.csv is empty; export it again with its header"):
        crm.load_export(path, MAPPING)
    code, err = _import(capsys, "--salesforce", f"opportunity={path}", "--out", tmp_path / "o")
    assert code == 3 and "deals.csv is empty" in err


def test_header_only_file_is_a_thin_table_not_an_error(tmp_path):
    frame = crm.load_export(_csv(tmp_path, HEADER), MAPPING)
    assert len(frame) == 0 and "opportunity_id" in frame.columns


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", r"an Excel workbook \(\.xlsx\) or another zip archive"),
        (b"PAR1\x15\x04", "a Parquet file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", r"an old Excel workbook \(\.xls\)"),
    ],
)
def test_binary_file_is_not_csv(tmp_path, content, kind):
    with pytest.raises(SchemaError, match=rf"deals\.csv: not a CSV file \(it is {kind}\); save"):
        crm.load_export(_csv(tmp_path, content), MAPPING)


def test_json_file_is_not_csv(tmp_path, capsys):
    path = _csv(tmp_path, '[{"Deal ID": "D-1"}]')
    with pytest.raises(
        SchemaError, match=r"deals\.csv line 1: not a CSV file \(it looks like JSON\)"
    ):
        crm.load_export(path, MAPPING)
    code, err = _import(capsys, "--hubspot", f"deals={path}", "--out", tmp_path / "o.duckdb")
    assert code == 3 and "looks like JSON" in err


def test_semicolon_separated_file_names_the_delimiter(tmp_path):
    path = _csv(tmp_path, HEADER.replace(",", ";") + "D-1;2024-01-02;10;Won\n")
    with pytest.raises(
        SchemaError, match=r"deals\.csv line 1: .*looks ';'-separated; pass delimiter=';'"
    ):
        crm.load_export(path, MAPPING)
    assert len(crm.load_export(path, {**MAPPING, "delimiter": ";"})) == 1


def test_ragged_rows_name_every_line(tmp_path, capsys):
    body = (
        "D-1,2024-01-02,10,Won\nD-2,2024-01-03,1,000,Won\nD-3,2024-01-04,7\nD-4,2024-01-05,3,New\n"
    )
    path = _csv(tmp_path, HEADER + body)
    expected = (
        r"deals\.csv line 3: 5 fields where the header has 4 \(also line\(s\) 4; 2 rows in all\); "
        r"a value holding the delimiter must be in double quotes"
    )
    with pytest.raises(SchemaError, match=expected):
        crm.load_export(path, MAPPING)
    code, err = _import(capsys, path, "--mapping", _yaml(tmp_path, "table: leads\n"), "--out",
                        tmp_path / "o.duckdb")  # fmt: skip
    assert code == 3 and "line 3: 5 fields" in err


def test_unclosed_quote_names_its_line(tmp_path):
    path = _csv(tmp_path, HEADER + 'D-1,2024-01-02,10,"Won\n')
    with pytest.raises(SchemaError, match=r"deals\.csv line 2: not readable as CSV"):
        crm.load_export(path, MAPPING)


def test_duplicate_header(tmp_path):
    path = _csv(tmp_path, "Deal ID,Created,Value,Stage,Value\nD-1,2024-01-02,10,Won,11\n")
    with pytest.raises(
        SchemaError, match=r"deals\.csv line 1: column\(s\) 'Value' appear more than once"
    ):
        crm.load_export(path, MAPPING)


# --- YAML mappings -------------------------------------------------------------------------


def test_duplicate_yaml_key_names_both_lines(tmp_path, capsys):
    path = _yaml(tmp_path, "table: opportunities\nrenames:\n  Deal ID: opportunity_id\n"
                 "  close_date: close_date\n  close_date: closed_at\n")  # fmt: skip
    expected = r"crm\.yaml line 5: key 'close_date' appears twice \(lines 4 and 5\); YAML would keep only the last"  # noqa: E501
    with pytest.raises(SchemaError, match=expected):
        crm.read_mapping(path)
    code, err = _import(
        capsys, DATA / "acme_deals.csv", "--mapping", path, "--out", tmp_path / "o.duckdb"
    )
    assert code == 3 and "appears twice" in err


def test_unknown_keys_are_named_with_their_line(tmp_path):
    path = _yaml(tmp_path, "table: opportunities\nrenmaes:\n  Deal ID: opportunity_id\n"
                 "stages:\n  column: Stage\n  won: [Won]\n  closed: [Lost]\n")  # fmt: skip
    with pytest.raises(SchemaError) as err:
        crm.read_mapping(path)
    problems = err.value.problems
    assert any(p.startswith("crm.yaml line 2: unknown key 'renmaes' in mapping") for p in problems)
    assert any(p.startswith("crm.yaml line 7: unknown key 'closed' in stages") for p in problems)


def test_yaml_boolean_key_is_explained(tmp_path):
    path = _yaml(tmp_path, "table: opportunities\nlookups:\n  accounts:\n    file: a.csv\n"
                 "    key: Id\n    on: Account\n    columns: {Sector: Sector}\n")  # fmt: skip
    with pytest.raises(
        SchemaError, match=r"line 6: unknown key True in lookups\.accounts \(YAML reads on/off"
    ):
        crm.read_mapping(path)


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    path = _yaml(tmp_path, "table: opportunities\nrenames:\n  Deal ID: opportunity_id\n bad: [\n")
    with pytest.raises(SchemaError, match=r"crm\.yaml line \d+, column \d+: not valid YAML"):
        crm.read_mapping(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "renames:\n  Deal ID: opportunity_id\n",
            r"crm\.yaml line 1: no table; add `table: leads`",
        ),
        (
            "table: opportunities\nrenames: [Deal ID, Value]\n",
            r"crm\.yaml line 2: `renames` must map names to names",
        ),
        (
            "table: opportunities\nstages:\n  won: [Won]\n",
            r"crm\.yaml line 3: stages needs `column:`",
        ),
        ("table: opportunities\nstages: Won\n", r"crm\.yaml line 2: `stages` must be a block"),
        (
            "table: opportunities\nvalues:\n  segment:\n    from: Tier\n",
            r"crm\.yaml line 4: values\.segment needs `map:`",
        ),
        (
            "table: opportunities\nvalues:\n  segment: Tier\n",
            r"crm\.yaml line 3: values\.segment must be a block",
        ),
        ("table: opportunities\nkeep: all\n", r"crm\.yaml line 2: keep must list the attribute"),
        (
            "table: opportunities\ndrop: [Email]\n",
            r"crm\.yaml line 2: `drop` is no longer a key: attributes are an allowlist",
        ),
        (
            "table: opportunities\ntimezone: Europe/Berln\n",
            r"crm\.yaml line 2: unknown time zone 'Europe/Berln'",
        ),
        (
            "table: opportunities\nambiguous: first\n",
            r"crm\.yaml line 2: ambiguous must be one of earliest, latest",
        ),
        ("table: deals\n", r"crm\.yaml: mapping for deals: table 'deals' is not canonical"),
        ("- table: leads\n", r"crm\.yaml: expected a mapping of keys"),
        ("", r"crm\.yaml is empty"),
    ],
)
def test_malformed_mapping(tmp_path, text, expected):
    with pytest.raises(SchemaError, match=expected):
        crm.read_mapping(_yaml(tmp_path, text))


def test_stage_dates_stage_not_in_stages_block(tmp_path):
    raw = pd.DataFrame(
        {
            "Deal ID": ["D-1"],
            "Created": ["2024-01-02"],
            "Value": ["1"],
            "Stage": ["Won"],
            "Won On": ["2024-02-01"],
            "Paused On": ["2024-01-10"],
        }
    )
    mapping = {**MAPPING, "stage_dates": {"Won On": "Won", "Paused On": "Paused"}}
    with pytest.raises(
        SchemaError,
        match=r"stage_history\.stage: 1 row have stages the `stages:` block does not list: 'Paused'",  # noqa: E501
    ):
        crm.read_export(raw, mapping)


# --- local times at a DST change ------------------------------------------------------------

BERLIN = {**MAPPING, "timezone": "Europe/Berlin", "dates": {"created_at": "%Y-%m-%d %H:%M"}}


def _dst_frame():
    # 2024-03-31 02:30 never happened in Berlin; 2024-10-27 02:30 happened twice
    return pd.DataFrame({"Deal ID": ["D-1", "D-2", "D-3"], "Value": ["1", "2", "3"],
                         "Created": ["2024-03-31 02:30", "2024-10-27 02:30", "2024-06-01 12:00"],
                         "Stage": ["New", "New", "New"]})  # fmt: skip


def test_nonexistent_and_repeated_local_times_are_reported_as_such():
    with pytest.raises(SchemaError) as err:
        crm.load_export(_dst_frame(), BERLIN)
    problems = err.value.problems
    assert len(problems) == 2
    assert (
        "created_at: 1 row are local times that do not exist in Europe/Berlin (values '2024-03-31 02:30'; Deal ID D-1)"  # noqa: E501
        in problems[0]
    )
    assert "`nonexistent: shift_forward`" in problems[0]
    assert (
        "created_at: 1 row are local times that repeat in Europe/Berlin (values '2024-10-27 02:30'; Deal ID D-2)"  # noqa: E501
        in problems[1]
    )
    assert "`ambiguous: earliest`" in problems[1]


def test_dst_times_resolved_as_documented():
    out = crm.load_export(
        _dst_frame(), {**BERLIN, "ambiguous": "earliest", "nonexistent": "shift_forward"}
    )
    # shifted to 03:00 CEST = 01:00 UTC; the first 02:30 (CEST, UTC+2) is 00:30 UTC
    assert list(out["created_at"][:2]) == [
        pd.Timestamp("2024-03-31 01:00"),
        pd.Timestamp("2024-10-27 00:30"),
    ]
    later = crm.load_export(
        _dst_frame(), {**BERLIN, "ambiguous": "latest", "nonexistent": "shift_forward"}
    )
    assert later.loc[1, "created_at"] == pd.Timestamp("2024-10-27 01:30")


def test_hubspot_ui_export_dst_options():
    deals = pd.DataFrame({"Record ID": ["1"], "Deal Stage": ["Closed Won"], "Amount": ["10"],
                          "Create Date": ["2024-10-27 02:30"]})  # fmt: skip
    with pytest.raises(SchemaError, match=r"repeat in Europe/Berlin"):
        crm.from_hubspot(deals=deals, timezone="Europe/Berlin")
    out = crm.from_hubspot(deals=deals, timezone="Europe/Berlin", ambiguous="latest")
    assert out["opportunities"].loc[0, "created_at"] == pd.Timestamp("2024-10-27 01:30")


# --- the import command's arguments --------------------------------------------------------


def test_import_usage_errors_exit_2(tmp_path, capsys):
    code, err = _import(capsys, DATA / "acme_deals.csv", "--mapping", DATA / "acme_crm.yaml",
                        "--mapping", DATA / "acme_crm.yaml", "--out", tmp_path / "o.duckdb")  # fmt: skip  # noqa: E501
    assert code == 2 and "1 file(s) and 2 --mapping(s)" in err
    code, err = _import(capsys, "--salesforce", DATA / "acme_deals.csv", "--out", tmp_path / "o")
    assert code == 2 and "cannot tell which Salesforce object it holds" in err
    code, err = _import(
        capsys, "--hubspot", f"tickets={DATA / 'deals.csv'}", "--out", tmp_path / "o"
    )
    assert code == 2 and "'tickets' is not a HubSpot object" in err
    code, err = _import(capsys, "--hubspot", tmp_path / "missing.csv", "--out", tmp_path / "o")
    assert code == 2 and "missing.csv: no such file" in err
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    code, err = _import(capsys, DATA / "acme_deals.csv", "--mapping", DATA / "acme_crm.yaml",
                        "--out", tmp_path / "busy")  # fmt: skip
    assert code == 2 and "holds other files (notes.txt)" in err
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_salesforce_contract_needs_its_amount_field(tmp_path, capsys):
    code, err = _import(capsys, "--salesforce", DATA / "Contract.csv", "--out", tmp_path / "o")
    assert code == 3 and "--contract-amount ARR__c" in err
