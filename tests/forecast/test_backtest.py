import warnings

import numpy as np
import pandas as pd
import pytest

from revlab import forecast
from revlab.forecast.backtest import backtest_quarters
from tests.forecast.conftest import TINY


def test_backtest_quarters_are_the_last_complete_ones(small_source):
    qs = backtest_quarters(small_source.at("2026-07-01"), 3)
    assert [str(q) for q in qs] == ["2025Q4", "2026Q1", "2026Q2"]


def test_backtest_scores_every_method_on_every_quarter(small_source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = forecast.backtest(
            small_source.at("2026-07-01"),
            quarters=1,
            methods=("funnel", "seasonal_naive", "stage_weighted"),
            sampler_config=TINY,
            n_sims=500,
            random_seed=1,
        )
    assert list(bt["method"]) == ["funnel", "seasonal_naive", "stage_weighted"]
    assert bt["crps"].notna().all() and (bt["quarter"] == "2026Q2").all()
    opps = small_source.to_pandas("opportunities")
    won = opps["is_won"] & (opps["closed_at"] >= "2026-04-01") & (opps["closed_at"] < "2026-07-01")
    assert np.isclose(bt["actual"].iloc[0], opps.loc[won, "amount"].sum())
    table = forecast.summary(bt.assign(ok=True))  # tiny chains; untrusted fits: tested below
    assert list(table["method"]) == ["funnel", "seasonal_naive", "stage_weighted"]
    assert table["crps_ratio"].iloc[0] == 1.0
    assert {"coverage_50", "coverage_80", "coverage_95", "mean_ape"} <= set(table.columns)


def test_a_fit_that_failed_its_diagnostics_is_left_out_of_the_scores():
    from revlab.forecast import scoring

    base = scoring.score(np.array([90.0, 100.0, 110.0]), 100.0)
    rows = [("2026Q1", "funnel", True, 10.0), ("2026Q2", "funnel", False, 1.0)]
    rows += [(q, "seasonal_naive", True, 20.0) for q in ("2026Q1", "2026Q2")]
    bt = pd.DataFrame(
        [
            base | {"quarter": q, "method": m, "ok": ok, "crps": c, "note": ""}
            for q, m, ok, c in rows
        ]
    )
    table = forecast.summary(bt).set_index("method")
    assert table.loc["funnel", "n"] == 1 and table.loc["funnel", "untrusted"] == 1
    assert table.loc["funnel", "mean_crps"] == 10.0  # the untrusted quarter's 1.0 is not in it
    assert table.loc["seasonal_naive", "crps_ratio"] == 2.0
    with pytest.raises(forecast.ForecastError, match=r"every fit failed its sampler diagnostic"):
        forecast.summary(bt.assign(ok=bt["method"] != "funnel"))


def test_baselines_backtest_over_several_quarters(small_source):
    bt = forecast.backtest(
        small_source.at("2026-07-01"), quarters=3, methods=("stage_weighted", "seasonal_naive")
    )
    assert list(bt["quarter"].unique()) == ["2025Q4", "2026Q1", "2026Q2"]
    assert list(bt["method"][:2]) == ["seasonal_naive", "stage_weighted"]  # canonical order
    assert bt["ok"].all()


def test_a_method_that_cannot_forecast_says_why_instead_of_failing(small_source):
    bt = forecast.backtest(
        small_source.at("2024-10-01"), quarters=1, methods=("seasonal_naive",), n_sims=100
    )
    row = bt.iloc[0]
    assert np.isnan(row["crps"]) and "no bookings for 2023Q3" in row["note"]


def test_backtest_series_scores_rolling_origins():
    months = pd.date_range("2015-01-01", periods=60, freq="MS")
    s = pd.Series(100.0 * 1.01 ** np.arange(60), index=months)
    out = forecast.backtest_series(s, pd.date_range("2018-01-01", periods=4, freq="QS"))
    assert len(out) == 4 and (out["method"] == "seasonal_naive").all()
    assert (out["median"] < out["actual"]).all()  # the naive forecast misses the growth
