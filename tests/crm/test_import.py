"""A foreign CRM from CSV to a rendered report: `revlab import`, then `revlab report`.

The fixture is a flat pipeline export with one date column per stage, an accounts file and a
products file (tests/crm/data/foreign). Each message of issue 25's "Why" has a test here or
in tests/hostile/test_crm_input.py (duplicate YAML keys)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import duckdb
import pytest

from revlab import crm, schema
from revlab.cli import main
from revlab.pipeline import validate_history
from revlab.sources import connect

FOREIGN = Path(__file__).parent / "data" / "foreign"
ROOT = Path(__file__).parents[2]


def _write_notebook(path):
    spec = importlib.util.spec_from_file_location(
        "report_conftest", ROOT / "tests/report/conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    deals_only = [
        "opps = run.src.to_pandas('opportunities')" if "to_pandas" in b else b
        for b in module.BODY
        if "leads[" not in b
    ]  # a deals-only CRM: no leads
    module.BODY = deals_only
    return module.write_notebook(path)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The worked example's first command, run in a folder of the user's own."""
    work = tmp_path_factory.mktemp("user")
    for f in FOREIGN.iterdir():
        shutil.copy(f, work / f.name)
    code = main(["import", str(work / "pipeline.csv"), "--mapping", str(work / "pipeline.yaml"),
                 "--out", str(work / "crm.duckdb")])  # fmt: skip
    assert code == 0
    return work


def test_import_writes_validated_tables_with_stage_history(imported):
    src = connect(imported / "crm.duckdb")
    opps, history = src.to_pandas("opportunities"), src.to_pandas("stage_history")
    assert len(opps) == 8 and len(history) == 19
    # one row per filled stage-date cell, in stage order; closing stages get canonical names
    p1 = history[history["opportunity_id"] == "P-1"]
    assert list(p1["stage"]) == ["Qualified", "Demo", "Proposal", "closed_won"]
    assert set(history["stage"]) >= {"closed_won", "closed_lost"}
    validate_history(src)  # no "end their history in an open stage"


def test_lookups_bring_sector_and_list_price(imported):
    opps = connect(imported / "crm.duckdb").to_pandas("opportunities").set_index("opportunity_id")
    assert opps.loc["P-1", "segment"] == "enterprise"  # ACC-1 is Banking
    assert opps.loc["P-4", "segment"] == "smb"  # ACC-3 is Software
    assert opps.loc["P-2", "amount"] == 2500.0  # no Value: PRD-B's list price
    assert opps.loc["P-1", "amount"] == 12000.0  # its own value wins
    assert opps.loc["P-1", "product_family"] == "Core"


def test_personal_columns_and_owner_names_stay_out(imported):
    con = duckdb.connect(str(imported / "crm.duckdb"), read_only=True)
    columns = [r[0] for r in con.execute("describe opportunities").fetchall()]
    owners = [r[0] for r in con.execute("select distinct owner from opportunities").fetchall()]
    con.close()
    assert not {"notes", "contact_email", "rep"} & set(columns)
    assert all(o == "unassigned" or o.startswith("owner-") for o in owners)
    assert not any("@" in o for o in owners)


def test_import_summary_says_what_was_mapped_derived_filled_and_left_out(tmp_path, capsys):
    code = main(["import", str(FOREIGN / "pipeline.csv"), "--mapping", str(FOREIGN / "pipeline.yaml"),  # noqa: E501
                 "--out", str(tmp_path / "crm")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "mapped: Deal → opportunity_id" in out
    assert "derived: stage_history: 19 rows from 5 stage-date columns" in out
    assert (
        "filled: amount from List Price (2 empty cells), owner 'unassigned' (1 empty cell)" in out
    )
    assert "left out, personal or free text (2): Notes, Contact Email" in out
    assert f"next: revlab report --source {tmp_path / 'crm'}" in out
    assert sorted(p.name for p in (tmp_path / "crm").iterdir()) == [
        "opportunities.parquet", "stage_history.parquet"]  # fmt: skip


def test_history_that_contradicts_the_deals_is_refused(tmp_path, capsys):
    """The issue's 6,711 deals 'ending in an open stage': now caught at import, exit 3."""
    mapping = (FOREIGN / "pipeline.yaml").read_text().replace("  Lost On: Lost\n", "")
    (tmp_path / "m.yaml").write_text(mapping)
    for f in ("accounts.csv", "products.csv"):
        shutil.copy(FOREIGN / f, tmp_path / f)
    argv = ["import", str(FOREIGN / "pipeline.csv"), "--mapping", str(tmp_path / "m.yaml"),
            "--out", str(tmp_path / "crm.duckdb")]  # fmt: skip
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "end their history in an open stage but opportunities.is_closed is true" in err
    assert "--accept-history-problems" in err and not (tmp_path / "crm.duckdb").exists()
    assert main([*argv, "--accept-history-problems"]) == 0


def test_rendered_report_from_the_import(imported, tmp_path):
    """The worked example's second command, with a small test notebook to keep it fast."""
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    _write_notebook(notebooks / "01_test.ipynb")
    code = main(["report", "--quarter", "2024Q1", "--source", str(imported / "crm.duckdb"),
                 "--out", str(tmp_path / "reports"), "--notebooks", str(notebooks)])  # fmt: skip
    assert code == 0
    index = (tmp_path / "reports" / "2024Q1" / "index.html").read_text()
    assert "<td>8</td>" in index  # the 8 deals


@pytest.mark.notebooks
def test_real_pipeline_notebook_renders_and_says_what_it_skipped(imported, tmp_path):
    """notebooks/05_pipeline on the import: the history has no close dates, which it says."""
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "05_pipeline.ipynb", notebooks)
    code = main(["report", "--quarter", "2024Q1", "--source", str(imported / "crm.duckdb"),
                 "--out", str(tmp_path / "reports"), "--notebooks", str(notebooks)])  # fmt: skip
    assert code == 0
    page = (tmp_path / "reports" / "2024Q1" / "05_pipeline.html").read_text()
    assert "Skipped: The pipeline waterfall." in page
    assert "The stage_history table has no close_date column" in page
    assert "Traceback" not in page


def test_python_path_gives_the_same_tables(imported):
    tables = crm.read_export(FOREIGN / "pipeline.csv", FOREIGN / "pipeline.yaml").tables
    stored = connect(imported / "crm.duckdb").to_pandas("stage_history")
    assert len(tables["stage_history"]) == len(stored)
    schema.validate(tables, as_of="2024-12-31")
