"""The pipeline notebook, run by papermill with non-default parameters: its recorded figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from revlab import pipeline
from revlab.periods import Quarter
from revlab.sources import connect

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "05_pipeline.ipynb"


@pytest.mark.notebooks
def test_notebook_records_the_waterfall_of_the_quarter_asked_for(demo_company, tmp_path):
    import papermill

    from revlab import demo
    from revlab.report.scorecard import read_section

    db = tmp_path / "demo.duckdb"
    demo.write(demo_company, db, tmp_path / "truth")
    out = tmp_path / "05_pipeline.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"source": str(db), "quarter": "2025Q4", "slip_quarters": 2},
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    metrics = {m["key"]: m for m in read_section(out, "Pipeline").metrics}
    assert {"pipeline_opening", "pipeline_new", "pipeline_won", "pipeline_lost",
            "pipeline_slipped", "pipeline_closing", "slip_share"} <= set(metrics)  # fmt: skip

    q = Quarter.parse("2025Q4")
    src = connect(db).at(q.end)
    wf = pipeline.waterfall(src, quarter=q).set_index("movement")["value"]
    prev = pipeline.waterfall(src, quarter=q.previous).set_index("movement")["value"]
    for key, move in [("pipeline_opening", "opening"), ("pipeline_won", "won"),
                      ("pipeline_lost", "lost"), ("pipeline_closing", "closing")]:  # fmt: skip
        assert metrics[key]["value"] == pytest.approx(abs(wf[move]), rel=1e-9)
        assert metrics[key]["previous"] == pytest.approx(abs(prev[move]), rel=1e-9)
    slips = pipeline.slip_analysis(src, closed_from=q.shift(-1).start, closed_to=q.end)
    assert metrics["slip_share"]["value"] == pytest.approx(slips["slip_share"].iloc[0])
