"""Connect to data: a DuckDB file, a folder of CSV/Parquet files, or any Ibis backend.

``connect(source)`` returns a :class:`Source` that gives every canonical table as an Ibis table
(queries run where the data lives) and as pandas on request. ``as_of`` cuts the data to what
was known at that date, so back-tests and propensity snapshots see no future.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from revlab import _dates
from revlab._tables import CREATED, MONEY
from revlab.errors import DataError, Shortfall
from revlab.periods import CALENDAR, FiscalCalendar
from revlab.schema import TABLES, SchemaError, Validated, validate

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

#: Where `make data` writes the demo company, relative to the project root.
DEFAULT_SOURCE = "data/demo.duckdb"
FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz")
IBIS_TYPES = {"string": "string", "timestamp": "timestamp", "float": "float64", "bool": "boolean"}


class SourceError(DataError):
    """A source cannot be reached or does not hold what was asked of it."""


class MissingTable(SourceError, Shortfall):
    """An analysis needs a table the source does not hold (a thin source, not a bad one)."""


def resolve_path(path: str | os.PathLike) -> Path:
    """Find a relative path from the working directory or a parent (notebooks run in one)."""
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p
    for parent in Path.cwd().parents:
        if (parent / p).exists():
            return parent / p
    return p


def connect(
    source: Any = None,
    *,
    as_of: str | pd.Timestamp | None = None,
    tables: Mapping[str, str] | None = None,
    database: str | None = None,
    reporting_currency: str | None = None,
) -> Source:
    """Open a data source holding (some of) the canonical tables.

    Parameters
    ----------
    source
        A DuckDB file path (default ``data/demo.duckdb``); a folder with one ``<table>.parquet``
        or ``<table>.csv`` per table; a connection URL such as ``postgresql://user@host/db``; an
        Ibis backend; a Spark session; or a dict of pandas DataFrames.
    as_of
        Show only what was known at this date (see :meth:`Source.at`).
    tables
        Canonical name to the name in the source, when the source names them differently.
    database
        Schema or database holding the tables, for warehouses.
    reporting_currency
        ISO 4217 code money is converted into (see :mod:`revlab._fx`); default: the one
        currency in the data, the one ``fx_rates`` is quoted in, or USD when money carries none.
    """
    backend, label = open_backend(DEFAULT_SOURCE if source is None else source)
    return Source(
        backend,
        label=label,
        as_of=as_of,
        names=dict(tables or {}),
        database=database,
        reporting_currency=reporting_currency,
    )


def open_backend(source: Any) -> tuple[BaseBackend, str]:
    """The Ibis backend for any source :func:`connect` accepts, and a label naming it."""
    import ibis

    if isinstance(source, Mapping):
        con = _duckdb_utc(ibis.duckdb.connect())
        for name, frame in source.items():
            con.create_table(name, frame)
        return con, "in-memory tables"
    if type(source).__name__ == "SparkSession":
        return ibis.pyspark.connect(source), "Spark session"
    if isinstance(source, ibis.BaseBackend):
        return source, f"{source.name} connection"
    text = str(source)
    if "://" in text:
        try:
            return ibis.connect(text), _redact(text)
        except Exception as exc:  # noqa: BLE001 - any driver error means "cannot reach"
            detail = str(exc).replace(text, _redact(text))
            raise SourceError(f"cannot connect to {_redact(text)}: {detail}") from None
    path = resolve_path(text)
    if path.is_dir():
        return _folder_backend(path), str(path)
    if path.suffix in {".duckdb", ".db", ".ddb"}:
        if not path.exists():
            hint = " Run `make data` to generate the demo company." if "demo" in path.name else ""
            raise SourceError(f"DuckDB file {path} does not exist.{hint}")
        try:
            return _duckdb_utc(ibis.duckdb.connect(str(path), read_only=True)), str(path)
        except Exception as exc:  # noqa: BLE001 - any DuckDB error opening it: not usable
            raise SourceError(
                f"{path} cannot be opened as a DuckDB database ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0]}). Check that the file is a DuckDB database written "
                "by a compatible DuckDB version and not truncated; regenerate or re-export it."
            ) from None
    raise SourceError(
        f"cannot read source {text!r}: give a .duckdb file, a folder of CSV/Parquet files, "
        "a connection URL (postgresql://…), an Ibis backend or a dict of DataFrames."
    )


def _duckdb_utc(con: BaseBackend) -> BaseBackend:
    con.raw_sql("SET TimeZone = 'UTC'")  # casts from TIMESTAMPTZ give naive UTC, not local time
    return con


def _folder_backend(folder: Path) -> BaseBackend:
    import ibis

    con = _duckdb_utc(ibis.duckdb.connect())
    found, problems = False, []
    for name in TABLES:
        paths = [folder / f"{name}{suffix}" for suffix in FILE_SUFFIXES]
        paths = [p for p in paths if p.exists()]
        if len(paths) > 1:
            both = ", ".join(p.name for p in paths)
            raise SourceError(
                f"folder {folder} holds the {name} table twice ({both}); keep one file per table."
            )
        for path in paths:
            try:
                if path.suffix == ".parquet":
                    con.read_parquet(str(path), table_name=name)
                else:
                    problems += _read_csv(con, path, name)
            except SourceError:
                raise
            except Exception as exc:  # noqa: BLE001 - DuckDB cannot read the file
                raise SourceError(_unreadable(path, exc)) from None
            found = True
    if problems:
        raise SchemaError(problems)
    if not found:
        raise SourceError(
            f"folder {folder} holds no canonical table files; expected files such as "
            f"leads.csv or opportunities.parquet (one per table: {', '.join(TABLES)})."
        )
    return con


_CONVERSION = re.compile(
    r"CSV Error on Line: (?P<line>\d+).*?Original Line: (?P<original>[^\n]*).*?"
    r'converting column "(?P<column>[^"]+)"\. Could not convert string "(?P<value>[^"]*)" '
    r"to '(?P<type>[^']+)'",
    re.S,
)


def _read_csv(con: BaseBackend, path: Path, name: str) -> list[str]:
    """Read a CSV table file into ``con`` as table ``name``; return its unsure date columns.

    Every row is read now, so a value that breaks the type DuckDB guessed from the file's first
    rows stops here, naming the file, line and column (a text attribute is kept as text).
    Canonical text and timestamp columns, and attributes DuckDB guesses are dates, are read as
    text, and the dates go through :func:`revlab._dates.parse_text`, the reading
    :func:`revlab.validate` uses: DuckDB's own date guess, which may read 05/03/2024 day first
    where pandas would read it month first, is never used.
    """
    import duckdb

    spec, raw = TABLES[name], con.con
    literal = "'" + str(path).replace("'", "''") + "'"
    sniffed = dict(
        (row[0], row[1]) for row in raw.execute(f"DESCRIBE FROM read_csv({literal})").fetchall()
    )
    header = list(sniffed)
    text = [c.name for c in spec.columns.values() if c.kind in ("string", "timestamp")]
    # Attributes DuckDB guesses are dates are read as text too, and parsed like the rest.
    dated = [c for c, kind in sniffed.items() if c not in spec.columns and _is_date(kind)]
    as_text = [c for c in header if c in text] + dated
    while True:
        types = ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for c in as_text)
        try:
            frame = raw.execute(f"FROM read_csv({literal}, types={{{types}}})").df()
            break
        except duckdb.ConversionException as exc:
            found = _CONVERSION.search(str(exc))
            if found is None:
                raise
            column = found["column"]
            if column in spec.columns or column in as_text:
                raise SourceError(_type_changed(path, spec, header, found)) from None
            as_text.append(column)  # an attribute that holds text after all: kept as text
    problems = []
    stamps = [c.name for c in spec.columns.values() if c.kind == "timestamp"]
    for col in [c for c in stamps if c in frame.columns] + dated:
        read = _dates.parse_text(frame[col])
        if read.problem:
            if spec.key in frame.columns:
                rows = f"{spec.key} " + ", ".join(map(str, frame.loc[read.unsure, spec.key][:3]))
            else:  # line numbers in the file: the header is line 1
                rows = "lines " + ", ".join(str(i + 2) for i in frame.index[read.unsure][:3])
            n = int(read.unsure.sum())
            problems.append(
                f"{name}.{col} ({path}): the column {read.problem} ({n} "
                f"row{'s' if n != 1 else ''}, values {read.examples(frame[col])}; "
                f"{rows}{', …' if n > 3 else ''}); {_dates.FIX}."
            )
        elif not read.bad.any():  # unreadable values stay text, for validate to name
            frame[col] = read.values
    con.create_table(name, frame)
    return problems


def _is_date(duckdb_type: str) -> bool:
    return duckdb_type.startswith(("DATE", "TIMESTAMP", "TIME"))


_DUCKDB_KINDS = {
    **dict.fromkeys(["BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "DOUBLE"], "a number"),
    "BOOLEAN": "true or false",
    **dict.fromkeys(["DATE", "TIMESTAMP", "TIME"], "a date"),
}


def _type_changed(path: Path, spec, header: list[str], found: re.Match) -> str:
    """A value that breaks the column type DuckDB guessed from the first rows of a CSV file."""
    column, value, kind = found["column"], found["value"], found["type"]
    row = next(csv.reader([found["original"]]), [])
    ident = ""
    if spec.key and spec.key in header and len(row) == len(header):
        ident = f", {spec.key} {row[header.index(spec.key)]}"
    fixes = {
        "float": "write plain numbers there (no units, currency signs or thousands separators: "
        "12000, not 12k) or blank the value",
        "bool": "write true or false there, or blank the value",
    }
    kind_of = spec.columns[column].kind if column in spec.columns else ""
    fix = fixes.get(kind_of, "fix or blank the value")
    return (
        f"{path} line {found['line']}, column {column}{ident}: {value!r} is not "
        f"{_DUCKDB_KINDS.get(kind, kind.lower())} like the values before it (DuckDB guessed the "
        "column's type from the "
        f"first rows of the file); {fix} at the source and read the folder again."
    )


def unrecognised_files(folder: str | Path) -> list[str]:
    """Files in a folder source that are no canonical table (a typo, another export): ignored."""
    known = {f"{name}{suffix}" for name in TABLES for suffix in FILE_SUFFIXES}
    folder = Path(folder)
    return sorted(
        p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
        and p.name not in known
    )  # fmt: skip


def _unreadable(path: Path, exc: Exception) -> str:
    """The message for a table file DuckDB cannot read: which file, why, and the fix."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if path.suffix == ".parquet":
        fix = "Write it again as Parquet (pandas: frame.to_parquet)."
    elif "UTF-8" in str(exc) or "unicode" in str(exc).lower():
        fix = (
            "Save it as UTF-8, or import it with `revlab import`, which takes --encoding "
            "(latin-1, cp1252, utf-16 …)."
        )
    else:
        fix = "Save it as comma-separated UTF-8 text with a header row."
    return f"{path} cannot be read as the {path.stem} table ({first}). {fix}"


def _redact(url: str) -> str:
    """Hide a password in a connection URL before it is printed or stored."""
    head, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return url


class Source:
    """Canonical tables from one backend, optionally cut at an as-of date."""

    def __init__(
        self,
        backend: BaseBackend,
        *,
        label: str,
        as_of: str | pd.Timestamp | None = None,
        names: dict[str, str] | None = None,
        database: str | None = None,
        calendar: FiscalCalendar = CALENDAR,
        reporting_currency: str | None = None,
        _currencies: dict[str, Any] | None = None,
    ):
        self.backend = backend
        self.label = label
        self.as_of = None if as_of is None else pd.Timestamp(as_of)
        self.names = names or {}
        self.database = database
        #: The run's quarters (calendar or fiscal): analyses label their periods by it.
        self.calendar = calendar
        self.requested_currency = reporting_currency or None
        self._currencies = {} if _currencies is None else _currencies  # shared with .at() cuts

    def __repr__(self) -> str:
        cut = f", as_of={self.as_of:%Y-%m-%d}" if self.as_of is not None else ""
        return f"Source({self.label}{cut}; tables: {', '.join(self.available())})"

    def at(self, as_of: str | pd.Timestamp | None) -> Source:
        """The same data as it stood at ``as_of`` (None: everything)."""
        return Source(
            self.backend,
            label=self.label,
            as_of=as_of,
            names=self.names,
            database=self.database,
            calendar=self.calendar,
            reporting_currency=self.requested_currency,
            _currencies=self._currencies,
        )

    def on_calendar(self, calendar: FiscalCalendar) -> Source:
        """The same data, its quarters counted on ``calendar`` (fiscal quarters, say)."""
        out = self.at(self.as_of)
        out.calendar = calendar
        return out

    def check_calendar(self) -> None:
        """Refuse targets labelled on another calendar than this source's (a SchemaError)."""
        from revlab._rules import target_calendar

        if not self.has_column("targets", "quarter"):
            return
        targets = self.raw("targets").select("quarter").to_pandas()
        problems = target_calendar(targets, self.calendar.start_month)
        if problems:
            raise SchemaError(problems)

    def available(self) -> list[str]:
        """Canonical tables this source holds."""
        present = set(self.backend.list_tables(database=self.database))
        return [t for t in TABLES if self.names.get(t, t) in present]

    def has(self, *names: str) -> bool:
        """Whether every named table is present."""
        have = set(self.available())
        return all(n in have for n in names)

    def has_column(self, name: str, column: str) -> bool:
        """Whether table ``name`` is present and has ``column`` (an optional one, say)."""
        return self.has(name) and column in self.raw(name).columns

    def require(self, *names: str, analysis: str = "this analysis") -> None:
        """Raise a clear error naming the missing tables an analysis needs."""
        missing = [n for n in names if not self.has(n)]
        if missing:
            tables = " and ".join(missing)
            raise MissingTable(
                analysis,
                f"the data have no {tables} table{'s' if len(missing) > 1 else ''} (they have: "
                f"{', '.join(self.available()) or 'none'})",
                enable=f"Add {tables} to enable it.",
            )

    def raw(self, name: str) -> ir.Table:
        """The table exactly as stored, without casts or the as-of cut."""
        if name not in TABLES:
            raise SourceError(f"unknown table {name!r}; canonical tables are {', '.join(TABLES)}.")
        self.require(name, analysis=f"reading '{name}'")
        return self.backend.table(self.names.get(name, name), database=self.database)

    def table(self, name: str, *, history: bool = True, convert: bool = True) -> ir.Table:
        """The table with canonical column types, cut at the as-of date, money converted.

        With ``history=False``, opportunities are cut without looking up ``stage_history``:
        creation, close, win and the amount at close are as stored, and an open deal's stage,
        amount and expected close are not replayed to the date. Metrics of decided deals need
        no more, and skip a window over every recorded change. Money is in the reporting
        currency (:mod:`revlab._fx`); ``convert=False`` keeps it in each row's ``currency``.
        """
        from revlab import _asof

        typed = cast_canonical(self.raw(name), name)
        if self.as_of is not None:
            changes = None
            if history and name == "opportunities" and self.has("stage_history"):
                changes = cast_canonical(self.raw("stage_history"), "stage_history")
            typed = _asof.cut(name, typed, self.as_of, history=changes)
        return self._in_reporting_currency(name, typed) if convert else typed

    @property
    def reporting_currency(self) -> str:
        """The currency every money column is read in (USD when the data name none)."""
        return self._currency_plan()[0]

    def currencies(self) -> list[str]:
        """Currencies the money columns are stored in (empty when no table has ``currency``)."""
        if "stored" not in self._currencies:
            found: set[str] = set()
            for name in MONEY:
                if self.has_column(name, "currency"):
                    found |= _distinct(self.raw(name), "currency")
            self._currencies["stored"] = sorted(found)
        return self._currencies["stored"]

    def _currency_plan(self) -> tuple[str, str | None, bool]:
        """(reporting currency, fx_rates' base currency, whether any row needs a rate)."""
        if "plan" not in self._currencies:
            from revlab._currency import CurrencyError, choose

            stored = self.currencies()
            quoted: list[str] = []
            if stored and self.has("fx_rates"):
                fx = self.raw("fx_rates")  # a currency at 1 throughout is the one quoted in
                quoted = sorted(_distinct(fx.filter(fx.rate.cast("float64") != 1), "currency"))
            try:
                reporting, base = choose(stored, quoted, self.requested_currency)
            except CurrencyError as exc:
                raise SourceError(f"{self.label}: {exc}") from None
            self._currencies["plan"] = (reporting, base, bool(set(stored) - {reporting}))
        return self._currencies["plan"]

    def _in_reporting_currency(self, name: str, typed: ir.Table) -> ir.Table:
        """``typed`` with its money in the reporting currency (unchanged when all is in it)."""
        if name not in MONEY or not self.currencies():
            return typed
        reporting, base, needed = self._currency_plan()
        if not needed:
            return typed
        from revlab import _asof, _fx

        fx = cast_canonical(self.raw("fx_rates"), "fx_rates")
        fallback = None
        if name == "opportunities":
            typed, date = typed.mutate(_fx_date=_fx.deal_date(typed)), "_fx_date"
        elif name == "stage_history":
            deals = None
            if self.has("opportunities"):
                deals = cast_canonical(self.raw("opportunities"), "opportunities")
                if self.as_of is not None:
                    deals = _asof.cut("opportunities", deals, self.as_of)
            typed, date, fallback = _fx.with_deal_date(typed, deals), "_fx_date", "_fx_d"
        else:
            date = CREATED[name]
        return _fx.convert(
            typed,
            fx,
            date=date,
            money=MONEY[name],
            reporting=reporting,
            base=base,
            fallback=fallback,
        )

    def to_pandas(self, name: str) -> pd.DataFrame:
        """The table as pandas, with canonical dtypes (identical whatever the backend)."""
        frame = self.table(name).to_pandas()
        for col in TABLES[name].columns.values():
            if col.name in frame.columns:
                frame[col.name] = _pandas_dtype(frame[col.name], col.kind)
        return frame

    def load(self, names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """Several tables as pandas (default: every table present)."""
        return {n: self.to_pandas(n) for n in (names or self.available())}

    def row_counts(self) -> dict[str, int]:
        """Rows per table present, counted where the data lives."""
        return {n: int(self.raw(n).count().execute()) for n in self.available()}

    def validate_shape(self, counts: dict[str, int] | None = None) -> None:
        """Check without reading rows: no table empty, no required column missing.

        The part of :meth:`validate` a warehouse-sized source can afford on every run;
        raises one SchemaError listing every problem.
        """
        from revlab import _rules

        counts = self.row_counts() if counts is None else counts
        problems = [
            p
            for name, n in counts.items()
            for p in _rules.shape_problems(TABLES[name], n, self.raw(name).columns)
        ]
        if problems:
            raise SchemaError(problems)

    def validate(self, *, require: Iterable[str] = (), as_of: Any = None) -> Validated:
        """Validate every table as stored against the contract (see :func:`revlab.validate`)."""
        tables = {n: self.raw(n).to_pandas() for n in self.available()}
        missing = [n for n in require if n not in tables]
        if missing and not tables:
            raise SchemaError([f"{self.label}: holds none of the canonical tables."])
        engine = [p for n, frame in tables.items() for p in self._engine_dates(n, frame)]
        try:
            checked = validate(
                tables,
                as_of=as_of if as_of is not None else self.as_of,
                require=require,
                reporting_currency=self.requested_currency,
            )
        except SchemaError as exc:
            raise SchemaError([*exc.problems, *engine]) from None
        if engine:
            raise SchemaError(engine)
        return checked

    def _engine_dates(self, name: str, frame: pd.DataFrame) -> list[str]:
        """Text timestamps the engine's cast would read otherwise than validation does.

        :meth:`table` casts a timestamp stored as text in the engine, which reads plain ISO
        8601 alike but drops an offset or fails on ``Z`` and day/month dates; such columns are
        refused here rather than misread or failing in an analysis. (CSV files in a folder are
        parsed on connect and never reach the cast.)
        """
        raw, problems = self.raw(name), []
        for col in TABLES[name].columns.values():
            if col.kind != "timestamp" or col.name not in frame.columns:
                continue
            if not raw[col.name].type().is_string():
                continue
            read = _dates.parse_text(frame[col.name])
            if read.bad.any() or read.problem:  # validation names those values first
                continue
            odd = read.aware if read.aware.any() else pd.Series(False, index=frame.index)
            if read.order in ("day first", "month first"):
                odd = odd | read.values.notna()
            if odd.any():
                shown = ", ".join(map(repr, frame.loc[odd, col.name].drop_duplicates()[:3]))
                what = "offsets or Z" if read.aware.any() else f"day/month dates ({read.order})"
                problems.append(
                    f"{name}.{col.name}: {int(odd.sum())} rows are text timestamps with {what} "
                    f"(values {shown}) stored as text in {self.label}, which the engine's cast "
                    "would misread; store the column as TIMESTAMP in UTC (convert it before "
                    "writing), or give the tables as CSV files in a folder, which revlab parses."
                )
        return problems


def _distinct(table: ir.Table, column: str) -> set[str]:
    """The distinct non-empty text values of ``column``, read in the engine."""
    values = table.select(v=table[column].cast("string")).distinct().to_pandas()["v"]
    return {v for v in values if isinstance(v, str) and v}


def cast_canonical(table: ir.Table, name: str) -> ir.Table:
    """Canonical table ``name`` with its known columns cast to their canonical Ibis types."""
    casts = {}
    for col in TABLES[name].columns.values():
        if col.name in table.columns:
            target = IBIS_TYPES[col.kind]
            if str(table[col.name].type()).split("(")[0] != target:
                casts[col.name] = table[col.name].cast(target)
    return table.mutate(**casts) if casts else table


def _pandas_dtype(series: pd.Series, kind: str) -> pd.Series:
    if kind == "timestamp":
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return series.astype("datetime64[us]")
    if kind == "string":
        return series.astype("str").where(series.notna())
    if kind == "bool" and series.isna().any():
        return series
    return series.astype({"float": "float64", "bool": "bool"}[kind])
