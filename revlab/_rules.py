"""Row-level rules behind :func:`revlab.schema.validate`: coercion, value and reference checks.

Every rule returns messages like ``table.column: N rows <what is wrong> (<examples>); <fix>``,
so that one error can list every problem in a dataset.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from revlab import _dates
from revlab._currency import CODE, CurrencyError, choose
from revlab._tables import CREATED, FORECAST_CATEGORIES, MONEY, TABLES, Column, TableSpec

MAX_EXAMPLES = 3
QUARTER_PATTERN = re.compile(r"^(FY)?\d{4}Q[1-4]$")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}

# (table, column): what the column must not precede, for "happened before it was created" checks.
NOT_BEFORE: dict[str, tuple[str, tuple[str, ...]]] = {
    "leads": ("created_at", ("mql_at", "sql_at", "converted_at", "disqualified_at")),
    "opportunities": ("created_at", ("closed_at",)),
    "subscriptions": ("start_date", ("end_date",)),
}
NON_NEGATIVE: dict[str, tuple[str, ...]] = {
    "leads": ("acquisition_cost",),
    "opportunities": ("amount",),
    "stage_history": ("amount",),
    "marketing_spend": ("spend",),
    "targets": ("bookings_target",),
    "subscriptions": ("amount",),
}
# (child table, child column) -> (parent table, parent column)
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("activities", "lead_id"): ("leads", "lead_id"),
    ("opportunities", "lead_id"): ("leads", "lead_id"),
    ("leads", "opportunity_id"): ("opportunities", "opportunity_id"),
    ("stage_history", "opportunity_id"): ("opportunities", "opportunity_id"),
    ("subscriptions", "renewed_from"): ("subscriptions", "subscription_id"),
}


#: Largest amount accepted (a quadrillion): anything above is a broken number, not a deal.
MAX_MONEY = 1e15


def examples(frame: pd.DataFrame, mask: pd.Series, spec: TableSpec) -> str:
    """Name a few offending rows by their id (or row number and label columns)."""
    rows = frame.loc[mask.to_numpy()]
    more = ", …" if len(rows) > MAX_EXAMPLES else ""
    head = rows.head(MAX_EXAMPLES)
    if spec.key and spec.key in frame.columns:
        return f"{spec.key} " + ", ".join(str(v) for v in head[spec.key]) + more
    labels = [c for c in spec.label_columns() if c in frame.columns]
    parts = []
    for idx, row in head.iterrows():
        label = ", ".join(f"{c}={row[c]}" for c in labels)
        parts.append(f"row {idx} ({label})" if label else f"row {idx}")
    return "; ".join(parts) + more


def _count(mask: pd.Series, verb: str = "") -> str:
    """'1 row is' / '3 rows are' (or just the count of rows when no verb is given)."""
    n = int(mask.sum())
    noun = f"{n} row{'s' if n != 1 else ''}"
    if not verb:
        return noun
    singular = {"are": "is", "share": "shares", "point": "points", "name": "names"}
    return f"{noun} {verb if n != 1 else singular[verb]}"


def coerce_table(
    spec: TableSpec, frame: pd.DataFrame
) -> tuple[list[str], list[str], pd.DataFrame | None]:
    """Check a table's shape and give its columns canonical dtypes; values stay as they are."""
    name = spec.name
    shape = shape_problems(spec, len(frame), frame.columns)
    if shape:
        return shape, [], None
    problems: list[str] = []
    notes: list[str] = []
    out = frame.copy()
    for col in spec.columns.values():
        if col.name not in out.columns:
            continue
        converted, bad, note = _coerce_column(out[col.name], col)
        if bad is not None and bad.any():
            bad_values = ", ".join(repr(v) for v in out.loc[bad.to_numpy(), col.name].head(3))
            problems.append(
                f"{name}.{col.name}: {_count(bad)} cannot be read as {col.kind} "
                f"(values {bad_values}; {examples(out, bad, spec)}); fix or blank those values."
            )
        if note.startswith(_UNSURE):
            problems.append(unsure_dates(spec, out, col.name))
        elif note and not (bad is not None and bad.any()):
            notes.append(f"{name}.{col.name}: {note}")
        out[col.name] = converted
    problems += _required_not_null(spec, frame, out)
    problems += _unique_key(spec, out)
    return problems, notes, out


def shape_problems(spec: TableSpec, n_rows: int, columns) -> list[str]:
    """An empty table, or required columns missing: what can be told without reading rows."""
    name = spec.name
    if n_rows == 0:
        return [f"{name}: table is empty (0 rows); export its rows or leave the table out."]
    missing = [c.name for c in spec.required if c.name not in columns]
    has = ", ".join(sorted(map(str, columns)))
    return [
        f"{name}.{col}: required column is missing; the table has: {has}. "
        f"Rename the matching column to '{col}' (or map it with revlab.crm)."
        for col in missing
    ]


def _coerce_column(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series | None, str]:
    if col.kind == "timestamp":
        return _to_timestamp(series)
    if col.kind == "float":
        if pd.api.types.is_bool_dtype(series):
            return series, series.notna(), ""
        values = pd.to_numeric(series, errors="coerce").astype("float64")
        return values, series.notna() & values.isna(), ""
    if col.kind == "bool":
        return _to_bool(series)
    return _to_string(series), None, ""


def _to_timestamp(series: pd.Series) -> tuple[pd.Series, pd.Series | None, str]:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        out = series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
        return out, None, f"converted timezone-aware timestamps ({series.dtype.tz}) to naive UTC"
    if pd.api.types.is_datetime64_dtype(series):
        return series.astype("datetime64[us]"), None, ""
    read = _dates.parse_text(series)
    if read.problem:  # reported by unsure_dates; its values are not read
        return read.values, read.bad, _UNSURE + read.problem
    note = (
        "read text as timestamps"
        + (f" ({_ORDERS.get(read.order, read.order)})" if read.order else "")
        + ("; timezone offsets converted to naive UTC" if read.aware.any() else "")
    )
    return read.values, read.bad, note


_UNSURE = "unsure: "
_ORDERS = {"iso": "ISO 8601"}


def unsure_dates(spec: TableSpec, frame: pd.DataFrame, column: str) -> str:
    """The message for a text timestamp column whose day/month order is ambiguous or mixed."""
    series = frame[column]
    read = _dates.parse_text(series)
    return (
        f"{spec.name}.{column}: the column {read.problem} "
        f"({_count(read.unsure)}, values {read.examples(series)}; "
        f"{examples(frame, read.unsure, spec)}); {_dates.FIX}."
    )


def _to_bool(series: pd.Series) -> tuple[pd.Series, pd.Series | None, str]:
    if pd.api.types.is_bool_dtype(series) and series.dtype != object:
        return series.astype(bool), None, ""
    text = series.astype("str").str.strip().str.lower().where(series.notna())
    text = text.replace({"1.0": "1", "0.0": "0"})
    known = text.isin(_TRUE | _FALSE)
    bad = series.notna() & ~known
    return text.isin(_TRUE).where(series.notna()), bad, ""


def _to_string(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if len(whole) and (whole == np.floor(whole)).all():
            series = series.astype("Int64")
    return series.astype("str").where(series.notna())


def _required_not_null(spec: TableSpec, original: pd.DataFrame, frame: pd.DataFrame) -> list[str]:
    """Required columns must have a value in every row (unparseable values are reported apart)."""
    problems = []
    for col in spec.required:
        empty = original[col.name].isna()
        if col.kind in ("string", "timestamp"):  # blank or whitespace-only text is no value
            empty |= original[col.name].astype("string").str.strip().eq("").fillna(False)
        if empty.any():
            problems.append(
                f"{spec.name}.{col.name}: {_count(empty, 'are')} empty "
                f"({examples(frame, empty, spec)}); every row of {spec.name} needs {col.name}."
            )
        elif col.kind == "bool":
            frame[col.name] = frame[col.name].astype(bool)
    return problems


def _unique_key(spec: TableSpec, frame: pd.DataFrame) -> list[str]:
    if not spec.key or spec.key not in frame.columns:
        return []
    dup = frame[spec.key].notna() & frame[spec.key].duplicated(keep=False)
    if not dup.any():
        return []
    return [
        f"{spec.name}.{spec.key}: {_count(dup, 'share')} an id with another row "
        f"({examples(frame, dup, spec)}); ids must be unique: remove duplicate rows or re-key."
    ]


def check_rows(tables: dict[str, pd.DataFrame], cutoff: pd.Timestamp) -> list[str]:
    """Value rules within each table: signs, time order, flags, the future, quarter format."""
    problems: list[str] = []
    for name, frame in tables.items():
        spec = TABLES[name]
        for col in NON_NEGATIVE.get(name, ()):
            if col in frame.columns:
                huge = ~np.isfinite(frame[col].astype(float)) & frame[col].notna()
                huge |= frame[col].abs() > MAX_MONEY
                if huge.any():
                    problems.append(
                        f"{name}.{col}: {_count(huge, 'are')} infinite or beyond "
                        f"{MAX_MONEY:.0e} ({examples(frame, huge, spec)}); amounts must be "
                        "finite: check the export's number format (a thousands separator read "
                        "as a decimal point, an overflowed cell)."
                    )
                bad = frame[col] < 0
                if bad.any():
                    problems.append(
                        f"{name}.{col}: {_count(bad, 'are')} negative "
                        f"({examples(frame, bad, spec)}); "
                        "amounts and costs must be zero or more (record refunds separately)."
                    )
        start, later = NOT_BEFORE.get(name, (None, ()))
        for col in later:
            if col in frame.columns:
                bad = frame[col] < frame[start]
                if bad.any():
                    problems.append(
                        f"{name}.{col}: {_count(bad, 'are')} before {start} "
                        f"({examples(frame, bad, spec)}); fix the dates at the source."
                    )
        problems += _future_events(spec, frame, cutoff)
    if "subscriptions" in tables:
        problems += overlapping_terms(tables["subscriptions"])
    problems += _won_not_closed(tables)
    problems += _quarter_format(tables)
    problems += _forecast_categories(tables)
    return problems


def overlapping_terms(subs: pd.DataFrame) -> list[str]:
    """Terms of one account that overlap: a term starting before an earlier one has ended.

    A renewal starting the day the previous term ends is no overlap. Retention follows one
    term at a time per account, so notebook 04 would refuse these; validation names them first.
    """
    cols = {"account_id", "start_date", "end_date"}
    if not cols <= set(subs.columns):
        return []
    dated = subs[subs["start_date"].notna() & subs["end_date"].notna()]
    ordered = dated.sort_values(["account_id", "start_date", "end_date"], kind="stable")
    ends = ordered["end_date"].astype("int64")
    account = ordered["account_id"]
    before = ends.groupby(account, sort=False).cummax().groupby(account, sort=False).shift()
    clash = ordered["start_date"].astype("int64") < before
    if not clash.any():
        return []
    label = "subscription_id" in ordered.columns
    rows = ordered.assign(_row=ordered.index).reset_index(drop=True)  # by position

    def term(pos: int) -> str:
        row = rows.iloc[pos]
        name = f"{row['subscription_id']} " if label else f"row {row['_row']} "
        return f"{name}{row['start_date']:%Y-%m-%d} to {row['end_date']:%Y-%m-%d}"

    shown = []
    for pos in np.flatnonzero(clash.to_numpy())[:MAX_EXAMPLES]:
        acct = rows["account_id"].iloc[pos]
        earlier = rows.iloc[:pos]
        other = int(earlier["end_date"].where(earlier["account_id"] == acct).idxmax())
        shown.append(f"account_id {acct}: {term(pos)} starts before {term(other)} ends")
    n, accounts = int(clash.sum()), ordered.loc[clash.to_numpy(), "account_id"].nunique()
    more = "; …" if n > MAX_EXAMPLES else ""
    return [
        f"subscriptions.start_date: {n} term{'s' if n != 1 else ''} of {accounts} "
        f"account{'s' if accounts != 1 else ''} overlap{'s' if n == 1 else ''} an earlier term of "
        "the same account "
        f"({'; '.join(shown)}{more}); retention follows one term at a time per account (a "
        "renewal may start the day the previous term ends): end the earlier term when the "
        "next starts, or merge add-ons that run together into one term."
    ]


def _future_events(spec: TableSpec, frame: pd.DataFrame, cutoff: pd.Timestamp) -> list[str]:
    problems = []
    for col in spec.columns.values():
        if col.kind == "timestamp" and col.event and col.name in frame.columns:
            bad = frame[col.name] > cutoff
            if bad.any():
                problems.append(
                    f"{spec.name}.{col.name}: {_count(bad, 'are')} after the as-of date "
                    f"{cutoff:%Y-%m-%d %H:%M} ({examples(frame, bad, spec)}); events cannot lie "
                    "in the future: check the time zone, or pass a later as_of."
                )
    return problems


def _won_not_closed(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Flags that contradict each other: won but open, or open with a close time."""
    opps = tables.get("opportunities")
    if opps is None:
        return []
    spec, problems = TABLES["opportunities"], []
    bad = opps["is_won"] & ~opps["is_closed"]
    if bad.any():
        problems.append(
            f"opportunities.is_won: {_count(bad, 'are')} won but not closed "
            f"({examples(opps, bad, spec)}); a won deal is closed: set is_closed."
        )
    if "closed_at" in opps.columns:
        bad = ~opps["is_closed"] & opps["closed_at"].notna()
        if bad.any():
            problems.append(
                f"opportunities.closed_at: {_count(bad, 'are')} set on open deals "
                f"({examples(opps, bad, spec)}); set is_closed, or clear closed_at for deals "
                "still open."
            )
    return problems


def _quarter_format(tables: dict[str, pd.DataFrame]) -> list[str]:
    targets = tables.get("targets")
    if targets is None:
        return []
    bad = ~targets["quarter"].astype(str).str.match(QUARTER_PATTERN)
    if not bad.any():
        return []
    return [
        f"targets.quarter: {_count(bad, 'are')} not quarters like 2026Q3 "
        f"({examples(targets, bad, TABLES['targets'])}); write them as YYYYQn "
        "(FYYYYYQn for fiscal quarters)."
    ]


def target_calendar(targets: pd.DataFrame, fiscal_start: int) -> list[str]:
    """Targets labelled on another calendar than the run's (``2026Q3`` on a fiscal run, say).

    ``fiscal_start`` is the month the run's fiscal year starts (1: calendar quarters).
    """
    labels = targets["quarter"].astype(str).str.strip()
    fiscal = labels.str.upper().str.startswith("FY")
    bad = fiscal if fiscal_start == 1 else ~fiscal
    if not bad.any():
        return []
    rows = examples(targets, bad, TABLES["targets"])
    if fiscal_start == 1:
        return [
            f"targets.quarter: {_count(bad, 'name')} fiscal quarters (like FY2027Q1) but the run "
            f"counts calendar quarters ({rows}); set the fiscal year start (revlab report "
            "--fiscal-year-start N, or the fiscal_year_start parameter) or write them like 2026Q3."
        ]
    month = pd.Timestamp(2000, fiscal_start, 1).strftime("%B")
    return [
        f"targets.quarter: {_count(bad, 'name')} calendar quarters (like 2026Q3) but the run's "
        f"fiscal year starts in {month} ({rows}); write each target for its fiscal quarter "
        "(like FY2027Q1), or run on calendar quarters (fiscal year start 1)."
    ]


def _forecast_categories(tables: dict[str, pd.DataFrame]) -> list[str]:
    """``forecast_category`` holds one of the five standard names, exactly as written there.

    Validation changes no value, so a variant in case or spacing ("best case", "BestCase") is
    refused with the spelling to use; the CRM maps translate their systems' values explicitly.
    """
    problems = []
    for name in ("opportunities", "stage_history"):
        frame = tables.get(name)
        if frame is None or "forecast_category" not in frame.columns:
            continue
        values = frame["forecast_category"]
        bad = values.notna() & ~values.isin(FORECAST_CATEGORIES)
        if not bad.any():
            continue
        found = ", ".join(repr(v) for v in values[bad].drop_duplicates().head(MAX_EXAMPLES))
        like = {v: _category_like(v) for v in values[bad].drop_duplicates()}
        hints = sorted(f"{v!r} → {c!r}" for v, c in like.items() if c)
        spell = f" (write {', '.join(hints[:MAX_EXAMPLES])})" if hints else ""
        problems.append(
            f"{name}.forecast_category: {_count(bad, 'are')} not a forecast category "
            f"(values {found}; {examples(frame, bad, TABLES[name])}); use one of "
            f"{', '.join(FORECAST_CATEGORIES)}{spell}, or blank the cell."
        )
    return problems


def _category_like(value: object) -> str:
    """The standard category a variant spelling stands for ("best_case" → "Best Case"), or ""."""
    key = re.sub(r"[\s_-]", "", str(value)).casefold()
    return next((c for c in FORECAST_CATEGORIES if c.replace(" ", "").casefold() == key), "")


def check_references(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Every id that points at another table must exist there."""
    problems = []
    for (child, col), (parent, pcol) in REFERENCES.items():
        if child not in tables or parent not in tables:
            continue
        c, p = tables[child], tables[parent]
        if col not in c.columns or pcol not in p.columns:
            continue
        bad = c[col].notna() & ~c[col].isin(p[pcol])
        if bad.any():
            values = ", ".join(map(str, c.loc[bad.to_numpy(), col].drop_duplicates().head(3)))
            problems.append(
                f"{child}.{col}: {_count(bad, 'point')} at {parent} that do not exist "
                f"({col} {values}; {examples(c, bad, TABLES[child])}); add the missing "
                f"{parent} or remove those rows at the source."
            )
    return problems


def suspicious(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Legal but odd data that a user should look at; returned as warning texts."""
    found = []
    opps = tables.get("opportunities")
    if opps is not None:
        zero = opps["is_won"] & (opps["amount"] == 0)
        if zero.any():
            found.append(f"opportunities.amount: {_count(zero)} of won deals have amount 0.")
        if "closed_at" in opps.columns:
            missing = opps["is_closed"] & opps["closed_at"].isna()
            if missing.any():
                found.append(
                    f"opportunities.closed_at: {_count(missing)} of closed deals have no "
                    "closed_at; "
                    "they are left out of timing metrics."
                )
        median = opps["amount"].median()
        huge = opps["amount"] > 100 * median if median and median > 0 else opps["amount"] < 0
        if huge.any():
            found.append(
                f"opportunities.amount: {_count(huge, 'are')} over 100× the median deal "
                f"({median:,.0f}); check the currency and units."
            )
    leads = tables.get("leads")
    if leads is not None and {"converted_at", "opportunity_id"} <= set(leads.columns):
        orphan = leads["converted_at"].notna() & leads["opportunity_id"].isna()
        if orphan.any():
            found.append(
                f"leads.opportunity_id: {_count(orphan)} of converted leads name no deal."
            )
    acts = tables.get("activities")
    if acts is not None and leads is not None:
        created = acts["lead_id"].map(leads.set_index("lead_id")["created_at"])
        early = acts["occurred_at"] < created
        if early.any():
            found.append(
                f"activities.occurred_at: {_count(early)} of touches come before their lead's "
                "created_at (e.g. anonymous web visits matched later); they count as history."
            )
    return found


def check_currencies(tables: dict[str, pd.DataFrame], requested: str | None = None) -> list[str]:
    """Currency codes, fx rates, and a rate for every row's money at the date it converts at.

    The dates are those of :mod:`revlab._fx`, taking a deal at its creation: the earliest
    date any as-of cut converts it at (a rate holds from its ``valid_from`` onwards).
    """
    problems = [*_bad_codes(tables), *_bad_rates(tables.get("fx_rates"))]
    stored = {
        c for name in MONEY if "currency" in tables.get(name, pd.DataFrame()).columns
        for c in tables[name]["currency"].dropna().unique() if CODE.match(str(c))
    }  # fmt: skip
    if problems or not stored:
        return problems
    fx = tables.get("fx_rates")
    quoted = set(fx.loc[fx["rate"] != 1, "currency"].dropna()) if fx is not None else set()
    try:
        reporting, base = choose(stored, quoted, requested)
    except CurrencyError as exc:
        return [f"currency: {exc}"]
    empty = pd.Series(dtype=object)
    first = fx.groupby("currency")["valid_from"].min() if fx is not None else empty
    for name in MONEY:
        frame = tables.get(name)
        if frame is None or "currency" not in frame.columns and name != "stage_history":
            continue
        codes, dates = _conversion(name, frame, tables, reporting)
        need = codes.ne(reporting)
        if not need.any():
            continue
        for code in sorted({*codes[need & codes.ne(base)].unique(), *_cross(reporting, base)}):
            rows = need & (codes.eq(code) if code != reporting else True)
            since = first.get(code, pd.NaT)
            bad = rows & (dates < since if not pd.isna(since) else True)
            if bad.any():
                how = f"in {code}" if code != reporting else f"converted into {code} via {base}"
                problems.append(_no_rate(TABLES[name], frame, bad, dates, code, how))
    return problems


def _cross(reporting: str, base: str | None) -> list[str]:
    """The reporting currency's own rates are needed when it is not the base of fx_rates."""
    return [reporting] if base is not None and reporting != base else []


def _conversion(
    name: str, frame: pd.DataFrame, tables: dict[str, pd.DataFrame], reporting: str
) -> tuple[pd.Series, pd.Series]:
    """Each row's currency and the earliest date it converts at (see revlab._fx)."""
    own = frame["currency"] if "currency" in frame.columns else pd.Series(None, frame.index)
    if name == "stage_history" and "opportunities" in tables:
        deals = tables["opportunities"].set_index("opportunity_id")
        dates = frame["opportunity_id"].map(deals["created_at"]).fillna(frame["entered_at"])
        if "currency" in deals.columns:
            own = own.astype(object).fillna(frame["opportunity_id"].map(deals["currency"]))
    elif name == "stage_history":
        dates = frame["entered_at"]
    else:
        dates = frame[CREATED[name]]
    return own.fillna(reporting).astype(str), dates


def _no_rate(spec: TableSpec, frame, bad: pd.Series, dates, code: str, how: str) -> str:
    missing = dates[bad]
    return (
        f"{spec.name}.currency: {_count(bad)} {how} have no {code} rate in fx_rates valid "
        f"at the date they convert at ({missing.min():%Y-%m-%d} to "
        f"{missing.max():%Y-%m-%d}; {examples(frame, bad, spec)}); add fx_rates rows for "
        f"{code} valid from ≤ {missing.min():%Y-%m-%d}."
    )


def _bad_codes(tables: dict[str, pd.DataFrame]) -> list[str]:
    problems = []
    for name in (*MONEY, "fx_rates"):
        frame = tables.get(name)
        if frame is None or "currency" not in frame.columns:
            continue
        values = frame["currency"]
        bad = values.notna() & ~values.astype(str).str.match(CODE.pattern)
        if bad.any():
            shown = ", ".join(map(repr, values[bad].drop_duplicates().head(MAX_EXAMPLES)))
            problems.append(
                f"{name}.currency: {_count(bad)} with no ISO 4217 code (values {shown}; "
                f"{examples(frame, bad, TABLES[name])}); write three upper-case letters, "
                "like EUR."
            )
    return problems


def _bad_rates(fx: pd.DataFrame | None) -> list[str]:
    if fx is None:
        return []
    bad = ~(fx["rate"] > 0) | ~np.isfinite(fx["rate"].astype(float))
    if not bad.any():
        return []
    return [
        f"fx_rates.rate: {_count(bad, 'are')} empty, zero, negative or infinite "
        f"({examples(fx, bad, TABLES['fx_rates'])}); a rate is units of the reporting "
        "currency per 1 unit of the currency, always above 0."
    ]
