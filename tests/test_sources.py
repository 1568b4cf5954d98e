"""Connecting to data: DuckDB file, CSV and Parquet folders give identical tables; as-of cuts."""

from __future__ import annotations

import pandas as pd
import pytest

from revlab.sources import SourceError, connect


def _write_all(tables, tmp_path):
    from revlab.crm._write import write_tables

    db = write_tables(tables, tmp_path / "data.duckdb")
    csv_dir, pq_dir = tmp_path / "csv", tmp_path / "parquet"
    csv_dir.mkdir()
    pq_dir.mkdir()
    for name, frame in tables.items():
        frame.to_csv(csv_dir / f"{name}.csv", index=False)
        frame.to_parquet(pq_dir / f"{name}.parquet", index=False)
    return db, csv_dir, pq_dir


def test_duckdb_csv_parquet_give_identical_tables(tiny_tables, tmp_path):
    paths = _write_all(tiny_tables, tmp_path)
    loaded = [connect(p).load() for p in paths]
    assert set(loaded[0]) == set(tiny_tables)
    for name, original in tiny_tables.items():
        frames = [lo[name] for lo in loaded]
        for frame in frames[1:]:
            pd.testing.assert_frame_equal(frames[0], frame)
        pd.testing.assert_frame_equal(frames[0], original, check_dtype=False)
        assert frames[0].dtypes.equals(frames[1].dtypes)


def test_dict_source_and_validation(tiny_tables):
    src = connect(tiny_tables)
    assert src.has("leads", "opportunities")
    assert not src.has("subscriptions")
    checked = src.validate(as_of="2025-01-01")
    assert len(checked["leads"]) == 3


def test_missing_table_error_names_what_exists(tiny_tables):
    src = connect({"leads": tiny_tables["leads"]})
    with pytest.raises(
        SourceError, match=r"the data have no opportunities table \(they have: leads\)"
    ):
        src.require("opportunities", analysis="win rates")


def test_missing_duckdb_file_suggests_make_data(tmp_path):
    with pytest.raises(SourceError, match=r"demo\.duckdb does not exist.*make data"):
        connect(tmp_path / "demo.duckdb")


def test_folder_without_tables_is_refused(tmp_path):
    with pytest.raises(SourceError, match=r"holds no canonical table files"):
        connect(tmp_path)


def test_unreachable_url_is_a_source_error():
    with pytest.raises(SourceError, match=r"cannot connect to"):
        connect("nosuchbackend://nowhere/db")


def test_as_of_cut_hides_the_future(tiny_tables):
    src = connect(tiny_tables, as_of="2024-01-25")
    leads = src.to_pandas("leads").set_index("lead_id")
    assert list(leads.index) == ["L1", "L2"]  # L3 created 2024-02-01
    assert leads.loc["L1", "opportunity_id"] == "O1"
    assert pd.isna(leads.loc["L2", "converted_at"]) and pd.isna(leads.loc["L2", "opportunity_id"])
    opps = src.to_pandas("opportunities").set_index("opportunity_id")
    assert list(opps.index) == ["O1"]
    # O1 is won on 2024-03-01: on 2024-01-25 it is open, in discovery, at its first amount.
    assert not opps.loc["O1", "is_closed"] and not opps.loc["O1", "is_won"]
    assert opps.loc["O1", "stage"] == "discovery"
    assert opps.loc["O1", "amount"] == 10000.0
    assert opps.loc["O1", "close_date"] == pd.Timestamp("2024-03-31")
    assert pd.isna(opps.loc["O1", "closed_at"])
    assert len(src.to_pandas("activities")) == 2


def test_as_of_without_history_blanks_what_only_a_close_reveals(tiny_tables):
    tables = {k: v for k, v in tiny_tables.items() if k != "stage_history"}
    opps = (
        connect(tables, as_of="2024-02-15").to_pandas("opportunities").set_index("opportunity_id")
    )
    assert pd.isna(opps.loc["O1", "stage"]) and pd.isna(opps.loc["O1", "close_date"])
    assert opps.loc["O2", "stage"] == "proposal"


def test_history_false_skips_the_stage_history_lookup(tiny_tables):
    src = connect(tiny_tables, as_of="2024-01-25")
    replayed = src.table("opportunities").to_pandas().set_index("opportunity_id")
    stored = src.table("opportunities", history=False).to_pandas().set_index("opportunity_id")
    assert replayed.loc["O1", "stage"] == "discovery"  # from stage_history, as of the date
    assert pd.isna(stored.loc["O1", "stage"])  # won later: the stored final stage is hidden
    assert not stored.loc["O1", "is_won"] and pd.isna(stored.loc["O1", "closed_at"])
    assert list(stored.index) == list(replayed.index)


def test_at_returns_a_new_cut_and_keeps_the_original(tiny_tables):
    src = connect(tiny_tables)
    assert len(src.at("2024-01-03").to_pandas("leads")) == 1
    assert len(src.to_pandas("leads")) == 3


def test_tables_can_be_renamed(tiny_tables):
    src = connect({"crm_leads": tiny_tables["leads"]}, tables={"leads": "crm_leads"})
    assert src.available() == ["leads"]
    assert len(src.to_pandas("leads")) == 3


def test_password_redacted_in_errors():
    with pytest.raises(SourceError) as info:
        connect("nosuchbackend://alice:s3cret@db.example/x")
    assert "s3cret" not in str(info.value)


def test_satisfaction_scores_are_hidden_until_known():
    ts = pd.to_datetime
    terms = pd.DataFrame(
        {
            "subscription_id": ["S1", "S2", "S3", "S4"],
            "account_id": ["A1", "A2", "A3", "A4"],
            "start_date": ts(["2023-01-01", "2023-06-01", "2023-06-01", "2023-06-01"]),
            "end_date": ts(["2024-01-01", "2024-06-01", "2024-06-01", "2024-06-01"]),
            "amount": [100.0, 200.0, 300.0, 400.0],
            "satisfaction": [4.0, 5.0, 2.0, 3.0],
            # S2 answered mid-term, S3 after the cut, S4 undated: known once its term ends
            "surveyed_at": ts(["2023-12-01", "2024-01-15", "2024-05-01", None]),
        }
    )
    cut = connect({"subscriptions": terms}).at("2024-03-01").to_pandas("subscriptions")
    got = cut.set_index("subscription_id")
    assert got.loc["S1", "satisfaction"] == 4.0 and got.loc["S2", "satisfaction"] == 5.0
    assert pd.isna(got.loc["S3", "satisfaction"]) and pd.isna(got.loc["S3", "surveyed_at"])
    assert pd.isna(got.loc["S4", "satisfaction"])
    undated = connect({"subscriptions": terms.drop(columns="surveyed_at")}).at("2024-03-01")
    scores = undated.to_pandas("subscriptions").set_index("subscription_id")["satisfaction"]
    assert scores["S1"] == 4.0 and scores[["S2", "S3", "S4"]].isna().all()  # terms not ended
    assert (
        connect({"subscriptions": terms}).to_pandas("subscriptions")["satisfaction"].notna().all()
    )
