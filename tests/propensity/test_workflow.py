import pandas as pd
import pytest

from revlab import propensity
from revlab.periods import Quarter
from revlab.propensity import PropensityError


def test_study_splits_by_time_and_scores_the_test_period(synth_study):
    split = synth_study.split
    assert split.test_start - split.train_end >= pd.Timedelta(days=60)
    assert set(synth_study.models) == {"boosted", "logistic"}
    assert {"score", "score_logistic", "label", "lead_id"} <= set(synth_study.scored.columns)
    assert len(synth_study.scored) == len(split.test)
    assert synth_study.metric("roc_auc") > 0.8
    assert synth_study.metric("roc_auc", "logistic") > 0.8
    assert synth_study.settings["horizon_days"] == 60
    assert synth_study.settings["kinds"]


def test_quarter_whatif_uses_expected_buyers_when_labels_are_open(synth_study):
    weekly, basis = propensity.quarter_whatif(
        synth_study, Quarter.parse("2025Q1"), capacity_per_week=10
    )
    assert basis == "expected"
    summary = propensity.summarize_capacity(weekly).set_index("strategy")
    assert summary.loc["score", "buyers"] > summary.loc["random", "buyers"]
    weekly, basis = propensity.quarter_whatif(
        synth_study, Quarter.parse("2024Q2"), capacity_per_week=10
    )
    assert basis == "observed"
    with pytest.raises(ValueError, match="no snapshots fall in 2030Q1"):
        propensity.quarter_whatif(synth_study, Quarter.parse("2030Q1"), capacity_per_week=10)


def test_no_buyers_in_the_training_window_of_a_study(synth_tables):
    from revlab.sources import connect

    leads = synth_tables["leads"].drop(columns="opportunity_id").assign(converted_at=pd.NaT)
    src = connect({"leads": leads, "activities": synth_tables["activities"]})
    with pytest.raises(PropensityError, match="no positive outcomes in the training window"):
        propensity.study(src, horizon_days=60, every_days=28, test_days=120, n_boot=0)


def test_summary_and_headline_figures(synth_study):
    table = synth_study.summary()
    assert list(table.columns) == ["metric", "boosted", "low", "high", "logistic"]
    assert table.loc[0, "metric"] == "ROC AUC"
    assert table.loc[0, "boosted"] == pytest.approx(synth_study.metric("roc_auc"))
    text = synth_study.summary_text(digits=3)
    assert text.loc[0, "boosted"] == (
        f"{table.loc[0, 'boosted']:.3f} ({table.loc[0, 'low']:.3f} to {table.loc[0, 'high']:.3f})"
    )
    capacity = propensity.summarize_capacity(
        propensity.capacity_whatif(synth_study.scored, capacity_per_week=5)
    )
    gap = pd.DataFrame({"split": ["ordered", "random"], "roc_auc": [0.7, 0.8]})
    figures = propensity.headline_figures(
        synth_study, capacity=capacity, capacity_per_week=5, open_prospects=12, split_gap=gap
    ).set_index("key")
    assert figures.loc["test_roc_auc", "value"] == synth_study.metric("roc_auc")
    assert figures.loc["ece", "better"] == "lower"
    assert figures.loc["capacity_buyers_random", "better"] is None
    assert figures.loc["bank_auc_random", "value"] == 0.8
    assert figures.loc["top_decile_lift", "unit"] == "ratio"
