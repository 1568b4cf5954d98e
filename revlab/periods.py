"""Calendar quarters: parse ``2026Q3``, their bounds, neighbours, and the latest complete one.

A quarter runs from ``start`` (inclusive) to ``end`` (exclusive, the next quarter's start), so
``start <= t < end`` holds for every moment in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

_PATTERN = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


class PeriodError(ValueError):
    """A quarter or date that cannot be read."""


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter such as 2026Q3."""

    year: int
    q: int

    @classmethod
    def parse(cls, text: str | Quarter) -> Quarter:
        """Read ``2026Q3`` (also ``2026-Q3``, ``2026q3``)."""
        if isinstance(text, Quarter):
            return text
        match = _PATTERN.match(str(text))
        if not match:
            raise PeriodError(f"quarter {text!r} is not like 2026Q3 (year, 'Q', 1 to 4).")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, when: str | pd.Timestamp) -> Quarter:
        """The quarter a moment falls in."""
        ts = pd.Timestamp(when)
        return cls(ts.year, (ts.month - 1) // 3 + 1)

    @classmethod
    def latest_complete(cls, as_of: str | pd.Timestamp) -> Quarter:
        """The last quarter that had ended by ``as_of``."""
        return cls.containing(as_of).shift(-1)

    @classmethod
    def latest_covered(cls, data_end: str | pd.Timestamp | None) -> Quarter:
        """The last quarter that data ending at ``data_end`` covers to its last day."""
        if data_end is None or pd.isna(data_end):
            return cls.latest_complete(pd.Timestamp.now())
        end = pd.Timestamp(data_end)
        q = cls.containing(end)
        return q if end.normalize() >= q.last_day else q.previous

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def start(self) -> pd.Timestamp:
        """First moment of the quarter."""
        return pd.Timestamp(year=self.year, month=3 * self.q - 2, day=1)

    @property
    def end(self) -> pd.Timestamp:
        """First moment after the quarter (the next quarter's start)."""
        return self.shift(1).start

    @property
    def last_day(self) -> pd.Timestamp:
        """The quarter's last calendar day, for display."""
        return self.end - pd.Timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of days in the quarter."""
        return (self.end - self.start).days

    def shift(self, n: int) -> Quarter:
        """The quarter ``n`` quarters later (earlier if negative)."""
        index = self.year * 4 + (self.q - 1) + n
        return Quarter(index // 4, index % 4 + 1)

    @property
    def previous(self) -> Quarter:
        """The quarter before."""
        return self.shift(-1)

    @property
    def year_ago(self) -> Quarter:
        """The same quarter a year earlier."""
        return self.shift(-4)

    def contains(self, when: pd.Series | pd.Timestamp):
        """Whether moments fall in the quarter (works on a Series or an Ibis column)."""
        return (when >= self.start) & (when < self.end)


def quarters_between(first: Quarter | str, last: Quarter | str) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    a, b = Quarter.parse(first), Quarter.parse(last)
    out = []
    while a <= b:
        out.append(a)
        a = a.shift(1)
    return out


def quarter_label(when: pd.Series) -> pd.Series:
    """``2026Q3``-style labels for a Series of timestamps."""
    return when.dt.year.astype("str") + "Q" + when.dt.quarter.astype("str")
