"""Every figure revlab draws: functions that take computed frames and return Axes.

Functions live in one module per concern (``funnel``, ``propensity``, ``forecast`` ...) and are
reachable here as ``revlab.plots.plot_x``. Nothing here queries data or changes global state,
except :func:`use_style`, which a notebook calls once in its setup cell.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Colours per role, shared by every figure so a channel looks the same everywhere.
PALETTE = "colorblind"


def use_style() -> None:
    """Apply revlab's figure style (seaborn whitegrid, readable sizes); call once per notebook.

    In a notebook, figures are also kept as SVG beside the PNG (the report exports both).

    Text is literal: a ``$`` in a channel or segment name is a dollar sign, never the start of
    mathtext (which ate ``Deals $10k-$50k``'s signs and made a TeX command in a name fail to save).
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")
    _inline_svg_too()
    mpl.rcParams.update({
        "figure.figsize": (8, 4.5), "figure.dpi": 96, "axes.titleweight": "bold",
        "text.parse_math": False,
    })  # fmt: skip


def _inline_svg_too() -> None:
    """In a notebook, show figures as PNG and SVG: the report exports both beside the page."""
    try:
        from IPython import get_ipython

        if get_ipython() is None:
            return
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not in IPython, or no inline backend: nothing to set
        return
    set_matplotlib_formats("png", "svg")


#: Every figure, by the module that draws it. Figures are imported on first use rather than
#: here: importing them all would load matplotlib.pyplot on ``import revlab.plots`` (about
#: 0.6 s). ``__all__`` and ``dir()`` list them, so tab completion in JupyterLab shows them;
#: ``tests/test_plots_index.py`` checks this list against the modules.
FIGURES = {
    "funnel": (
        "plot_conversion_curves", "plot_cost_per_name", "plot_drivers", "plot_funnel",
        "plot_inventory", "plot_inventory_aging", "plot_new_names", "plot_velocity",
    ),
    "propensity": (
        "plot_capacity", "plot_deciles", "plot_gains", "plot_importance", "plot_lift",
        "plot_reliability", "plot_split_gap",
    ),
    "forecast": (
        "plot_backtest", "plot_backtest_coverage", "plot_bookings_by_source",
        "plot_forecast_distribution", "plot_forecast_fan", "plot_forecast_trend",
        "plot_scenarios",
    ),
    "pipeline": ("plot_slip_win_rates", "plot_waterfall"),
    "lifecycle": (
        "plot_churn_rates", "plot_holdout", "plot_ltv_to_cac", "plot_retention_curves",
        "plot_revenue_retention", "plot_satisfaction",
    ),
}  # fmt: skip
_WHERE = {name: module for module, names in FIGURES.items() for name in names}
__all__ = ["PALETTE", "use_style", *sorted(_WHERE)]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"revlab.plots has no figure {name!r}")
    return getattr(import_module(f"revlab.plots.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
