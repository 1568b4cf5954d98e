"""The same analyses give the same tables on DuckDB, PostgreSQL and Spark.

Each case is one public analysis with the notebook's kind of arguments, run on the engine
company cut at the end of a quarter (one case reads the uncut data). DuckDB's table is the
reference; Postgres's and Spark's must equal it after sorting on every non-float column: same
columns, same dtypes, same rows, floats to 1e-9.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from revlab import funnel, pipeline
from revlab.periods import Quarter
from revlab.sources import Source

#: The cut and quarter of the cases: a quarter end, as the notebooks read the data.
AS_OF = "2026-07-01"
Q = Quarter.parse("2026Q2")
pytestmark = [  # deprecations inside pyspark 4.0 and ibis 12, not ours
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_record_batch\\(\\) is deprecated"),
]


def _table(expr) -> pd.DataFrame:
    """An engine expression as pandas, timestamps at revlab's microsecond unit.

    Functions that return Ibis expressions leave the pandas conversion to Ibis, whose
    timestamp unit differs by backend (Spark gives nanoseconds).
    """
    frame = expr.to_pandas()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].astype("datetime64[us]")
    return frame


def _snapshots(src: Source) -> pd.DataFrame:
    from revlab.propensity import build_snapshots, snapshot_dates

    dates = snapshot_dates(src, every_days=28, start="2025-06-01")
    return build_snapshots(src, dates, horizon_days=90)


def _snapshots_won(src: Source) -> pd.DataFrame:
    from revlab.propensity import build_snapshots

    return build_snapshots(src, ["2025-09-30", "2026-01-15"], horizon_days=60, target="won")


#: name -> (analysis on a source cut at AS_OF, or on the uncut source when the name says so)
CASES: dict[str, Callable[[Source], pd.DataFrame]] = {
    "new_names": lambda s: funnel.new_names(s, period="week", by="channel",
                                            since=Q.year_ago.start),
    "new_names[uncut]": lambda s: funnel.new_names(s, period="month", by=["channel", "segment"]),
    "cost_per_name": lambda s: funnel.cost_per_name(s, quarter=Q),
    "conversion_curve": lambda s: funnel.conversion_curve(s, to="won", by="channel"),
    "conversion_curve[mql cohorts]": lambda s: funnel.conversion_curve(
        s, start="mql", to="opportunity", by=None, cohort="quarter", max_days=180),
    "conversion_rate": lambda s: funnel.conversion_rate(s, by="segment", since="2024-01-01"),
    "conversion_by_cohort": lambda s: funnel.conversion_by_cohort(s, by="channel"),
    "funnel_stages": lambda s: funnel.funnel_stages(s, by="segment"),
    "matured_quarter": lambda s: pd.DataFrame({"quarter": [str(funnel.matured_quarter(s))]}),
    "inventory_flow": lambda s: funnel.inventory_flow(s, period="month", by="channel"),
    "inventory_at": lambda s: funnel.inventory_at(s, by="segment"),
    "inventory_aging": lambda s: funnel.inventory_aging(s),
    "stage_times": lambda s: funnel.stage_times(s, quarter=Q),
    "closing": lambda s: funnel.closing(s, quarter=Q, by="segment"),
    "closing_by_quarter": lambda s: funnel.closing_by_quarter(
        s, first=Q.shift(-3), last=Q, by="channel"),
    "pipeline_coverage": lambda s: funnel.pipeline_coverage(s, quarter=Q),
    "compare": lambda s: funnel.compare(s, quarter=Q),
    "headline": lambda s: pd.DataFrame([funnel.headline(s, quarter=Q.previous)]),
    "drivers[win_rate]": lambda s: funnel.drivers(s, quarter=Q, metric="win_rate", by="segment"),
    "drivers[new_names]": lambda s: funnel.drivers(s, quarter=Q, metric="new_names"),
    "waterfall": lambda s: pipeline.waterfall(s, quarter=Q, by="segment"),
    "movements": lambda s: _table(pipeline.movements(s, quarter=Q)),
    "closed_in_window": lambda s: pipeline.closed_in_window(s, quarter=Q),
    "slip_analysis": lambda s: pipeline.slip_analysis(s, by="segment"),
    "close_date_pushes": lambda s: _table(pipeline.close_date_pushes(s)),
    "expected_value": lambda s: pipeline.expected_value(s),
    "calibrated_win_rates": lambda s: pipeline.calibrated_win_rates(s, by="segment"),
    "pipeline_at": lambda s: pipeline.pipeline_at(s),
    "check_history": lambda s: pd.DataFrame({"problem": pipeline.check_history(s)}),
    "propensity snapshots": _snapshots,
    "propensity snapshots[won]": _snapshots_won,
}  # fmt: skip

#: Cases whose reference may be empty: the demo's deal history has no problems to report.
MAY_BE_EMPTY = {"check_history"}


def run_case(name: str, src: Source) -> pd.DataFrame:
    """The case's table on ``src``: cut at AS_OF unless the case reads the uncut data."""
    return CASES[name](src if name.endswith("[uncut]") else src.at(AS_OF))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in frame.columns if not pd.api.types.is_float_dtype(frame[c])]
    if not keys:
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, kind="stable", na_position="first", ignore_index=True)


def assert_same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal after sorting on the non-float columns: dtypes, rows, floats to 1e-9."""
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(
        _sorted(got), _sorted(want), check_dtype=True, check_exact=False, rtol=1e-9, atol=1e-9
    )


_REFERENCE: dict[str, pd.DataFrame] = {}


@pytest.fixture
def reference(duckdb_source):
    """DuckDB's table for a case, computed once per session."""

    def get(name: str) -> pd.DataFrame:
        if name not in _REFERENCE:
            _REFERENCE[name] = run_case(name, duckdb_source)
        return _REFERENCE[name].copy()

    return get


@pytest.mark.parametrize("case", list(CASES))
def test_engine_gives_duckdbs_table(case, engine, reference, request):
    name, src = engine
    want = reference(case)
    assert len(want) > 0 or case in MAY_BE_EMPTY, f"{case}: an empty reference proves nothing"
    assert_same_table(run_case(case, src), want)


def test_every_public_funnel_metric_is_compared():
    """A new public funnel function needs a parity case (pure helpers excepted)."""
    helpers = {"HEADLINES", "clear_cache", "cohort_for", "compare_text"}  # no queries
    covered = {name.split("[")[0] for name in CASES}
    assert set(funnel.__all__) - helpers <= covered
