"""revlab.connect reaches Postgres by URL and Spark by session or by ``pyspark://``."""

from __future__ import annotations

import pytest

import revlab
from revlab.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")  # pyspark 4.0


def test_validate_command_checks_a_postgres_source(
    postgres_server, postgres_url, engine_company, capsys
):
    assert main(["validate", "--source", postgres_url]) == 0
    out = capsys.readouterr().out
    assert f"leads: {len(engine_company.tables['leads']):,} rows" in out
    assert "valid: the data meets the contract" in out
    assert postgres_server.password not in out


def test_a_postgres_schema_is_the_urls_last_part(postgres_server, postgres_url, tiny_tables):
    from revlab import engines

    engines.copy_to(tiny_tables, postgres_url, database="crm_schema")
    src = revlab.connect(f"{postgres_url}/crm_schema")
    assert len(src.to_pandas("leads")) == len(tiny_tables["leads"])
    assert postgres_server.password not in repr(src)


def test_notebooks_reach_spark_through_a_pyspark_url(spark_session, spark_source):
    src = revlab.connect("pyspark://")  # the session this process's environment gives
    assert src.backend._session is spark_session
    assert src.available() == spark_source.available()
    assert src.table("leads").count().execute() == len(spark_source.to_pandas("leads"))
