"""Every figure revlab draws: functions that take computed frames and return Axes.

Functions live in one module per concern (``funnel``, ``propensity``, ``forecast`` ...) and are
reachable here as ``revlab.plots.plot_x``. Nothing here queries data or changes global state,
except :func:`use_style`, which a notebook calls once in its setup cell.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_MODULES = ("funnel", "propensity", "forecast", "pipeline", "lifecycle")

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


# Figures are looked up in their modules on first use rather than imported here: importing them
# all would load matplotlib.pyplot on `import revlab.plots` (about 0.6 s), and a new figure
# needs no edit here (a new module, its name in _MODULES).
def __getattr__(name: str) -> Any:
    for module in _MODULES:
        try:
            mod = import_module(f"revlab.plots.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"revlab.plots.{module}":
                continue
            raise
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(f"revlab.plots has no figure {name!r}")
