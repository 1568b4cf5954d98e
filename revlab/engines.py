"""Past one machine: copy a canonical dataset into Postgres, Spark or a warehouse, and run there.

The analyses are Ibis expressions, so they run wherever the tables live. This module moves the
tables there, for tests and for trying revlab on a server before pointing it at real data:

- :func:`copy_to` copies a dict of DataFrames, a demo company or a :class:`~revlab.sources.Source`
  into a PostgreSQL database (bulk ``COPY``), Spark tables, or any other Ibis backend, one
  Arrow record batch at a time (a source larger than memory streams through), and returns a
  ``Source`` over the copies;
- :func:`local_spark` starts a small local Spark session with the settings revlab relies on
  (UTC session time zone, loopback only, no web UI, few shuffle partitions).

Columns of the canonical tables get their canonical types (text, timestamp without time zone,
double, boolean); other columns keep theirs.
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from revlab.schema import TABLES
from revlab.sources import Source, SourceError, cast_canonical, open_backend

if TYPE_CHECKING:
    import pyarrow as pa
    from ibis.backends import BaseBackend
    from pyspark.sql import SparkSession

__all__ = ["copy_to", "local_spark"]

#: Rows per batch sent to the engine: bounds the memory a copy needs.
BATCH_ROWS = 500_000
_ARROW_KINDS = {"string": "string", "timestamp": "timestamp", "float": "float64", "bool": "bool"}


def copy_to(
    data: Mapping[str, pd.DataFrame] | Source | Any,
    backend: Any,
    *,
    database: str | None = None,
    overwrite: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Source:
    """Copy canonical tables into a Postgres database, Spark tables or any Ibis backend.

    Parameters
    ----------
    data
        The tables: a dict of pandas DataFrames by canonical name, a demo company
        (``revlab.demo.simulate()``; its ``tables``), or a :class:`~revlab.sources.Source`
        (every table it has, as :meth:`~revlab.sources.Source.table` gives it: canonical types,
        cut at its as-of date if it has one, money in its stored currencies; read in batches,
        never whole).
    backend
        Where to: a connection URL (``postgresql://user@host:5432/db``), an Ibis backend, or a
        Spark session.
    database
        Schema (Postgres, DuckDB) or database (Spark) to create the tables in; created if
        missing. Default: the connection's current one.
    overwrite
        Replace tables that exist; without it an existing table is an error and nothing is
        copied.
    batch_rows
        Rows per batch sent to the engine.

    Returns
    -------
    Source
        The copied tables, read where they now live (``revlab.connect(backend)``).

    Raises
    ------
    SourceError
        When a target table exists and ``overwrite`` is False, or the backend is unreachable.

    Examples
    --------
    >>> from revlab import demo, engines  # doctest: +SKIP
    >>> src = engines.copy_to(demo.simulate(), "postgresql://me@localhost/crm")  # doctest: +SKIP
    """
    if isinstance(backend, Mapping):
        raise SourceError("copy_to needs a database to copy into, not a dict of tables.")
    con, label = open_backend(backend)
    if isinstance(data, Source) and data.backend is con and data.database == database:
        raise SourceError(f"{label} is where the data already are; copy into another database.")
    tables = _tables_of(data)
    if database is not None:
        con.create_database(database, force=True)
    if not overwrite:
        existing = set(con.list_tables(database=database))
        clash = [name for name in tables if name in existing]
        if clash:
            raise SourceError(
                f"{label} already has table(s) {', '.join(clash)}; pass overwrite=True to "
                "replace them, or copy into another database."
            )
    write = {"postgres": _copy_postgres, "pyspark": _copy_spark}.get(con.name, _copy_ibis)
    for name, batches in tables.items():
        write(con, name, _arrow_batches(name, batches, batch_rows), database=database)
    return Source(con, label=label, database=database)


def _tables_of(data: Any) -> dict[str, Any]:
    """Table name to a DataFrame or an Ibis table, from any of the accepted inputs."""
    if isinstance(data, Source):
        # money as stored, in each row's currency: the copy converts it again when read
        return {name: data.table(name, convert=False) for name in data.available()}
    if hasattr(data, "tables") and isinstance(data.tables, Mapping):
        data = data.tables
    if not isinstance(data, Mapping):
        raise SourceError(
            "copy_to copies a dict of DataFrames, a demo company or a revlab Source; "
            f"got {type(data).__name__}."
        )
    return dict(data)


def _arrow_batches(name: str, table: Any, batch_rows: int) -> tuple[pa.Schema, Iterator]:
    """The table's Arrow schema (canonical types) and its record batches."""
    import pyarrow as pa

    if isinstance(table, pd.DataFrame):
        arrow = _canonical_arrow(name, pa.Table.from_pandas(table, preserve_index=False))
        return arrow.schema, iter(arrow.to_batches(max_chunksize=batch_rows))
    expr = cast_canonical(table, name) if name in TABLES else table
    reader = expr.to_pyarrow_batches(chunk_size=batch_rows)
    first = _canonical_arrow(name, pa.Table.from_batches([], schema=reader.schema))
    batches = (_canonical_arrow(name, pa.Table.from_batches([b])) for b in reader)
    return first.schema, (b for t in batches for b in t.to_batches())


def _canonical_arrow(name: str, table: pa.Table) -> pa.Table:
    """Canonical columns as string, naive UTC timestamp[us], float64 and bool."""
    import pyarrow as pa

    spec = TABLES.get(name)
    if spec is None:
        return table
    columns = {}
    for field in table.schema:
        col = table[field.name]
        kind = spec.columns[field.name].kind if field.name in spec.columns else None
        if kind == "timestamp":  # a zone-aware time becomes the naive UTC time
            col = col.cast(pa.timestamp("us"))
        elif kind == "string" and not pa.types.is_string(field.type):
            col = col.cast(pa.string())
        elif kind is not None:
            col = col.cast(_ARROW_KINDS[kind])
        elif pa.types.is_large_string(field.type):
            col = col.cast(pa.string())
        columns[field.name] = col
    return pa.table(columns)


def _ibis_schema(schema: pa.Schema):
    import ibis

    return ibis.Schema.from_pyarrow(schema)


def _copy_postgres(con: BaseBackend, name: str, arrow: tuple, *, database: str | None) -> None:
    """Create the table and bulk-load it with ``COPY ... FROM STDIN (FORMAT csv)``."""
    import pyarrow.csv as pacsv
    import sqlglot as sg
    import sqlglot.expressions as sge

    schema, batches = arrow
    table = sg.table(name, db=database, quoted=True)
    columns = _ibis_schema(schema).to_sqlglot_column_defs("postgres")
    create = sge.Create(kind="TABLE", this=sge.Schema(this=table, expressions=columns))
    options = pacsv.WriteOptions(include_header=False)
    with con.con.transaction(), con.con.cursor() as cur:
        cur.execute(sge.Drop(kind="TABLE", this=table, exists=True).sql("postgres"))
        cur.execute(create.sql("postgres"))
        with cur.copy(f"COPY {table.sql('postgres')} FROM STDIN (FORMAT csv)") as copy:
            for batch in batches:
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, write_options=options)
                copy.write(buffer.getvalue())


def _copy_spark(con: BaseBackend, name: str, arrow: tuple, *, database: str | None) -> None:
    """Write the batches as a managed Spark table (first batch creates, the rest append)."""
    import pyarrow as pa
    from ibis.backends.pyspark.datatypes import PySparkSchema

    schema, batches = arrow
    session = con._session
    spark_schema = PySparkSchema.from_ibis(_ibis_schema(schema))
    target = f"`{database}`.`{name}`" if database else f"`{name}`"
    mode = "overwrite"
    for batch in _nonempty(batches, schema):
        frame = session.createDataFrame(_spark_input(pa.Table.from_batches([batch])), spark_schema)
        frame.write.mode(mode).saveAsTable(target)
        mode = "append"


def _spark_input(table: pa.Table) -> Any:
    """Arrow for pyspark 4 (which reads it directly), pandas for older versions."""
    import pyspark

    if int(pyspark.__version__.split(".")[0]) >= 4:
        return table
    return table.to_pandas()


def _nonempty(batches: Iterable, schema: pa.Schema) -> Iterator:
    """The batches, or one empty batch so that an empty table is still created."""
    import pyarrow as pa

    seen = False
    for batch in batches:
        seen = True
        yield batch
    if not seen:
        yield pa.RecordBatch.from_pylist([], schema=schema)


def _copy_ibis(con: BaseBackend, name: str, arrow: tuple, *, database: str | None) -> None:
    """Any other Ibis backend: create from the first batch, insert the rest."""
    import pyarrow as pa

    schema, batches = arrow
    first = True
    for batch in _nonempty(batches, schema):
        table = pa.Table.from_batches([batch])
        if first:
            con.create_table(name, table, database=database, overwrite=True)
            first = False
        else:
            con.insert(name, table, database=database)


def local_spark(
    *,
    cores: int = 2,
    memory: str = "2g",
    warehouse: str | None = None,
    shuffle_partitions: int = 4,
    log_level: str = "ERROR",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A local Spark session set up for revlab: UTC, loopback only, no web UI.

    revlab's timestamps are naive UTC, so the session's time zone must be UTC (Ibis sets it
    too). Spark binds to 127.0.0.1 only (``SPARK_LOCAL_IP`` is set for the JVM unless already
    set) and opens no web UI; small data wants few shuffle partitions.

    Parameters
    ----------
    cores
        Worker threads (``local[cores]``).
    memory
        Driver memory (the whole local Spark), like ``"2g"``; it takes effect only when this
        call starts Spark's JVM.
    warehouse
        Folder for managed tables (default: a temporary folder, deleted when Python exits, as
        the session's catalog forgets its tables then anyway).
    shuffle_partitions
        ``spark.sql.shuffle.partitions``.
    log_level
        Spark's log level for this session.
    conf
        Further Spark settings, over the ones above.

    Raises
    ------
    SourceError
        When pyspark is not installed or Java cannot be found.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SourceError("Spark needs pyspark: pip install 'revlab[engines]'.") from None
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise SourceError("Spark needs Java 17: install it (apt-get install openjdk-17-jre).")
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.memory": memory,
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.warehouse.dir": warehouse or _temporary_warehouse(),
        **dict(conf or {}),
    }
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # read when the JVM starts
    builder = SparkSession.builder.master(f"local[{cores}]").appName("revlab")
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(log_level)
    return session


def _temporary_warehouse() -> str:
    folder = tempfile.mkdtemp(prefix="revlab-spark-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
