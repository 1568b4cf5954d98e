"""The funnel notebook, run by papermill with non-default parameters: its recorded figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from revlab import funnel
from revlab.periods import Quarter
from revlab.sources import connect

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01_funnel.ipynb"
REQUIRED = {
    "new_names", "cost_per_name", "lead_to_customer", "open_inventory",
    "inventory_median_age_days", "stale_share", "win_rate", "avg_deal_size",
    "sales_cycle_days", "pipeline_velocity", "pipeline_coverage",
}  # fmt: skip


def _run(source, tmp_path, **parameters):
    from revlab.report.run import execute
    from revlab.report.scorecard import read_section

    out = tmp_path / "01_funnel.ipynb"
    execute(NOTEBOOK, out, {"source": str(source), **parameters}, progress=False)
    return read_section(out, "Funnel")


@pytest.mark.notebooks
def test_notebook_records_the_headline_figures_of_the_quarter_asked_for(demo_company, tmp_path):
    from revlab import demo

    db = tmp_path / "demo.duckdb"
    demo.write(demo_company, db, tmp_path / "truth")
    section = _run(db, tmp_path, quarter="2025Q4", stale_after_days=14, within_days=90)
    metrics = {m["key"]: m for m in section.metrics}
    assert REQUIRED <= set(metrics) and not section.skipped
    q = Quarter.parse("2025Q4")
    expected = funnel.compare(
        connect(db).at(q.end), quarter=q, stale_after_days=14, within_days=90
    ).set_index("metric")
    for key in REQUIRED:
        for got, want in ((metrics[key]["value"], expected.loc[key, "current"]),
                          (metrics[key]["previous"], expected.loc[key, "previous"])):  # fmt: skip
            assert got == pytest.approx(want, rel=1e-9), key
    assert metrics["win_rate"]["unit"] == "pct" and metrics["stale_share"]["better"] == "lower"


@pytest.mark.notebooks
def test_notebook_without_spend_or_targets_says_what_it_skipped(demo_company, tmp_path):
    folder = tmp_path / "parquet"
    folder.mkdir()
    for name, frame in demo_company.tables.items():
        if name not in ("marketing_spend", "targets"):
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    section = _run(folder, tmp_path)
    skipped = {s["analysis"]: s["reason"] for s in section.skipped}
    assert skipped == {"Cost per name": "the data have no marketing_spend table",
                       "Pipeline coverage": "the data have no targets table"}  # fmt: skip
    metrics = {m["key"]: m for m in section.metrics}
    assert metrics["cost_per_name"]["value"] is None  # unknown, not zero
    assert metrics["pipeline_coverage"]["value"] is None
    assert np.isfinite(metrics["win_rate"]["value"])


@pytest.mark.notebooks
def test_notebook_without_segments_skips_only_the_segment_drivers(demo_company, tmp_path):
    folder = tmp_path / "parquet"
    folder.mkdir()
    for name, frame in demo_company.tables.items():
        frame.drop(columns=["segment"], errors="ignore").to_parquet(
            folder / f"{name}.parquet", index=False
        )
    section = _run(folder, tmp_path)
    skipped = {s["analysis"]: s["reason"] for s in section.skipped}
    assert list(skipped) == ["Win rate by segment"]
    assert "segment" in skipped["Win rate by segment"]
    metrics = {m["key"]: m for m in section.metrics}
    assert REQUIRED <= set(metrics)
    assert np.isfinite(metrics["win_rate"]["value"]) and np.isfinite(metrics["new_names"]["value"])
