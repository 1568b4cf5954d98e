"""Figures of the pipeline: the quarter's waterfall, and win rates of slipped vs other deals.

Each function draws a frame computed by :mod:`revlab.pipeline` on the Axes it is given (a new
figure when none) and returns the Axes. Nothing here queries data or changes global style.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

from revlab import _currency
from revlab.plots._common import axes as _axes

__all__ = ["plot_slip_win_rates", "plot_waterfall"]

#: Bar colours of the waterfall by role: won is green and lost red although both take their
#: amount out of the pipeline; what joins it is blue, what slips out (still open) amber.
WATERFALL_COLOURS = {
    "total": "#949494",
    "won": "#029e73",
    "lost": "#b42318",
    "up": "#0173b2",
    "down": "#de8f05",
}
SLIP_COLOURS = {"slipped": "#de8f05", "never": "#0173b2"}
_TOTALS = ("opening", "closing")


def _money(x: float, _pos: int | None = None) -> str:
    """Money in the reporting currency, short: ``$1.2M``, ``€45.6k``."""
    return _currency.short(x)


def plot_waterfall(
    frame: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """The pipeline waterfall (from :func:`revlab.pipeline.waterfall`, one group).

    Opening and closing are full bars from zero; each movement floats from the running total
    before it, its height the signed change, labelled with its value and number of deals. So
    the opening bar plus the movement heights equals the closing bar. Won is green and lost red
    (both leave the pipeline); new and pulled-in deals and amounts raised are blue, slipped-out
    deals and amounts cut amber (:data:`WATERFALL_COLOURS`).
    """
    extra = [c for c in frame.columns if c not in _WATERFALL_COLUMNS]
    if extra and frame[extra].drop_duplicates().shape[0] > 1:
        raise ValueError(
            f"the frame holds several {', '.join(extra)} groups; plot one at a time "
            f"(filter it, e.g. frame[frame['{extra[0]}'] == ...])."
        )
    ax = _axes(ax)
    value = frame["value"].to_numpy(dtype=float)
    running = frame["running"].to_numpy(dtype=float)
    total = frame["movement"].isin(_TOTALS).to_numpy()
    bottom = np.where(total, 0.0, running - value)
    colour = [
        WATERFALL_COLOURS[
            "total" if t else m if m in ("won", "lost") else "up" if v >= 0 else "down"
        ]
        for t, v, m in zip(total, value, frame["movement"], strict=True)
    ]
    x = np.arange(len(frame))
    bars = ax.bar(x, value, bottom=bottom, color=colour, width=0.7)
    tops = np.maximum(bottom, bottom + value)
    for bar, v, n, top in zip(bars, value, frame["deals"], tops, strict=True):
        deals = f"{n:,} deal{'s' if n != 1 else ''}"
        ax.annotate(f"{_money(v)}\n{deals}", (bar.get_x() + bar.get_width() / 2, top),
                    xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                    fontsize="x-small")  # fmt: skip
    for i in range(len(frame) - 1):
        ax.plot([x[i] + 0.35, x[i + 1] - 0.35], [running[i], running[i]], color="0.6", lw=0.8)
    ax.set_xticks(x, frame["label"], rotation=30, ha="right")
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    low = min(0.0, float(np.min(np.minimum(bottom, bottom + value))))
    ax.set_ylim(low * 1.1, max(float(np.max(tops)), 1.0) * 1.18)
    window = frame.attrs
    default = f"Pipeline of {window['quarter']}" if "quarter" in window else "Pipeline waterfall"
    if {"start", "end"} <= set(window):
        default += f", {window['start']:%Y-%m-%d} to {window['end']:%Y-%m-%d}"
    ax.set(ylabel="pipeline value", title=title or default)
    return ax


_WATERFALL_COLUMNS = ("movement", "label", "deals", "value", "running")


def plot_slip_win_rates(
    frame: pd.DataFrame, *, by: str | None = None, ax: Axes | None = None
) -> Axes:
    """Win rate of slipped vs never-slipped deals per group, with their intervals.

    Takes :func:`revlab.pipeline.slip_analysis` output; ``by`` is its grouping column (inferred
    when there is exactly one). Groups without slipped (or unslipped) deals get no bar and an
    ``n/a`` label rather than a zero.
    """
    by = by or _group_column(frame)
    ax = _axes(ax)
    labels = frame[by].astype(str).tolist() if by else ["all deals"]
    x = np.arange(len(frame))
    width = 0.38
    for offset, kind, name in ((-width / 2, "slipped", "slipped"),
                               (width / 2, "never", "never slipped")):  # fmt: skip
        rate = frame[f"win_rate_{kind}"].to_numpy(dtype=float)
        lower = frame[f"lower_{kind}"].to_numpy(dtype=float)
        upper = frame[f"upper_{kind}"].to_numpy(dtype=float)
        n = frame[kind].to_numpy()
        err = np.vstack([rate - lower, upper - rate])
        bars = ax.bar(x + offset, np.nan_to_num(rate), width, yerr=np.nan_to_num(err).clip(min=0),
                      color=SLIP_COLOURS[kind], capsize=3, label=name)  # fmt: skip
        for bar, r, k in zip(bars, rate, n, strict=True):
            text = "n/a" if np.isnan(r) else f"n={k:,}"
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, 0), xytext=(0, 2),
                        textcoords="offset points", ha="center", fontsize="x-small",
                        color="white" if not np.isnan(r) and r > 0.08 else "0.3")  # fmt: skip
    ax.set_xticks(x, labels)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.set(xlabel=by or "", ylabel="win rate", title="Win rate of slipped vs never-slipped deals")
    ax.legend(fontsize="small")
    return ax


_SLIP_COLUMNS = {"deals", "slipped", "slip_share", "value", "slipped_value", "slip_value_share",
                 "pushes", "pushes_per_deal", "pushes_per_slipped", "days_pushed_per_slipped",
                 "won_slipped", "win_rate_slipped", "lower_slipped", "upper_slipped", "never",
                 "won_never", "win_rate_never", "lower_never", "upper_never"}  # fmt: skip


def _group_column(frame: pd.DataFrame) -> str | None:
    groups = [c for c in frame.columns if c not in _SLIP_COLUMNS]
    if len(groups) > 1:
        raise ValueError(f"several grouping columns ({', '.join(groups)}); pass by=...")
    return groups[0] if groups else None
