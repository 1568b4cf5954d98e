"""The simulator's time axis: float days since the first day, calendar lookups and the sales clock.

All simulation happens in float days (``t = 0`` is midnight of the first day). A daily grid
reaching well before and after the data window answers calendar questions (month, quarter,
weekday, month end) for any day with one array lookup.

The *sales clock* runs faster in the last weeks of each quarter and slower in its first days:
late-stage deals (proposal, negotiation) spend their time on that clock, so closes bunch at
quarter end, as reps push to hit the number. Because the clock is a fixed, invertible
function of calendar time, a deal's remaining time can still be re-simulated exactly from
any date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revlab.periods import CALENDAR, FiscalCalendar, Quarter

_BEFORE = 800  # grid days before the start
_AFTER = 3650 * 2  # grid days after the end
_US_PER_DAY = 86_400_000_000


@dataclass
class Calendar:
    """Days ``0 .. horizon`` cover ``start`` to the end of ``end`` (inclusive)."""

    start: pd.Timestamp
    end: pd.Timestamp
    quarter_end_days: int = 14
    quarter_end_rate: float = 2.5
    quarter_start_days: int = 10
    quarter_start_rate: float = 0.6
    #: The company's fiscal year: the quarters its plan and targets are set for.
    fiscal: FiscalCalendar = CALENDAR
    _grid: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.start = pd.Timestamp(self.start).normalize()
        self.end = pd.Timestamp(self.end).normalize()
        self.horizon = float((self.end - self.start).days + 1)
        dates = pd.date_range(
            self.start - pd.Timedelta(days=_BEFORE), periods=_BEFORE + int(self.horizon) + _AFTER
        )
        self.days = np.arange(-_BEFORE, len(dates) - _BEFORE, dtype=float)
        qstart = dates.to_period("Q").start_time
        qend = (dates.to_period("Q") + 1).start_time
        self._grid = {
            "month": dates.month.to_numpy() - 1,
            "weekday": dates.day_of_week.to_numpy(),
            "qindex": (dates.year * 4 + dates.quarter - 1).to_numpy(),
            "qstart": self._day(qstart),
            "qend": self._day(qend),
            "month_end": self._day(dates.to_period("M").end_time.normalize()),
        }
        self._clock = self._build_clock()

    @classmethod
    def from_params(cls, params: dict) -> Calendar:
        """The calendar of a run, with the sales-clock settings of its parameters."""
        dp = params["deals"]
        return cls(
            params["run"]["start"],
            params["run"]["end"],
            quarter_end_days=dp["quarter_end_days"],
            quarter_end_rate=dp["quarter_end_rate"],
            quarter_start_days=dp["quarter_start_days"],
            quarter_start_rate=dp["quarter_start_rate"],
            fiscal=FiscalCalendar(int(params["run"].get("fiscal_year_start", 1))),
        )

    def days_of(self, stamps) -> np.ndarray:
        """Timestamps (Series or array; NaT allowed) as float days since the start."""
        return np.asarray(
            (pd.to_datetime(stamps) - self.start) / pd.Timedelta(days=1), dtype=float
        )

    @property
    def as_of(self) -> pd.Timestamp:
        """The moment the data ends (midnight after the last day)."""
        return self.start + pd.Timedelta(days=self.horizon)

    def _day(self, stamps) -> np.ndarray:
        return ((pd.DatetimeIndex(stamps) - self.start) / pd.Timedelta(days=1)).to_numpy()

    def lookup(self, name: str, t) -> np.ndarray:
        """Calendar value ``name`` (month, weekday, qindex, qstart, qend, month_end) at days t."""
        idx = np.clip(np.floor(np.asarray(t)).astype(np.int64) + _BEFORE, 0, len(self.days) - 1)
        return self._grid[name][idx]

    def to_days(self, when) -> float:
        """A timestamp as float days since the start."""
        return (pd.Timestamp(when) - self.start) / pd.Timedelta(days=1)

    def to_datetime(self, t: np.ndarray) -> np.ndarray:
        """Float days as ``datetime64[us]`` (NaN becomes NaT), rounded to the microsecond."""
        t = np.asarray(t, dtype=float)
        us = np.where(np.isnan(t), 0, np.round(t * _US_PER_DAY)).astype(np.int64)
        out = np.datetime64(self.start.to_datetime64(), "us") + us.astype("timedelta64[us]")
        out[np.isnan(t)] = np.datetime64("NaT")
        return out

    def quarter_bounds(
        self, quarter: str | Quarter, cal: FiscalCalendar | None = None
    ) -> tuple[float, float]:
        """Start (inclusive) and end (exclusive) of a quarter (calendar or fiscal), in days.

        A label is read on ``cal``, by default the company's fiscal calendar.
        """
        q = Quarter.parse(quarter, self.fiscal if cal is None else cal)
        return self.to_days(q.start), self.to_days(q.end)

    def quarters(self, *, extra: int = 0) -> list[Quarter]:
        """Quarters that overlap the data window, plus ``extra`` quarters after it.

        On a fiscal year, the quarters start on or after the window's first day (the plan and
        targets are set for quarters the company runs in full).
        """
        first = Quarter.containing(self.start, self.fiscal)
        if not self.fiscal.is_calendar and first.start < self.start:
            first = first.shift(1)
        last = Quarter.containing(self.end, self.fiscal).shift(extra)
        out = [first]
        while out[-1] < last:
            out.append(out[-1].shift(1))
        return out

    def mondays(self) -> np.ndarray:
        """Days of every Monday from the week containing the start to the end."""
        first = -float(self.start.weekday())
        return np.arange(first, self.horizon, 7.0)

    def _build_clock(self) -> np.ndarray:
        d = self.days
        rate = np.ones_like(d)
        qend, qstart = self._grid["qend"], self._grid["qstart"]
        rate[d >= qend - self.quarter_end_days] = self.quarter_end_rate
        rate[d < qstart + self.quarter_start_days] = self.quarter_start_rate
        return np.concatenate([[0.0], np.cumsum(rate)])

    def clock(self, t: np.ndarray) -> np.ndarray:
        """Sales-clock time at calendar days ``t`` (piecewise linear, increasing)."""
        knots = np.append(self.days, self.days[-1] + 1)
        return np.interp(t, knots, self._clock)

    def unclock(self, c: np.ndarray) -> np.ndarray:
        """Calendar days at sales-clock time ``c`` (inverse of :meth:`clock`)."""
        knots = np.append(self.days, self.days[-1] + 1)
        out = np.interp(c, self._clock, knots)
        over = c > self._clock[-1]
        return np.where(over, knots[-1] + (c - self._clock[-1]), out)
