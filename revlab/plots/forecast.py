"""Figures of the forecast: distribution, path, sources, backtests, scenarios and the trend.

The predictive distribution of the quarter, its path week by week, where bookings come from,
what backtests say about trusting it, what-if scenarios, and how the forecast moved through a
quarter.

Every function draws a frame computed by :mod:`revlab.forecast` on the Axes it is given (a new
one otherwise) and returns it; nothing here queries data or changes global style.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from revlab import _currency
from revlab.plots._common import ALL_COLOUR, COLOURS
from revlab.plots._common import axes as _axes

FAN_ALPHAS = {95: 0.15, 80: 0.25, 50: 0.4}


def _money_axis(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    def fmt(x, _pos):
        return _currency.short(x)

    axis.set_major_formatter(FuncFormatter(fmt))


def plot_forecast_distribution(
    dist: pd.DataFrame, *, target: float | None = None, median: float | None = None, ax=None
):
    """Histogram of the quarter's predicted bookings, with the target and the median.

    ``dist`` is ``QuarterForecast.distribution()``.
    """
    ax = _axes(ax)
    width = (dist["upper"] - dist["lower"]).to_numpy()
    ax.bar(dist["lower"], dist["density"], width=width, align="edge", color="C0", alpha=0.6,
           label="Predicted bookings")  # fmt: skip
    if median is not None and np.isfinite(median):
        ax.axvline(median, color="C0", linewidth=2, label="Median")
    if target is not None and np.isfinite(target):
        ax.axvline(target, color="C3", linestyle="--", linewidth=2, label="Target")
    _money_axis(ax.xaxis)
    ax.set_yticks([])
    ax.set_xlabel("Bookings in the quarter")
    ax.set_ylabel("Probability density")
    ax.legend(loc="upper right")
    return ax


def plot_forecast_fan(fan: pd.DataFrame, *, target: float | None = None, ax=None):
    """Cumulative bookings through the quarter: median and 50/80/95% bands, and the target.

    ``fan`` is ``QuarterForecast.fan()``.
    """
    ax = _axes(ax)
    for level, alpha in FAN_ALPHAS.items():
        if f"lower_{level}" in fan.columns:
            lo, hi = fan[f"lower_{level}"], fan[f"upper_{level}"]
            label = f"{level}% interval"
            ax.fill_between(fan["time"], lo, hi, color="C0", alpha=alpha, lw=0, label=label)
    ax.plot(fan["time"], fan["median"], color="C0", linewidth=2, label="Median")
    if target is not None and np.isfinite(target):
        ax.axhline(target, color="C3", linestyle="--", linewidth=2, label="Target")
    _money_axis(ax.yaxis)
    ax.set_xlabel("")
    ax.set_ylabel("Cumulative bookings")
    ax.legend(loc="upper left")
    ax.figure.autofmt_xdate()
    return ax


def plot_bookings_by_source(frame: pd.DataFrame, *, ax=None):
    """Expected bookings per source (``QuarterForecast.by_source()``) with 80% intervals."""
    ax = _axes(ax)
    frame = frame.iloc[::-1]
    y = np.arange(len(frame))
    mean = frame["mean"].to_numpy()
    err = np.vstack([mean - frame["p10"].to_numpy(), frame["p90"].to_numpy() - mean])
    ax.barh(y, mean, color=[f"C{i}" for i in range(len(frame))][::-1], alpha=0.8)
    ax.errorbar(mean, y, xerr=np.clip(err, 0, None), fmt="none", ecolor="black", capsize=4)
    ax.set_yticks(y, frame["label"])
    _money_axis(ax.xaxis)
    ax.set_xlabel("Expected bookings (bars: 80% interval)")
    return ax


def plot_backtest(frame: pd.DataFrame, *, ax=None):
    """Each backtest quarter: every method's median and 80% interval beside what happened.

    ``frame`` is :func:`revlab.forecast.backtest.backtest` output (``quarter``, ``method``,
    ``actual``, ``median``, ``q10``, ``q90``).
    """
    ax = _axes(ax)
    scored = frame.dropna(subset=["median"])
    quarters = list(dict.fromkeys(frame["quarter"]))
    methods = list(dict.fromkeys(scored["method"]))
    x0 = {q: i for i, q in enumerate(quarters)}
    width = 0.7 / max(len(methods), 1)
    actual = frame.drop_duplicates("quarter")
    ax.plot(actual["quarter"].map(x0), actual["actual"], linestyle="none", marker="*",
            markersize=12, color="black", zorder=5, label="Actual")  # fmt: skip
    for k, method in enumerate(methods):
        sub = scored[scored["method"] == method]
        x = sub["quarter"].map(x0).to_numpy() + (k - (len(methods) - 1) / 2) * width
        med = sub["median"].to_numpy()
        err = np.vstack([med - sub["q10"].to_numpy(), sub["q90"].to_numpy() - med])
        ax.errorbar(x, med, yerr=np.clip(err, 0, None), fmt="o", color=f"C{k}", capsize=3,
                    label=method.replace("_", " "))  # fmt: skip
    ax.set_xticks(range(len(quarters)), quarters)
    _money_axis(ax.yaxis)
    ax.set_ylabel("Bookings (median, 80% interval)")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_backtest_coverage(summary: pd.DataFrame, *, ax=None):
    """Coverage of the 50/80/95% intervals per method, against the nominal levels.

    ``summary`` is ``revlab.forecast.summary(backtest_frame)``; bars below their dashed line
    mean intervals that are too narrow.
    """
    ax = _axes(ax)
    levels = [c for c in summary.columns if c.startswith("coverage_")]
    x = np.arange(len(summary))
    width = 0.8 / max(len(levels), 1)
    for k, col in enumerate(levels):
        nominal = int(col.split("_")[1]) / 100
        pos = x + (k - (len(levels) - 1) / 2) * width
        ax.bar(pos, summary[col], width=width, color=f"C{k}", alpha=0.8, label=f"{col[9:]}%")
        ax.hlines(nominal, pos[0] - width / 2, pos[-1] + width / 2, colors=f"C{k}",
                  linestyles="--")  # fmt: skip
    labels = summary["label"] if "label" in summary.columns else summary["method"]
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Share of quarters inside the interval")
    ax.legend(title="Interval", loc="lower right", fontsize="small")
    return ax


def plot_scenarios(frame: pd.DataFrame, *, target: float | None = None, ax=None):
    """Expected bookings under each what-if, with 80% intervals.

    ``frame`` is ``revlab.forecast.scenarios(...)``; its first row is the base case.
    """
    ax = _axes(ax)
    frame = frame.iloc[::-1]
    y = np.arange(len(frame))
    mean = frame["mean"].to_numpy()
    err = np.vstack([mean - frame["p10"].to_numpy(), frame["p90"].to_numpy() - mean])
    colors = ["C7" if s == "base" else "C2" for s in frame["scenario"]]
    ax.barh(y, mean, color=colors, alpha=0.8)
    ax.errorbar(mean, y, xerr=np.clip(err, 0, None), fmt="none", ecolor="black", capsize=4)
    if target is not None and np.isfinite(target):
        ax.axvline(target, color="C3", linestyle="--", linewidth=2, label="Target")
        ax.legend(loc="lower right")
    ax.set_yticks(y, frame["scenario"])
    _money_axis(ax.xaxis)
    ax.set_xlabel("Expected bookings (bars: 80% interval)")
    return ax


#: Colour of bookings already won (as the pipeline waterfall's won bar).
WON = COLOURS[2]


def plot_forecast_trend(trend: pd.DataFrame, *, target: float | None = None, axes=None):
    """The quarter's forecast re-made each week: median and 80% band, booked, actual, P(target).

    ``trend`` is :func:`revlab.forecast.weekly_trend`'s frame. The upper panel shows the
    forecast of the quarter's total at each week's start beside what was booked by then, the
    quarter's final bookings and the target; the lower one the probability of reaching the
    target. ``axes`` is a pair of Axes (a new two-panel figure otherwise); both are returned.
    """
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(2, 1, sharex=True, figsize=(8, 6), height_ratios=(3, 1))
    ax, low = axes
    t = trend["as_of"]
    ax.fill_between(t, trend["p10"], trend["p90"], color="C0", alpha=0.25, lw=0,
                    label="80% interval")  # fmt: skip
    ax.plot(t, trend["median"], color="C0", linewidth=2, marker="o", label="Forecast (median)")
    ax.plot(t, trend["booked"], color=WON, linewidth=2, marker="o", label="Booked to date")
    actual = trend["actual"].iloc[-1] if len(trend) else np.nan
    if np.isfinite(actual):
        ax.axhline(actual, color="black", linestyle=":", linewidth=1.5, label="Actual total")
    if target is not None and np.isfinite(target):
        ax.axhline(target, color="C3", linestyle="--", linewidth=2, label="Target")
    _money_axis(ax.yaxis)
    ax.set_ylabel("Bookings in the quarter")
    ax.legend(loc="lower right", fontsize="small")  # booked rises to the upper right
    low.plot(t, trend["prob_hit_target"], color="C0", linewidth=2, marker="o")
    for level in (0.2, 0.8):
        low.axhline(level, color=ALL_COLOUR, linestyle=":", linewidth=1)
    low.set_ylim(-0.02, 1.02)
    low.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    low.set_ylabel("P(target)")
    low.set_xlabel("Week's start")
    ax.figure.autofmt_xdate()
    return ax, low
