"""Prophet on a monthly series, as the forecast benchmarks' outside baseline.

Prophet is for benchmarks only (issue 8): revlab never imports it, and the test suite does not
need it. It comes with the ``bench`` extra (``pip install -e ".[bench]"``, or ``make bench``),
and fits through cmdstanpy with the CmdStan bundled in its wheel, so it runs offline.

The setup is the one the issue measured with Prophet 1.5: multiplicative yearly seasonality
(weekly and daily seasonality off, as the data are monthly), Prophet's default trend with
changepoints, and 500 predictive samples (trend uncertainty and observation noise) per month,
summed month by month within a sample to give draws of a quarter's total. Months of the
quarter already known at the origin count as known; only the rest are sampled.

Prophet draws its predictive samples from NumPy's global random state; :func:`predict_months`
seeds it and puts the previous state back, so a run is deterministic and leaves the caller's
random numbers alone.

Reference: Taylor & Letham (2018), "Forecasting at scale", *The American Statistician* 72(1).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

#: Predictive samples per forecast, as in the issue's measurement.
N_SAMPLES = 500


class ProphetMissing(ImportError):
    """Prophet is not installed (it is a benchmark-only dependency)."""


def available() -> bool:
    """Whether Prophet can be imported."""
    try:
        _prophet()
    except ProphetMissing:
        return False
    return True


def version() -> str:
    """Prophet's version, or ``"not installed"``."""
    try:
        return _prophet().__version__
    except ProphetMissing:
        return "not installed"


def _prophet():
    try:
        import prophet
    except ImportError as exc:
        raise ProphetMissing(
            "Prophet is not installed; it is a benchmark-only dependency. Install the bench "
            "extra: `.venv/bin/pip install -c constraints.txt -e '.[bench]'` (or `make bench`)."
        ) from exc
    return prophet


def fit(history: pd.Series, *, n_samples: int = N_SAMPLES):
    """A Prophet model fitted on a monthly series (index: month starts; values: revenue)."""
    prophet = _prophet()
    from cmdstanpy.utils import get_logger

    get_logger().setLevel(logging.WARNING)  # it sets INFO on its first call: call it first
    logging.getLogger("prophet").setLevel(logging.WARNING)
    frame = pd.DataFrame(
        {"ds": pd.DatetimeIndex(history.index), "y": history.to_numpy(float)}
    ).dropna()
    model = prophet.Prophet(
        growth="linear",
        seasonality_mode="multiplicative",
        yearly_seasonality=True,
        weekly_seasonality=False,
        daily_seasonality=False,
        uncertainty_samples=n_samples,
    )
    return model.fit(frame)


def predict_months(model, months: pd.DatetimeIndex, *, random_seed: int = 0) -> np.ndarray:
    """Predictive samples of the given months, shape (samples, months)."""
    state = np.random.get_state()
    np.random.seed(random_seed % 2**32)
    try:
        samples = model.predictive_samples(pd.DataFrame({"ds": pd.DatetimeIndex(months)}))
    finally:
        np.random.set_state(state)
    return np.asarray(samples["yhat"], dtype=float).T


def quarter_total_draws(
    history: pd.Series,
    quarter_start: pd.Timestamp | str,
    *,
    n_samples: int = N_SAMPLES,
    random_seed: int = 0,
) -> np.ndarray:
    """Draws of a quarter's total: months in ``history`` known, the rest sampled by Prophet."""
    months = pd.date_range(pd.Timestamp(quarter_start), periods=3, freq="MS")
    known = history.reindex(months)
    todo = months[known.isna().to_numpy()]
    total = np.full(n_samples, float(known.sum()))
    if len(todo):
        model = fit(history, n_samples=n_samples)
        total += predict_months(model, todo, random_seed=random_seed).sum(axis=1)
    return total


def total_draws(
    history: pd.Series, horizon: int = 3, *, n_samples: int = N_SAMPLES, random_seed: int = 0
) -> np.ndarray:
    """Draws of the total of the ``horizon`` months after ``history`` (for backtest_series)."""
    model = fit(history, n_samples=n_samples)
    months = pd.date_range(history.index[-1] + pd.DateOffset(months=1), periods=horizon, freq="MS")
    return predict_months(model, months, random_seed=random_seed).sum(axis=1)


def fit_seconds(history: pd.Series) -> float:
    """Wall time of one Prophet fit on ``history`` (the model's own fit, after import)."""
    _prophet()
    start = time.perf_counter()
    fit(history)
    return time.perf_counter() - start
