import numpy as np
import pandas as pd
import pytest

from revlab.forecast import ForecastError, baselines
from revlab.forecast import aggregates as agg
from revlab.forecast.backtest import seasonal_naive_total
from revlab.periods import Quarter
from revlab.pipeline import calibrated_win_rates
from tests.forecast.conftest import AS_OF, QUARTER


def test_seasonal_naive_centres_on_the_same_quarter_a_year_earlier():
    q = pd.Series([100.0, 120.0, 90.0, 110.0, 110.0, 130.0, 100.0, 120.0],
                  index=pd.date_range("2022-01-01", periods=8, freq="QS"))  # fmt: skip
    draws = baselines.seasonal_naive_draws(q, Quarter.parse("2024Q1"), n_sims=4000, rng=1)
    assert np.median(draws) == pytest.approx(110.0, rel=0.02)
    change = np.log(q.iloc[4:].to_numpy() / q.iloc[:4].to_numpy())
    sigma = np.sqrt(np.mean(change**2))
    assert np.std(np.log(draws)) == pytest.approx(sigma, rel=0.05)


def test_seasonal_naive_needs_the_year_ago_quarter():
    q = pd.Series([100.0], index=pd.DatetimeIndex(["2024-01-01"]))
    with pytest.raises(ForecastError, match=r"no bookings for 2023Q3"):
        baselines.seasonal_naive_draws(q, Quarter.parse("2024Q3"))


def test_stage_weighted_pipeline_expects_amount_times_stage_win_rate(small_source):
    src = small_source.at(AS_OF)
    fc = baselines.stage_weighted(src, QUARTER, n_sims=20_000, random_seed=1)
    deals = agg.open_deals(src)
    deals = deals[deals["close_date"] < Quarter.parse(QUARTER).end]
    rates = calibrated_win_rates(src).set_index("stage")["rate"]
    expected = (deals["amount"] * deals["stage"].map(rates)).sum()
    assert fc.samples.mean() == pytest.approx(expected, rel=0.03)


def test_seasonal_naive_total_of_a_monthly_series():
    months = pd.date_range("2019-01-01", periods=36, freq="MS")
    s = pd.Series(np.where(months.month == 1, 200.0, 100.0), index=months)
    draws = seasonal_naive_total(s, 3)
    assert np.median(draws) == pytest.approx(400.0)  # Jan-Mar a year before the origin
