"""Training starts where outcomes were recorded: no snapshot before the first positive label."""

import pandas as pd

from revlab.propensity.workflow import from_first_outcome


def test_snapshots_before_the_first_recorded_outcome_are_dropped_and_counted():
    dates = pd.date_range("2024-01-01", periods=6, freq="7D")
    frame = pd.DataFrame(
        {
            "lead_id": ["a", "b"] * 6,
            "snapshot_at": dates.repeat(2),
            "label": [0] * 7 + [1] + [0] * 4,
        }
    )
    kept, dropped = from_first_outcome(frame)
    assert dropped == 6 and kept["snapshot_at"].min() == dates[3]
    assert len(kept) == 6 and kept["label"].sum() == 1


def test_healthy_data_and_data_without_any_outcome_are_left_alone():
    dates = pd.date_range("2024-01-01", periods=3, freq="7D")
    frame = pd.DataFrame({"lead_id": ["a"] * 3, "snapshot_at": dates, "label": [1, 0, 0]})
    assert from_first_outcome(frame)[1] == 0
    none = frame.assign(label=0)
    kept, dropped = from_first_outcome(none)
    assert dropped == 0 and kept.equals(none)  # the split then says there are no positives
