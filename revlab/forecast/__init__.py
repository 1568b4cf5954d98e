"""Bayesian revenue forecasts: the funnel model, a time-series model, baselines and backtests.

The usual call is :func:`forecast` on a source cut at the as-of date; it returns a
:class:`QuarterForecast` (draws of the quarter's bookings, their path and sources, the target,
the sampler diagnostics). :func:`scenarios` replays it under what-ifs, :func:`backtest` scores it
and the baselines on past quarters, :func:`weekly_trend` re-makes a quarter's forecast at each
week's start from one fit. PyMC loads only when a model is fitted.
"""

from revlab import _blas, _notices
from revlab.forecast._errors import ConvergenceWarning, ForecastError, ForecastWarning
from revlab.forecast.api import (
    choose_method,
    default_scenarios,
    forecast,
    quarter_target,
    scenarios,
)
from revlab.forecast.backtest import backtest, backtest_series, summary
from revlab.forecast.baselines import seasonal_naive, stage_weighted
from revlab.forecast.calls import CallBacktest, beside_model, call_backtest, rep_calls, roll_up
from revlab.forecast.diagnostics import Diagnostics
from revlab.forecast.funnel_model import FunnelModel
from revlab.forecast.journal import Journal, track_record
from revlab.forecast.result import QuarterForecast
from revlab.forecast.simulate import Scenario
from revlab.forecast.timeseries_model import TimeSeriesModel, monthly_series
from revlab.forecast.trend import weekly_trend, when_clear

# Before PyTensor loads (nothing above imports it; tests/test_blas.py checks): link the system
# OpenBLAS, or say there is none. Here, in a package that uses PyMC, not on `import revlab`.
_blas.configure()
_notices.quiet()  # library notices unrelated to the run stay out of the pages

__all__ = [
    "CallBacktest",
    "Journal",
    "ConvergenceWarning",
    "Diagnostics",
    "ForecastError",
    "ForecastWarning",
    "FunnelModel",
    "QuarterForecast",
    "Scenario",
    "TimeSeriesModel",
    "backtest",
    "backtest_series",
    "beside_model",
    "call_backtest",
    "choose_method",
    "default_scenarios",
    "forecast",
    "monthly_series",
    "quarter_target",
    "rep_calls",
    "roll_up",
    "scenarios",
    "seasonal_naive",
    "track_record",
    "stage_weighted",
    "summary",
    "weekly_trend",
    "when_clear",
]
