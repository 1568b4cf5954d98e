import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from revlab import propensity
from revlab.propensity import FeatureMismatchError, FeatureWarning, PropensityError
from tests.conftest import named_seed


def _table(n=3000):
    rng = np.random.default_rng(named_seed("propensity models"))
    x = rng.normal(size=n)
    channel = rng.choice(["organic", "paid", "referral"], n)
    logit = -2 + 1.5 * x + 1.0 * (channel == "referral")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"x": x, "noise": rng.normal(size=n), "channel": channel})
    X.loc[rng.random(n) < 0.1, "x"] = np.nan  # some missing values
    return X, y


@pytest.mark.parametrize("kind", ["boosted", "logistic"])
def test_fit_follows_sklearn_conventions(kind):
    X, y = _table()
    model = propensity.PropensityModel(kind, max_iter=50)
    assert model.fit(X, y) is model
    assert clone(model).get_params() == model.get_params()
    assert {"pipeline_", "calibrator_", "feature_names_in_", "classes_"} <= set(vars(model))
    p = model.predict_proba(X)
    assert p.shape == (len(X), 2) and np.allclose(p.sum(axis=1), 1)
    assert 0.7 < propensity.metrics(y, p[:, 1], n_boot=0)["value"].iloc[0] < 1


def test_calibration_uses_the_later_slice():
    X, y = _table()
    time = pd.date_range("2023-01-01", periods=len(X), freq="h")
    model = propensity.PropensityModel("boosted", max_iter=30, calibration_gap_days=10)
    model.fit(X, y, time=time)
    assert model.calibrator_ is not None
    assert model.training_window_["first"] == "2023-01-01"
    uncalibrated = propensity.PropensityModel("boosted", max_iter=30, calibration=None).fit(X, y)
    assert uncalibrated.calibrator_ is None


def test_unseen_categories_and_missing_values_at_scoring():
    X, y = _table()
    model = propensity.PropensityModel("boosted", max_iter=30).fit(X, y)
    new = X.head(3).assign(channel=["tradeshow", None, "organic"], x=[np.nan, 0.0, 1.0])
    p = model.predict_proba(new)[:, 1]
    assert np.isfinite(p).all()
    logistic = propensity.PropensityModel("logistic").fit(X, y)
    assert np.isfinite(logistic.predict_proba(new)).all()


def test_all_missing_feature_is_dropped_with_a_warning():
    X, y = _table()
    X["empty"] = np.nan
    with pytest.warns(FeatureWarning, match="empty: every value is missing"):
        model = propensity.PropensityModel("logistic").fit(X, y)
    assert "empty" not in model.feature_names_in_ and model.dropped_features_ == ["empty"]
    with pytest.raises(PropensityError, match="no usable feature"), pytest.warns(FeatureWarning):
        propensity.PropensityModel().fit(pd.DataFrame({"a": [np.nan] * 4}), [0, 1, 0, 1])


@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([0] * 100, "no positive outcomes in the training window"),
        ([1] * 100, "only positive outcomes"),
        (["yes", "no"] * 50, r"must be 0/1 .* found 'no', 'yes'"),
        ([0, 1, 2, 1] * 25, "must be 0/1"),
        ([0, 1, None, 1] * 25, "have no outcome"),
    ],
)
def test_bad_targets_are_refused(y, message):
    X = pd.DataFrame({"x": np.arange(100.0)})
    with pytest.raises(PropensityError, match=message):
        propensity.PropensityModel().fit(X, y)


def test_scoring_data_must_match_the_features():
    X, y = _table()
    model = propensity.PropensityModel("boosted", max_iter=30).fit(X, y)
    with pytest.raises(FeatureMismatchError, match="missing column"):
        model.predict_proba(X.drop(columns="noise"))
    with pytest.raises(FeatureMismatchError, match="x was numeric in training but holds text"):
        model.predict_proba(X.assign(x="high"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict_proba(X.assign(extra=1.0))  # extra columns are ignored


def test_timestamps_cannot_be_features():
    X = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=10)})
    with pytest.raises(PropensityError, match="when: a timestamp cannot be a feature"):
        propensity.PropensityModel().fit(X, [0, 1] * 5)
