import numpy as np
import pytest

from revlab import forecast
from revlab.forecast import Scenario
from revlab.forecast.result import SOURCES


def test_forecast_draws_add_up_by_source_and_through_the_quarter(quick_forecast):
    fc = quick_forecast
    assert fc.method == "funnel"
    assert list(fc.sources.columns) == list(SOURCES)
    assert np.allclose(fc.sources.sum(axis=1), fc.samples)
    assert np.allclose(fc.paths[:, -1], fc.samples)
    assert (np.diff(fc.paths, axis=1) >= 0).all()
    assert fc.path_times[-1] == fc.quarter.end


def test_summaries_of_the_forecast(quick_forecast):
    fc = quick_forecast
    row = fc.summary().iloc[0]
    assert row["p10"] <= row["median"] <= row["p90"]
    assert row["target"] > 0 and 0 <= row["prob_hit_target"] <= 1
    fan = fc.fan()
    assert fan["time"].iloc[0] == fc.as_of
    assert (fan["lower_95"] <= fan["lower_50"]).all() and (
        fan["upper_50"] <= fan["upper_95"]
    ).all()
    split = fc.by_source()
    assert split["share"].sum() == pytest.approx(1.0)
    assert list(split["source"]) == list(SOURCES)


def test_diagnostics_come_with_every_fit(quick_forecast):
    diag = quick_forecast.diagnostics
    summary = diag.summary()
    assert set(summary.columns) >= {"max_rhat", "min_ess_bulk", "divergences", "ok"}
    assert diag.table["key"].any()
    assert isinstance(diag.message(), str)


def test_posterior_rates_and_sizes_are_reported_per_group(quick_forecast):
    model = quick_forecast.model
    rates = model.conversion_rates()
    assert list(rates["channel"]) == list(model.data_.channels)
    assert ((rates["lower"] <= rates["mean"]) & (rates["mean"] <= rates["upper"])).all()
    sizes = model.deal_size_medians()
    assert (
        sizes.set_index("segment")["mean"]["enterprise"]
        > sizes.set_index("segment")["mean"]["smb"]
    )


def test_scenarios_move_the_forecast_the_right_way(quick_forecast):
    fc = quick_forecast
    top = fc.model.data_.channels[0]
    what_ifs = [
        Scenario("more leads", lead_volume=1.5),
        Scenario(f"more {top}", lead_volume={top: 1.2}),
        Scenario("better conversion", conversion_points=0.02),
        Scenario("bigger deals", deal_size=1.2),
        Scenario("better win rate", win_rate_points=0.05),
    ]
    table = forecast.scenarios(fc, what_ifs, random_seed=1).set_index("scenario")
    assert table.loc["base", "change"] == 0
    for name in ("more leads", "better conversion", "bigger deals", "better win rate"):
        assert table.loc[name, "mean"] > table.loc["base", "mean"]


def test_an_unknown_channel_in_a_scenario_is_named(quick_forecast):
    with pytest.raises(forecast.ForecastError, match=r"unknown channel\(s\) tv"):
        forecast.scenarios(quick_forecast, [Scenario("tv", lead_volume={"tv": 2.0})])


def test_a_fit_saves_and_loads_with_its_configs(quick_forecast, tmp_path):
    model = quick_forecast.model
    path = model.save(tmp_path / "funnel.nc")
    back = forecast.FunnelModel.load(path)
    assert back.sampler_config_ == model.sampler_config_
    assert back.model_config_ == model.model_config_
    assert back.data_.channels == model.data_.channels
    a = model.predict(random_seed=3).samples
    b = back.predict(random_seed=3).samples
    assert np.allclose(a, b)
    with pytest.raises(forecast.ForecastError, match=r"holds a funnel fit, not a timeseries"):
        forecast.TimeSeriesModel.load(path)


def test_unknown_config_keys_are_refused(small_source):
    with pytest.raises(forecast.ForecastError, match=r"model_config: unknown key\(s\) pior"):
        forecast.FunnelModel(model_config={"pior": 1}).fit(
            small_source.at("2026-07-01"), quarter="2026Q3"
        )
    with pytest.raises(forecast.ForecastError, match=r"sampler_config: unknown key\(s\) draw"):
        forecast.FunnelModel(sampler_config={"draw": 1}).fit(
            small_source.at("2026-07-01"), quarter="2026Q3"
        )


def test_the_base_scenario_reproduces_the_forecast_itself(quick_forecast):
    """What-ifs replay the forecast's own random numbers, so the base row is the headline."""
    table = forecast.scenarios(quick_forecast, []).set_index("scenario")
    assert table.loc["base", "median"] == pytest.approx(quick_forecast.quantile(0.5))
    assert table.loc["base", "mean"] == pytest.approx(quick_forecast.samples.mean())


def _tail_functions(lo, hi, mu, sigma):
    """The model's interval, CDF and survival log-probabilities and their gradients in mu."""
    import pytensor
    import pytensor.tensor as pt

    from revlab.forecast.funnel_data import Rows
    from revlab.forecast.funnel_model import _log_cdf, _log_interval, _log_sf, _shared_edges

    rows = Rows(np.zeros(lo.size, dtype=np.int64), lo, hi, np.ones(lo.size))
    d = {f"x_{k}": pt.as_tensor(v) for k, v in _shared_edges(rows).items()}
    m = pt.dvector("mu")
    s = pt.as_tensor(np.array([sigma]))
    outs = [_log_interval(d, "x", m, s), _log_cdf(lo, m[0], sigma), _log_sf(lo, m[0], sigma)]
    grads = [pytensor.grad(o.sum(), m) for o in outs]
    return pytensor.function([m], outs + grads)


def test_lognormal_tail_probabilities_match_scipy_in_both_tails():
    from scipy.stats import norm

    # bins from far left of the median to far right, with one straddling it (median e^2)
    lo = np.array([1e-3, 0.5, 5.0, 7.0, 7.389, 8.0, 100.0, 3000.0, 5000.0])
    hi = np.array([0.5, 5.0, 7.0, 7.389, 8.0, 100.0, 3000.0, 5000.0, 20000.0])
    mu, sigma = 2.0, 0.4
    f = _tail_functions(lo, hi, mu, sigma)
    interval, cdf, sf, *_ = f(np.array([mu]))
    z_lo, z_hi = (np.log(lo) - mu) / sigma, (np.log(hi) - mu) / sigma
    # scipy's log tails, differenced in log space on the side of the median the bin is on
    with np.errstate(divide="ignore"):  # each side is only used where it is exact
        left = norm.logcdf(z_hi) + np.log1p(-np.exp(norm.logcdf(z_lo) - norm.logcdf(z_hi)))
        right = norm.logsf(z_lo) + np.log1p(-np.exp(norm.logsf(z_hi) - norm.logsf(z_lo)))
    expected = np.where(z_lo > 0, right, left)
    np.testing.assert_allclose(interval, expected, rtol=1e-9)
    assert interval[-1] < -100  # 16 standard deviations out: tiny but finite
    np.testing.assert_allclose(cdf, norm.logcdf(z_lo), rtol=1e-9)
    np.testing.assert_allclose(sf, norm.logsf(z_lo), rtol=1e-9)


def test_tail_gradients_are_right_at_the_median_and_far_out():
    # an edge exactly at the median (z = 0), where d|z|/dz would give a zero gradient
    lo, hi = np.array([5.0, np.exp(2.0), 50.0]), np.array([np.exp(2.0), 9.0, 4000.0])
    f = _tail_functions(lo, hi, 2.0, 0.5)
    eps = 1e-6
    grads = f(np.array([2.0]))[3:]
    up, down = f(np.array([2.0 + eps]))[:3], f(np.array([2.0 - eps]))[:3]
    for grad, hi_val, lo_val in zip(grads, up, down, strict=True):
        numeric = (hi_val.sum() - lo_val.sum()) / (2 * eps)
        assert np.all(np.isfinite(grad))
        np.testing.assert_allclose(grad, numeric, rtol=1e-5)
