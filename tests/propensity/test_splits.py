import pandas as pd
import pytest

from revlab import propensity
from revlab.propensity import SplitError


def _frame(n_weeks=60, per_week=5, complete_until=50):
    dates = pd.date_range("2024-01-01", periods=n_weeks, freq="7D")
    rows = [
        {
            "lead_id": f"L{w}-{i}",
            "snapshot_at": d,
            "label": float(i == 0),
            "label_complete": w < complete_until,
            "x": float(i),
        }
        for w, d in enumerate(dates)
        for i in range(per_week)
    ]
    return pd.DataFrame(rows)


def test_time_split_leaves_the_horizon_between_train_and_test():
    split = propensity.time_split(_frame(), horizon_days=90, test_days=56)
    assert split.train["snapshot_at"].max() <= split.test_start - pd.Timedelta(days=90)
    assert split.test_start - split.train_end >= pd.Timedelta(days=90)
    assert split.train["label_complete"].all() and split.test["label_complete"].all()
    assert split.test["snapshot_at"].nunique() == 8
    table = split.describe()
    assert list(table["part"]) == ["train", "test"]
    assert table["prospects"].sum() == len(split.train) + len(split.test)


def test_time_split_refuses_too_little_history():
    with pytest.raises(SplitError, match="training side is empty"):
        propensity.time_split(_frame(n_weeks=20, complete_until=20), horizon_days=180)
    with pytest.raises(SplitError, match="no snapshot has a complete label window"):
        propensity.time_split(_frame(complete_until=0))


def test_ordered_and_random_splits():
    frame = pd.DataFrame({"x": range(100)})
    train, test = propensity.ordered_split(frame, test_share=0.2)
    assert train["x"].max() == 79 and test["x"].min() == 80
    a_train, a_test = propensity.random_split(frame, test_share=0.2, seed=3)
    b_train, _ = propensity.random_split(frame, test_share=0.2, seed=3)
    assert len(a_test) == 20 and set(a_train["x"]).isdisjoint(a_test["x"])
    assert list(a_train["x"]) == list(b_train["x"])  # seeded
    assert not a_train["x"].is_monotonic_increasing  # shuffled: row order is not time
    with pytest.raises(SplitError, match="test_share"):
        propensity.ordered_split(frame, test_share=1.5)
