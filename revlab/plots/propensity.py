"""Figures of the propensity model: calibration, gains and lift, deciles, drivers, capacity.

Each function draws a frame computed by :mod:`revlab.propensity` on the Axes it is given (a new
figure when none) and returns the Axes. Nothing here queries data or changes global style.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from revlab.plots._common import axes as _axes

__all__ = [
    "plot_capacity",
    "plot_deciles",
    "plot_gains",
    "plot_importance",
    "plot_lift",
    "plot_reliability",
    "plot_split_gap",
]

STRATEGY_LABELS = {
    "score": "by score",
    "random": "at random",
    "most_recent": "newest first",
    "most_active": "most active first",
}


def plot_reliability(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Observed buyer rate against predicted probability per score bin, with 90% intervals.

    Takes :func:`revlab.propensity.reliability`; points on the diagonal are well calibrated.
    """
    ax = _axes(ax)
    top = float(np.nanmax([frame["predicted"].max(), frame["high"].max(), 1e-3])) * 1.05
    ax.plot([0, top], [0, top], color="0.5", linestyle="--", linewidth=1, label="perfect")
    x, y = frame["predicted"].to_numpy(float), frame["observed"].to_numpy(float)
    err = np.vstack([y - frame["low"].to_numpy(float), frame["high"].to_numpy(float) - y])
    ax.errorbar(
        x,
        y,
        yerr=np.nan_to_num(err.clip(min=0)),
        marker="o",
        linestyle="-",
        capsize=2,
        label="model",
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(
        xlabel="predicted probability",
        ylabel="observed buyer rate",
        title="Calibration: predicted vs observed",
        xlim=(0, top),
        ylim=(0, top),
    )
    ax.legend(fontsize="small")
    return ax


def plot_gains(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Cumulative gains: share of buyers found when working the top share of prospects.

    Takes :func:`revlab.propensity.gains`; three lines: model, random, perfect.
    """
    ax = _axes(ax)
    ax.plot(frame["share_worked"], frame["share_of_buyers"], label="by score")
    ax.plot(frame["share_worked"], frame["random"], color="0.5", linestyle="--", label="random")
    ax.plot(frame["share_worked"], frame["perfect"], color="0.3", linestyle=":", label="perfect")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(
        xlabel="share of prospects worked (best scores first)",
        ylabel="share of buyers found",
        title="Cumulative gains",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    ax.legend(fontsize="small")
    return ax


def plot_lift(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Lift: buyer rate among the top share of prospects relative to the overall rate.

    Takes :func:`revlab.propensity.gains`.
    """
    ax = _axes(ax)
    shown = frame[frame["share_worked"] > 0]
    ax.plot(shown["share_worked"], shown["lift"], label="by score")
    ax.axhline(1.0, color="0.5", linestyle="--", linewidth=1, label="random")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(
        xlabel="share of prospects worked (best scores first)",
        ylabel="lift (×)",
        title="Lift over random choice",
        xlim=(0, 1),
    )
    ax.legend(fontsize="small")
    return ax


def plot_deciles(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Buyer rate per score decile (1 = highest scores) as bars, labelled with the lift.

    Takes :func:`revlab.propensity.deciles`; the dashed line is the overall buyer rate.
    """
    ax = _axes(ax)
    bars = ax.bar(frame["decile"].astype(str), frame["rate"])
    ax.bar_label(bars, labels=[f"{v:.1f}×" for v in frame["lift"]], padding=2, fontsize="small")
    overall = float(frame["buyers"].sum() / frame["prospects"].sum())
    ax.axhline(overall, color="0.3", linestyle="--", linewidth=1, label="all prospects")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="score decile (1 = best)", ylabel="buyer rate", title="Buyer rate by decile")
    ax.legend(fontsize="small")
    return ax


def plot_importance(frame: pd.DataFrame, *, ax: Axes | None = None, top: int = 12) -> Axes:
    """What drives the score: drop in test ROC AUC when a feature is shuffled, largest on top.

    Takes :func:`revlab.propensity.permutation_importance`.
    """
    ax = _axes(ax)
    shown = frame.head(top).iloc[::-1]
    ax.barh(shown["feature"].astype(str), shown["importance"], xerr=shown["std"], capsize=2)
    ax.set(
        xlabel="drop in ROC AUC when shuffled",
        ylabel="",
        title="What drives the score (permutation importance)",
    )
    return ax


def plot_capacity(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Buyers reached by each way of choosing whom to work, as bars labelled ``×`` random.

    Takes :func:`revlab.propensity.summarize_capacity`.
    """
    ax = _axes(ax)
    labels = [STRATEGY_LABELS.get(s, s) for s in frame["strategy"]]
    bars = ax.bar(labels, frame["buyers"])
    ax.bar_label(
        bars,
        labels=[
            f"{b:,.0f} ({r:.1f}×)"
            for b, r in zip(frame["buyers"], frame["vs_random"], strict=True)
        ],
        padding=2,
        fontsize="small",
    )
    worked = int(frame["worked"].iloc[0]) if len(frame) else 0
    ax.set(ylabel="buyers reached", title=f"Capacity what-if: {worked:,} prospects worked")
    return ax


def plot_split_gap(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Test ROC AUC of the same model under an ordered and a random split, with intervals.

    Takes :func:`revlab.propensity.split_gap`.
    """
    ax = _axes(ax)
    err = np.vstack([frame["roc_auc"] - frame["low"], frame["high"] - frame["roc_auc"]])
    bars = ax.bar(
        frame["split"].astype(str),
        frame["roc_auc"],
        yerr=np.nan_to_num(err).clip(min=0),
        capsize=3,
    )
    ax.bar_label(bars, labels=[f"{v:.3f}" for v in frame["roc_auc"]], padding=2, fontsize="small")
    ax.axhline(0.5, color="0.5", linestyle="--", linewidth=1, label="no skill")
    ax.set(ylabel="test ROC AUC", ylim=(0.4, 1.0), title="Ordered vs random split")
    ax.legend(fontsize="small")
    return ax
