"""Lifecycle figures: the artists drawn match the frames given."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from revlab import lifecycle, plots


def test_retention_curves_one_step_line_per_group(book_source):
    curve = lifecycle.retention_curves(book_source, by="segment")
    ax = plots.plot_retention_curves(curve, by="segment")
    assert len(ax.lines) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["enterprise", "smb"]
    smb = ax.lines[1]
    assert list(smb.get_ydata()) == pytest.approx([1.0, 1.0, 0.5])


def test_revenue_retention_lines_and_reference(book_source):
    frame = lifecycle.revenue_retention(book_source, n_boot=50)
    _, ax = plt.subplots()
    assert plots.plot_revenue_retention(frame, ax=ax) is ax
    assert len(ax.lines) == 3  # NRR, GRR, the 100% line
    assert list(ax.lines[0].get_ydata()) == pytest.approx(frame["nrr"].tolist())
    assert [t.get_text() for t in ax.get_xticklabels()] == frame["quarter"].tolist()


def test_churn_rates_with_truth_markers():
    frame = pd.DataFrame(
        {"segment": ["a", "b"], "mean": [0.2, 0.1], "lower": [0.1, 0.05], "upper": [0.3, 0.2]}
    )
    truth = pd.DataFrame({"segment": ["a", "b"], "rate": [0.25, 0.12]})
    ax = plots.plot_churn_rates(frame, truth=truth)
    offsets = ax.collections[-1].get_offsets()
    assert np.asarray(offsets)[:, 0].tolist() == pytest.approx([0.25, 0.12])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]


def test_ltv_to_cac_bars_sorted_with_target():
    frame = pd.DataFrame(
        {
            "channel": ["x", "y", "all"],
            "ltv_to_cac": [5.0, 2.0, 4.0],
            "lower": [4.0, 1.5, 3.5],
            "upper": [6.0, 2.5, 4.5],
        }
    )
    ax = plots.plot_ltv_to_cac(frame)
    widths = [p.get_width() for p in ax.patches]
    assert widths == [2.0, 4.0, 5.0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["y", "all", "x"]
    assert ax.lines[-1].get_xdata()[0] == 3.0


def test_satisfaction_bars_per_band(book_source):
    frame = lifecycle.satisfaction_outcomes(book_source)
    ax = plots.plot_satisfaction(frame)
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 2 * len(frame)
    assert heights[: len(frame)] == pytest.approx(np.nan_to_num(frame["renewal_rate"]).tolist())


def test_holdout_lines_leave_out_the_total():
    frame = pd.DataFrame(
        {
            "frequency": ["0", "1", "2+", "all"],
            "actual_mean": [0.2, 0.8, 2.0, 0.5],
            "predicted_mean": [0.25, 0.7, 2.1, 0.5],
        }
    )
    ax = plots.plot_holdout(frame)
    assert len(ax.lines) == 2 and list(ax.lines[0].get_ydata()) == [0.2, 0.8, 2.0]


def test_satisfaction_bars_survive_rounding_in_the_intervals():
    """A rate of 0 whose Wilson lower bound came out a hair above it must still draw."""
    frame = pd.DataFrame(
        {
            "band": ["detractor", "promoter"],
            "renewal_rate": [0.0, 0.9],
            "lower": [1e-17, 0.8],
            "upper": [0.4, 0.95],
            "expansion_rate": [float("nan"), 0.2],
            "expansion_lower": [float("nan"), 0.1],
            "expansion_upper": [float("nan"), 0.3],
        }
    )
    ax = plots.plot_satisfaction(frame)
    assert [round(p.get_height(), 3) for p in ax.patches[:2]] == [0.0, 0.9]
