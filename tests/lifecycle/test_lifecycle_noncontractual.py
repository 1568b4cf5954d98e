"""BG/NBD and Gamma-Gamma on CDNOW (the published fit) and on small synthetic data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revlab import lifecycle
from revlab.lifecycle import LifecycleError
from revlab.lifecycle.noncontractual import simulate_transactions

CDNOW = Path(__file__).resolve().parents[3] / "shared" / "data" / "cdnow" / "CDNOW_sample.txt"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee 2005


@pytest.fixture(scope="module")
def cdnow_split():
    if not CDNOW.exists():
        pytest.skip(f"CDNOW sample not found at {CDNOW} (../shared/data/cdnow beside the repo)")
    tx = lifecycle.read_cdnow(CDNOW)
    return lifecycle.calibration_holdout(
        tx, calibration_end="1997-09-30", holdout_end="1998-06-30", time_unit="W"
    )


@pytest.fixture(scope="module")
def cdnow_model(cdnow_split):
    return lifecycle.PurchaseModel().fit(cdnow_split)


def test_cdnow_reads_the_2357_customer_sample(cdnow_split):
    assert len(cdnow_split) == 2357
    assert cdnow_split["frequency"].sum() == 2457  # repeat purchase days in 39 weeks
    assert cdnow_split["test_T"].iloc[0] == pytest.approx(39.0)


def test_bgnbd_on_cdnow_reproduces_the_published_parameters(cdnow_model):
    params = cdnow_model.params_
    for name, value in PUBLISHED.items():
        assert params[name] == pytest.approx(value, rel=0.05), name


def test_cdnow_holdout_predicted_against_actual(cdnow_model, cdnow_split):
    table = lifecycle.holdout_comparison(cdnow_model, cdnow_split).set_index("frequency")
    total = table.loc["all"]
    assert total["customers"] == 2357 and total["actual"] == 1882
    assert abs(total["error"]) < 0.15  # BG/NBD forecasts the holdout within 15%
    means = table.drop("all")
    assert np.all(np.diff(means["predicted_mean"]) > 0)  # more past purchases, more future
    assert np.corrcoef(means["actual_mean"], means["predicted_mean"])[0, 1] > 0.95
    assert cdnow_model.spend_ is not None and cdnow_model.params_["q"] > 1
    assert "bought once" in cdnow_model.notes_[0]


def test_predictions_over_a_horizon():
    tx = simulate_transactions(3000, weeks=52, seed=sum(map(ord, "lifecycle purchases")))
    summary = lifecycle.rfm(tx, observation_end="2024-12-29")
    model = lifecycle.PurchaseModel().fit(summary)
    true = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in true.items():
        assert model.params_[name] == pytest.approx(value, rel=0.5), name
    pred = model.predict(summary, horizon=26)
    assert len(pred) == len(summary)
    assert {"purchases", "p_alive", "spend", "value"} <= set(pred.columns)
    assert (pred["purchases"] >= 0).all() and pred["p_alive"].between(0, 1).all()
    longer = model.predict(summary, horizon=52)
    assert (longer["purchases"] >= pred["purchases"] - 1e-9).all()


def test_customers_who_all_bought_once_are_refused_clearly():
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
            "amount": [10.0, 20.0, 30.0],
        }
    )
    summary = lifecycle.rfm(tx, observation_end="2024-06-30")
    with pytest.raises(LifecycleError, match="bought only once"):
        lifecycle.PurchaseModel().fit(summary)


def test_bad_transactions_say_what_to_fix(tmp_path):
    tx = pd.DataFrame({"customer": ["a"], "date": [pd.Timestamp("2024-01-01")], "amount": [1.0]})
    with pytest.raises(LifecycleError, match="no column.*customer_id"):
        lifecycle.rfm(tx)
    neg = tx.rename(columns={"customer": "customer_id"}).assign(amount=-5.0)
    with pytest.raises(LifecycleError, match="negative"):
        lifecycle.rfm(neg)
    with pytest.raises(LifecycleError, match="CDNOW"):
        lifecycle.read_cdnow(tmp_path / "missing.txt")
