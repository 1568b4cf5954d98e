"""Calibration against ground truth: forecast quarters of simulated companies whose truth is known.

A backtest on one company's past scores a handful of quarters; whether an 80% interval holds
80% of the time needs many. Each independently seeded demo company is forecast for one
quarter inside its data, as of the quarter's first day, by the model and by each baseline,
and scored against the bookings it realised. :func:`truth_quantiles` compares the model's
predictive quantiles with the simulator's own predictive distribution re-simulated from the
same as-of state (what a model with the true parameters and the hidden state would say).
``benchmarks/validate_forecast.py`` is the command line over these functions.

A top-level module (it was ``revlab.forecast.validate``) because it needs both the forecast and
the simulator (:mod:`revlab.demo`), and the analysis packages must not know the simulator.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from scipy.special import logit
from scipy.stats import norm

from revlab.forecast import aggregates as agg
from revlab.forecast import scoring
from revlab.forecast.backtest import forecast_with
from revlab.periods import Quarter

#: Quarters inside the demo company's data that validation forecasts, one per company in turn,
#: so every season is covered.
QUARTERS = ("2025Q4", "2026Q1", "2026Q2", "2026Q3")
METHODS = ("funnel", "seasonal_naive", "stage_weighted")
#: Posterior interval levels at which parameter recovery is counted.
RECOVERY_LEVELS = (0.5, 0.9, 0.99)
#: Family-wise level of the bias flags over all groups at once (Bonferroni).
BIAS_LEVEL = 0.05


def forecast_company(
    seed: int,
    *,
    quarter: str | None = None,
    n_leads: int | None = None,
    sampler_config: dict | None = None,
    n_sims: int = 2000,
) -> list[dict]:
    """Simulate the demo company ``seed``, forecast one quarter with every method, score it.

    Returns
    -------
    list of dict
        One row per method: ``seed``, ``quarter``, ``method``, ``actual``, ``ok`` (sampler
        diagnostics passed) and the columns of :func:`scoring.score`. The model's row also
        counts its true parameters inside their posterior intervals (see
        :func:`parameter_recovery`): ``recovery_n`` and ``recovered_<level>``, and gives each
        true value's z-score as ``z__<parameter>__<group>``, and each open stage's forward
        rate's as ``z__stage_advance__<stage>`` (see :func:`stage_recovery`).
    """
    from revlab import demo
    from revlab.sources import connect

    q = Quarter.parse(quarter or QUARTERS[seed % len(QUARTERS)])
    company = demo.simulate(seed=seed, **({"n_leads": n_leads} if n_leads else {}))
    src = connect(company.tables)
    cut = src.at(q.start)
    actual = company.truth.bookings(str(q))
    rows = []
    for method in METHODS:
        fc = forecast_with(method, cut, q, sampler_config=sampler_config, n_sims=n_sims,
                           random_seed=seed)  # fmt: skip
        row = {"seed": seed, "quarter": str(q), "method": method, "actual": actual,
               "ok": fc.trustworthy}  # fmt: skip
        if method == "funnel":
            recovery = parameter_recovery(fc.model, company.truth)
            inside = recovery.filter(like="inside_")
            row |= {
                "recovery_n": len(inside),
                "recovery_sum_z2": float((recovery["z"] ** 2).sum()),
            }
            row |= {c.replace("inside", "recovered"): int(inside[c].sum()) for c in inside}
            row |= {f"z__{p}__{g}": z for p, g, z in recovery[["parameter", "group", "z"]].values}
            stages = stage_recovery(fc.model, company.truth)
            row |= {f"z__stage_advance__{g}": z for g, z in stages[["stage", "z"]].values}
        rows.append(row | scoring.score(fc.samples, actual))
    return rows


def parameter_recovery(model, truth) -> pd.DataFrame:
    """True channel lead-to-won rates and segment deal-size medians against the posterior.

    Each true value sits beside the model's posterior mean, with whether its central 50/90/99%
    intervals (quantiles of the draws) hold it, and its z-score: its distance from the
    posterior mean in posterior standard deviations, on the log-odds scale for rates and the
    log scale for amounts, where the posteriors are close to normal. Far out in the tails the
    z-score is steadier than an interval's end estimated from a few thousand draws.

    Returns
    -------
    DataFrame
        ``parameter`` (``conversion`` or ``deal_size_median``), ``group``, ``truth``, ``mean``,
        ``inside_<level>`` (bool) per level of :data:`RECOVERY_LEVELS`, and ``z``.
    """
    frames = []
    for name, by, draws, true, scale in (
        ("conversion", "channel", model.conversion_rate_draws(),
         truth.conversion_rate("channel"), logit),
        ("deal_size_median", "segment", model.deal_size_median_draws(),
         truth.deal_size_median(), np.log),
    ):  # fmt: skip
        groups = list(getattr(model.data_, f"{by}s"))
        value = true.set_index(by).iloc[:, 0].reindex(groups).to_numpy()
        out = pd.DataFrame({"parameter": name, "group": groups, "truth": value,
                            "mean": draws.mean(axis=0)})  # fmt: skip
        for level in RECOVERY_LEVELS:
            lower, upper = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
            out[f"inside_{round(level * 100)}"] = (lower <= value) & (value <= upper)
        out["z"] = _z_score(value, draws, scale)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def stage_recovery(model, truth) -> pd.DataFrame:
    """Each open stage's true forward rate against the posterior: where winning goes wrong.

    The probability that a deal entering the stage leaves it forward (to the next stage, or
    won from the last), averaged over the stage's segment x channel cells with the truth's
    shares of the deals entering it, for the truth and for each posterior draw; ``z`` as in
    :func:`parameter_recovery`, on the log-odds scale. A lead-to-won rate is off when one of
    these is, and this says which stage.

    Returns
    -------
    DataFrame
        ``stage``, ``truth``, ``mean`` and ``z``, in stage order.
    """
    from revlab.forecast.simulate import posterior_arrays

    data = model.data_
    true = truth.stage_advance_rate().set_index(["stage", "segment", "channel"])
    cells = pd.MultiIndex.from_product([data.stages, data.segments, data.channels])
    true = true.loc[cells]  # a cell of the model's the truth lacks is an error, not a zero
    shape = (len(data.stages), len(data.segments), len(data.channels))
    rate, share = (true[c].to_numpy(float).reshape(shape) for c in ("rate", "share"))
    share = share / share.sum(axis=(1, 2), keepdims=True)
    value = (rate * share).sum(axis=(1, 2))
    draws = (posterior_arrays(model)["a"] * share[None]).sum(axis=(2, 3))  # (draw, stage)
    return pd.DataFrame(
        {
            "stage": list(data.stages),
            "truth": value,
            "mean": draws.mean(axis=0),
            "z": _z_score(value, draws, logit),
        }
    )


def _z_score(value: np.ndarray, draws: np.ndarray, scale) -> np.ndarray:
    """How many posterior sd each true value lies from the posterior mean, on ``scale``."""
    t = scale(draws)
    return (scale(value) - t.mean(axis=0)) / t.std(axis=0)


def recovery_coverage(results: pd.DataFrame) -> pd.Series:
    """Share of true parameters inside the model's 50/90/99% intervals, over all companies.

    With ``rms_z``, the root mean square of the true values' posterior z-scores: about 1 when
    the posterior widths are right, above 1 when they are too narrow.
    """
    rows = results[results["method"] == "funnel"]
    n = rows["recovery_n"].sum()
    out = {
        f"{round(lv * 100)}%": rows[f"recovered_{round(lv * 100)}"].sum() / n
        for lv in RECOVERY_LEVELS
    }
    if "recovery_sum_z2" in rows:
        out["rms_z"] = float(np.sqrt(rows["recovery_sum_z2"].sum() / n))
    return pd.Series(out | {"values": int(n)})


def recovery_bias(results: pd.DataFrame) -> pd.DataFrame:
    """Each group's mean posterior z-score over the companies, flagged where it is off 0.

    One company's true value can sit 2.5 sd out by chance; the same group sitting out on the
    same side company after company is a bias of the model. With calibrated posteriors each
    z is close to standard normal, so the mean over ``n`` companies has a standard error of
    ``1/sqrt(n)``; ``biased`` flags a mean beyond the two-sided Bonferroni point of those for
    all the groups together (:data:`BIAS_LEVEL`: 2.77 standard errors for nine groups, 2.89
    for thirteen).

    Returns
    -------
    DataFrame
        ``parameter``, ``group``, ``companies``, ``mean_z``, ``sd_z`` and ``biased`` (bool).
    """
    rows = results[results["method"] == "funnel"]
    out = []
    for col in (c for c in rows if c.startswith("z__")):
        _, parameter, group = col.split("__", 2)
        z = rows[col].dropna()
        out.append({"parameter": parameter, "group": group, "companies": len(z),
                    "mean_z": z.mean(), "sd_z": z.std(ddof=1)})  # fmt: skip
    table = pd.DataFrame(out, columns=["parameter", "group", "companies", "mean_z", "sd_z"])
    z_crit = norm.isf(BIAS_LEVEL / (2 * max(len(table), 1)))
    table["biased"] = table["mean_z"].abs() > z_crit / np.sqrt(table["companies"])
    return table


def run(
    seeds: Iterable[int],
    *,
    jobs: int = 1,
    n_leads: int | None = None,
    sampler_config: dict | None = None,
) -> pd.DataFrame:
    """:func:`forecast_company` for each seed, ``jobs`` companies at a time (processes)."""
    seeds = list(seeds)
    kwargs = {"n_leads": n_leads, "sampler_config": sampler_config}
    if jobs <= 1:
        rows = [r for s in seeds for r in forecast_company(s, **kwargs)]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(forecast_company, s, **kwargs) for s in seeds]
            rows = [r for f in futures for r in f.result()]
    return pd.DataFrame(rows)


def calibration(results: pd.DataFrame) -> pd.DataFrame:
    """Per method: companies, interval coverage, mean CRPS and its ratio to the model's, APE.

    Also ``pit_low``/``pit_high``: the share of quarters below the 10th and above the 90th
    percentile, which say which side a miscalibrated interval misses on.
    """
    out = scoring.summarise(results)
    below = (results["actual"] < results["q10"]).groupby(results["method"], sort=False).mean()
    above = (results["actual"] > results["q90"]).groupby(results["method"], sort=False).mean()
    out["below_p10"] = out["method"].map(below).to_numpy()
    out["above_p90"] = out["method"].map(above).to_numpy()
    ok = results.groupby("method", sort=False)["ok"].mean()
    out["diagnostics_ok"] = out["method"].map(ok).to_numpy()
    return out


def truth_quantiles(
    company,
    as_of: str,
    quarter: str,
    *,
    levels=(0.1, 0.5, 0.9),
    sampler_config: dict | None = None,
    n_sims: int = 2000,
    random_seed: int = 0,
) -> pd.DataFrame:
    """The model's predictive quantiles beside the simulator's re-simulated true ones.

    Returns
    -------
    DataFrame
        ``as_of``, ``quarter``, ``level``, ``model``, ``truth``, ``ratio`` (model / truth),
        and ``ok`` (the fit's diagnostics passed).
    """
    from revlab.forecast.api import forecast
    from revlab.sources import connect

    src = connect(company.tables).at(as_of)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecast(src, quarter, target=1.0, sampler_config=sampler_config,
                      n_sims=n_sims, random_seed=random_seed)  # fmt: skip
    truth = company.truth.resimulate_bookings(as_of, quarter, n_sims=n_sims, seed=random_seed)
    model_q = np.quantile(fc.samples, levels)
    truth_q = np.quantile(truth, levels)
    return pd.DataFrame(
        {
            "as_of": pd.Timestamp(as_of),
            "quarter": str(quarter),
            "level": list(levels),
            "model": model_q,
            "truth": truth_q,
            "ratio": model_q / truth_q,
            "ok": fc.trustworthy,
            "booked": agg.booked(src, Quarter.parse(quarter)),
        }
    )
