"""Parse raw export values into canonical dtypes, reporting every value that does not parse.

Each parser returns ``(parsed, bad)``: the parsed series and a boolean mask of rows whose
non-empty value could not be read. Callers turn the mask into one message per column.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from revlab import _dates
from revlab.schema import PANDAS_DTYPES

TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})
EPOCH_UNITS = {"epoch_s": "s", "epoch_ms": "ms"}
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


def blank_to_na(series: pd.Series) -> pd.Series:
    """Treat empty and whitespace-only text as missing; other values are left alone."""
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return series
    text = series.where(series.isna(), series.astype("str").str.strip())
    return series.where(text.ne("") | series.isna())


def to_text(series: pd.Series) -> pd.Series:
    """Values as stripped strings (ids, labels); whole floats lose their '.0'; missing stays."""
    series = blank_to_na(series)
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        if len(whole) and (whole == np.floor(whole)).all():
            series = series.astype("Int64")
    text = series.astype(PANDAS_DTYPES["string"])
    return text.str.strip().where(series.notna())


def to_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read true/false, yes/no, 1/0 (any case); a missing or other value is bad."""
    if pd.api.types.is_bool_dtype(series) and series.dtype != object:
        return series.astype(bool), pd.Series(False, index=series.index)
    text = to_text(series).str.lower()
    bad = ~text.isin(TRUE | FALSE)
    return text.isin(TRUE).astype(bool), bad


def to_float(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read numbers; empty stays missing, anything else that is not a number is bad."""
    series = blank_to_na(series)
    if pd.api.types.is_bool_dtype(series):
        return pd.Series(np.nan, index=series.index), series.notna()
    values = pd.to_numeric(series, errors="coerce").astype(PANDAS_DTYPES["float"])
    return values, series.notna() & values.isna()


def to_timestamp(
    series: pd.Series,
    *,
    fmt: str | None = None,
    timezone: str = "UTC",
    ambiguous: str | None = None,
    nonexistent: str | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Read timestamps as naive UTC.

    Values with an offset (``2024-03-05T14:22:10.000+0000``, ``...Z``) are converted to UTC;
    values without one are taken to be in ``timezone``, except dates without a time, which
    name a calendar day and stay at midnight. ``fmt`` is a ``strftime`` format,
    ``"epoch_ms"`` / ``"epoch_s"`` for Unix times, or None for the reading every path shares
    (:func:`revlab._dates.parse_text`: ISO 8601, or day/month dates whose order the column
    shows). A local time that
    does not exist (the hour skipped when clocks go forward) or repeats (the hour lived twice
    when they go back) is bad unless ``nonexistent`` (``shift_forward`` / ``shift_backward``)
    or ``ambiguous`` (``earliest`` / ``latest``) says how to read it; see :func:`dst_gaps`.
    """
    zone = (timezone, ambiguous, nonexistent)
    series = blank_to_na(series)
    dtype = PANDAS_DTYPES["timestamp"]
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        out = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return out.astype(dtype), pd.Series(False, index=series.index)
    if pd.api.types.is_datetime64_dtype(series):
        out = _localize(series, *zone)
        return out.astype(dtype), series.notna() & out.isna()
    if fmt in EPOCH_UNITS:
        numbers = pd.to_numeric(series, errors="coerce")
        out = pd.to_datetime(numbers, unit=EPOCH_UNITS[fmt], errors="coerce")
        return out.astype(dtype), series.notna() & out.isna()
    text = series.astype(PANDAS_DTYPES["string"]).str.strip().where(series.notna())
    if fmt is None:  # the reading every path shares (revlab._dates), then the time zone
        read = _dates.parse_text(text)
        out = read.values.copy()
        local = ~read.aware & ~read.date_only & out.notna()
        if local.any():
            out[local] = _localize(out[local], *zone)
        return out.astype(dtype), series.notna() & out.isna()
    aware = text.str.contains(_OFFSET, na=False)
    out = pd.Series(pd.NaT, index=series.index, dtype=dtype)
    kwargs = {"format": fmt or "ISO8601", "errors": "coerce"}
    try:
        if aware.any():
            parsed = pd.to_datetime(text[aware], utc=True, **kwargs)
            out[aware] = parsed.dt.tz_localize(None).astype(dtype)
        naive = text.notna() & ~aware
        if naive.any():
            parsed = pd.to_datetime(text[naive], **kwargs)
            # A date without a time is a calendar day: it is not shifted by the time zone.
            days = _date_only(text[naive], fmt)
            parsed[~days] = _localize(parsed[~days], *zone)
            out[naive] = parsed.astype(dtype)
    except (ValueError, OverflowError):  # e.g. a format that cannot parse any value
        return out, series.notna()
    return out, series.notna() & out.isna()


def _date_only(text: pd.Series, fmt: str | None) -> pd.Series:
    if fmt is not None:
        has_time = any(code in fmt for code in ("%H", "%I", "%M", "%S", "%X", "%T", "%c"))
        return pd.Series(not has_time, index=text.index)
    return text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")


def _localize(
    values: pd.Series, timezone: str, ambiguous: str | None = None, nonexistent: str | None = None
) -> pd.Series:
    if timezone.upper() == "UTC":
        return values
    # pandas reads True as the summer-time (first) reading of a repeated hour.
    amb = "NaT" if ambiguous is None else np.full(len(values), ambiguous == "earliest")
    local = values.dt.tz_localize(timezone, ambiguous=amb, nonexistent=nonexistent or "NaT")
    return local.dt.tz_convert("UTC").dt.tz_localize(None)


def dst_gaps(series: pd.Series, *, fmt: str | None, timezone: str) -> tuple[pd.Series, pd.Series]:
    """Rows whose local time does not exist, and rows whose local time repeats, in the zone."""
    none = pd.Series(False, index=series.index)
    if timezone.upper() == "UTC" or fmt in EPOCH_UNITS:
        return none, none
    text = blank_to_na(series).astype(PANDAS_DTYPES["string"]).str.strip()
    naive = text.notna() & ~text.str.contains(_OFFSET, na=False)
    if pd.api.types.is_datetime64_dtype(series):
        parsed, day = series, _date_only(text.fillna(""), fmt)
    elif fmt is None:
        read = _dates.parse_text(text)
        parsed, naive, day = read.values, ~read.aware, read.date_only
    else:
        parsed = pd.to_datetime(text.where(naive), format=fmt, errors="coerce")
        day = _date_only(text.fillna(""), fmt)
    ok = parsed.notna() & naive & ~day
    n = len(parsed)
    missing = parsed.dt.tz_localize(timezone, ambiguous=np.ones(n, bool), nonexistent="NaT")
    repeated = parsed.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
    return ok & missing.isna(), ok & repeated.isna()


def infer_attribute(series: pd.Series) -> pd.Series:
    """Type an extra attribute: booleans or numbers when every value reads so, else text."""
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return series
    series = blank_to_na(series)
    if series.notna().any():
        flags, bad = to_bool(series)
        if not bad.any():
            return flags
        numbers, bad = to_float(series)
        if not bad.any():
            return numbers
    return to_text(series)


def snake_case(name: str) -> str:
    """``NumberOfEmployees`` → ``number_of_employees``; ``Lead Status`` → ``lead_status``.

    Salesforce's custom-field suffix ``__c`` is dropped (``Region__c`` → ``region``).
    """
    name = re.sub(r"__c$", "", str(name).strip())
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def header_key(name: str) -> str:
    """Loose form of a header for matching: case, spaces and punctuation ignored."""
    return re.sub(r"[^0-9a-z]+", "", str(name).lower())
