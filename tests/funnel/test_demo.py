"""On the demo company: the simulator's true rates are recovered, and engines agree."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from revlab import funnel
from revlab.sources import connect

WITHIN = 365  # a year after creation almost every lead that will buy has bought


@pytest.fixture(scope="module")
def demo_at_end(demo_company, demo_source):
    return demo_source.at(demo_company.truth.as_of)


@pytest.mark.parametrize("to", ["opportunity", "won"])
@pytest.mark.parametrize("by", ["channel", "segment"])
def test_conversion_recovers_the_true_rates(demo_company, demo_at_end, by, to):
    truth = demo_company.truth
    first = demo_company.tables["leads"]["created_at"].min()
    matured_until = truth.as_of - pd.Timedelta(days=WITHIN)
    true = truth.conversion_rate(by=by, to=to, within_days=WITHIN, cohort=(first, matured_until))
    got = funnel.conversion_rate(demo_at_end, by=by, to=to, within_days=WITHIN, level=0.99)
    both = got.merge(true.rename(columns={"rate": "truth"}), on=by, validate="1:1")
    assert len(both) == len(true) and (both["n"] > 1000).all()
    inside = (both["lower"] <= both["truth"]) & (both["truth"] <= both["upper"])
    assert inside.all(), both.loc[~inside, [by, "n", "rate", "lower", "upper", "truth"]]


def test_censoring_aware_curve_agrees_where_the_naive_share_does_not(demo_company, demo_at_end):
    """On the last year's leads, converted/all counts open leads as losses; KM does not."""
    matured = funnel.conversion_rate(
        demo_at_end, by=None, to="won", within_days=180, level=0.99
    ).iloc[0]
    since = demo_company.truth.as_of - pd.Timedelta(days=365)
    curve = funnel.conversion_curve(demo_at_end, by=None, to="won", since=since, level=0.99)
    naive = curve["events"].sum() / curve["n"].iloc[0]
    km = curve.loc[curve["day"] <= 180, "rate"].iloc[-1]
    assert naive < matured["lower"]
    assert matured["lower"] <= km <= matured["upper"]


def _metric_set(src) -> dict[str, pd.DataFrame]:
    q = "2026Q2"
    return {
        "new_names": funnel.new_names(src, period="week"),
        "cost": funnel.cost_per_name(src, quarter=q),
        "rate": funnel.conversion_rate(src, by="segment"),
        "cohorts": funnel.conversion_by_cohort(src, by="channel", cohort="month"),
        "curve": funnel.conversion_curve(src, by="channel", cohort="quarter"),
        "stages": funnel.funnel_stages(src, by="segment"),
        "flow": funnel.inventory_flow(src, period="month", by="segment"),
        "snapshot": funnel.inventory_at(src, by="channel"),
        "aging": funnel.inventory_aging(src),
        "little": funnel.stage_times(src, quarter=q),
        "closing": funnel.closing_by_quarter(src, first="2025Q1", last=q, by="segment"),
        "coverage": funnel.pipeline_coverage(src, quarter=q),
        "headline": pd.DataFrame([funnel.headline(src, quarter=q)]),
    }


def test_duckdb_file_and_parquet_folder_give_identical_metrics(demo_company, tmp_path):
    tables = demo_company.tables
    db = tmp_path / "demo.duckdb"
    con = duckdb.connect(str(db))
    folder = tmp_path / "parquet"
    folder.mkdir()
    for name, frame in tables.items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    con.close()
    as_of = "2026-09-01"
    from_db = _metric_set(connect(db, as_of=as_of))
    from_parquet = _metric_set(connect(folder, as_of=as_of))
    for name, frame in from_db.items():
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(frame, from_parquet[name], check_exact=False, rtol=1e-12)
