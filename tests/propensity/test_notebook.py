"""The propensity notebook, run by papermill with non-default parameters: its recorded figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02_propensity.ipynb"
REQUIRED = {
    "test_roc_auc", "test_pr_auc", "ece", "top_decile_lift", "capacity_buyers_reached",
    "capacity_buyers_random", "open_prospects",
}  # fmt: skip


def _run(source, tmp_path, **parameters):
    from revlab.report.run import execute
    from revlab.report.scorecard import read_section

    out = tmp_path / "02_propensity.ipynb"
    execute(NOTEBOOK, out, {"source": str(source), **parameters}, progress=False)
    return read_section(out, "Propensity")


@pytest.mark.notebooks
@pytest.mark.slow
def test_notebook_records_headline_figures_and_writes_the_list(demo_company, tmp_path):
    folder = tmp_path / "parquet"
    folder.mkdir()
    for name, frame in demo_company.tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    ranked_dir = tmp_path / "ranked"
    section = _run(
        folder,
        tmp_path,
        quarter="2026Q2",
        horizon_days=60,
        every_days=14,
        capacity_per_week=20,
        output_dir=str(ranked_dir),
    )
    executed = (tmp_path / "02_propensity.ipynb").read_text()
    assert "snapshots 14 days apart from" in executed
    metrics = {m["key"]: m for m in section.metrics}
    assert REQUIRED <= set(metrics)
    assert [s["analysis"] for s in section.skipped] == [
        "Leakage in real data",
        "A lesson from real data",
    ]
    assert section.skipped[0]["optional"]  # not asked for: not a shortfall of the data
    assert 0.85 < metrics["test_roc_auc"]["value"] < 1 and metrics["ece"]["value"] < 0.03
    assert metrics["ece"]["better"] == "lower"
    assert metrics["capacity_buyers_reached"]["value"] > metrics["capacity_buyers_random"]["value"]
    assert "Buyers reached by score (20/week)" == metrics["capacity_buyers_reached"]["label"]
    ranked = pd.read_parquet(ranked_dir / "ranked_prospects.parquet")
    assert len(ranked) == metrics["open_prospects"]["value"]
    assert (ranked["scored_at"] == pd.Timestamp("2026-07-01")).all()


@pytest.mark.notebooks
def test_notebook_without_leads_says_what_it_skipped(demo_company, tmp_path):
    folder = tmp_path / "deals_only"
    folder.mkdir()
    demo_company.tables["opportunities"].to_parquet(folder / "opportunities.parquet")
    section = _run(folder, tmp_path)
    root, *rest = [s for s in section.skipped if not s["optional"]]
    assert root["analysis"] == "The propensity model"
    assert root["reason"] == "the data have no leads table" and "Add leads" in root["enable"]
    # every other section skips because of the model, directly or through a section that did,
    # or is a second study that meets the same shortfall (said once, not repeated)
    seen = {root["analysis"]}
    for s in rest:
        assert s["because"] in seen or s["same_as"] == root["analysis"], s
        assert s["reason"] == root["reason"]
        seen.add(s["analysis"])
    assert len(rest) >= 8
    assert section.metrics == []
