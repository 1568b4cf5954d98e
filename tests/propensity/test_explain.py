import numpy as np
import pandas as pd
import pytest

from revlab import propensity
from tests.conftest import named_seed


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(named_seed("propensity explain"))
    n = 4000
    X = pd.DataFrame(
        {
            "demo_requests": rng.poisson(0.5, n).astype(float),
            "noise": rng.normal(size=n),
            "channel": rng.choice(["organic", "referral"], n, p=[0.7, 0.3]),
        }
    )
    logit = -3 + 1.6 * X["demo_requests"] + 0.8 * (X["channel"] == "referral")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = propensity.PropensityModel("logistic").fit(X.iloc[:3000], y[:3000])
    return model, X.iloc[3000:].reset_index(drop=True), y[3000:]


def test_permutation_importance_ranks_the_signal_first(fitted):
    model, X, y = fitted
    table = propensity.permutation_importance(model, X, y, n_repeats=3, seed=1)
    assert table["feature"].iloc[0] == "demo_requests"
    assert table.set_index("feature").loc["noise", "importance"] < 0.01
    grouped = propensity.permutation_importance(
        model, X, y, groups={"signal": ["demo_requests", "channel"], "noise": ["noise"]}
    )
    assert list(grouped["feature"]) == ["signal", "noise"]


def test_top_reasons_name_what_raises_the_score(fitted):
    model, X, _ = fitted
    hot = pd.DataFrame({"demo_requests": [4.0], "noise": [0.0], "channel": ["referral"]})
    reasons = propensity.top_reasons(model, pd.concat([hot, X.head(20)], ignore_index=True))
    assert reasons.loc[0, "reason_1"].startswith("demo_requests = 4 (+")
    assert reasons.loc[0, "reason_2"].startswith("channel = referral (+")
    assert (reasons["contribution_1"] >= reasons["contribution_2"]).all()
    cold = pd.DataFrame({"demo_requests": [0.0], "noise": [0.0], "channel": ["organic"]})
    assert propensity.top_reasons(model, cold).loc[0, "reason_1"] == ""  # nothing raises it


def test_feature_groups_pool_activity_kinds():
    groups = propensity.feature_groups(
        ["age_days", "act_7d", "act_total", "act_demo_request_30d", "act_demo_request_total"]
    )
    assert groups == {
        "age_days": ["age_days"],
        "activity: all touches": ["act_7d", "act_total"],
        "activity: demo_request": ["act_demo_request_30d", "act_demo_request_total"],
    }
