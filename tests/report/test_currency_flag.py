"""``revlab report --currency``: checked before any run, passed to the notebooks that take it."""

from __future__ import annotations

import re

import nbformat

from revlab.cli import main

from .conftest import write_notebook
from .test_report import _args


def _in_euros(report_env, tiny_tables, duckdb_file):
    """The report's source with every deal in EUR, and its notebook taking the parameter."""
    opps = tiny_tables["opportunities"].assign(currency="EUR")
    duckdb_file({**tiny_tables, "opportunities": opps}, report_env["source"])
    path = report_env["notebooks"] / "01_test.ipynb"
    nb = nbformat.read(path, as_version=4)
    params = nb.cells[1]
    params.source += '\nreporting_currency: str = ""  # money is shown in this currency'
    nb.cells[2].source = nb.cells[2].source.replace(
        "seed=seed)", "seed=seed, reporting_currency=reporting_currency)"
    )
    nbformat.write(nb, path)


def test_a_bad_or_unusable_currency_stops_before_any_run(
    report_env, tiny_tables, duckdb_file, capsys
):
    _in_euros(report_env, tiny_tables, duckdb_file)
    assert main(_args(report_env, "--currency", "euro")) == 2
    assert "--currency: currency 'euro' is not an ISO 4217 code" in capsys.readouterr().err
    assert main(_args(report_env, "-p", "reporting_currency", "EUR")) == 2
    assert "use --currency instead of -p reporting_currency" in capsys.readouterr().err
    assert main(_args(report_env, "--currency", "GBP")) == 3  # no rates from EUR to GBP
    assert "reporting currency GBP has no fx_rates rows" in capsys.readouterr().err
    assert not report_env["out"].exists() or not any(report_env["out"].iterdir())


def test_the_currency_reaches_the_notebook_and_the_scorecard(report_env, tiny_tables, duckdb_file):
    _in_euros(report_env, tiny_tables, duckdb_file)
    write_notebook(report_env["notebooks"] / "02_plain.ipynb", "Without the parameter")
    assert main(_args(report_env, "--currency", "eur")) == 0
    folder = report_env["out"] / "2024Q1"
    run = nbformat.read(folder / "01_test.ipynb", as_version=4)
    assert 'reporting_currency = "EUR"' in run.cells[2].source  # papermill's injected cell
    index = (folder / "index.html").read_text()
    assert re.search(r"<td>Pipeline</td><td>€[\d.,]+k?</td>", index), index
