"""One reading of text timestamps for every path: validation, folder sources and CRM imports.

:func:`parse_text` is the only place revlab turns text into timestamps when no format is
given (``revlab.validate``, CSV files in a folder source, ``revlab.crm`` without ``dates:``),
so a column reads the same wherever it goes. It accepts:

- ISO 8601: ``2024-03-05``, ``2024-03-05 14:22``, ``2024-03-05T14:22:10.5``; with ``Z`` or an
  offset (``+02:00``, ``+0000``) the value is converted to UTC;
- day/month/year written with ``/``, ``.`` or ``-`` (``25/03/2024``, ``25.03.2024 14:22``) when
  the column itself shows the order: some value has a day above 12 (day first) or a second
  field above 12 (month first).

A column is *unsure*, and no value of it is read, when every such value has day and month of
12 or less (``05/03/2024``: 5 March or 3 May?), when some values put the day first and others
the month, or when it mixes ISO 8601 with day/month dates. Anything else is unreadable.

This module imports nothing from revlab, so every other module can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

DTYPE = "datetime64[us]"
_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
ISO = re.compile(
    rf"^\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?\s?{_OFFSET}?)?$"
)
AWARE = re.compile(rf"[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?\s?{_OFFSET}$")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DAY_MONTH = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})"
    r"(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$"
)
#: How to give the format when a column is unsure, for messages outside ``revlab.crm``.
FIX = (
    "write the dates as ISO 8601 (2024-03-05 or 2024-03-05T14:22:10Z), or import the file with "
    "`revlab import` and a mapping that gives the column's format under `dates:` "
    "(e.g. '%d/%m/%Y')"
)


@dataclass
class Parsed:
    """What :func:`parse_text` read.

    ``values`` are naive UTC for values with an offset, else as written; ``aware`` marks the
    values that had an offset, ``date_only`` those without a time (a calendar day); ``bad``
    the non-empty values that are no timestamp at all; ``unsure`` the values left unread
    because the column's day/month order is ambiguous or mixed, and ``problem`` says why
    (None when the column is sure). ``order`` is ``"iso"``, ``"day first"``,
    ``"month first"`` or None.
    """

    values: pd.Series
    bad: pd.Series
    unsure: pd.Series
    aware: pd.Series
    date_only: pd.Series
    order: str | None = None
    problem: str | None = None

    def examples(self, original: pd.Series, n: int = 3) -> str:
        """A few of the unsure values, quoted, for a message."""
        shown = original[self.unsure].astype("str").str.strip().drop_duplicates().head(n)
        return ", ".join(repr(v) for v in shown)


def parse_text(series: pd.Series) -> Parsed:
    """Read a column of text timestamps (see the module's docstring); missing stays missing."""
    text = series.astype("str").str.strip().where(series.notna())
    text = text.where(text.ne(""))
    index = series.index
    none = pd.Series(False, index=index)
    values = pd.Series(pd.NaT, index=index, dtype=DTYPE)
    iso = text.str.match(ISO, na=False)
    parts = text.str.extract(DAY_MONTH)
    dm = parts["a"].notna()
    bad = text.notna() & ~iso & ~dm
    aware = iso & text.str.contains(AWARE, na=False)
    date_only = (iso & text.str.match(DATE_ONLY, na=False)) | (dm & parts["time"].isna())
    if aware.any():
        got = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        values[aware] = got.dt.tz_localize(None).astype(DTYPE)
    naive = iso & ~aware
    if naive.any():
        values[naive] = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
    order, problem, unsure = ("iso" if iso.any() else None), None, none
    if dm.any():
        a, b = parts["a"].astype(float), parts["b"].astype(float)
        day_first, month_first = bool((dm & (a > 12)).any()), bool((dm & (b > 12)).any())
        example = text[dm].iloc[0]
        if iso.any():
            problem = (
                f"mixes ISO 8601 dates ({text[iso].iloc[0]!r}) with day/month dates "
                f"({example!r}), so the order of day and month cannot be told"
            )
        elif day_first and month_first:
            problem = (
                f"puts the day first in some values ({text[dm & (a > 12)].iloc[0]!r}) and the "
                f"month first in others ({text[dm & (b > 12)].iloc[0]!r})"
            )
        elif not (day_first or month_first):
            problem = (
                "has day and month of 12 or less in every value, so it is ambiguous whether "
                f"{example!r} puts the day or the month first"
            )
        else:
            order = "day first" if day_first else "month first"
            day, month = (parts["a"], parts["b"]) if day_first else (parts["b"], parts["a"])
            iso_text = (
                parts["year"] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
                + (" " + parts["time"].str.replace(r"^(\d):", r"0\1:", regex=True)).fillna("")
            )  # fmt: skip
            values[dm] = pd.to_datetime(iso_text[dm], format="ISO8601", errors="coerce")
        if problem:
            unsure, order = dm, None
    bad = bad | (text.notna() & ~unsure & values.isna())
    return Parsed(values.astype(DTYPE), bad, unsure, aware, date_only, order, problem)
