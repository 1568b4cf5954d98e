"""The in-quarter trend: a quarter's forecast re-made at each week's start from one fit.

The model is fitted once, as of the quarter's first day (the backtest's fit of that quarter when
it is at hand). At each week's start the state moves on (bookings so far, the pipeline and the
open leads as they stood that day, from :func:`revlab.forecast.funnel_data.state_at`) and the
same posterior simulates the rest of the quarter, with the same seed each week (common random
numbers), so the weeks differ by what happened, not by simulation noise. :func:`when_clear`
reads from the result when the probability of reaching the target settled on one side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from revlab.errors import Shortfall
from revlab.forecast import aggregates as agg
from revlab.forecast._errors import ForecastError
from revlab.forecast.funnel_data import state_at
from revlab.forecast.result import QuarterForecast
from revlab.forecast.simulate import simulate_from
from revlab.periods import Quarter

#: Columns of :func:`weekly_trend`'s frame.
COLUMNS = ("as_of", "weeks_left", "booked", "p10", "median", "p90", "prob_hit_target",
           "target", "actual")  # fmt: skip

_ENABLE = "The trend follows the odds of reaching the quarter's target, so it needs one."


def week_starts(quarter: Quarter | str) -> pd.DatetimeIndex:
    """The quarter's first day and every Monday after it, before its end."""
    q = Quarter.parse(quarter)
    mondays = pd.date_range(q.start, q.end - pd.Timedelta(days=1), freq="W-MON")
    return pd.DatetimeIndex([q.start]).union(mondays)


def weekly_trend(
    src,
    quarter: Quarter | str,
    *,
    fit: QuarterForecast | Mapping[str, QuarterForecast] | None = None,
    target: float | None = None,
    method: str = "auto",
    model_config: dict | None = None,
    sampler_config: dict | None = None,
    n_sims: int | None = None,
    random_seed: int | None = None,
    check: bool = True,
) -> pd.DataFrame:
    """The quarter's forecast as of each week's start, from one fit as of its first day.

    Parameters
    ----------
    src
        A source that reaches (at least) into the quarter; each week reads its cut at that date.
    quarter
        The quarter to follow.
    fit
        The forecast as of the quarter's start whose fitted model is reused, or the backtest's
        ``fits`` (quarter → forecast) to look it up in. Missing: fitted here once, as
        :func:`~revlab.forecast.backtest` would (same method, configs and seed), so the first
        row is the backtest's forecast of the quarter.
    target
        Bookings target; ``None`` or 0 reads it from the ``targets`` table.
    check
        Refuse a fit that failed its sampler diagnostics (a ForecastError saying so), as the
        report's other forecast sections do.

    Returns
    -------
    DataFrame
        One row per week start (:func:`week_starts`) up to the source's as-of date:
        ``as_of``, ``weeks_left`` (to the quarter's end), ``booked`` (won in the quarter by
        then), ``p10``/``median``/``p90`` of the quarter's total, ``prob_hit_target``,
        ``target`` and ``actual`` (the quarter's final bookings, NaN until it has ended).

    Raises
    ------
    Shortfall
        When the quarter has no target (the trend follows the odds of reaching it).
    """
    from revlab.forecast.api import quarter_target

    q = Quarter.parse(quarter, src.calendar)
    fc = _fit(src, q, fit, method, model_config, sampler_config, n_sims, random_seed)
    fc = fc.checked() if check else fc
    value, note = quarter_target(src, q, override=target)
    if not np.isfinite(value):
        raise Shortfall("The in-quarter trend", note, enable=_ENABLE)
    last = pd.Timestamp(src.as_of) if src.as_of is not None else q.end
    starts = week_starts(q)
    starts = starts[(starts >= fc.as_of) & (starts <= last)]
    actual = agg.booked(src.at(q.end), q) if last >= q.end else float("nan")
    rows = []
    for at in starts:
        state = state_at(fc.model.data_, src.at(at))
        week = simulate_from(
            fc.model, state, n_sims=fc.samples.size, random_seed=fc.sim_seed, target=value
        )
        p10, p50, p90 = week.quantile([0.1, 0.5, 0.9])
        rows.append(
            {
                "as_of": at,
                "weeks_left": (q.end - at) / pd.Timedelta(weeks=1),
                "booked": state.booked,
                "p10": p10,
                "median": p50,
                "p90": p90,
                "prob_hit_target": week.prob_at_least(),
                "target": value,
                "actual": actual,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _fit(src, q, fit, method, model_config, sampler_config, n_sims, random_seed):
    """The forecast as of the quarter's start with a funnel model: given, looked up or made."""
    from revlab.forecast.api import choose_method
    from revlab.forecast.backtest import forecast_with
    from revlab.forecast.funnel_model import FunnelModel

    if isinstance(fit, Mapping):
        fit = fit.get(str(q))
    if fit is None:
        method = choose_method(src) if method == "auto" else method
        if method not in ("funnel", "deals"):
            raise ForecastError(
                f"method={method!r}: the in-quarter trend re-runs the funnel or deals-only "
                "model from each week's state; the time-series model has no pipeline to move."
            )
        fit = forecast_with(method, src.at(q.start), q, model_config=model_config,
                            sampler_config=sampler_config, n_sims=n_sims,
                            random_seed=random_seed)  # fmt: skip
    if not isinstance(fit.model, FunnelModel):
        raise ForecastError(
            f"the in-quarter trend needs a funnel or deals-only fit; this one is {fit.method}."
        )
    if fit.quarter != q:
        raise ForecastError(f"the fit is of {fit.quarter}, not of {q}: fit {q} as of its start.")
    return fit


@dataclass(frozen=True)
class Clear:
    """When P(target) settled: from which week it stayed on one side of a threshold.

    ``side`` is ``"hit"`` (stayed at or above ``high``), ``"miss"`` (at or below ``low``) or
    ``None`` (it had not settled by the last week); ``as_of``, ``week`` (0 = the quarter's first
    day) and ``weeks_left`` say from when; ``peak`` is the highest P(target) of the quarter.
    """

    side: str | None
    as_of: pd.Timestamp | None
    week: int | None
    weeks_left: float | None
    high: float
    low: float
    peak: float
    last: float
    last_as_of: pd.Timestamp
    hit: bool | None

    def sentence(self) -> str:
        """The finding in a sentence, every number from the trend."""
        outcome = {True: "the target was met", False: "the target was missed", None: ""}[self.hit]
        end = f"; {outcome}." if outcome else "."
        if self.side is None:
            return (
                f"P(target) never stayed above {self.high:.0%} or below {self.low:.0%} through "
                f"the quarter: it was {self.last:.0%} at the last week's start "
                f"({self.last_as_of:%Y-%m-%d}), so the board could not have known early{end}"
            )
        when = (
            f"from the quarter's first day ({self.as_of:%Y-%m-%d})"
            if self.week == 0
            else f"from the week of {self.as_of:%Y-%m-%d}"
        )
        lead = f"{self.weeks_left:.0f} week{'s' if round(self.weeks_left) != 1 else ''}"
        if self.side == "hit":
            text = f"P(target) first stayed above {self.high:.0%} {when}, {lead} before the end"
        else:
            rose = "never rose above 50%" if self.peak < 0.5 else f"peaked at {self.peak:.0%}"
            text = (
                f"P(target) {rose} and stayed below {self.low:.0%} {when}, {lead} before the end"
            )
        return text + end


def when_clear(trend: pd.DataFrame, *, high: float = 0.8, low: float = 0.2) -> Clear:
    """When P(target) settled: the first week from which it stayed on one side to the end.

    At or above ``high`` through the last week of ``trend`` (:func:`weekly_trend`'s frame) is a
    clear hit, at or below ``low`` a clear miss.
    """
    if trend.empty or not np.isfinite(trend["prob_hit_target"]).all():
        raise ForecastError(
            "the trend has no probability of reaching the target (no target, or no week); "
            "give a target to see when the quarter became clear."
        )
    p = trend["prob_hit_target"].to_numpy(float)
    side, k = None, None
    for name, ok in (("hit", p >= high), ("miss", p <= low)):
        if ok[-1]:
            bad = np.flatnonzero(~ok)
            side, k = name, int(bad[-1] + 1) if bad.size else 0
    actual, target = trend["actual"].iloc[-1], trend["target"].iloc[-1]
    hit = bool(actual >= target) if np.isfinite(actual) else None
    row = trend.iloc[k] if k is not None else None
    return Clear(
        side=side,
        as_of=None if row is None else pd.Timestamp(row["as_of"]),
        week=k,
        weeks_left=None if row is None else float(row["weeks_left"]),
        high=high,
        low=low,
        peak=float(p.max()),
        last=float(p[-1]),
        last_as_of=pd.Timestamp(trend["as_of"].iloc[-1]),
        hit=hit,
    )
