import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from revlab import plots, propensity
from tests.conftest import named_seed


@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(named_seed("propensity plots"))
    p = rng.beta(1, 6, 3000)
    return (rng.random(p.size) < p).astype(float), p


def test_reliability_curve(scored):
    table = propensity.reliability(*scored, n_bins=8)
    ax = plots.plot_reliability(table)
    assert len(ax.lines) >= 2  # the diagonal and the curve
    curve = ax.lines[1]
    np.testing.assert_allclose(curve.get_xdata(), table["predicted"])
    np.testing.assert_allclose(curve.get_ydata(), table["observed"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["perfect", "model"]


def test_gains_and_lift(scored):
    table = propensity.gains(*scored, points=20)
    ax = plots.plot_gains(table)
    assert [line.get_label() for line in ax.lines] == ["by score", "random", "perfect"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), table["share_of_buyers"])
    ax = plots.plot_lift(table)
    assert ax.lines[0].get_ydata()[0] == pytest.approx(table["lift"].iloc[1])


def test_deciles_bars(scored):
    table = propensity.deciles(*scored)
    ax = plots.plot_deciles(table)
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, table["rate"])
    assert ax.get_xlabel() == "score decile (1 = best)"
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == f"{table['lift'].iloc[0]:.1f}×"


def test_importance_bars():
    table = pd.DataFrame(
        {"feature": ["a", "b", "c"], "importance": [0.3, 0.2, 0.05], "std": [0.01, 0.01, 0.0]}
    )
    ax = plots.plot_importance(table, top=2)
    assert [bar.get_width() for bar in ax.patches] == [0.2, 0.3]  # largest on top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]


def test_capacity_bars():
    summary = pd.DataFrame(
        {
            "strategy": ["score", "most_recent", "random"],
            "weeks": [13] * 3,
            "worked": [650] * 3,
            "buyers": [120.0, 40.0, 20.0],
            "rate": [0.18, 0.06, 0.03],
            "vs_random": [6.0, 2.0, 1.0],
        }
    )
    fig, ax = plt.subplots()
    assert plots.plot_capacity(summary, ax=ax) is ax
    assert [bar.get_height() for bar in ax.patches] == [120.0, 40.0, 20.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "by score",
        "newest first",
        "at random",
    ]
    assert ax.texts[0].get_text() == "120 (6.0×)"


def test_split_gap_bars():
    gap = pd.DataFrame(
        {
            "split": ["ordered", "random"],
            "roc_auc": [0.69, 0.80],
            "low": [0.68, 0.79],
            "high": [0.70, 0.81],
        }
    )
    ax = plots.plot_split_gap(gap)
    assert [bar.get_height() for bar in ax.patches] == [0.69, 0.80]
    assert [t.get_text() for t in ax.texts] == ["0.690", "0.800"]
