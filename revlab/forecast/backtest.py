"""Rolling-origin backtests: forecast past quarters as of their start, score against what happened.

For each of the last ``quarters`` complete quarters, the source is cut at the quarter's first
day, every method forecasts the quarter, and the realised bookings score the draws (CRPS,
error of the median, coverage of the 50/80/95% intervals; see :mod:`scoring`). The same is
done for a monthly revenue series (:func:`backtest_series`), origins at quarter starts.

References
----------
Tashman (2000), "Out-of-sample tests of forecasting accuracy: an analysis and review",
*International Journal of Forecasting* 16(4).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from revlab.errors import DataError
from revlab.forecast import aggregates as agg
from revlab.forecast import baselines, scoring
from revlab.forecast._errors import ForecastError
from revlab.forecast.journal import Journal, data_of, kept_draws, settings_of
from revlab.periods import Quarter

#: Methods a backtest knows, in the order tables list them.
BACKTEST_METHODS = ("funnel", "deals", "timeseries", "seasonal_naive", "stage_weighted")
LABELS = {
    "funnel": "Funnel model",
    "deals": "Deals-only model",
    "timeseries": "Time-series model",
    "seasonal_naive": "Seasonal naive",
    "stage_weighted": "Stage-weighted pipeline",
    "prophet": "Prophet",
}


def backtest_quarters(src, quarters: int) -> list[Quarter]:
    """The last ``quarters`` quarters that ended by the source's as-of date (or data end)."""
    at = src.as_of
    if at is None:
        _, at = agg.history_span(src.at(pd.Timestamp.max.floor("D")))
    last = Quarter.latest_complete(pd.Timestamp(at), src.calendar)
    return [last.shift(-k) for k in range(quarters - 1, -1, -1)]


def backtest(
    src,
    *,
    quarters: int = 8,
    methods: Iterable[str] | None = None,
    model_config: dict | None = None,
    sampler_config: dict | None = None,
    n_sims: int | None = None,
    random_seed: int | None = None,
    journal: Journal | None = None,
    fits: dict | None = None,
) -> pd.DataFrame:
    """Forecast each of the last ``quarters`` quarters as of its start, with each method.

    ``methods`` defaults to the model :func:`~revlab.forecast.forecast` picks for ``src``
    (funnel with leads, the deals-only model on a deals export) and both baselines. With a
    ``journal``, a forecast already kept for the same quarter, cut, method, settings, data and
    versions is read back instead of refitted, and every new one is kept (``reused`` says
    which were read). ``fits``, a dict, receives each funnel or deals-only forecast fitted here
    (not one read back), keyed by quarter, so :func:`~revlab.forecast.trend.weekly_trend`
    reuses the fit. Every quarter is forecast with ``random_seed`` and ``n_sims`` exactly as
    :func:`~revlab.forecast.forecast` would be called by a report of the quarter before (None:
    the models' posterior draws, 2,000 for the baselines), so that report's own forecast, kept
    in the journal, is this backtest's forecast of the quarter and is read back.

    Returns
    -------
    DataFrame
        One row per quarter and method: ``quarter``, ``method``, ``actual`` and the columns
        of :func:`scoring.score`, plus ``ok`` (sampler diagnostics passed; True for
        baselines), ``note`` (why a method could not forecast, when it could not) and
        ``reused`` (read from the journal).
    """
    if quarters < 1:
        raise ForecastError(
            f"no past quarter was asked for (quarters={quarters}); ask for one or more "
            "(the report's backtest_quarters) to see how past forecasts held."
        )
    if methods is None:
        from revlab.forecast.api import choose_method

        methods = (choose_method(src), "seasonal_naive", "stage_weighted")
    methods = list(methods)
    unknown = set(methods) - set(BACKTEST_METHODS)
    if unknown:
        raise ForecastError(f"unknown method(s) {', '.join(sorted(unknown))}.")
    rows = []
    for q in backtest_quarters(src, quarters):
        cut = src.at(q.start)
        actual = agg.booked(src.at(q.end), q)
        seed = random_seed
        data = data_of(cut) if journal is not None else ""
        for method in methods:
            row = {"quarter": str(q), "method": method, "actual": actual, "ok": True, "note": ""}
            row |= dict.fromkeys(scoring.score(np.ones(2), 1.0), np.nan) | {"reused": False}
            settings = settings_of(method, model_config, sampler_config, n_sims, seed)
            key = journal.key(q, q.start, method, settings, data) if journal else ""
            entry = journal.get(key) if journal else None
            try:
                if entry is None:
                    fc = forecast_with(
                        method, cut, q, model_config=model_config,
                        sampler_config=sampler_config, n_sims=n_sims, random_seed=seed,
                    )  # fmt: skip
                    entry = {"samples": kept_draws(fc.samples), "trustworthy": fc.trustworthy}
                    if fits is not None and method in ("funnel", "deals"):
                        fits[str(q)] = fc
                    if journal:
                        journal.put(key, fc, kind="backtest", settings=settings, data=data)
                else:
                    row["reused"] = True
                row["ok"] = bool(entry["trustworthy"])
                row |= scoring.score(np.asarray(entry["samples"]), actual)
            except DataError as exc:  # this cut cannot support the method: noted, not fatal
                row["note"] = str(exc)
            rows.append(row)
    return _order(pd.DataFrame(rows))


def forecast_with(
    method: str,
    cut,
    quarter: Quarter,
    *,
    model_config: dict | None = None,
    sampler_config: dict | None = None,
    n_sims: int | None = None,
    random_seed: int | None = None,
):
    """One method's forecast of ``quarter`` from a source cut, warnings silenced (for scoring).

    The models get a dummy target (a score needs none); baselines take no configs.
    """
    from revlab.forecast.api import forecast

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method in ("funnel", "deals", "timeseries"):
            return forecast(cut, quarter, method=method, target=1.0, model_config=model_config,
                            sampler_config=sampler_config, n_sims=n_sims,
                            random_seed=random_seed)  # fmt: skip
        baseline = getattr(baselines, method)
        return baseline(cut, quarter, n_sims=n_sims or 2000, random_seed=random_seed)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per method: quarters scored, mean CRPS, APE of the median and interval coverage.

    ``crps_ratio`` compares each method's mean CRPS with the first method listed (the model).
    A quarter whose fit failed its sampler diagnostics is left out of the figures, not scored
    as if trusted; ``untrusted`` counts them. A ForecastError when the model scored no
    quarter (each row's note says why): the baselines alone say nothing about how far to
    trust the model.
    """
    done = frame.dropna(subset=["crps"])
    scored = done[done["ok"].astype(bool)]
    model = frame["method"].iloc[0] if len(frame) else None
    if model is None or not (scored["method"] == model).any():
        notes = frame.loc[frame["method"] == model, "note"] if model else pd.Series(dtype=str)
        why = next((n for n in notes if n), "no quarter was backtested")
        if (done["method"] == model).any():
            why = "every fit failed its sampler diagnostics; run more tuning and draws"
        raise ForecastError(
            f"the {LABELS.get(model, model or 'model').lower()} could forecast none of the "
            f"past quarters ({why}); the backtest needs quarters the model can be fitted on."
        )
    out = scoring.summarise(scored)
    out.insert(1, "label", out["method"].map(LABELS).fillna(out["method"]))
    untrusted = done[~done["ok"].astype(bool)].groupby("method").size()
    out["untrusted"] = out["method"].map(untrusted).fillna(0).astype(int)
    return out


def backtest_series(
    series: pd.Series,
    origins: Iterable[pd.Timestamp],
    *,
    methods: dict[str, Callable] | None = None,
    horizon: int = 3,
) -> pd.DataFrame:
    """Rolling-origin forecasts of the next ``horizon`` months' total of a monthly series.

    ``methods`` maps a name to ``f(history, horizon) -> draws of the total``; the default is
    the seasonal naive. Each origin sees only the months before it.

    Returns
    -------
    DataFrame
        ``origin``, ``method``, ``actual`` and the columns of :func:`scoring.score`.
    """
    methods = methods or {"seasonal_naive": seasonal_naive_total}
    rows = []
    for origin in origins:
        origin = pd.Timestamp(origin)
        history = series[series.index < origin]
        future = series[series.index >= origin].iloc[:horizon]
        if len(future) < horizon:
            continue
        actual = float(future.sum())
        for name, fn in methods.items():
            draws = fn(history, horizon)
            rows.append({"origin": origin, "method": name, "actual": actual}
                        | scoring.score(draws, actual))  # fmt: skip
    return pd.DataFrame(rows)


def seasonal_naive_total(history: pd.Series, horizon: int = 3, *, n_sims: int = 2000, rng=0):
    """Seasonal naive draws of the next ``horizon`` months' total of a monthly series.

    The same months a year earlier, with a lognormal spread from past year-over-year changes
    of ``horizon``-month totals.
    """
    totals = history.rolling(horizon).sum().dropna()
    base = float(history.iloc[-12 : -12 + horizon].sum()) if horizon < 12 else np.nan
    change = np.log(totals).diff(12).dropna().to_numpy()
    sigma = float(np.sqrt(np.mean(change**2))) if change.size else 0.0
    z = np.random.default_rng(rng).standard_normal(n_sims)
    return base * np.exp(sigma * z)


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    rank = {m: i for i, m in enumerate(BACKTEST_METHODS)}
    frame = frame.assign(_r=frame["method"].map(rank))
    return (
        frame.sort_values(["quarter", "_r"], kind="stable")
        .drop(columns="_r")
        .reset_index(drop=True)
    )
