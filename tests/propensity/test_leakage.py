import numpy as np
import pandas as pd
import pytest

from revlab import propensity
from revlab.demo.leaks import PLANTED, plant_leaks
from revlab.propensity import LeakageWarning, PropensityError
from revlab.propensity.leakage import name_hint
from revlab.propensity.snapshots import LEAD_NON_FEATURES
from revlab.propensity.workflow import informative_columns
from revlab.sources import connect
from tests.conftest import named_seed


def _future_feature(tables, frame_keys):
    """Days from each snapshot to the lead's conversion: built from the future."""
    leads = tables["leads"].set_index("lead_id")
    converted = leads["converted_at"].reindex(frame_keys["lead_id"]).to_numpy()
    days = (converted - frame_keys["snapshot_at"].to_numpy()) / np.timedelta64(1, "D")
    return frame_keys.assign(days_until=days)


def _small_study(src, **kwargs):
    return propensity.study(src, horizon_days=60, every_days=14, test_days=120, n_boot=0, **kwargs)


def test_a_feature_built_from_the_future_is_flagged_and_left_out(synth_source, synth_tables):
    """The time-based pipeline catches a leaked feature, leaves it out and shows its effect."""
    dates = propensity.snapshot_dates(synth_source, every_days=14)
    keys = propensity.build_snapshots(synth_source, dates, horizon_days=60)[
        ["lead_id", "snapshot_at"]
    ]
    leaked = _future_feature(synth_tables, keys)
    with pytest.warns(LeakageWarning, match=r"days_until \(alone AUC 1\.000"):
        result = _small_study(synth_source, models=("logistic",), extra_features=leaked)
    assert result.leakage.flagged == ["days_until"]
    assert "days_until" not in result.features
    assert result.settings["leakage_excluded"] == ["days_until"]
    effect = result.leakage_effect.set_index("model")["roc_auc"]
    assert effect["with flagged columns"] > 0.99 > effect["without flagged columns (used)"]


def test_a_leak_kept_by_name_is_used(synth_source, synth_tables):
    dates = propensity.snapshot_dates(synth_source, every_days=14)
    keys = propensity.build_snapshots(synth_source, dates, horizon_days=60)
    leaked = _future_feature(synth_tables, keys[["lead_id", "snapshot_at"]])
    with pytest.warns(LeakageWarning, match="Kept at the user's request: days_until"):
        result = _small_study(
            synth_source, models=("logistic",), extra_features=leaked, keep=["days_until"]
        )
    assert "days_until" in result.features and result.leakage.excluded == []
    with pytest.raises(PropensityError, match="keep names column.*not features: nope"):
        _small_study(synth_source, models=("logistic",), keep=["nope"])


def test_a_crm_status_attribute_is_flagged_in_the_snapshot_path(synth_tables):
    """Lead attributes are exported as they stand today: a status set on conversion leaks."""
    leads = synth_tables["leads"]
    status = np.where(leads["converted_at"].notna(), "Converted", "Working")
    src = connect({**synth_tables, "leads": leads.assign(LeadStatus=status)})
    with pytest.warns(LeakageWarning, match="LeadStatus"):
        result = _small_study(src, models=("boosted",))
    row = result.leakage.table.set_index("feature").loc["LeadStatus"]
    assert row["verdict"] == "leak" and row["name_hint"] == "status"
    assert "LeadStatus" not in result.features
    effect = result.leakage_effect.set_index("model")["roc_auc"]
    assert effect["with flagged columns"] - effect["without flagged columns (used)"] > 0.05


def test_honest_features_are_not_flagged(synth_study):
    assert synth_study.leakage.flagged == [] and synth_study.leakage_effect is None
    assert synth_study.leakage.table["auc_alone"].between(0.5, 0.95).all()
    assert "leakage_excluded" not in synth_study.settings


@pytest.fixture(scope="module")
def demo_planted_screen(demo_company):
    """The screen over the demo company's training snapshots, with four leaks planted."""
    tables = plant_leaks(demo_company.tables, seed=named_seed("planted leaks"))
    src = connect(tables).at(demo_company.truth.as_of)
    frame = propensity.build_snapshots(
        src, propensity.snapshot_dates(src, every_days=7), horizon_days=90
    )
    train = propensity.time_split(frame, horizon_days=90, test_days=91).train
    features = informative_columns(train)
    attributes = set(tables["leads"].columns) - set(LEAD_NON_FEATURES)
    trusted = [c for c in features if c not in attributes]
    with pytest.warns(LeakageWarning):
        return propensity.screen_features(
            train[features], train["label"], trusted=trusted, seed=named_seed("screen")
        )


def test_every_planted_demo_leak_is_flagged(demo_planted_screen):
    assert set(demo_planted_screen.flagged) == set(PLANTED)
    table = demo_planted_screen.table.set_index("feature")
    # the weak one (about 0.8 alone, neutral name) is caught by the drop-column check only
    tier = table.loc["account_tier"]
    assert 0.75 < tier["auc_alone"] < 0.85 and tier["name_hint"] == ""
    assert tier["auc_drop"] >= 0.008 and "without it" in tier["evidence"]
    assert "filled" in table.loc["handoff_notes_words", "evidence"]


def test_no_honest_demo_feature_is_flagged(demo_planted_screen):
    table = demo_planted_screen.table
    honest = table[~table["feature"].isin(PLANTED)]
    assert not honest["flagged"].any()
    assert (honest["verdict"] == "").all()  # no honest column is even named suspiciously


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
        table = propensity.screen_features(X, y).table.set_index("feature")
    assert table.loc["filled_when_won", "flagged"]
    assert table.loc["filled_when_won", "fill_gap"] > 0.99
    assert not table.loc["lead_id", "flagged"] and not table.loc["signal", "flagged"]


def test_a_suspicious_name_with_signal_is_flagged_and_without_is_marked_for_review():
    rng = np.random.default_rng(named_seed("named leak"))
    y = (rng.random(4000) < 0.3).astype(int)
    X = pd.DataFrame(
        {
            "Lead_Quality": y + rng.normal(0, 0.9, 4000),  # alone about 0.78
            "close_reason": rng.choice(["a", "b"], 4000),  # no signal
            "visits": y + rng.normal(0, 1.2, 4000),
        }
    )
    with pytest.warns(LeakageWarning, match="Lead_Quality"):
        screen = propensity.screen_features(X, y)
    table = screen.table.set_index("feature")
    assert table.loc["Lead_Quality", "verdict"] == "leak"
    assert table.loc["close_reason", "verdict"] == "review"
    assert table.loc["visits", "verdict"] == "" and screen.review == ["close_reason"]


@pytest.mark.parametrize(
    ("column", "word"),
    [
        ("call_duration", "duration"),
        ("LeadStatus", "status"),
        ("Tags", "tags"),
        ("Last Activity", "last_activity"),
        ("poutcome", ""),
        ("stageless_id", ""),
        ("channel", ""),
    ],
)
def test_name_hints(column, word):
    assert name_hint(column) == word


def test_a_timestamp_after_the_snapshot_is_refused():
    frame = pd.DataFrame(
        {
            "snapshot_at": pd.to_datetime(["2024-01-01", "2024-01-08"]),
            "closed_at": pd.to_datetime(["2023-12-01", "2024-02-01"]),
        }
    )
    with pytest.raises(PropensityError, match="closed_at: 1 rows hold a time after"):
        propensity.check_point_in_time(frame)


def test_the_readers_table_shows_exported_columns_and_any_flagged(demo_planted_screen):
    shown = demo_planted_screen.shown().set_index("feature")
    assert set(PLANTED) <= set(shown.index) and "channel" in shown.index  # every exported
    assert (shown.loc[list(PLANTED), "verdict"] == "leak").all()
    assert (
        shown.loc["channel", "verdict"] == "ok" and shown.loc["channel", "kind"] == "as exported"
    )
    assert (shown["kind"] == "built point in time").sum() == 3
