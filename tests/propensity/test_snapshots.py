import numpy as np
import pandas as pd
import pytest

from revlab import propensity
from revlab.sources import SourceError, connect

ts = pd.Timestamp


def test_open_prospects_and_label_on_tiny_data(tiny_tables):
    src = connect(tiny_tables)
    frame = propensity.build_snapshots(src, ["2024-01-10", "2024-01-25"], horizon_days=10)
    first = frame[frame["snapshot_at"] == ts("2024-01-10")].set_index("lead_id")
    # L3 does not exist yet; L1 (converts 01-20) and L2 (converts 02-01) are open
    assert list(first.index) == ["L1", "L2"]
    assert first.loc["L1", "label"] == 1.0  # 10 days later: inside the window (inclusive)
    assert first.loc["L2", "label"] == 0.0  # 22 days later: outside
    second = frame[frame["snapshot_at"] == ts("2024-01-25")]
    assert list(second["lead_id"]) == ["L2"]  # L1 converted on 01-20, so it is no prospect


def test_features_known_at_the_date(tiny_tables):
    src = connect(tiny_tables)
    row = propensity.build_snapshots(src, ["2024-01-11"]).set_index("lead_id").loc["L1"]
    assert row["age_days"] == pytest.approx(9.0)
    assert row["stage"] == "new"
    assert row["act_total"] == 1.0 and row["act_web_visit_total"] == 1.0
    assert row["act_web_visit_days_since"] == pytest.approx(8.0)
    assert row["act_7d"] == 0.0 and row["act_30d"] == 1.0  # the touch was 8 days before
    assert row["channel"] == "organic" and row["segment"] == "smb"


def test_recent_snapshots_have_no_label(tiny_tables):
    src = connect(tiny_tables).at("2024-03-10")
    frame = propensity.build_snapshots(src, ["2024-01-10", "2024-03-01"], horizon_days=30)
    late = frame[frame["snapshot_at"] == ts("2024-03-01")]
    assert not late["label_complete"].any() and late["label"].isna().all()
    early = frame[frame["snapshot_at"] == ts("2024-01-10")]
    assert early["label_complete"].all() and early["label"].notna().all()


def test_dates_after_the_cut_are_refused(tiny_tables):
    src = connect(tiny_tables).at("2024-02-01")
    with pytest.raises(ValueError, match="after the data cut 2024-02-01"):
        propensity.build_snapshots(src, ["2024-03-01"])


def test_nothing_after_the_snapshot_changes_its_features(synth_tables):
    """The same snapshot built from all data and from data cut at its date is identical."""
    when = ts("2024-03-01")
    full = connect(synth_tables)
    kinds = propensity.activity_kinds(full)
    a = propensity.build_snapshots(full, [when], kinds=kinds)
    b = propensity.build_snapshots(full.at(when), [when], kinds=kinds)
    features = propensity.feature_columns(a)
    assert len(a) > 50
    pd.testing.assert_frame_equal(a[["lead_id", *features]], b[["lead_id", *features]])


def test_activity_counts_match_pandas(synth_tables):
    when = ts("2024-01-15")
    frame = propensity.build_snapshots(connect(synth_tables), [when]).set_index("lead_id")
    acts = synth_tables["activities"]
    seen = acts[(acts["occurred_at"] <= when) & (acts["lead_id"].isin(frame.index))]
    recent = seen[seen["occurred_at"] > when - pd.Timedelta(days=30)]
    demo = recent[recent["activity"] == "demo_request"].groupby("lead_id").size()
    expected = demo.reindex(frame.index, fill_value=0).astype(float)
    np.testing.assert_array_equal(frame["act_demo_request_30d"], expected)
    total = seen.groupby("lead_id").size().reindex(frame.index, fill_value=0).astype(float)
    np.testing.assert_array_equal(frame["act_total"], total)


def test_stage_targets(tiny_tables):
    src = connect(tiny_tables).at("2024-06-30")
    won = propensity.build_snapshots(src, ["2024-01-10"], horizon_days=60, target="won")
    # L1's deal O1 closed won on 03-01 (51 days later); L2's deal is still open
    assert won.set_index("lead_id")["label"].to_dict() == {"L1": 1.0, "L2": 0.0}
    with pytest.raises(SourceError, match=r"leads\.sql_at"):
        propensity.build_snapshots(src, ["2024-01-10"], target="sql")
    with pytest.raises(ValueError, match="target 'closed'"):
        propensity.build_snapshots(src, ["2024-01-10"], target="closed")


def test_snapshot_dates_end_at_the_cut(synth_source):
    dates = propensity.snapshot_dates(synth_source.at("2024-06-30"), every_days=7)
    assert dates[-1] == ts("2024-06-30")
    assert all((b - a) == pd.Timedelta(days=7) for a, b in zip(dates, dates[1:], strict=False))


def test_leads_without_activities_table(tiny_tables):
    src = connect({"leads": tiny_tables["leads"]})
    frame = propensity.build_snapshots(src, ["2024-01-10"])
    assert not any(c.startswith("act_") for c in frame.columns)
    assert len(frame) == 2


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "bigquery"])
def test_snapshot_query_compiles_for_other_engines(tiny_tables, dialect):
    import ibis

    src = connect(tiny_tables).at("2024-06-30")
    for target in ("opportunity", "won"):
        expr = propensity.snapshot_query(src, ["2024-01-10", "2024-02-10"], target=target)
        sql = str(ibis.to_sql(expr, dialect=dialect))
        assert "SELECT" in sql.upper() and "act_web_visit_30d" in sql
