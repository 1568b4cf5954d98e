"""Forecast a quarter from a source: pick the model the data allows, fit, simulate, compare.

:func:`forecast` is the one call a notebook makes: the funnel model when the source has leads
and opportunities, the time-series model on monthly bookings otherwise. The result carries the
target (from the ``targets`` table unless overridden), the sampler diagnostics and the fitted
model, which :func:`scenarios` reuses for what-ifs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from revlab.forecast import aggregates as agg
from revlab.forecast._errors import ForecastError, ForecastWarning
from revlab.forecast.journal import Journal, settings_of
from revlab.forecast.result import QuarterForecast
from revlab.forecast.simulate import Scenario
from revlab.periods import Quarter

METHODS = ("funnel", "deals", "timeseries")


def choose_method(src) -> str:
    """``funnel`` when the source has leads and opportunities, ``deals`` with opportunities only.

    The deals-only model is the funnel model without its lead parts: open deals close by
    stage and age as closed deals did, new deals arrive at the weekly rate of deal creation.
    The time-series model on monthly bookings (``timeseries``) is asked for by name.
    """
    if src.has("leads", "opportunities"):
        return "funnel"
    if src.has("opportunities"):
        return "deals"
    raise ForecastError(
        f"{src.label} has no opportunities table: the forecast needs at least won deals "
        "(opportunities with amount, is_won and closed_at)."
    )


def quarter_target(src, quarter: Quarter | str, *, override: float | None = None):
    """The quarter's bookings target and a sentence saying where it came from.

    ``override`` > 0 wins; else the ``targets`` table; else the target is NaN and the sentence
    says how to supply one.
    """
    q = Quarter.parse(quarter, src.calendar)
    if override is not None and override > 0:
        return float(override), f"target {override:,.0f} given as a parameter"
    if not src.has("targets"):
        return float("nan"), (
            f"no targets table, so no target for {q}; pass target= (or add a targets table) "
            "to see the odds of reaching one."
        )
    t = src.table("targets")
    rows = t.filter(t.quarter == str(q)).bookings_target.to_pandas()
    if rows.empty or pd.isna(rows.iloc[0]):
        return float("nan"), (
            f"targets has no row for {q}; pass target= (or add the row) to see the odds of "
            "reaching it."
        )
    return float(rows.iloc[0]), f"target from the targets table for {q}"


def forecast(
    src,
    quarter: Quarter | str,
    *,
    method: str = "auto",
    target: float | None = None,
    model_config: dict | None = None,
    sampler_config: dict | None = None,
    n_sims: int | None = None,
    random_seed: int | None = None,
    journal: Journal | None = None,
) -> QuarterForecast:
    """Forecast a quarter's bookings from a source cut at its as-of date.

    Parameters
    ----------
    src
        A :class:`~revlab.sources.Source` cut at the as-of date (``src.at(as_of)``).
    quarter
        The quarter to forecast.
    method
        ``auto`` (funnel when the data allow it), ``funnel`` or ``timeseries``.
    target
        Bookings target; ``None`` or 0 reads it from the ``targets`` table.
    model_config, sampler_config
        Passed to the model (priors; draws, tune, chains, ...).
    n_sims
        Size of the predictive sample (default: the number of posterior draws).
    random_seed
        Seed of the fit and of the simulation.
    journal
        Keep the forecast in this :class:`~revlab.forecast.journal.Journal`, so later reports
        can score it against what closed.

    Returns
    -------
    QuarterForecast
        Draws of the quarter's bookings with diagnostics, target and the fitted ``model``.
    """
    q = Quarter.parse(quarter, src.calendar)
    method = choose_method(src) if method == "auto" else method
    if method not in METHODS:
        raise ForecastError(f"method={method!r}: use 'auto', {', '.join(map(repr, METHODS))}.")
    value, note = quarter_target(src, q, override=target)
    seeds = np.random.SeedSequence(random_seed).spawn(2)
    fit_seed, sim_seed = (int(s.generate_state(1)[0]) for s in seeds)
    if method in ("funnel", "deals"):
        from revlab.forecast.funnel_model import FunnelModel

        model = FunnelModel(model_config=model_config, sampler_config=sampler_config)
        model.fit(src, quarter=q, random_seed=fit_seed, deals_only=method == "deals")
        fc = model.predict(n_sims=n_sims, random_seed=sim_seed)
        fc.notes += model.data_.notes
    else:
        fc, model = _timeseries(src, q, model_config, sampler_config, n_sims, fit_seed, sim_seed)
    fc.target = value
    fc.sim_seed = sim_seed
    fc.diagnostics = model.diagnostics_
    fc.model = model
    if np.isnan(value):
        fc.notes.append(note)
        warnings.warn(note, ForecastWarning, stacklevel=2)
    if journal is not None:
        settings = settings_of(method, model_config, sampler_config, n_sims, random_seed)
        journal.keep(fc, src, kind="forecast", settings=settings)
    return fc


def _timeseries(src, q: Quarter, model_config, sampler_config, n_sims, fit_seed, sim_seed):
    """The time-series model on monthly bookings: complete months known, the rest drawn."""
    from revlab.forecast.timeseries_model import TimeSeriesModel

    at = agg._at(src)
    monthly = agg.bookings(src, freq="month").set_index("period")["bookings"]
    complete = monthly[monthly.index + pd.DateOffset(months=1) <= at]
    complete = complete[complete.gt(0).cummax()]  # months before the first booking: no history
    if complete.empty:
        raise ForecastError(f"no complete month of bookings before {at:%Y-%m-%d}.")
    model = TimeSeriesModel(model_config=model_config, sampler_config=sampler_config)
    model.fit(complete, random_seed=fit_seed)
    months = pd.date_range(q.start, periods=3, freq="MS")
    last = complete.index[-1]
    horizon = max(int((months[-1].to_period("M") - last.to_period("M")).n), 0)
    draws = model.predict(horizon=max(horizon, 1), random_seed=sim_seed)
    future = pd.date_range(last + pd.DateOffset(months=1), periods=draws.shape[1], freq="MS")
    n = draws.shape[0] if n_sims is None else min(n_sims, draws.shape[0])
    cols = []
    for m in months:
        if m in complete.index:
            cols.append(np.full(n, complete[m]))
        else:
            cols.append(draws[:n, list(future).index(m)])
    paths = np.cumsum(np.column_stack(cols), axis=1)
    ends = pd.DatetimeIndex([m + pd.DateOffset(months=1) for m in months])
    fc = QuarterForecast(q, at, "timeseries", paths[:, -1], path_times=ends, paths=paths)
    fc.notes.append(
        "time-series model on monthly bookings (no funnel data): months not yet complete "
        "are drawn, complete ones are known."
    )
    if not model.inputs_.seasonal:
        fc.notes.append(
            f"{len(model.inputs_.months)} months of bookings, too few for a yearly season "
            "(two years are needed): trend and month-to-month swings only, so the interval "
            "is wide and a seasonal quarter can surprise it."
        )
    return fc, model


def default_scenarios(fc: QuarterForecast) -> list[Scenario]:
    """The what-ifs a report shows.

    +10% leads in the largest channel, +2 points of lead conversion, +2 points of win rate,
    deals 10% bigger; for the deals-only model, +10% new deals instead of the lead what-ifs.
    """
    data = fc.model.data_
    top = data.channels[int(np.argmax(data.volume[-13:].sum(axis=0)))]
    if data.leads_are_deals:  # no leads: more deals instead, and nothing converts
        more = "new deals" if len(data.channels) == 1 else f"new deals from {top}"
        return [
            Scenario(f"+10% {more}", lead_volume={top: 1.1}),
            Scenario("+2 pts win rate", win_rate_points=0.02),
            Scenario("+10% deal size", deal_size=1.1),
        ]
    return [
        Scenario(f"+10% leads from {top}", lead_volume={top: 1.1}),
        Scenario("+2 pts lead conversion", conversion_points=0.02),
        Scenario("+2 pts win rate", win_rate_points=0.02),
        Scenario("+10% deal size", deal_size=1.1),
    ]


def scenarios(
    fc: QuarterForecast,
    what_ifs: list[Scenario] | None = None,
    *,
    random_seed: int | None = None,
) -> pd.DataFrame:
    """The forecast under each what-if, beside the base case (same random numbers).

    ``random_seed`` defaults to the forecast's own, so the base case reproduces it exactly.

    Returns
    -------
    DataFrame
        ``scenario``, ``mean``, ``p10``, ``median``, ``p90``, ``prob_hit_target``,
        ``change`` (expected bookings minus the base case's).
    """
    from revlab.forecast.funnel_model import FunnelModel

    if not isinstance(getattr(fc, "model", None), FunnelModel):
        raise ForecastError(
            "what-if scenarios need the funnel or deals-only model; this forecast "
            f"used {fc.method}."
        )
    what_ifs = default_scenarios(fc) if what_ifs is None else what_ifs
    random_seed = fc.sim_seed if random_seed is None else random_seed
    n = fc.samples.size
    rows = []
    for sc in [Scenario("base"), *what_ifs]:
        out = fc.model.predict(n_sims=n, random_seed=random_seed, scenario=sc, target=fc.target)
        rows.append(out.summary())
    table = pd.concat(rows, ignore_index=True)
    table["change"] = table["mean"] - table["mean"].iloc[0]
    return table[["scenario", "mean", "p10", "median", "p90", "prob_hit_target", "change"]]
