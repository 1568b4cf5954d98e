import numpy as np
import pandas as pd
import pytest

from revlab.forecast import ForecastError, TimeSeriesModel, monthly_series
from tests.conftest import named_seed

TINY = {"draws": 150, "tune": 150, "chains": 2}


@pytest.fixture(scope="module")
def series():
    """Six years of monthly revenue: 8% yearly growth, a December peak, persistent noise."""
    rng = np.random.default_rng(named_seed("timeseries synthetic"))
    months = pd.date_range("2018-01-01", periods=72, freq="MS")
    season = np.where(months.month == 12, 0.5, 0.0) + 0.1 * np.sin(2 * np.pi * months.month / 12)
    noise = np.zeros(72)
    for t in range(1, 72):
        noise[t] = 0.5 * noise[t - 1] + rng.normal(0, 0.05)
    log_y = np.log(1000) + 0.08 * np.arange(72) / 12 + season + noise
    return pd.Series(np.exp(log_y), index=months)


@pytest.fixture(scope="module")
def fitted(series):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TimeSeriesModel(sampler_config=TINY).fit(series.iloc[:-3], random_seed=1)


def test_predicts_the_next_months_with_honest_width(fitted, series):
    draws = fitted.predict(horizon=3, random_seed=2)
    assert draws.shape == (300, 3)
    lo, hi = np.quantile(draws.sum(axis=1), [0.025, 0.975])
    actual = series.iloc[-3:].sum()
    assert lo < actual < hi
    assert hi / lo < 1.6  # not absurdly wide either


def test_learns_the_december_peak(fitted):
    draws = fitted.predict(horizon=12, random_seed=2)
    months = pd.date_range("2023-10-01", periods=12, freq="MS")
    december = np.median(draws[:, list(months.month).index(12)])
    november = np.median(draws[:, list(months.month).index(11)])
    assert december > 1.3 * november


def test_reads_frames_of_text_months():
    frame = pd.DataFrame({"month": ["2020-01", "2020-02"], "sales": [1.0, 2.0]})
    s = monthly_series(frame)
    assert s.index[0] == pd.Timestamp("2020-01-01") and s.iloc[1] == 2.0


def test_a_year_of_history_is_forecast_without_a_season_and_wider(series, fitted):
    """A deals-only export with one year: trend and AR(1), no season, an interval that holds."""
    import warnings

    year = series.iloc[-15:-3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = TimeSeriesModel(sampler_config=TINY).fit(year, random_seed=1)
    assert not short.inputs_.seasonal and fitted.inputs_.seasonal
    assert "season" not in short.idata_.posterior and "season" in fitted.idata_.posterior
    totals = short.predict(horizon=3, random_seed=2).sum(axis=1)
    lo, hi = np.quantile(totals, [0.025, 0.975])
    assert lo < series.iloc[-3:].sum() < hi
    long_lo, long_hi = np.quantile(fitted.predict(horizon=3, random_seed=2).sum(axis=1),
                                   [0.025, 0.975])  # fmt: skip
    assert hi / lo > long_hi / long_lo  # a year of data knows less than five years


def test_bad_series_are_refused_with_the_reason(series):
    with pytest.raises(ForecastError, match=r"5 months of history; .* needs at least 6"):
        TimeSeriesModel(sampler_config=TINY).fit(series.iloc[:5])
    bad = series.copy()
    bad.iloc[5] = -1.0
    with pytest.raises(ForecastError, match=r"revenue cannot be negative"):
        TimeSeriesModel(sampler_config=TINY).fit(bad)
    gap = series.drop(series.index[10])
    with pytest.raises(ForecastError, match=r"months without a value \(2018-11\)"):
        TimeSeriesModel(sampler_config=TINY).fit(gap)


def test_save_and_load_keep_the_prediction(fitted, tmp_path):
    back = TimeSeriesModel.load(fitted.save(tmp_path / "ts.nc"))
    assert np.allclose(back.predict(random_seed=5), fitted.predict(random_seed=5))
