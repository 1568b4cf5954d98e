"""The calibration machinery (revlab.forecast.validate): a small run, and the table's arithmetic.

The coverage bars themselves are judged by ``benchmarks/validate_forecast.py`` on 40 companies;
here one small company checks that every method is forecast and scored against the truth.
"""

import numpy as np
import pandas as pd
import pytest

from revlab.forecast import scoring, validate
from tests.conftest import named_seed
from tests.forecast.conftest import TINY


@pytest.fixture(scope="module")
def one_company():
    seed = named_seed("validate one company")
    return seed, pd.DataFrame(validate.forecast_company(seed, n_leads=8000, sampler_config=TINY))


def test_every_method_forecasts_the_same_quarter_against_the_realised_bookings(one_company):
    seed, rows = one_company
    from revlab import demo

    truth = demo.simulate(seed=seed, n_leads=8000).truth
    quarter = validate.QUARTERS[seed % len(validate.QUARTERS)]
    assert list(rows["method"]) == list(validate.METHODS)
    assert (rows["quarter"] == quarter).all()
    assert rows["actual"].eq(truth.bookings(quarter)).all()
    assert rows["actual"].iloc[0] > 0
    assert (rows["q10"] <= rows["median"]).all() and (rows["median"] <= rows["q90"]).all()
    assert rows["crps"].gt(0).all()


def test_calibration_counts_coverage_and_misses_by_side():
    rng = np.random.default_rng(3)
    rows = []
    for k, actual in enumerate([50.0, 100.0, 100.0, 200.0]):  # below, inside, inside, above
        draws = rng.normal(100.0, 10.0, 4000)
        for method in ("funnel", "seasonal_naive"):
            spread = draws if method == "funnel" else draws * 1.5
            rows.append({"seed": k, "method": method, "actual": actual, "ok": method != "x"}
                        | scoring.score(spread, actual))  # fmt: skip
    table = validate.calibration(pd.DataFrame(rows)).set_index("method")
    assert table.loc["funnel", "coverage_80"] == pytest.approx(0.5)
    assert table.loc["funnel", "below_p10"] == pytest.approx(0.25)
    assert table.loc["funnel", "above_p90"] == pytest.approx(0.25)
    assert table.loc["funnel", "crps_ratio"] == pytest.approx(1.0)
    assert table.loc["seasonal_naive", "crps_ratio"] != pytest.approx(1.0)
    assert table.loc["funnel", "diagnostics_ok"] == 1.0


def test_the_model_row_counts_its_true_parameters_inside_nested_intervals(one_company):
    _, rows = one_company
    model = rows.set_index("method").loc["funnel"]
    assert model["recovery_n"] == 6 + 3  # channels' conversion, segments' deal-size median
    counts = [model[f"recovered_{lv}"] for lv in (50, 90, 99)]
    assert counts == sorted(counts) and counts[-1] <= model["recovery_n"]
    assert rows.set_index("method").loc["seasonal_naive", ["recovery_n"]].isna().all()


class _Intervals:
    """A stand-in fit whose intervals widen with the level around known centres."""

    def conversion_rates(self, *, level):
        half = {0.5: 0.001, 0.9: 0.002, 0.99: 0.004}[level]
        c = np.array([0.010, 0.020])
        return pd.DataFrame({"channel": ["a", "b"], "mean": c, "lower": c - half,
                             "upper": c + half})  # fmt: skip

    def deal_size_medians(self, *, level):
        half = {0.5: 100.0, 0.9: 200.0, 0.99: 400.0}[level]
        return pd.DataFrame({"segment": ["s"], "mean": [1000.0], "lower": [1000.0 - half],
                             "upper": [1000.0 + half]})  # fmt: skip


class _Truth:
    def conversion_rate(self, by):
        return pd.DataFrame({"channel": ["b", "a"], "rate": [0.0235, 0.0105]})  # b off by 0.0035

    def deal_size_median(self):
        return pd.DataFrame({"segment": ["s"], "median": [1500.0]})  # off by 500: outside all


def test_parameter_recovery_aligns_groups_and_judges_each_level():
    table = validate.parameter_recovery(_Intervals(), _Truth()).set_index("group")
    assert table.loc["a", "truth"] == 0.0105 and table.loc["b", "truth"] == 0.0235
    assert list(table.loc["a", ["inside_50", "inside_90", "inside_99"]]) == [True, True, True]
    assert list(table.loc["b", ["inside_50", "inside_90", "inside_99"]]) == [False, False, True]
    assert not table.loc["s", ["inside_50", "inside_90", "inside_99"]].any()
    rows = pd.DataFrame([{"method": "funnel", "recovery_n": len(table)}
                         | {f"recovered_{lv}": int(table[f"inside_{lv}"].sum())
                            for lv in (50, 90, 99)}])  # fmt: skip
    share = validate.recovery_coverage(rows)
    assert share["50%"] == pytest.approx(1 / 3) and share["99%"] == pytest.approx(2 / 3)
    assert share["values"] == 3
