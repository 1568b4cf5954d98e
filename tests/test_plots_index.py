"""revlab.plots lists every figure: tab completion shows them, nothing loads until used."""

import importlib
import inspect
import subprocess
import sys

from revlab import plots


def test_every_figure_of_every_module_is_listed():
    for module, names in plots.FIGURES.items():
        mod = importlib.import_module(f"revlab.plots.{module}")
        drawn = {
            n
            for n, f in vars(mod).items()
            if n.startswith("plot_") and inspect.isfunction(f) and f.__module__ == mod.__name__
        }
        assert drawn == set(names), module
        assert all(getattr(plots, n) is getattr(mod, n) for n in names)


def test_tab_completion_lists_the_figures_without_loading_pyplot():
    code = (
        "import sys, revlab.plots as p; names = dir(p); "
        "assert 'plot_waterfall' in names and 'plot_forecast_fan' in names, names; "
        "assert 'plot_waterfall' in p.__all__; "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_unknown_figure_is_an_attribute_error():
    try:
        plots.plot_nothing  # noqa: B018
    except AttributeError as exc:
        assert "no figure 'plot_nothing'" in str(exc)
    else:
        raise AssertionError("plots.plot_nothing resolved")
