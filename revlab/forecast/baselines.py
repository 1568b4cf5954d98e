"""Simple forecasts every model must beat, as distributions so they are scored the same way.

- **Seasonal naive**: the same quarter a year earlier, with lognormal uncertainty whose scale
  is the root mean square of past year-over-year log changes (the textbook seasonal naive
  with its residual spread; Hyndman & Athanasopoulos, *FPP3*, section 5.5).
- **Stage-weighted pipeline**: each open deal expected to close by the quarter's end counts
  its amount times the historical win rate of its stage, the classic sales-ops forecast; its
  draws treat deals as independent wins or losses. It ignores deals not yet created, so it
  is low whenever a quarter's bookings come partly from new deals.

Prophet is compared in ``benchmarks/`` only; revlab never imports it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revlab.forecast import aggregates as agg
from revlab.forecast._errors import ForecastError
from revlab.forecast.result import QuarterForecast
from revlab.periods import Quarter
from revlab.pipeline import calibrated_win_rates


def complete_quarters(src, cal=None) -> pd.Series:
    """Bookings of every quarter that ended by the source's as-of date, by quarter start."""
    at = agg._at(src)
    q = agg.bookings(src, freq="quarter", cal=cal).set_index("period")["bookings"]
    ends = q.index + pd.DateOffset(months=3)
    return q[ends <= at]


def seasonal_naive_draws(
    quarterly: pd.Series, quarter: Quarter, *, n_sims: int = 2000, rng=None
) -> np.ndarray:
    """Draws of a quarter's total from the same quarter a year earlier (see module docs).

    ``quarterly`` holds complete quarters' totals indexed by quarter start.
    """
    rng = np.random.default_rng(rng)
    year_ago = quarter.year_ago.start
    if year_ago not in quarterly.index or not quarterly[year_ago] > 0:
        first = quarterly.index.min()
        since = (
            "no complete quarter" if pd.isna(first) else f"complete quarters from {first:%Y-%m}"
        )
        raise ForecastError(
            f"seasonal naive for {quarter}: no bookings for {quarter.year_ago} ({since}); "
            "it needs the same quarter a year earlier."
        )
    base = float(quarterly[year_ago])
    logs = np.log(quarterly[quarterly > 0])
    shifted = logs.copy()
    shifted.index = shifted.index + pd.DateOffset(years=1)
    change = (logs - shifted).dropna()
    sigma = float(np.sqrt(np.mean(change.to_numpy() ** 2))) if len(change) else 0.0
    return base * np.exp(sigma * rng.standard_normal(n_sims))


def seasonal_naive(
    src, quarter: Quarter | str, *, n_sims: int = 2000, random_seed: int | None = None
) -> QuarterForecast:
    """Seasonal naive forecast of a quarter's bookings from a source cut at its as-of date."""
    q = Quarter.parse(quarter, src.calendar)
    draws = seasonal_naive_draws(complete_quarters(src, q.cal), q, n_sims=n_sims, rng=random_seed)
    booked = agg.booked(src, q)
    return QuarterForecast(q, agg._at(src), "seasonal_naive", np.maximum(draws, booked))


def stage_weighted(
    src, quarter: Quarter | str, *, n_sims: int = 2000, random_seed: int | None = None
) -> QuarterForecast:
    """Stage-weighted pipeline forecast of a quarter's bookings.

    Open deals expected to close by the quarter's end, each won with its stage's historical
    win rate (:func:`revlab.pipeline.calibrated_win_rates`: deals that passed through the
    stage and closed by the as-of date), plus what is already booked.
    """
    q = Quarter.parse(quarter, src.calendar)
    deals = agg.open_deals(src)
    if deals["close_date"].notna().any():
        deals = deals[deals["close_date"].isna() | (deals["close_date"] < q.end)]
    calibrated = calibrated_win_rates(src)
    rates = calibrated.set_index("stage")["rate"]
    pooled = calibrated["won"].sum() / max(calibrated["n"].sum(), 1)
    p = deals["stage"].map(rates).fillna(pooled).to_numpy(float)
    rng = np.random.default_rng(random_seed)
    wins = rng.random((n_sims, len(deals))) < p
    draws = agg.booked(src, q) + wins.astype(float) @ deals["amount"].to_numpy(float)
    return QuarterForecast(q, agg._at(src), "stage_weighted", draws)
