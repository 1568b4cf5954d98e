"""Figures as of the previous quarter: kept by one report, read back by the next."""

import pandas as pd
import pytest

from revlab import propensity
from revlab.periods import Quarter
from revlab.propensity import workflow

QUARTER = Quarter.parse("2024Q2")
SETTINGS = {"horizon_days": 60, "capacity_per_week": 20, "seed": 5, "whatif_seed": 6}


def test_a_reports_own_figures_are_what_the_next_report_would_compute(
    synth_source, tmp_path, monkeypatch
):
    """The 2024Q2 report keeps its figures; the 2024Q3 report reads them instead of refitting."""
    cut = synth_source.at(QUARTER.end)
    result = propensity.study(
        cut, horizon_days=60, seed=SETTINGS["seed"], n_boot=20, warn=False
    )  # as the notebook runs it: both models, a bootstrap
    weekly, _ = propensity.quarter_whatif(
        result, QUARTER, capacity_per_week=20, seed=SETTINGS["whatif_seed"]
    )
    figures = propensity.headline_figures(
        result, capacity=propensity.summarize_capacity(weekly), capacity_per_week=20
    )
    assert propensity.keep_headline(tmp_path, cut, QUARTER, figures, **SETTINGS)
    later = synth_source.at("2024-10-01")
    computed = propensity.headline_as_of(later, QUARTER, **SETTINGS)  # no journal: fitted
    pd.testing.assert_series_equal(
        computed.sort_index(), figures.set_index("key")["value"].astype(float).sort_index(),
        check_names=False,
    )  # fmt: skip
    monkeypatch.setattr(workflow, "study", lambda *a, **k: pytest.fail("refitted"))
    read = propensity.headline_as_of(later, QUARTER, **SETTINGS, results_dir=tmp_path)
    pd.testing.assert_series_equal(read.sort_index(), computed.sort_index(), check_names=False)


def test_other_settings_or_a_mid_quarter_cut_are_not_kept_or_read(synth_source, tmp_path):
    mid = synth_source.at("2024-05-15")
    assert not propensity.keep_headline(tmp_path, mid, QUARTER, pd.DataFrame(), **SETTINGS)
    assert not propensity.keep_headline("", synth_source.at(QUARTER.end), QUARTER, pd.DataFrame())
    later = synth_source.at("2024-10-01")
    first = propensity.headline_as_of(later, QUARTER, **SETTINGS, results_dir=tmp_path)
    assert len(list((tmp_path / "results").glob("*.json"))) == 1
    other = propensity.headline_as_of(
        later, QUARTER, **(SETTINGS | {"seed": 9}), results_dir=tmp_path
    )
    assert len(list((tmp_path / "results").glob("*.json"))) == 2
    assert set(first.index) == set(other.index)
