"""Figures of the funnel: volume, cost, stage conversion, cohort curves, inventory, velocity.

Each function draws a frame computed by :mod:`revlab.funnel` on the Axes it is given (a new
figure when none) and returns the Axes. Nothing here queries data or changes global style.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from revlab import _currency
from revlab.plots._common import axes as _axes
from revlab.plots._common import group_colours

__all__ = [
    "plot_conversion_curves",
    "plot_cost_per_name",
    "plot_drivers",
    "plot_funnel",
    "plot_inventory",
    "plot_inventory_aging",
    "plot_new_names",
    "plot_velocity",
]


def _money(x: float, _pos: int | None = None) -> str:
    """Money in the reporting currency, short: ``$1.2M``, ``€45.6k``."""
    return _currency.short(x)


def _pct(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.1f}%"


#: Weeks in the moving average of a weekly new-names series.
SMOOTH_WEEKS = 4


def plot_new_names(frame: pd.DataFrame, *, ax: Axes | None = None, by: str = "channel") -> Axes:
    """New names per period, one line per ``by`` group (from :func:`funnel.new_names`).

    A weekly series is drawn as its trailing :data:`SMOOTH_WEEKS`-week average, so six
    channels read as six trends rather than a tangle of weekly noise; the legend sits outside
    the data.
    """
    ax = _axes(ax)
    colours = group_colours(frame[by]) if by in frame else {}
    starts = pd.to_datetime(frame["period_start"].drop_duplicates()).sort_values()
    weekly = len(starts) > 1 and starts.diff().median() <= pd.Timedelta(days=8)
    for name, g in frame.groupby(by, sort=True):
        g = g.sort_values("period_start")
        n = g["n"].rolling(SMOOTH_WEEKS, min_periods=1).mean() if weekly else g["n"]
        ax.plot(g["period_start"], n, label=str(name), color=colours.get(str(name)), linewidth=1.8)
    title = (
        f"New names per week ({SMOOTH_WEEKS}-week average)" if weekly else "New names per period"
    )
    ax.set(xlabel="", ylabel="new names", title=title)
    ax.set_ylim(bottom=0)
    ax.legend(title=by, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_cost_per_name(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Cost per name by channel (from :func:`funnel.cost_per_name`), the overall as a line.

    Channels without a cost (no spend recorded, or no names) get no bar and an ``n/a`` label.
    """
    ax = _axes(ax)
    rows = frame[frame["channel"] != "all"].sort_values("cost_per_name", na_position="last")
    values = rows["cost_per_name"].to_numpy(dtype=float)
    colours = group_colours(frame["channel"])
    names = rows["channel"].astype(str)
    bars = ax.bar(names, np.nan_to_num(values, nan=0.0), color=[colours[n] for n in names])
    labels = [_money(v) if np.isfinite(v) else "n/a" for v in values]
    ax.bar_label(bars, labels=labels, padding=2, fontsize="small")
    overall = frame.loc[frame["channel"] == "all", "cost_per_name"]
    if len(overall) and np.isfinite(overall.iloc[0]):
        ax.axhline(overall.iloc[0], color="0.3", linestyle="--", linewidth=1, label="all channels")
        ax.legend(fontsize="small")
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    quarter = frame["quarter"].iloc[0] if "quarter" in frame and len(frame) else ""
    ax.set(ylabel="cost per new name", title=f"Cost per name by channel {quarter}".strip())
    return ax


def plot_funnel(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Leads reaching each stage as bars, with the conversion from the stage before.

    Takes :func:`funnel.funnel_stages` without grouping. Each bar after the first is labelled
    with its step conversion and interval, like ``66.7% (58.1-74.2%)``.
    """
    ax = _axes(ax)
    stages = frame["stage"].astype(str).tolist()
    y = np.arange(len(stages))[::-1]
    bars = ax.barh(y, frame["reached"].to_numpy(dtype=float), tick_label=stages)
    labels = [f"{int(frame['reached'].iloc[0]):,}"]
    for _, row in frame.iloc[1:].iterrows():
        step = f"{_pct(row['rate'])} ({_pct(row['lower'])}-{_pct(row['upper'])})"
        labels.append(f"{int(row['reached']):,}  ·  {step}" if pd.notna(row["rate"]) else (
            f"{int(row['reached']):,}  ·  not yet matured"))  # fmt: skip
    ax.bar_label(bars, labels=labels, padding=3, fontsize="small")
    cohort = frame["cohort"].iloc[0] if "cohort" in frame and len(frame) else ""
    ax.set(xlabel="leads", title=f"Funnel of the {cohort} cohort".replace("  ", " "))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.margins(x=0.35)
    return ax


def plot_conversion_curves(
    frame: pd.DataFrame, *, ax: Axes | None = None, by: str = "channel", band: bool = True
) -> Axes:
    """Cumulative conversion by days since creation, one step line per group, with bands.

    Takes :func:`funnel.conversion_curve`; the shaded band is the pointwise interval.
    """
    ax = _axes(ax)
    groups = frame.groupby(by, sort=True) if by in frame else [("all", frame)]
    colours = group_colours(frame[by]) if by in frame else {}
    for name, g in groups:
        (line,) = ax.step(g["day"], g["rate"], where="post", label=str(name),
                          color=colours.get(str(name)))  # fmt: skip
        if band:
            ax.fill_between(g["day"], g["lower"], g["upper"], step="post", alpha=0.15,
                            color=line.get_color(), linewidth=0)  # fmt: skip
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="days since creation", ylabel="converted", title="Cumulative conversion")
    ax.legend(
        title=by if by in frame else None,
        fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )  # fmt: skip  (off the curves and their bands)
    return ax


def plot_inventory(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Open prospects at each period end, one line per stage (from :func:`inventory_flow`)."""
    ax = _axes(ax)
    for stage in frame["stage"].unique():
        g = frame[frame["stage"] == stage]
        ax.plot(g["period_start"], g["open_end"], marker=".", label=str(stage))
    ax.set_yscale("symlog", linthresh=10)
    # plain counts: mathtext is off (text from the data stays literal), so the log scale's
    # default 10^k labels would print as raw TeX
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v + 0.0:,.0f}"))  # no "-0"
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_ylim(bottom=0)
    ax.set(ylabel="open at period end (log scale)", title="Prospect inventory by stage")
    ax.legend(title="stage", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_inventory_aging(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Open prospects per stage, stacked by age bucket (from :func:`inventory_aging`)."""
    ax = _axes(ax)
    stages = list(dict.fromkeys(frame["stage"].astype(str)))
    wide = frame.pivot_table(index="stage", columns="age_bucket", values="share",
                             observed=False, sort=False, aggfunc="sum")  # fmt: skip
    wide = wide.reindex(stages).fillna(0.0)
    y = np.arange(len(stages))[::-1]
    left = np.zeros(len(stages))
    colors = plt.get_cmap("viridis_r")(np.linspace(0.15, 0.9, wide.shape[1]))
    for color, bucket in zip(colors, wide.columns, strict=True):
        width = wide[bucket].to_numpy(dtype=float)
        ax.barh(y, width, left=left, color=color, label=str(bucket), tick_label=stages)
        left += width
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="share of open prospects", title="Age of the open inventory (days)")
    ax.legend(title="age (days)", fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def plot_velocity(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Pipeline velocity per quarter (from :func:`funnel.closing_by_quarter`, ungrouped)."""
    ax = _axes(ax)
    x = frame["quarter"].astype(str)
    ax.plot(x, frame["pipeline_velocity"], marker="o", label="pipeline velocity")
    last = frame["pipeline_velocity"].iloc[-1] if len(frame) else np.nan
    if np.isfinite(last):
        ax.annotate(f"{_money(last)}/day", (len(frame) - 1, last), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize="small")  # fmt: skip
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set(ylabel="expected bookings per day", title="Pipeline velocity by quarter")
    ax.tick_params(axis="x", labelrotation=45)
    return ax


def plot_drivers(frame: pd.DataFrame, *, ax: Axes | None = None, by: str = "channel") -> Axes:
    """Each group's contribution to a metric's change, split into rate and mix effects.

    Takes :func:`funnel.drivers`; bars are stacked rate effect then mix effect per group.
    """
    ax = _axes(ax)
    rows = frame.iloc[::-1]
    y = np.arange(len(rows))
    names = rows[by].astype(str).tolist()
    ax.barh(y, rows["rate_effect"], label="own rate", tick_label=names)
    ax.barh(y, rows["mix_effect"], left=rows["rate_effect"], label="mix")
    ax.axvline(0, color="0.3", linewidth=1)
    ax.set(xlabel="contribution to the change", title=f"What drove the change, by {by}")
    ax.legend(fontsize="small")
    return ax
