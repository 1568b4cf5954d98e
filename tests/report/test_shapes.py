"""The report on the demo company cut to the shapes real exports have: it always renders.

For every shape of :mod:`revlab.demo.shapes` (and a 300-lead company), ``revlab report`` with
fast settings must exit 0, show no traceback in any page, give the reason of every skipped
section, and produce a forecast wherever closed deals exist. Real data is the judge; these are
the shapes real data come in. ``benchmarks/run_shapes.py`` prints the same as a table.
"""

from __future__ import annotations

import re
import warnings

import pytest

from revlab.cli import main
from revlab.demo.shapes import SHAPES, shape
from revlab.report.scorecard import read_section

FAST = ["-p", "draws", "200", "-p", "tune", "200", "-p", "backtest_quarters", "1"]
QUARTER = "2026Q3"


@pytest.fixture(scope="module")
def base_company():
    from revlab import demo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return demo.simulate(n_leads=6_000).tables


def _tables(name, base):
    if name == "leads_300":
        from revlab import demo

        return demo.simulate(n_leads=300).tables
    return shape(base, name)


def _report(tables, tmp_path, duckdb_file):
    source = duckdb_file(tables, tmp_path / "shape.duckdb")
    out = tmp_path / "reports"
    code = main(
        ["report", "--quarter", QUARTER, "--source", str(source), "--out", str(out), *FAST]
    )
    return code, out / QUARTER


def _has_closed_deals(tables) -> bool:
    opps = tables.get("opportunities")
    return opps is not None and bool(opps["is_closed"].any())


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.parametrize("name", [*SHAPES, "leads_300"])
def test_the_report_renders_on_every_shape(name, base_company, tmp_path, duckdb_file):
    tables = _tables(name, base_company)
    code, folder = _report(tables, tmp_path, duckdb_file)
    assert code == 0, name
    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"Traceback \(most recent call last\)", text), page.name
    sections = {nb.stem: read_section(nb, nb.stem) for nb in folder.glob("*.ipynb")}
    for section in sections.values():
        for skip in section.skipped:
            assert skip["reason"].strip(), (section.name, skip["analysis"])
    if _has_closed_deals(tables):  # a forecast was fitted (its page may still find it untrusted)
        fitted = [
            s for s in sections["03_forecast"].skipped if s["analysis"].startswith("The forecast of ")
        ]
        assert not fitted, fitted
