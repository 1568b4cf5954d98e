"""A quarter's forecast as a sample of draws, and the frames a report shows from it.

Every method (the funnel model, the time-series model, the baselines) returns a
:class:`QuarterForecast`: draws of the quarter's bookings, optionally their path through the
quarter and their split by source. Summaries, the probability of reaching a target, the fan
chart and the split are computed from the draws, so every method is read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from revlab.forecast._errors import ForecastError
from revlab.periods import Quarter

if TYPE_CHECKING:
    from revlab.forecast.diagnostics import Diagnostics

#: Where bookings come from, in the order reports list them.
SOURCES = ("booked", "open_pipeline", "existing_leads", "new_leads")
SOURCE_LABELS = {
    "booked": "Already booked",
    "open_pipeline": "Open pipeline",
    "existing_leads": "Leads in the funnel",
    "new_leads": "New leads",
}
#: Each forecasting method in words, for prose.
METHOD_LABELS = {
    "funnel": "funnel model",
    "deals": "deals-only model",
    "timeseries": "time-series model",
}
#: Central intervals of the fan chart.
FAN_LEVELS = (0.5, 0.8, 0.95)


@dataclass
class QuarterForecast:
    """Draws of a quarter's bookings from one method, as of one date."""

    quarter: Quarter
    as_of: pd.Timestamp
    method: str
    samples: np.ndarray
    sources: pd.DataFrame | None = None
    path_times: pd.DatetimeIndex | None = None
    paths: np.ndarray | None = None
    target: float | None = None
    scenario: str = "base"
    diagnostics: Diagnostics | None = None
    notes: list[str] = field(default_factory=list)
    model: Any = field(default=None, repr=False, compare=False)
    #: Seed of the predictive simulation, so what-ifs replay the same random numbers.
    sim_seed: int | None = None

    @property
    def method_label(self) -> str:
        """The method in words: ``deals-only model`` for ``deals``."""
        return METHOD_LABELS.get(self.method, f"{self.method} model")

    @property
    def trustworthy(self) -> bool:
        """False when the fit behind the forecast failed its sampler diagnostics."""
        return self.diagnostics is None or self.diagnostics.ok

    def checked(self) -> QuarterForecast:
        """The forecast itself, or a ForecastError when its fit failed the sampler diagnostics.

        A report shows no numbers of an untrusted fit: a section that reads the forecast
        through ``checked()`` is skipped with the diagnostics' verdict instead.
        """
        if not self.trustworthy:
            raise ForecastError(
                f"the fit behind the forecast of {self.quarter} failed its sampler diagnostics "
                f"({self.diagnostics.message()}), so its numbers are not shown: numbers from a "
                "fit that has not converged can be confidently wrong. Run again with more tune "
                "and draws (or more chains); the diagnostics table shows which parameters failed."
            )
        return self

    def booked(self) -> float:
        """Expected bookings already won by the as-of date (0 when the method has no split)."""
        if self.sources is None or "booked" not in self.sources.columns:
            return 0.0
        return float(self.sources["booked"].mean())

    def quantile(self, q: float | list[float]) -> float | np.ndarray:
        """Quantile(s) of the quarter's bookings."""
        out = np.quantile(self.samples, q)
        return float(out) if np.ndim(out) == 0 else out

    def prob_at_least(self, amount: float | None = None) -> float:
        """P(bookings >= amount); ``amount`` defaults to the target (NaN when there is none)."""
        amount = self.target if amount is None else amount
        if amount is None or not np.isfinite(amount):
            return float("nan")
        return float(np.mean(self.samples >= amount))

    def summary(self) -> pd.DataFrame:
        """One row: quarter, as-of, method, mean, p10, median, p90, target, P(>= target)."""
        p10, p50, p90 = self.quantile([0.1, 0.5, 0.9])
        return pd.DataFrame(
            [
                {
                    "quarter": str(self.quarter),
                    "as_of": self.as_of,
                    "method": self.method,
                    "scenario": self.scenario,
                    "mean": float(np.mean(self.samples)),
                    "p10": p10,
                    "median": p50,
                    "p90": p90,
                    "target": np.nan if self.target is None else float(self.target),
                    "prob_hit_target": self.prob_at_least(),
                }
            ]
        )

    def distribution(self, *, bins: int = 60) -> pd.DataFrame:
        """Histogram of the draws (``lower``, ``upper``, ``density``) for plotting."""
        counts, edges = np.histogram(self.samples, bins=bins, density=True)
        return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "density": counts})

    def fan(self, *, levels=FAN_LEVELS) -> pd.DataFrame:
        """Cumulative bookings through the quarter: median and central intervals per period end.

        Returns
        -------
        DataFrame
            ``time``, ``median``, and ``lower_50``/``upper_50`` etc. per level; the first row
            is the as-of date with what is already booked.
        """
        if self.paths is None or self.path_times is None:
            raise ForecastError(f"the {self.method} forecast has no path through the quarter.")
        booked = self.sources["booked"].iloc[0] if self.sources is not None else np.nan
        start = np.full((self.paths.shape[0], 1), booked)
        paths = np.hstack([start, self.paths]) if np.isfinite(booked) else self.paths
        times = [self.as_of, *self.path_times] if np.isfinite(booked) else list(self.path_times)
        out = pd.DataFrame({"time": pd.DatetimeIndex(times), "median": np.median(paths, axis=0)})
        for level in levels:
            lo = (1 - level) / 2
            tag = round(level * 100)
            out[f"lower_{tag}"] = np.quantile(paths, lo, axis=0)
            out[f"upper_{tag}"] = np.quantile(paths, 1 - lo, axis=0)
        return out

    def by_source(self) -> pd.DataFrame:
        """Expected bookings per source with an 80% interval and share of the expected total.

        The deals-only model has no leads in the funnel; its new arrivals are new deals.

        Returns
        -------
        DataFrame
            ``source``, ``label``, ``mean``, ``p10``, ``p90``, ``share``.
        """
        if self.sources is None:
            raise ForecastError(
                f"the {self.method} forecast does not split bookings by where they come from."
            )
        s = self.sources
        labels = dict(SOURCE_LABELS)
        if self.method == "deals":  # no leads: new deals arrive directly, none are in a funnel
            s = s.drop(columns="existing_leads")
            labels["new_leads"] = "New deals"
        total = float(s.sum(axis=1).mean())
        return pd.DataFrame(
            {
                "source": list(s.columns),
                "label": [labels.get(c, c) for c in s.columns],
                "mean": s.mean().to_numpy(),
                "p10": s.quantile(0.1).to_numpy(),
                "p90": s.quantile(0.9).to_numpy(),
                "share": (s.mean() / total).to_numpy() if total else np.nan,
            }
        )
