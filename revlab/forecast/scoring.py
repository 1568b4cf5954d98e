"""Scoring a predictive distribution against what happened: CRPS, interval coverage, APE.

Every forecast here is a sample of draws, so scores are computed from samples: the
continuous ranked probability score (lower is better; for a point forecast it reduces to
the absolute error), whether central intervals covered the outcome, and the absolute
percentage error of the median.

References
----------
Gneiting & Raftery (2007), "Strictly proper scoring rules, prediction, and estimation",
*JASA* 102(477); the sorted-sample form of CRPS is from Jordan, Krüger & Lerch (2019),
"Evaluating probabilistic forecasts with scoringRules", *J. Stat. Software* 90(12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Central intervals whose coverage every backtest reports.
LEVELS = (0.5, 0.8, 0.95)


def crps(samples: np.ndarray, observed: float) -> float:
    """CRPS of a sample-based forecast: E|X - y| - E|X - X'| / 2, in the outcome's units."""
    x = np.sort(np.asarray(samples, dtype=float).ravel())
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0 or not np.isfinite(observed):
        return float("nan")
    first = np.abs(x - observed).mean()
    weights = 2 * np.arange(1, n + 1) - n - 1
    spread = 2.0 * (weights * x).sum() / n**2
    return float(first - spread / 2)


def interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """The central ``level`` interval of a sample."""
    lo = (1 - level) / 2
    q = np.quantile(np.asarray(samples, dtype=float), [lo, 1 - lo])
    return float(q[0]), float(q[1])


def score(samples: np.ndarray, observed: float, *, levels=LEVELS) -> dict[str, float]:
    """Every score of one forecast: median, quantiles, CRPS, APE of the median, coverage.

    Returns
    -------
    dict
        ``median``, ``q10``, ``q90``, ``crps``, ``ape`` (|median - actual| / actual) and
        ``covered_50``/``covered_80``/``covered_95`` (1.0 or 0.0).
    """
    s = np.asarray(samples, dtype=float)
    med = float(np.median(s))
    out = {
        "median": med,
        "q10": float(np.quantile(s, 0.1)),
        "q90": float(np.quantile(s, 0.9)),
        "crps": crps(s, observed),
        "ape": abs(med - observed) / abs(observed) if observed else float("nan"),
    }
    for level in levels:
        lo, hi = interval(s, level)
        out[f"covered_{round(level * 100)}"] = float(lo <= observed <= hi)
    return out


def summarise(scores: pd.DataFrame, *, by: str = "method") -> pd.DataFrame:
    """Mean CRPS, mean and median APE and the coverage of each interval, per method.

    ``scores`` has one row per forecast with the columns of :func:`score` and ``by``.
    Coverage columns become ``coverage_50`` etc.; ``crps_ratio`` is each method's mean CRPS
    over the first method's (the model, when it is listed first).
    """
    cover = [c for c in scores.columns if c.startswith("covered_")]
    order = list(dict.fromkeys(scores[by]))
    agg = scores.groupby(by, sort=False).agg(
        n=("crps", "size"),
        mean_crps=("crps", "mean"),
        mean_ape=("ape", "mean"),
        median_ape=("ape", "median"),
        **{c.replace("covered", "coverage"): (c, "mean") for c in cover},
    )
    agg = agg.loc[order].reset_index()
    agg["crps_ratio"] = agg["mean_crps"] / agg["mean_crps"].iloc[0]
    return agg
