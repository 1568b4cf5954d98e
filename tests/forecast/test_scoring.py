import numpy as np
import pandas as pd
import pytest
from scipy import stats

from revlab.forecast import scoring
from tests.conftest import named_seed


def test_crps_of_a_point_forecast_is_the_absolute_error():
    assert scoring.crps(np.full(10, 3.0), 5.0) == pytest.approx(2.0)


def test_crps_matches_the_closed_form_for_a_normal_sample():
    rng = np.random.default_rng(named_seed("crps normal"))
    sample = rng.standard_normal(20_000)
    y = 0.7
    exact = y * (2 * stats.norm.cdf(y) - 1) + 2 * stats.norm.pdf(y) - 1 / np.sqrt(np.pi)
    assert scoring.crps(sample, y) == pytest.approx(exact, abs=0.01)


def test_crps_prefers_the_sharper_calibrated_forecast():
    rng = np.random.default_rng(named_seed("crps sharp"))
    assert scoring.crps(rng.normal(0, 1, 5000), 0.0) < scoring.crps(rng.normal(0, 3, 5000), 0.0)


def test_score_reports_median_error_and_coverage():
    sample = np.arange(1, 101, dtype=float)
    s = scoring.score(sample, 50.0)
    assert s["median"] == pytest.approx(50.5)
    assert s["ape"] == pytest.approx(0.01)
    assert s["covered_50"] == s["covered_80"] == s["covered_95"] == 1.0
    far = scoring.score(sample, 95.0)
    assert (far["covered_50"], far["covered_80"], far["covered_95"]) == (0.0, 0.0, 1.0)


def test_summarise_averages_per_method_and_compares_with_the_first():
    rows = pd.DataFrame(
        {
            "method": ["model", "model", "naive", "naive"],
            "crps": [1.0, 3.0, 4.0, 4.0],
            "ape": [0.1, 0.3, 0.2, 0.2],
            "covered_80": [1.0, 0.0, 1.0, 1.0],
        }
    )
    out = scoring.summarise(rows)
    assert list(out["method"]) == ["model", "naive"]
    assert list(out["mean_crps"]) == [2.0, 4.0]
    assert list(out["coverage_80"]) == [0.5, 1.0]
    assert list(out["crps_ratio"]) == [1.0, 2.0]
