"""The in-quarter trend: one fit as of the quarter's start, re-run from each week's state."""

import warnings

import numpy as np
import pandas as pd
import pytest

from revlab import forecast, plots
from revlab.errors import Shortfall
from revlab.forecast.funnel_data import state_at
from revlab.forecast.trend import week_starts
from tests.forecast.conftest import QUARTER, TINY


@pytest.fixture(scope="module")
def backtested(small_source):
    """The backtest of 2026Q3 on the small demo company, keeping its fit (quick chains)."""
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = forecast.backtest(
            small_source.at("2026-10-01"), quarters=1, methods=("funnel",),
            sampler_config=TINY, random_seed=7, fits=fits,
        )  # fmt: skip
    return bt, fits


@pytest.fixture(scope="module")
def trend(small_source, backtested):
    """The weekly trend of 2026Q3 from the backtest's fit (not checked: tiny chains fail the
    diagnostics, which is not what these tests are about)."""
    return forecast.weekly_trend(small_source, QUARTER, fit=backtested[1], check=False)


def test_week_starts_are_the_first_day_and_the_mondays():
    starts = week_starts("2026Q3")
    assert starts[0] == pd.Timestamp("2026-07-01") and starts[1] == pd.Timestamp("2026-07-06")
    assert (starts[1:].day_of_week == 0).all() and starts[-1] == pd.Timestamp("2026-09-28")
    assert len(starts) == 14


def test_the_state_at_the_fits_own_date_is_the_fits_state(small_source, quick_forecast):
    data = quick_forecast.model.data_
    again = state_at(data, small_source.at(data.as_of))
    assert again.booked == data.booked
    pd.testing.assert_frame_equal(again.open_deals, data.open_deals)
    for k in ("cell", "lo", "n", "key", "key_cell", "key_age"):
        np.testing.assert_array_equal(getattr(again.lead_open, k), getattr(data.lead_open, k))


@pytest.mark.slow
def test_the_first_week_is_the_backtests_forecast_of_the_quarter(trend, backtested):
    """backtest(fits=) keeps its fit, and the trend's first week reproduces its numbers."""
    bt, fits = backtested
    assert list(fits) == ["2026Q3"] and list(bt["quarter"]) == ["2026Q3"]
    first, fit = trend.iloc[0], fits["2026Q3"]
    assert first["as_of"] == fit.as_of == pd.Timestamp("2026-07-01")
    p10, p50, p90 = fit.quantile([0.1, 0.5, 0.9])
    assert (first["p10"], first["median"], first["p90"]) == (p10, p50, p90)
    assert first["median"] == pytest.approx(bt["median"].iloc[0], rel=1e-12)


@pytest.mark.slow
def test_booked_to_date_is_what_was_won_by_each_week(trend, small_source):
    opps = small_source.to_pandas("opportunities")
    won = opps[opps["is_won"] & (opps["closed_at"] >= "2026-07-01")]
    expected = [won.loc[won["closed_at"] <= at, "amount"].sum() for at in trend["as_of"]]
    np.testing.assert_allclose(trend["booked"], expected)
    assert trend["booked"].is_monotonic_increasing
    assert trend["booked"].iloc[-1] > 0
    in_q = won[won["closed_at"] < "2026-10-01"]["amount"].sum()
    np.testing.assert_allclose(trend["actual"], in_q)


@pytest.mark.slow
def test_the_interval_narrows_and_never_falls_below_what_is_booked(trend):
    width = trend["p90"] - trend["p10"]
    assert width.iloc[-1] < width.iloc[0]
    assert (trend["p10"] >= trend["booked"] - 1e-6).all()
    assert (trend["p10"] <= trend["median"]).all() and (trend["median"] <= trend["p90"]).all()
    assert trend["prob_hit_target"].between(0, 1).all()


def test_an_untrusted_fit_and_a_missing_target_are_refused(
    small_company, small_source, quick_forecast
):
    with pytest.raises(forecast.ForecastError, match="failed its sampler diagnostics"):
        forecast.weekly_trend(small_source, QUARTER, fit=quick_forecast)
    from revlab.sources import connect

    tables = {n: t for n, t in small_company.tables.items() if n != "targets"}
    with pytest.raises(Shortfall, match="no targets table"):
        forecast.weekly_trend(connect(tables), QUARTER, fit=quick_forecast, check=False)


def _synthetic(probs, actual=100.0, target=90.0):
    starts = week_starts("2026Q3")[: len(probs)]
    q_end = pd.Timestamp("2026-10-01")
    return pd.DataFrame(
        {
            "as_of": starts,
            "weeks_left": (q_end - starts) / pd.Timedelta(weeks=1),
            "booked": np.linspace(0, actual, len(probs)),
            "p10": 50.0, "median": 80.0, "p90": 120.0,
            "prob_hit_target": probs, "target": target, "actual": actual,
        }
    )  # fmt: skip


def test_when_clear_finds_the_week_it_stayed_above_the_bar():
    clear = forecast.when_clear(_synthetic([0.5, 0.85, 0.6, 0.81, 0.9, 0.95]))
    assert clear.side == "hit" and clear.week == 3 and clear.hit is True
    assert clear.as_of == pd.Timestamp("2026-07-20")
    text = clear.sentence()
    assert "first stayed above 80% from the week of 2026-07-20, 10 weeks before" in text
    assert text.endswith("the target was met.")


def test_when_clear_finds_a_miss_and_an_open_quarter():
    miss = forecast.when_clear(_synthetic([0.3, 0.1, 0.05, 0.0], actual=50.0))
    assert miss.side == "miss" and miss.week == 1 and miss.peak == 0.3 and miss.hit is False
    assert miss.sentence().startswith("P(target) never rose above 50% and stayed below 20%")
    first = forecast.when_clear(_synthetic([0.1, 0.1]))
    assert first.week == 0 and "from the quarter's first day (2026-07-01)" in first.sentence()
    open_ = forecast.when_clear(_synthetic([0.9, 0.5]), high=0.8, low=0.2)
    assert open_.side is None and open_.as_of is None
    assert "never stayed above 80% or below 20%" in open_.sentence()
    with pytest.raises(forecast.ForecastError, match="no probability"):
        forecast.when_clear(_synthetic([np.nan, 0.5]))


def test_plot_forecast_trend_draws_the_forecast_booked_actual_target_and_odds():
    frame = _synthetic([0.2, 0.5, 0.9])
    ax, low = plots.plot_forecast_trend(frame, target=90.0)
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert labels == {"80% interval", "Forecast (median)", "Booked to date", "Actual total",
                      "Target"}  # fmt: skip
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["Booked to date"].get_ydata(), frame["booked"])
    assert lines["Target"].get_ydata()[0] == 90.0 and lines["Actual total"].get_ydata()[0] == 100
    np.testing.assert_allclose(low.get_lines()[0].get_ydata(), [0.2, 0.5, 0.9])
    assert low.get_ylabel() == "P(target)"
