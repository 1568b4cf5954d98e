"""A Bayesian seasonal time-series model of monthly revenue, for data without a funnel.

On the log scale, revenue in month ``t`` is a linear trend plus a month-of-year effect plus a
deviation that persists from month to month (AR(1)) with Student-t shocks::

    log y_t = a + b * t + s[month(t)] + e_t,     e_t = phi * e_{t-1} + eps_t,
    eps_t ~ StudentT(nu, 0, sigma)

The trend is fitted on a recent window (``window_months``), so old regimes do not pull it;
the persistent deviation carries the current level into the forecast and widens the
intervals as the horizon grows, which a model with independent monthly errors (Prophet's)
does not, and which is why its quarter totals are too narrow. Heavy-tailed shocks keep
one odd month from inflating every interval. A series with some zero months (a small
business's quiet month) is modelled as log(revenue + c), c being 5% of the median month.

References
----------
Harvey (1989), *Forecasting, Structural Time Series Models and the Kalman Filter*;
Hyndman & Athanasopoulos (2021), *Forecasting: Principles and Practice*, 3rd ed., ch. 9-10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from revlab.forecast._errors import ForecastError
from revlab.forecast._sampling.model import BayesianModel

MIN_MONTHS = 24  # two years: enough to learn a yearly season
MIN_MONTHS_TREND = 6  # with fewer than MIN_MONTHS, trend and AR(1) only, no season
MIN_NU_SHORT = 5.0  # fewest degrees of freedom of the shocks of a series without a season


@dataclass
class SeriesInputs:
    """A monthly series on the log scale, ready for the model."""

    months: pd.DatetimeIndex  # month starts, consecutive
    log_y: np.ndarray
    center: float
    scale: float
    offset: float = 0.0  # added before the log when some months are zero

    @property
    def t(self) -> np.ndarray:
        """Years from the middle of the window (centred, so trend and level do not trade off)."""
        n = len(self.months)
        return (np.arange(n) - (n - 1) / 2) / 12.0

    @property
    def seasonal(self) -> bool:
        """True when the series is long enough (MIN_MONTHS) to learn a month-of-year season."""
        return len(self.months) >= MIN_MONTHS

    @property
    def month_of_year(self) -> np.ndarray:
        """0 = January."""
        return self.months.month.to_numpy() - 1


def monthly_series(frame: pd.DataFrame | pd.Series, *, value: str | None = None) -> pd.Series:
    """A positive monthly series indexed by month start, from a frame or a series.

    A frame needs a ``month`` column (``YYYY-MM`` text or timestamps) and one value column
    (``value`` names it when there are several).
    """
    if isinstance(frame, pd.DataFrame):
        if "month" not in frame.columns:
            raise ForecastError("series: needs a 'month' column (YYYY-MM or timestamps).")
        cols = [c for c in frame.columns if c != "month"]
        col = value or (cols[0] if len(cols) == 1 else None)
        if col is None:
            raise ForecastError(f"series: several value columns ({', '.join(cols)}); pass value=.")
        series = pd.Series(frame[col].to_numpy(float), index=pd.to_datetime(frame["month"]))
    else:
        series = pd.Series(frame.to_numpy(float), index=pd.to_datetime(frame.index))
    series.index = series.index.to_period("M").to_timestamp()
    series = series.sort_index()
    if series.index.has_duplicates:
        raise ForecastError("series: a month appears more than once; sum it first.")
    return series.asfreq("MS")


class TimeSeriesModel(BayesianModel):
    """Trend + month-of-year seasonality + AR(1) Student-t deviations, on log revenue.

    With fewer than ``MIN_MONTHS`` (24) months the season is left out (a season cannot be
    learned from one year): trend and AR(1) deviations only, from ``MIN_MONTHS_TREND`` (6)
    months. A year of deals is where most exports start; its forecast is wider, not absent.

    Examples
    --------
    >>> model = TimeSeriesModel().fit(series)            # doctest: +SKIP
    >>> totals = model.predict(horizon=3).sum(axis=1)     # doctest: +SKIP
    """

    model_type: ClassVar[str] = "timeseries"
    default_model_config: ClassVar[dict[str, Any]] = {
        "window_months": 96,  # fit the trend on at most this many recent months
        "trend_sigma": 0.3,  # prior sd of the yearly log growth
        "season_sigma": 0.5,  # prior scale of the month-of-year effects
        "noise_sigma": 0.3,  # prior scale of the monthly shocks (log scale)
        "nu_rate": 0.1,  # rate of the exponential prior on Student-t degrees of freedom
    }
    key_vars: ClassVar[tuple[str, ...]] = ("intercept", "slope", "phi", "sigma", "nu")

    def fit(
        self, series: pd.Series | pd.DataFrame, *, random_seed: int | None = None
    ) -> TimeSeriesModel:
        """Fit on a monthly revenue series (index: months; values: revenue, all positive)."""
        self._resolve_configs()
        inputs = self._inputs(monthly_series(series))
        self._sample(inputs, random_seed=random_seed)
        self.inputs_ = inputs
        return self

    def _inputs(self, series: pd.Series) -> SeriesInputs:
        series = series.iloc[-int(self.model_config_["window_months"]) :]
        if series.isna().any():
            missing = ", ".join(f"{m:%Y-%m}" for m in series.index[series.isna()][:5])
            raise ForecastError(f"series: months without a value ({missing}); fill them first.")
        if (series < 0).any():
            raise ForecastError(
                "series: revenue cannot be negative for a log-scale model; "
                f"{int((series < 0).sum())} month(s) are negative."
            )
        if not (series > 0).any():
            raise ForecastError("series: every month is zero; there is nothing to forecast.")
        # zero months (a small business's quiet month) get a shifted log: log(y + c)
        offset = 0.05 * float(series[series > 0].median()) if (series == 0).any() else 0.0
        if len(series) < MIN_MONTHS_TREND:
            raise ForecastError(
                f"series: {len(series)} months of history; the time-series model needs at "
                f"least {MIN_MONTHS_TREND} (and {MIN_MONTHS}, two years, to learn a season)."
            )
        log_y = np.log(series.to_numpy(float) + offset)
        center, scale = float(log_y.mean()), float(max(log_y.std(), 1e-3))
        return SeriesInputs(series.index, (log_y - center) / scale, center, scale, offset)

    def _structure(self, inputs: SeriesInputs) -> tuple:
        return (inputs.seasonal,)

    def _data(self, inputs: SeriesInputs, block: str = "model") -> dict[str, np.ndarray]:
        return {
            "t": inputs.t,
            "month": inputs.month_of_year,
            "y": inputs.log_y,
            "scale": inputs.scale,
        }

    def _build(self, inputs: SeriesInputs, block: str = "model"):
        import pymc as pm
        import pytensor.tensor as pt

        cfg = self.model_config_
        with pm.Model() as model:
            t = pm.Data("t", inputs.t)
            month = pm.Data("month", inputs.month_of_year)
            y = pm.Data("y", inputs.log_y)
            scale = pm.Data("scale", inputs.scale)
            intercept = pm.Normal("intercept", 0.0, 2.0)
            slope = pm.Normal("slope", 0.0, cfg["trend_sigma"] / scale)
            if inputs.seasonal:
                season_sd = pm.HalfNormal("season_sd", cfg["season_sigma"] / scale)
                season = pm.ZeroSumNormal("season", sigma=season_sd, shape=12)
            else:
                season = pt.zeros(12)
            phi = pm.Uniform("phi", -0.95, 0.99)
            sigma = pm.HalfNormal("sigma", cfg["noise_sigma"] / scale)
            # under two years the data cannot tell how heavy the tails are; below 5 degrees
            # of freedom, exponentiated shocks then reached 1e16 on a year of deals
            floor = 2.0 if inputs.seasonal else MIN_NU_SHORT
            nu = floor + pm.Exponential("nu_over_floor", cfg["nu_rate"])
            pm.Deterministic("nu", nu)
            dev = y - (intercept + slope * t + season[month])
            resid = dev[1:] - phi * dev[:-1]
            pm.Potential(
                "first", pm.logp(pm.Normal.dist(0.0, sigma / pt.sqrt(1 - phi**2)), dev[0])
            )
            pm.Potential(
                "shocks", pm.logp(pm.StudentT.dist(nu=nu, mu=0.0, sigma=sigma), resid).sum()
            )
        return model

    def predict(self, *, horizon: int = 3, random_seed: int | None = None) -> np.ndarray:
        """Posterior predictive revenue of the next ``horizon`` months, shape (draws, horizon).

        Month 1 is the month after the last observed one.
        """
        self._require_fit()
        inp = self.inputs_
        post = self.idata_.posterior
        draw = {k: post[k].values.reshape(-1, *post[k].shape[2:]) for k in post.data_vars}
        n = draw["intercept"].size
        draw.setdefault("season", np.zeros((n, 12)))  # a series too short for a season
        rng = np.random.default_rng(random_seed)
        t_last = inp.t[-1]
        m_last = inp.month_of_year[-1]
        mean_last = draw["intercept"] + draw["slope"] * t_last + draw["season"][:, m_last]
        e = inp.log_y[-1] - mean_last
        out = np.empty((n, horizon))
        for h in range(1, horizon + 1):
            shock = draw["sigma"] * rng.standard_t(draw["nu"])
            e = draw["phi"] * e + shock
            m = (m_last + h) % 12
            mean = draw["intercept"] + draw["slope"] * (t_last + h / 12) + draw["season"][:, m]
            out[:, h - 1] = np.exp(inp.center + inp.scale * (mean + e)) - inp.offset
        return np.maximum(out, 0.0)

    def _state(self) -> dict[str, pd.DataFrame]:
        inp = self.inputs_
        return {
            "series": pd.DataFrame({"month": inp.months, "log_y": inp.log_y}),
            "scaling": pd.DataFrame(
                {"center": [inp.center], "scale": [inp.scale], "offset": [inp.offset]}
            ),
        }

    def _restore(self, state: dict[str, pd.DataFrame]) -> None:
        s, k = state["series"], state["scaling"]
        months = pd.DatetimeIndex(pd.to_datetime(s["month"]))
        self.inputs_ = SeriesInputs(
            months,
            s["log_y"].to_numpy(float),
            float(k["center"][0]),
            float(k["scale"][0]),
            float(k["offset"][0]),
        )
