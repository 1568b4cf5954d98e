import numpy as np
import pandas as pd
import pytest

from revlab import propensity
from revlab.propensity import LeakageWarning, PropensityError
from tests.conftest import named_seed


def _future_feature(tables, frame_keys):
    """Days from each snapshot to the lead's conversion: built from the future."""
    leads = tables["leads"].set_index("lead_id")
    converted = leads["converted_at"].reindex(frame_keys["lead_id"]).to_numpy()
    days = (converted - frame_keys["snapshot_at"].to_numpy()) / np.timedelta64(1, "D")
    return frame_keys.assign(days_to_conversion=days)


def test_a_feature_built_from_the_future_is_flagged(synth_source, synth_tables):
    """The time-based pipeline catches a leaked feature: warned and listed as flagged."""
    dates = propensity.snapshot_dates(synth_source, every_days=14)
    keys = propensity.build_snapshots(synth_source, dates, horizon_days=60)[
        ["lead_id", "snapshot_at"]
    ]
    leaked = _future_feature(synth_tables, keys)
    with pytest.warns(
        LeakageWarning, match=r"days_to_conversion \(AUC 1\.000\): predicts the outcome"
    ):
        result = propensity.study(
            synth_source,
            horizon_days=60,
            every_days=14,
            test_days=120,
            n_boot=0,
            models=("logistic",),
            extra_features=leaked,
        )
    flagged = result.leakage.loc[result.leakage["flagged"], "feature"].tolist()
    assert flagged == ["days_to_conversion"]


def test_honest_features_are_not_flagged(synth_study):
    assert not synth_study.leakage["flagged"].any()
    assert synth_study.leakage["auc_alone"].between(0.5, 0.95).all()


def test_a_timestamp_after_the_snapshot_is_refused():
    frame = pd.DataFrame(
        {
            "snapshot_at": pd.to_datetime(["2024-01-01", "2024-01-08"]),
            "closed_at": pd.to_datetime(["2023-12-01", "2024-02-01"]),
        }
    )
    with pytest.raises(PropensityError, match="closed_at: 1 rows hold a time after"):
        propensity.check_point_in_time(frame)


def test_screen_reads_missingness_and_ignores_identifiers():
    rng = np.random.default_rng(named_seed("leakage screen"))
    y = (rng.random(2000) < 0.2).astype(int)
    X = pd.DataFrame(
        {
            "filled_when_won": np.where(y == 1, rng.random(2000), np.nan),
            "lead_id": [f"L{i}" for i in range(2000)],
            "signal": y + rng.normal(0, 1.5, 2000),
        }
    )
    with pytest.warns(LeakageWarning):
        table = propensity.screen_features(X, y).set_index("feature")
    assert table.loc["filled_when_won", "flagged"]
    assert not table.loc["lead_id", "flagged"] and not table.loc["signal", "flagged"]
