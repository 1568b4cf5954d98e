import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from revlab import propensity
from tests.conftest import named_seed


@pytest.fixture
def scored():
    rng = np.random.default_rng(named_seed("propensity evaluate"))
    p = rng.beta(1, 8, 4000)
    y = (rng.random(p.size) < p).astype(float)
    return y, p


def test_metrics_match_scikit_learn(scored):
    y, p = scored
    table = propensity.metrics(y, p, n_boot=0).set_index("metric")["value"]
    assert table["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert table["pr_auc"] == pytest.approx(average_precision_score(y, p))
    assert table["brier"] == pytest.approx(brier_score_loss(y, p))
    assert table["base_rate"] == pytest.approx(y.mean())


def test_bootstrap_is_seeded_and_brackets_the_estimate(scored):
    y, p = scored
    groups = np.repeat(np.arange(1000), 4)
    a = propensity.metrics(y, p, groups=groups, n_boot=100, seed=1).set_index("metric")
    b = propensity.metrics(y, p, groups=groups, n_boot=100, seed=1).set_index("metric")
    pd.testing.assert_frame_equal(a, b)
    for name in ("roc_auc", "pr_auc"):
        assert a.loc[name, "low"] < a.loc[name, "value"] < a.loc[name, "high"]


def test_calibrated_scores_have_small_ece(scored):
    y, p = scored
    assert propensity.expected_calibration_error(y, p) < 0.02
    assert propensity.expected_calibration_error(y, np.clip(p * 2, 0, 1)) > 0.05
    table = propensity.reliability(y, p, n_bins=10)
    assert table["prospects"].sum() == y.size and len(table) == 10
    assert (table["low"] <= table["observed"]).all() and (table["observed"] <= table["high"]).all()


def test_deciles_and_gains(scored):
    y, p = scored
    dec = propensity.deciles(y, p)
    assert list(dec["decile"]) == list(range(1, 11))
    assert dec["prospects"].sum() == y.size and dec["buyers"].sum() == y.sum()
    assert dec["cum_buyers_share"].iloc[-1] == pytest.approx(1.0)
    assert dec["rate"].iloc[0] > dec["rate"].iloc[-1]
    assert dec["lift"].iloc[0] == pytest.approx(dec["rate"].iloc[0] / y.mean())
    gains = propensity.gains(y, p)
    assert gains["share_of_buyers"].iloc[0] == 0 and gains["share_of_buyers"].iloc[-1] == 1
    assert (gains["share_of_buyers"] >= gains["random"] - 0.02).all()


def test_missing_values_are_refused():
    with pytest.raises(ValueError, match="missing values"):
        propensity.metrics([0, 1, np.nan], [0.1, 0.2, 0.3])


def _weeks():
    # two weeks; the score knows the buyers, the newest leads are not buyers
    rows = []
    for w, when in enumerate(pd.to_datetime(["2024-01-01", "2024-01-08"])):
        for i in range(10):
            rows.append(
                {
                    "lead_id": f"L{i}",
                    "snapshot_at": when,
                    "label": float(i < 2),
                    "score": 1 - i / 10,
                    "age_days": 100 - i + 7 * w,
                    "act_30d": i % 3,
                }
            )
    return pd.DataFrame(rows)


def test_capacity_whatif_counts_each_prospect_once():
    weekly = propensity.capacity_whatif(_weeks(), capacity_per_week=2, seed=1)
    summary = propensity.summarize_capacity(weekly).set_index("strategy")
    assert summary.loc["score", "buyers"] == 2  # both buyers in week one, none left after
    assert summary.loc["score", "worked"] == 4
    assert summary.loc["most_recent", "buyers"] == 0  # newest = L9, L8, then L7, L6
    assert 0 < summary.loc["random", "buyers"] < 2
    assert summary.loc["score", "vs_random"] > 1
    with pytest.raises(ValueError, match="capacity_per_week"):
        propensity.capacity_whatif(_weeks(), capacity_per_week=0)
