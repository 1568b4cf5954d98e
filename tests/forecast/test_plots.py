import numpy as np
import pandas as pd

from revlab import plots


def _fan():
    t = pd.date_range("2026-07-01", periods=5, freq="7D")
    base = np.linspace(0, 100, 5)
    out = pd.DataFrame({"time": t, "median": base})
    for level, w in ((50, 5), (80, 10), (95, 20)):
        out[f"lower_{level}"], out[f"upper_{level}"] = base - w, base + w
    return out


def test_distribution_draws_bars_and_the_target_line():
    dist = pd.DataFrame(
        {"lower": [0.0, 1.0, 2.0], "upper": [1.0, 2.0, 3.0], "density": [0.2, 0.5, 0.3]}
    )
    ax = plots.plot_forecast_distribution(dist, target=2.5, median=1.5)
    assert [round(p.get_height(), 2) for p in ax.patches] == [0.2, 0.5, 0.3]
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [1.5, 2.5]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Median",
        "Target",
        "Predicted bookings",
    ]


def test_fan_chart_has_three_bands_a_median_and_the_target():
    ax = plots.plot_forecast_fan(_fan(), target=90.0)
    assert len(ax.collections) == 3
    assert len(ax.get_lines()) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["95% interval", "80% interval", "50% interval"]


def test_sources_are_bars_in_reading_order():
    frame = pd.DataFrame({"label": ["Open pipeline", "New leads"], "mean": [3.0, 1.0],
                          "p10": [2.0, 0.5], "p90": [4.0, 1.5]})  # fmt: skip
    ax = plots.plot_bookings_by_source(frame)
    assert [p.get_width() for p in ax.patches] == [1.0, 3.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["New leads", "Open pipeline"]


def test_backtest_plot_marks_each_quarter_and_method():
    frame = pd.DataFrame({
        "quarter": ["2026Q1", "2026Q1", "2026Q2", "2026Q2"],
        "method": ["funnel", "seasonal_naive"] * 2,
        "actual": [10.0, 10.0, 12.0, 12.0],
        "median": [9.0, 8.0, 12.5, 9.0],
        "q10": [7.0, 5.0, 10.0, 6.0],
        "q90": [11.0, 11.0, 15.0, 12.0],
    })  # fmt: skip
    ax = plots.plot_backtest(frame)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Actual", "funnel", "seasonal naive"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026Q1", "2026Q2"]


def test_coverage_plot_has_a_bar_per_method_and_level():
    summary = pd.DataFrame({
        "method": ["funnel", "seasonal_naive"],
        "label": ["Funnel model", "Seasonal naive"],
        "coverage_50": [0.5, 0.2],
        "coverage_80": [0.8, 0.4],
        "coverage_95": [1.0, 0.6],
    })  # fmt: skip
    ax = plots.plot_backtest_coverage(summary)
    assert len(ax.patches) == 6
    assert sorted(round(p.get_height(), 1) for p in ax.patches) == [0.2, 0.4, 0.5, 0.6, 0.8, 1.0]


def test_scenarios_plot_colours_the_base_apart():
    frame = pd.DataFrame({"scenario": ["base", "+10% deal size"], "mean": [10.0, 11.0],
                          "p10": [8.0, 9.0], "p90": [12.0, 13.0]})  # fmt: skip
    ax = plots.plot_scenarios(frame, target=10.5)
    assert [p.get_width() for p in ax.patches] == [11.0, 10.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["+10% deal size", "base"]
