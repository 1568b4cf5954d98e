"""The funnel notebook runs end to end through papermill on a PostgreSQL source."""

from __future__ import annotations

from pathlib import Path

import pytest

from revlab import funnel
from revlab.periods import Quarter

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01_funnel.ipynb"


@pytest.mark.notebooks
def test_funnel_notebook_on_postgres_records_duckdbs_figures(
    postgres_server, postgres_url, duckdb_source, tmp_path, monkeypatch
):
    import papermill

    from revlab.report.scorecard import read_section

    # the password stays out of the notebook: libpq reads it from the environment
    monkeypatch.setenv("PGPASSWORD", postgres_server.password)
    url = postgres_server.url("revlab", password=False)
    out = tmp_path / "01_funnel.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"source": url, "quarter": "2026Q2"},
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    assert postgres_server.password not in out.read_text()
    section = read_section(out, "Funnel")
    assert not section.skipped
    q = Quarter.parse("2026Q2")
    want = funnel.compare(duckdb_source.at(q.end), quarter=q).set_index("metric")
    got = {m["key"]: m for m in section.metrics}
    assert set(got) == set(want.index)
    for key, row in want.iterrows():
        for recorded, expected in ((got[key]["value"], row["current"]),
                                   (got[key]["previous"], row["previous"])):  # fmt: skip
            if expected != expected:  # NaN is recorded as None: unknown, not zero
                assert recorded is None, key
            else:
                assert recorded == pytest.approx(expected, rel=1e-9), key
