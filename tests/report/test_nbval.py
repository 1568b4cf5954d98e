"""nbval compares the stored outputs of check cells: a changed key figure must fail the run."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from revlab.notebook_check import main as check_main
from revlab.notebook_check import problems, store_checks

CHECK = "# NBVAL_CHECK_OUTPUT\nprint(f'deals: {len(opps)}; pipeline: {opps.amount.sum():,.0f}')"


@pytest.fixture
def checked_notebook(report_env):
    path = report_env["notebooks"] / "01_test.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = (
        nb.cells[1]
        .source.replace(
            'source: str = "data/demo.duckdb"', f'source: str = "{report_env["source"]}"'
        )
        .replace('quarter: str = "latest"', 'quarter: str = "2024Q1"')
    )
    nb.cells.insert(-1, nbformat.v4.new_code_cell(CHECK))
    nbformat.write(nb, path)
    assert store_checks(path) == 1
    return path


def _nbval(path):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-kernel-name=python3",
            "-o",
            "addopts=",
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=path.parent,
    )


def test_stored_checks_pass_and_a_changed_figure_fails(checked_notebook):
    nb = nbformat.read(checked_notebook, as_version=4)
    check = next(c for c in nb.cells if c.source.startswith("# NBVAL_CHECK_OUTPUT"))
    assert check.outputs[0]["text"] == "deals: 2; pipeline: 92,000\n"
    assert all(not c.get("outputs") for c in nb.cells if c is not check and c.cell_type == "code")
    assert _nbval(checked_notebook).returncode == 0
    check.outputs[0]["text"] = "deals: 3; pipeline: 92,000\n"
    nbformat.write(nb, checked_notebook)
    result = _nbval(checked_notebook)
    assert result.returncode != 0
    assert "deals: 3" in result.stdout or "deals: 2" in result.stdout


def test_thin_notebook_rules(checked_notebook, tmp_path, capsys):
    assert problems(checked_notebook) == []
    nb = nbformat.read(checked_notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("def helper():\n    return 1"))
    nb.cells.append(nbformat.v4.new_code_cell("import requests"))
    nb.cells[1].source += "\nlimit: int = 3  # a = b"
    shown = nbformat.v4.new_code_cell("1 + 1")
    shown.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
    nb.cells.append(shown)
    unrun = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(2)")
    unrun.outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    nb.cells.append(unrun)  # outputs pasted in without a run: nbval calls it 'unrun'

    bad = tmp_path / "bad.ipynb"
    nbformat.write(nb, bad)
    found = "\n".join(problems(bad))
    assert "defines FunctionDef" in found
    assert "imports requests" in found
    assert "more than one '='" in found
    assert "stores outputs" in found
    assert "no execution count" in found
    assert check_main([str(bad)]) == 1
