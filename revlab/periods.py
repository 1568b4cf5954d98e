"""Calendar quarters: parse ``2026Q3``, their bounds, neighbours, and the latest complete one.

A quarter runs from ``start`` (inclusive) to ``end`` (exclusive, the next quarter's start), so
``start <= t < end`` holds for every moment in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

_PATTERN = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_FISCAL_PATTERN = re.compile(r"^\s*FY\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class PeriodError(ValueError):
    """A quarter or date that cannot be read."""


@dataclass(frozen=True, order=True)
class FiscalCalendar:
    """Where the year starts (month 1-12) and whether a fiscal year is named by its start or end.

    Month 1 is the calendar year (labels ``2026Q3``); any other month gives ``FY2027Q1`` labels.
    """

    start_month: int = 1
    named_by: str = "end"

    def __post_init__(self):
        if not isinstance(self.start_month, int) or not 1 <= self.start_month <= 12:
            raise PeriodError(
                f"fiscal year start {self.start_month!r} is not a month number 1 to 12 "
                "(1 = calendar quarters, 2 = years starting 1 February)."
            )
        if self.named_by not in ("end", "start"):
            raise PeriodError(
                f"fiscal year naming {self.named_by!r} is neither 'end' nor 'start' "
                "(the year a fiscal year ends in, or starts in)."
            )

    @property
    def is_calendar(self) -> bool:
        """Whether these are plain calendar quarters."""
        return self.start_month == 1

    @property
    def _offset(self) -> int:
        """Label year minus the calendar year the fiscal year starts in."""
        return 1 if self.named_by == "end" and self.start_month > 1 else 0

    @property
    def freq(self) -> str:
        """The pandas quarterly frequency (``Q-JAN`` = years ending in January)."""
        return "Q-" + _MONTHS[(self.start_month - 2) % 12]


CALENDAR = FiscalCalendar()


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter such as 2026Q3, or a fiscal one such as FY2027Q1 (``cal`` says which)."""

    year: int
    q: int
    cal: FiscalCalendar = field(default=CALENDAR)

    @classmethod
    def parse(cls, text: str | Quarter, cal: FiscalCalendar = CALENDAR) -> Quarter:
        """Read ``2026Q3`` (also ``2026-Q3``, ``2026q3``), or ``FY2027Q1`` on a fiscal calendar."""
        if isinstance(text, Quarter):
            return text
        fiscal = _FISCAL_PATTERN.match(str(text))
        if fiscal:
            if cal.is_calendar:
                raise PeriodError(
                    f"quarter {text!r} is a fiscal quarter but the calendar starts in January: "
                    "set the fiscal year start (e.g. --fiscal-year-start 2) or write 2026Q3."
                )
            return cls(int(fiscal.group(1)), int(fiscal.group(2)), cal)
        match = _PATTERN.match(str(text))
        if not match:
            example = "2026Q3" if cal.is_calendar else "FY2027Q1"
            raise PeriodError(f"quarter {text!r} is not like {example} (year, 'Q', 1 to 4).")
        return cls(int(match.group(1)), int(match.group(2)), cal)

    @classmethod
    def containing(cls, when: str | pd.Timestamp, cal: FiscalCalendar = CALENDAR) -> Quarter:
        """The quarter a moment falls in."""
        ts = pd.Timestamp(when)
        k = ts.year * 12 + ts.month - 1 - (cal.start_month - 1)
        return cls(k // 12 + cal._offset, (k % 12) // 3 + 1, cal)

    @classmethod
    def latest_complete(cls, as_of: str | pd.Timestamp, cal: FiscalCalendar = CALENDAR) -> Quarter:
        """The last quarter that had ended by ``as_of``."""
        return cls.containing(as_of, cal).shift(-1)

    @classmethod
    def latest_covered(
        cls, data_end: str | pd.Timestamp | None, cal: FiscalCalendar = CALENDAR
    ) -> Quarter:
        """The last quarter that data ending at ``data_end`` covers to its last day."""
        if data_end is None or pd.isna(data_end):
            return cls.latest_complete(pd.Timestamp.now(), cal)
        end = pd.Timestamp(data_end)
        q = cls.containing(end, cal)
        return q if end.normalize() >= q.last_day else q.previous

    def __str__(self) -> str:
        prefix = "" if self.cal.is_calendar else "FY"
        return f"{prefix}{self.year}Q{self.q}"

    @property
    def start(self) -> pd.Timestamp:
        """First moment of the quarter."""
        index = (self.year - self.cal._offset) * 12 + self.cal.start_month - 1 + 3 * (self.q - 1)
        return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1)

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
        return Quarter(index // 4, index % 4 + 1, self.cal)

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


def quarters_between(
    first: Quarter | str, last: Quarter | str, cal: FiscalCalendar = CALENDAR
) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    a, b = Quarter.parse(first, cal), Quarter.parse(last, cal)
    out = []
    while a <= b:
        out.append(a)
        a = a.shift(1)
    return out


def quarter_label(when: pd.Series, cal: FiscalCalendar = CALENDAR) -> pd.Series:
    """``2026Q3``-style (or ``FY2027Q1``-style) labels for a Series of timestamps."""
    if cal.is_calendar:
        return when.dt.year.astype("str") + "Q" + when.dt.quarter.astype("str")
    periods = to_quarter_period(when, cal)
    year = periods.dt.qyear - (1 - cal._offset)
    return "FY" + year.astype("str") + "Q" + periods.dt.quarter.astype("str")


def to_quarter_period(when: pd.Series, cal: FiscalCalendar = CALENDAR) -> pd.Series:
    """Quarterly pandas periods on the calendar (the one place the ``Q-…`` frequency is chosen)."""
    return when.dt.to_period(cal.freq)


def period_labels(periods: pd.Series | pd.PeriodIndex, cal: FiscalCalendar = CALENDAR):
    """Labels of quarterly pandas periods on ``cal`` (``2026Q3``, or ``FY2027Q1``)."""
    if cal.is_calendar:
        return periods.astype("str")
    starts = pd.Series(periods.start_time if isinstance(periods, pd.PeriodIndex) else
                       periods.dt.start_time)  # fmt: skip
    labels = quarter_label(starts, cal)
    return (
        pd.Index(labels) if isinstance(periods, pd.PeriodIndex) else labels.set_axis(periods.index)
    )


def truncate_quarter(when, cal: FiscalCalendar = CALENDAR):
    """The first moment of the quarter of an Ibis timestamp column, computed in the engine.

    A fiscal quarter starts ``(start_month - 1) % 3`` months after a calendar one, so the
    column is shifted back, truncated to its calendar quarter and shifted forward again.
    """
    shift = (cal.start_month - 1) % 3
    if shift == 0:
        return when.truncate("Q")
    import ibis

    months = ibis.interval(months=shift)
    return (when - months).truncate("Q") + months
