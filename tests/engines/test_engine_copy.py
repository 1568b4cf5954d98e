"""copy_to: canonical tables copied into DuckDB, Postgres and Spark read back unchanged."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

import revlab
from revlab import engines
from revlab.sources import SourceError, connect

pytestmark = [  # deprecations inside pyspark 4.0 and ibis 12, not ours
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_record_batch\\(\\) is deprecated"),
]


def _same_tables(got, want, names) -> None:
    for name in names:
        a, b = got.to_pandas(name), want.to_pandas(name)
        keys = list(b.columns[:2])
        pd.testing.assert_frame_equal(
            a.sort_values(keys, ignore_index=True), b.sort_values(keys, ignore_index=True)
        )


def test_copy_into_duckdb_reads_back_the_same_tables(tiny_tables):
    con = ibis.duckdb.connect()
    src = engines.copy_to(tiny_tables, con)
    assert src.available() == connect(tiny_tables).available()
    _same_tables(src, connect(tiny_tables), tiny_tables)


def test_existing_tables_are_refused_unless_overwritten(tiny_tables):
    con = ibis.duckdb.connect()
    engines.copy_to(tiny_tables, con)
    with pytest.raises(SourceError, match=r"already has table\(s\) leads, .*overwrite=True"):
        engines.copy_to(tiny_tables, con)
    fewer = {**tiny_tables, "leads": tiny_tables["leads"].iloc[:1]}
    src = engines.copy_to(fewer, con, overwrite=True)
    assert len(src.to_pandas("leads")) == 1


def test_copy_into_a_new_schema_and_from_a_cut_source(tiny_tables):
    con = ibis.duckdb.connect()
    cut = connect(tiny_tables, as_of="2024-01-25")
    src = engines.copy_to(cut, con, database="crm", batch_rows=1)
    assert src.database == "crm" and "leads" not in con.list_tables()
    _same_tables(src, cut, ["leads", "opportunities", "activities"])
    assert len(src.to_pandas("leads")) == 2  # the copy holds what was known on 2024-01-25


def test_timezone_aware_times_arrive_as_naive_utc(tiny_tables):
    leads = tiny_tables["leads"].assign(
        created_at=tiny_tables["leads"]["created_at"].dt.tz_localize("Europe/Berlin")
    )
    src = engines.copy_to({"leads": leads}, ibis.duckdb.connect())
    got = src.to_pandas("leads")["created_at"]
    assert got.iloc[0] == pd.Timestamp("2024-01-01 23:00")


def test_bad_arguments_say_what_copy_to_takes(tiny_tables):
    with pytest.raises(SourceError, match="needs a database to copy into"):
        engines.copy_to(tiny_tables, tiny_tables)
    with pytest.raises(SourceError, match="dict of DataFrames, a demo company or a revlab Source"):
        engines.copy_to([1, 2], ibis.duckdb.connect())
    src = connect(tiny_tables)
    with pytest.raises(SourceError, match="where the data already are"):
        engines.copy_to(src, src.backend, overwrite=True)


# -- real servers ---------------------------------------------------------------------------


def test_postgres_copy_reads_back_the_demo_tables(postgres_url, duckdb_source, engine_company):
    src = revlab.connect(postgres_url)
    assert src.available() == list(engine_company.tables)
    _same_tables(src, duckdb_source, engine_company.tables)


def test_postgres_copy_from_a_source_in_batches_into_a_schema(postgres_url, duckdb_source):
    src = engines.copy_to(duckdb_source, postgres_url, database="crm", batch_rows=7_000)
    assert src.database == "crm"
    _same_tables(src, duckdb_source, ["activities", "stage_history"])
    with pytest.raises(SourceError, match=r"already has table\(s\)"):
        engines.copy_to(duckdb_source, postgres_url, database="crm")


def test_spark_copy_reads_back_the_demo_tables(spark_session, spark_source, duckdb_source):
    src = revlab.connect(spark_session)
    assert src.label == "Spark session"
    assert src.available() == duckdb_source.available()
    _same_tables(src, duckdb_source, duckdb_source.available())


def test_spark_copy_into_a_database(spark_session, tiny_tables):
    src = engines.copy_to(tiny_tables, spark_session, database="crm", batch_rows=2)
    assert src.database == "crm"
    _same_tables(src, connect(tiny_tables), ["leads", "opportunities"])


def test_postgres_copy_keeps_awkward_values(postgres_url):
    text = ["plain", "comma, here", 'a "quote"', "two\nlines", "", None, "ünïcödé 😀"]
    leads = pd.DataFrame(
        {
            "lead_id": text,
            "created_at": pd.Timestamp("2024-01-01 00:00:00.123456"),
            "channel": "web",
            "acquisition_cost": [1.5, None, float("inf"), -0.0, 1e300, 5e-324, 0.1],
            "score": [1, 2, 3, 4, 5, 6, 2**62],  # not canonical: keeps its own type
        }
    )
    src = engines.copy_to({"leads": leads}, postgres_url, database="awkward")
    got = src.raw("leads").to_pandas()
    want = leads.assign(created_at=leads["created_at"].astype("datetime64[us]"))
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert got["lead_id"].iloc[4] == "" and pd.isna(got["lead_id"].iloc[5])
