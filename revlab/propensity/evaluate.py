"""How good is a propensity score: ranking, calibration, lift and what it buys sales.

All functions take the outcome ``y`` (0/1) and the score ``p`` (a calibrated probability) and
return tidy frames for :mod:`revlab.plots.propensity`.

References
----------
Efron & Tibshirani (1993), *An Introduction to the Bootstrap* — percentile intervals; resampling
whole prospects (clusters), because one prospect appears in many weekly snapshots.
Naeini, Cooper & Hauskrecht (2015), "Obtaining well calibrated probabilities using Bayesian
binning", AAAI — expected calibration error; equal-count bins as in Nixon et al. (2019),
"Measuring calibration in deep learning", CVPR workshops.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss

from revlab.propensity._ranks import auc_pr, auc_roc, tie_groups
from revlab.rates import wilson_interval


def _arrays(y, p) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if y.shape != p.shape:
        raise ValueError(f"y has {y.size} values but p has {p.size}.")
    if np.isnan(y).any() or np.isnan(p).any():
        raise ValueError("y and p must not hold missing values; drop incomplete labels first.")
    return y, p


def metrics(
    y, p, *, groups=None, n_boot: int = 200, level: float = 0.9, seed: int = 0
) -> pd.DataFrame:
    """ROC AUC and PR AUC with bootstrap intervals, Brier score, log loss, ECE and base rate.

    Parameters
    ----------
    groups
        Cluster labels (e.g. ``lead_id``) resampled as wholes; None resamples rows.
    n_boot
        Bootstrap replicates for the AUC intervals (0: no intervals).
    level
        Coverage of the percentile interval.

    Returns
    -------
    DataFrame
        ``metric``, ``value``, ``low``, ``high`` (NaN where no interval is computed).
    """
    y, p = _arrays(y, p)
    order, gid = tie_groups(p)
    ys = y[order]
    values = {
        "roc_auc": auc_roc(ys, gid),
        "pr_auc": auc_pr(ys, gid),
        "brier": brier_score_loss(y, p),
        "log_loss": log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1]),
        "ece": expected_calibration_error(y, p),
        "base_rate": float(y.mean()),
    }
    low = dict.fromkeys(values, np.nan)
    high = dict.fromkeys(values, np.nan)
    if n_boot:
        boot = _bootstrap(
            ys, gid, None if groups is None else np.asarray(groups)[order], n_boot, seed
        )
        q = [(1 - level) / 2, (1 + level) / 2]
        for name, draws in boot.items():
            low[name], high[name] = np.nanquantile(draws, q)
    return pd.DataFrame(
        {
            "metric": list(values),
            "value": list(values.values()),
            "low": [low[k] for k in values],
            "high": [high[k] for k in values],
        }
    )


def _bootstrap(ys, gid, groups, n_boot: int, seed: int) -> dict[str, np.ndarray]:
    """AUC draws under resampling of rows or of whole clusters (weights, one sort)."""
    rng = np.random.default_rng(seed)
    if groups is None:
        codes, n_clusters = np.arange(ys.size), ys.size
    else:
        codes, uniques = pd.factorize(groups)
        n_clusters = uniques.size
    out = {"roc_auc": np.empty(n_boot), "pr_auc": np.empty(n_boot)}
    for b in range(n_boot):
        w = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)[codes]
        out["roc_auc"][b] = auc_roc(ys, gid, w)
        out["pr_auc"][b] = auc_pr(ys, gid, w)
    return out


def expected_calibration_error(y, p, *, n_bins: int = 10) -> float:
    """Row-weighted mean gap between predicted and observed rates, over equal-count bins."""
    table = reliability(y, p, n_bins=n_bins)
    gap = (table["observed"] - table["predicted"]).abs()
    return float((gap * table["prospects"]).sum() / table["prospects"].sum())


def reliability(y, p, *, n_bins: int = 10) -> pd.DataFrame:
    """Reliability curve on equal-count bins of the score.

    Returns
    -------
    DataFrame
        ``bin``, ``prospects``, ``buyers``, ``predicted`` (mean score), ``observed`` (buyer
        rate), ``low``, ``high`` (90% Wilson interval of the observed rate).
    """
    y, p = _arrays(y, p)
    order = np.argsort(p, kind="stable")
    bins = np.empty(p.size, dtype=int)
    bins[order] = np.arange(p.size) * n_bins // max(p.size, 1)
    frame = pd.DataFrame({"bin": bins + 1, "y": y, "p": p})
    out = frame.groupby("bin", as_index=False).agg(
        prospects=("y", "size"),
        buyers=("y", "sum"),
        predicted=("p", "mean"),
        observed=("y", "mean"),
    )
    out["low"], out["high"] = wilson_interval(out["buyers"], out["prospects"], level=0.9)
    return out


def deciles(y, p, *, n_groups: int = 10) -> pd.DataFrame:
    """Prospects ranked by score into equal groups, best first.

    Returns
    -------
    DataFrame
        ``decile`` (1 = highest scores), ``prospects``, ``buyers``, ``rate``, ``mean_score``,
        ``lift`` (rate / overall rate), ``cum_buyers_share`` (share of all buyers found in this
        and the better deciles).
    """
    y, p = _arrays(y, p)
    order = np.argsort(-p, kind="stable")
    group = np.empty(p.size, dtype=int)
    group[order] = np.arange(p.size) * n_groups // max(p.size, 1) + 1
    frame = pd.DataFrame({"decile": group, "y": y, "p": p})
    out = frame.groupby("decile", as_index=False).agg(
        prospects=("y", "size"), buyers=("y", "sum"), rate=("y", "mean"), mean_score=("p", "mean")
    )
    base = y.mean()
    out["lift"] = out["rate"] / base if base > 0 else np.nan
    out["cum_buyers_share"] = out["buyers"].cumsum() / y.sum() if y.sum() > 0 else np.nan
    out["buyers"] = out["buyers"].astype(int)
    return out


def gains(y, p, *, points: int = 100) -> pd.DataFrame:
    """Cumulative gains and lift: share of buyers found when working the top share by score.

    Returns
    -------
    DataFrame
        ``share_worked``, ``share_of_buyers`` (by the score), ``random`` (the diagonal),
        ``perfect`` (best possible) and ``lift`` (share_of_buyers / share_worked).
    """
    y, p = _arrays(y, p)
    found = np.concatenate([[0.0], np.cumsum(y[np.argsort(-p, kind="stable")])])
    total = max(y.sum(), 1.0)
    share = np.linspace(0, 1, points + 1)
    k = np.round(share * y.size).astype(int)
    out = pd.DataFrame(
        {
            "share_worked": share,
            "share_of_buyers": found[k] / total,
            "random": share,
            "perfect": np.minimum(k / total, 1.0),
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["lift"] = out["share_of_buyers"] / out["share_worked"]
    return out
