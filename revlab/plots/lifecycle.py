"""Figures of the customer lifecycle: retention, revenue retention, churn, value, satisfaction.

Each function draws a frame computed by :mod:`revlab.lifecycle` on the Axes it is given (a new
figure when none) and returns the Axes. Nothing here queries data or changes global style.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from revlab.plots._common import axes as _axes
from revlab.plots._common import group_colours

__all__ = [
    "plot_churn_rates",
    "plot_holdout",
    "plot_ltv_to_cac",
    "plot_retention_curves",
    "plot_revenue_retention",
    "plot_satisfaction",
]


def plot_retention_curves(
    frame: pd.DataFrame, *, by: str = "segment", ax: Axes | None = None
) -> Axes:
    """Share of customers still on contract by months since start, one line per group.

    ``frame`` is :func:`revlab.lifecycle.retention_curves`; points with no one at risk (NaN)
    are not drawn; the shaded band is the interval.
    """
    ax = _axes(ax)
    colours = group_colours(frame[by])
    for name, g in frame.groupby(by, sort=True):
        g = g[g["retention"].notna()]
        line = ax.step(g["months"], g["retention"], where="post", label=str(name),
                       color=colours[str(name)])[0]  # fmt: skip
        ax.fill_between(
            g["months"], g["lower"], g["upper"], step="post", alpha=0.15, color=line.get_color()
        )
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="months since the first term started", ylabel="customers retained")
    ax.set(title="Retention by renewal", ylim=(0, 1.02))
    ax.legend(title=by, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_revenue_retention(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Net and gross revenue retention by quarter with intervals, and the 100% line.

    ``frame`` is :func:`revlab.lifecycle.revenue_retention`.
    """
    ax = _axes(ax)
    x = np.arange(len(frame))
    for name, label in (("nrr", "NRR (net)"), ("grr", "GRR (gross)")):
        line = ax.plot(x, frame[name], marker="o", label=label)[0]
        ax.fill_between(
            x, frame[f"{name}_lower"], frame[f"{name}_upper"], alpha=0.15, color=line.get_color()
        )
    ax.axhline(1.0, color="grey", linewidth=1, linestyle="--")
    ax.set_xticks(x, frame["quarter"].astype(str), rotation=45)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="", ylabel="of ARR a year before", title="Revenue retention by quarter")
    ax.legend(fontsize="small")
    return ax


def plot_churn_rates(
    frame: pd.DataFrame,
    *,
    by: str = "segment",
    truth: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Churn at the first renewal per group: posterior mean and interval, truth if given.

    ``frame`` is :meth:`revlab.lifecycle.ChurnModel.churn_rate`; ``truth`` has ``<by>`` and
    ``rate`` (the demo company's ``truth.churn_rate()``), drawn as crosses.
    """
    ax = _axes(ax)
    y = np.arange(len(frame))
    err = np.vstack([frame["mean"] - frame["lower"], frame["upper"] - frame["mean"]])
    ax.errorbar(
        frame["mean"], y, xerr=np.nan_to_num(err).clip(min=0), fmt="o", capsize=4, label="estimate"
    )
    if truth is not None:
        true = frame[[by]].merge(truth, on=by, how="left")["rate"]
        ax.scatter(true, y, marker="x", color="black", zorder=3, label="truth")
    ax.set_yticks(y, frame[by].astype(str))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="churn at the first renewal", title="Churn by group")
    ax.legend(fontsize="small")
    return ax


def plot_ltv_to_cac(
    frame: pd.DataFrame, *, by: str = "channel", ax: Axes | None = None, target: float = 3.0
) -> Axes:
    """LTV / CAC per group as bars with intervals, and the ``target`` ratio as a line.

    ``frame`` is :func:`revlab.lifecycle.ltv_to_cac`; groups without a ratio get no bar.
    """
    ax = _axes(ax)
    rows = frame.sort_values("ltv_to_cac", na_position="first")
    y = np.arange(len(rows))
    values = rows["ltv_to_cac"].to_numpy(dtype=float)
    err = np.vstack([values - rows["lower"], rows["upper"] - values])
    colours = group_colours(frame[by])
    ax.barh(y, np.nan_to_num(values), xerr=np.nan_to_num(err).clip(min=0), capsize=3,
            color=[colours[str(n)] for n in rows[by]])  # fmt: skip
    ax.axvline(target, color="grey", linestyle="--", linewidth=1, label=f"{target:g}× target")
    ax.set_yticks(y, rows[by].astype(str))
    ax.set(xlabel="lifetime value / acquisition cost", title="LTV / CAC")
    ax.legend(fontsize="small")
    return ax


def plot_satisfaction(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Renewal and expansion rates by satisfaction band, with intervals.

    ``frame`` is :func:`revlab.lifecycle.satisfaction_outcomes` (without ``by``).
    """
    ax = _axes(ax)
    x = np.arange(len(frame))
    width = 0.4
    for shift, (col, lo, hi, label) in zip(
        (-width / 2, width / 2),
        (
            ("renewal_rate", "lower", "upper", "renewed"),
            ("expansion_rate", "expansion_lower", "expansion_upper", "expanded (of renewed)"),
        ),
        strict=True,
    ):
        v = frame[col].to_numpy(dtype=float)
        err = np.nan_to_num(np.vstack([v - frame[lo], frame[hi] - v])).clip(min=0)
        ax.bar(x + shift, np.nan_to_num(v), width, yerr=err, capsize=3, label=label)
    ax.set_xticks(x, frame["band"].astype(str))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(ylabel="of terms due", title="Renewal and expansion by satisfaction", ylim=(0, 1.05))
    ax.legend(fontsize="small")
    return ax


def plot_holdout(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Mean holdout purchases, actual and predicted, by calibration-period repeat purchases.

    ``frame`` is :func:`revlab.lifecycle.holdout_comparison` (its ``all`` row is left out).
    """
    ax = _axes(ax)
    rows = frame[frame["frequency"] != "all"]
    x = np.arange(len(rows))
    ax.plot(x, rows["actual_mean"], marker="o", label="actual")
    ax.plot(x, rows["predicted_mean"], marker="s", linestyle="--", label="predicted")
    ax.set_xticks(x, rows["frequency"].astype(str))
    ax.set(
        xlabel="repeat purchases in the calibration period",
        ylabel="purchases in the holdout, per customer",
        title="Holdout: predicted vs actual",
    )
    ax.legend(fontsize="small")
    return ax
