"""Sources the report cannot use stop before any notebook runs, with exit 3 and the fix."""

import pytest

from revlab.cli import main


def _report(capsys, tmp_path, *args):
    code = main(["report", "--out", str(tmp_path / "reports"), *args])
    return code, capsys.readouterr().err


def test_a_corrupt_duckdb_file(capsys, tmp_path):
    bad = tmp_path / "crm.duckdb"
    bad.write_bytes(b"\x00not a database\xff" * 300)
    code, err = _report(capsys, tmp_path, "--source", str(bad))
    assert code == 3 and "Traceback" not in err
    assert f"{bad} cannot be opened as a DuckDB database" in err and "re-export it" in err


@pytest.mark.parametrize(
    "content, fix",
    [(b"lead_id,created_at\nL1,2024-01-01\n\xff\xfe\xfa,2024-01-02\n", "Save it as UTF-8")],
)
def test_a_file_in_a_folder_that_is_not_utf8_csv(capsys, tmp_path, content, fix):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "leads.csv").write_bytes(content)
    code, err = _report(capsys, tmp_path, "--source", str(folder))
    assert code == 3 and "Traceback" not in err
    assert f"{folder / 'leads.csv'} cannot be read as the leads table" in err and fix in err


def test_a_database_without_any_canonical_table(capsys, tmp_path, duckdb_file):
    import pandas as pd

    path = duckdb_file({"invoices": pd.DataFrame({"x": [1]})}, tmp_path / "other.duckdb")
    code, err = _report(capsys, tmp_path, "--source", str(path))
    assert code == 3
    assert "has no leads, opportunities or subscriptions table" in err


@pytest.mark.parametrize("quarter", ["2030Q1", "2019Q4"])
def test_a_quarter_outside_the_data_names_the_range(
    capsys, tmp_path, tiny_tables, quarter, duckdb_file
):
    path = duckdb_file(tiny_tables, tmp_path / "tiny.duckdb")
    code, err = _report(capsys, tmp_path, "--source", str(path), "--quarter", quarter)
    assert code == 3 and f"quarter {quarter} is outside the data, which cover 2024-01-02" in err
    assert not (tmp_path / "reports" / quarter).exists()


def test_a_bad_as_of_is_a_usage_error(capsys, tmp_path, tiny_tables, duckdb_file):
    path = duckdb_file(tiny_tables, tmp_path / "tiny.duckdb")
    code, err = _report(
        capsys, tmp_path, "--source", str(path), "--quarter", "2024Q1", "--as-of", "notadate"
    )
    assert code == 2 and "--as-of 'notadate' is not a date" in err


def test_a_table_in_two_files_is_ambiguous(capsys, tmp_path, tiny_tables):
    folder = tmp_path / "export"
    folder.mkdir()
    tiny_tables["leads"].to_csv(folder / "leads.csv", index=False)
    tiny_tables["leads"].to_parquet(folder / "leads.parquet")
    code, err = _report(capsys, tmp_path, "--source", str(folder))
    assert code == 3 and "holds the leads table twice (leads.parquet, leads.csv)" in err


def test_an_unrecognised_file_in_a_folder_is_named(tmp_path, tiny_tables):
    from revlab.report.run import prepare

    folder = tmp_path / "export"
    folder.mkdir()
    for name, frame in tiny_tables.items():
        frame.to_parquet(folder / f"{name}.parquet")
    (folder / "Opportunities.csv").write_text("opportunity_id\nO9\n", encoding="utf-8")
    said = []
    prepare(source=str(folder), quarter="2024Q1", as_of="", notebooks=[], log=said.append)
    assert any("ignored Opportunities.csv: not a canonical table file" in s for s in said)
