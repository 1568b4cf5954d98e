"""The report runner: renders, refuses bad parameters and sources, and never replaces a good
report with a failed one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from revlab.cli import main
from revlab.report import build
from revlab.report.params import ParameterError
from revlab.schema import SchemaError
from revlab.sources import SourceError, connect


def _args(env, *extra):
    return [
        "report",
        "--quarter",
        "2024Q1",
        "--source",
        str(env["source"]),
        "--out",
        str(env["out"]),
        "--notebooks",
        str(env["notebooks"]),
        *extra,
    ]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_report_renders_pages_and_scorecard_from_recorded_figures(report_env):
    result = build(
        quarter="2024Q1",
        source=report_env["source"],
        out=report_env["out"],
        notebooks_dir=report_env["notebooks"],
        progress=False,
        log=lambda _: None,
    )
    folder = report_env["out"] / "2024Q1"
    assert result.folder == folder
    assert {p.name for p in folder.iterdir()} >= {
        "index.html",
        "01_test.html",
        "01_test.code.html",
        "01_test.ipynb",
    }
    # the scorecard shows what the package computes for the same cut (quarter end)
    opps = connect(report_env["source"], as_of="2024-04-01").to_pandas("opportunities")
    index = (folder / "index.html").read_text()
    assert f"<td>{len(opps)}</td>" in index
    total = opps["amount"].sum()
    assert f"${total / 1e3:,.1f}k" in index
    assert "Quarter 2024Q1" in index
    listing = (report_env["out"] / "index.html").read_text()
    assert 'href="2024Q1/index.html"' in listing


def test_reviewer_page_hides_code_and_needs_no_network(report_env):
    build(
        quarter="2024Q1",
        source=report_env["source"],
        out=report_env["out"],
        notebooks_dir=report_env["notebooks"],
        progress=False,
        log=lambda _: None,
    )
    page = (report_env["out"] / "2024Q1" / "01_test.html").read_text()
    code_page = (report_env["out"] / "2024Q1" / "01_test.code.html").read_text()
    assert 'class="jp-CodeMirrorEditor' not in page and "to_pandas" not in page
    assert 'class="jp-CodeMirrorEditor' in code_page and "to_pandas" in code_page
    assert not re.search(r'(src|href)="https?://', page)
    assert "Test section" in page and "Quarter 2024Q1" in page
    assert "vnd.revlab" not in page


def test_text_from_the_data_is_escaped(tiny_tables, report_env, duckdb_file):
    tables = {k: v.copy() for k, v in tiny_tables.items()}
    tables["leads"]["channel"] = ["<script>alert('x')</script>", "<b>bold</b>", "organic"]
    source = duckdb_file(tables, report_env["tmp"] / "evil.duckdb")
    build(
        quarter="2024Q1",
        source=source,
        out=report_env["out"],
        notebooks_dir=report_env["notebooks"],
        progress=False,
        log=lambda _: None,
    )
    for name in ("01_test.html", "01_test.code.html", "index.html"):
        page = (report_env["out"] / "2024Q1" / name).read_text()
        assert "<script>alert" not in page and "<b>bold</b>" not in page
    page = (report_env["out"] / "2024Q1" / "01_test.html").read_text()
    assert "&lt;script&gt;alert" in page


def test_failed_notebook_keeps_previous_report(report_env, capsys):
    assert main(_args(report_env)) == 0
    before = _snapshot(report_env["out"])
    code = main(_args(report_env, "-p", "fail", "true"))
    err = capsys.readouterr().err
    assert code == 1
    assert "01_test.ipynb failed in cell" in err and "failing on purpose" in err
    assert _snapshot(report_env["out"] / "2024Q1") == {
        k.removeprefix("2024Q1/"): v for k, v in before.items() if k.startswith("2024Q1/")
    }
    assert (report_env["out"] / "2024Q1.failed" / "01_test.ipynb").exists()
    assert not list(report_env["out"].glob(".2024Q1*"))


def test_bad_source_refused_before_any_run(report_env, capsys):
    assert main(_args(report_env)) == 0
    before = _snapshot(report_env["out"])
    bad = _args(report_env)
    bad[bad.index("--source") + 1] = str(report_env["tmp"] / "missing.duckdb")
    assert main(bad) == 3
    assert "does not exist" in capsys.readouterr().err
    assert _snapshot(report_env["out"]) == before


def test_unknown_parameter_refused_listing_parameters(report_env, capsys):
    assert main(_args(report_env, "-p", "sede", "3")) == 2
    err = capsys.readouterr().err
    assert "unknown parameter(s) 'sede'" in err
    assert "seed: int = 7" in err and "fail: bool = False" in err
    assert not report_env["out"].exists() or not any(report_env["out"].iterdir())


def test_a_reserved_or_out_of_range_parameter_exits_2_before_any_run(report_env, capsys):
    assert main(_args(report_env, "-p", "source", "other.duckdb")) == 2
    assert "use --source instead of -p source" in capsys.readouterr().err
    assert main(_args(report_env, "-p", "journal_dir", "elsewhere")) == 2  # the report keeps it
    assert "use --out instead of -p journal_dir" in capsys.readouterr().err
    assert main(_args(report_env, "-p", "seed", "-3")) == 2
    assert "parameter 'seed' must be 0 or more, got -3" in capsys.readouterr().err
    assert not report_env["out"].exists() or not any(report_env["out"].iterdir())


def test_wrong_type_refused(report_env):
    with pytest.raises(ParameterError, match=r"parameter 'seed' must be int, got 'abc'"):
        build(
            quarter="2024Q1",
            source=report_env["source"],
            out=report_env["out"],
            notebooks_dir=report_env["notebooks"],
            parameters=[("seed", "abc")],
            progress=False,
            log=lambda _: None,
        )


def test_bad_quarter_refused(report_env, capsys):
    bad = _args(report_env)
    bad[bad.index("--quarter") + 1] = "2024Q5"
    assert main(bad) == 2
    assert "not like 2026Q3" in capsys.readouterr().err


def test_invalid_data_refused_with_the_problems(tiny_tables, report_env, duckdb_file, capsys):
    tables = {k: v.copy() for k, v in tiny_tables.items()}
    tables["opportunities"].loc[0, "amount"] = -1.0
    source = duckdb_file(tables, report_env["tmp"] / "bad.duckdb")
    bad = _args(report_env)
    bad[bad.index("--source") + 1] = str(source)
    assert main(bad) == 3
    assert "opportunities.amount: 1 row is negative" in capsys.readouterr().err


def test_a_source_too_big_for_memory_gets_the_shape_check_and_says_so(
    tiny_tables, report_env, duckdb_file, monkeypatch
):
    from revlab.report import run

    tables = {k: v.copy() for k, v in tiny_tables.items()}
    tables["opportunities"].loc[0, "amount"] = -1.0  # a row-level problem: not looked for
    source = duckdb_file(tables, report_env["tmp"] / "big.duckdb")
    monkeypatch.setattr(run, "FULL_CHECK_MAX_ROWS", 5)
    said = []
    kwargs = dict(quarter="2024Q1", as_of="", notebooks=[])
    run.prepare(source=str(source), log=said.append, **kwargs)
    assert len(said) == 1 and "more than the 5 the report checks row by row" in said[0]
    assert f"revlab validate --source {source}" in said[0]
    # within the limit the same source is refused for its negative amount
    with pytest.raises(SchemaError, match=r"opportunities.amount: 1 row is negative"):
        run.prepare(source=str(source), log=said.append, full_check_max_rows=10**6, **kwargs)


def test_the_shape_check_names_empty_tables_and_missing_columns(
    tiny_tables, report_env, duckdb_file
):
    from revlab.report import run

    tables = {k: v.copy() for k, v in tiny_tables.items()}
    tables["leads"] = tables["leads"].drop(columns="channel")
    tables["activities"] = tables["activities"].iloc[:0]
    source = duckdb_file(tables, report_env["tmp"] / "broken.duckdb")
    with pytest.raises(SchemaError) as caught:
        run.prepare(source=str(source), quarter="2024Q1", as_of="", notebooks=[],
                    log=lambda _: None, full_check_max_rows=0)  # fmt: skip
    text = str(caught.value)
    assert "leads.channel: required column is missing" in text
    assert "activities: table is empty (0 rows)" in text


def test_latest_quarter_resolved_from_the_data(report_env):
    result = build(
        source=report_env["source"],
        out=report_env["out"],
        notebooks_dir=report_env["notebooks"],
        progress=False,
        log=lambda _: None,
    )
    # tiny data end 2024-02-01, so 2023Q4 is the last quarter covered to its last day
    assert str(result.quarter) == "2023Q4"


def test_unreachable_source_is_a_source_error():
    with pytest.raises(SourceError):
        connect("postgresql://nobody@127.0.0.1:1/none")


def test_scorecard_change_cells():
    from revlab.report.scorecard import _change_cell

    same = {"value": 0.0, "previous": 0.0, "unit": "money", "better": "higher"}
    assert _change_cell(same) == "no change"
    up = {"value": 0.30, "previous": 0.25, "unit": "pct", "better": "higher"}
    assert _change_cell(up) == '<span class="good">+5.0 pts</span>'
    cost = {"value": 120.0, "previous": 100.0, "unit": "money", "better": "lower"}
    assert _change_cell(cost) == '<span class="bad">+20.0%</span>'
    neutral = {"value": 3.0, "previous": 2.0, "unit": "count", "better": None}
    assert _change_cell(neutral) == "+50.0%"


def test_files_for_sales_land_in_the_report_folder_when_out_is_relative(report_env, monkeypatch):
    """Notebooks run in their own folder, so the report must hand them an absolute path."""
    monkeypatch.chdir(report_env["tmp"])
    build(
        quarter="2024Q1",
        source=report_env["source"],
        out="relative_reports",
        notebooks_dir=report_env["notebooks"],
        progress=False,
        log=lambda _: None,
    )
    assert (report_env["tmp"] / "relative_reports" / "2024Q1" / "for_sales.csv").is_file()
    assert not (report_env["notebooks"] / "relative_reports").exists()


def _with_a_thin_section(report_env):
    """Add a section that needs subscriptions, which the tiny data lack."""
    import nbformat

    path = report_env["notebooks"] / "01_test.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(
        -1,
        nbformat.v4.new_code_cell(
            "from revlab import lifecycle\n"
            "with run.section('Renewals'):\n"
            "    lifecycle.terms(run.src)"
        ),
    )
    nbformat.write(nb, path)


def test_a_section_without_its_data_is_skipped_and_the_report_goes_on(report_env, capsys):
    _with_a_thin_section(report_env)
    assert main(_args(report_env)) == 0
    out = capsys.readouterr().out
    assert "skipped in 01_test: Renewals: the data have no subscriptions table" in out
    assert "1 section(s) skipped for want of data" in out
    folder = report_env["out"] / "2024Q1"
    page = (folder / "01_test.html").read_text()
    assert "Skipped: Renewals." in page and "Traceback" not in page
    index = (folder / "index.html").read_text()
    assert "Skipped: Renewals: the data have no subscriptions table" in index
    assert "<td>2</td>" in index  # the figures recorded before the skip are still there


def test_strict_turns_a_skipped_section_into_a_failure_and_keeps_the_report(report_env, capsys):
    assert main(_args(report_env)) == 0
    before = _snapshot(report_env["out"] / "2024Q1")
    _with_a_thin_section(report_env)
    assert main(_args(report_env, "--strict")) == 1
    err = capsys.readouterr().err
    assert "1 section(s) skipped and --strict was given" in err
    assert "01_test: Renewals (the data have no subscriptions table)" in err
    assert _snapshot(report_env["out"] / "2024Q1") == before
    assert (report_env["out"] / "2024Q1.failed" / "01_test.ipynb").exists()


def test_a_second_run_into_a_locked_folder_is_refused_naming_the_holder(report_env, capsys):
    import fcntl
    import subprocess
    import sys

    out = report_env["out"]
    out.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(  # another process holds the out folder's lock, as a run would
        [sys.executable, "-c", (
            "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
            "fcntl.flock(f, fcntl.LOCK_EX); f.write('pid 4242, started now'); f.flush(); "
            "print('locked', flush=True); time.sleep(60)"
        ), str(out / ".revlab-report.lock")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert main(_args(report_env)) == 2
        err = capsys.readouterr().err
        assert f"another revlab report is writing into {out} (pid 4242" in err
        assert not (out / "2024Q1").exists()
    finally:
        holder.kill()
        holder.wait()
    assert main(_args(report_env)) == 0  # the lock died with its holder
    assert (out / "2024Q1" / "index.html").exists()
    assert not list(out.glob(".2024Q1.partial*"))  # the run's own work folder is gone
    with open(out / ".revlab-report.lock") as f:  # released and emptied
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert f.read() == ""
