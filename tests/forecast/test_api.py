import warnings

import numpy as np
import pytest

from revlab import forecast
from revlab.sources import connect
from tests.forecast.conftest import AS_OF, QUARTER, TINY


def test_auto_picks_the_funnel_when_leads_and_deals_exist(small_source, quick_forecast):
    assert forecast.choose_method(small_source) == "funnel"
    assert quick_forecast.method == "funnel"


def test_the_target_comes_from_the_targets_table_unless_overridden(small_source, small_company):
    src = small_source.at(AS_OF)
    table = small_company.tables["targets"].set_index("quarter")["bookings_target"]
    value, note = forecast.quarter_target(src, QUARTER)
    assert value == table[QUARTER] and "targets table" in note
    value, note = forecast.quarter_target(src, QUARTER, override=123.0)
    assert value == 123.0 and "parameter" in note


def test_a_missing_target_gives_nan_odds_and_says_how_to_fix_it(small_company):
    tables = dict(small_company.tables)
    tables["targets"] = tables["targets"][tables["targets"]["quarter"] != QUARTER]
    src = connect(tables).at(AS_OF)
    value, note = forecast.quarter_target(src, QUARTER)
    assert np.isnan(value)
    assert note == (
        f"targets has no row for {QUARTER}; pass target= (or add the row) to see the odds of "
        "reaching it."
    )
    without = connect({k: v for k, v in tables.items() if k != "targets"}).at(AS_OF)
    assert "no targets table" in forecast.quarter_target(without, QUARTER)[1]


def test_a_forecast_without_target_warns_and_keeps_the_note(small_company):
    tables = {k: v for k, v in small_company.tables.items() if k != "targets"}
    src = connect(tables).at(AS_OF)
    with pytest.warns(forecast.ForecastWarning, match=r"no targets table"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", forecast.ConvergenceWarning)
            fc = forecast.forecast(src, QUARTER, method="timeseries", sampler_config=TINY,
                                   random_seed=1)  # fmt: skip
    assert np.isnan(fc.prob_at_least())
    assert any("no targets table" in n for n in fc.notes)


def test_deals_only_data_get_the_deals_model_and_the_time_series_on_request(
    small_company, tmp_path
):
    src = connect({"opportunities": small_company.tables["opportunities"]}).at(AS_OF)
    assert forecast.choose_method(src) == "deals"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecast.forecast(src, QUARTER, sampler_config=TINY, target=1e6, random_seed=1)
        ts = forecast.forecast(src, QUARTER, method="timeseries", sampler_config=TINY,
                               target=1e6, random_seed=1)  # fmt: skip
        what_ifs = forecast.scenarios(fc)
    assert fc.method == "deals" and any("deals-only model" in n for n in fc.notes)
    # nothing comes from leads; the open pipeline and new deals carry the quarter
    assert (fc.sources["existing_leads"] == 0).all()
    assert fc.sources["open_pipeline"].mean() > 0 and fc.sources["new_leads"].mean() > 0
    assert "+2 pts lead conversion" not in set(what_ifs["scenario"])
    more = what_ifs.set_index("scenario").filter(like="new deals", axis=0)["change"]
    assert len(more) == 1 and more.iloc[0] > 0  # more new deals, more bookings
    back = forecast.FunnelModel.load(fc.model.save(tmp_path / "deals.nc"))
    assert back.data_.leads_are_deals  # a saved deals-only fit predicts as one
    again = back.predict(n_sims=fc.samples.size, random_seed=fc.sim_seed)
    assert again.method == "deals" and np.allclose(again.samples, fc.samples)
    assert ts.method == "timeseries"
    assert ts.sources is None and ts.paths.shape[1] == 3
    assert np.allclose(ts.paths[:, -1], ts.samples)
    with pytest.raises(forecast.ForecastError, match=r"what-if scenarios need the funnel or"):
        forecast.scenarios(ts)


def test_a_year_of_deals_only_is_forecast_without_a_season_and_backtested(small_company):
    """The deals-only export real users start with: a year of opportunities, nothing else."""
    from revlab.demo.shapes import shape

    src = connect(shape(small_company.tables, "deals_only")).at(AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecast.forecast(src, QUARTER, sampler_config=TINY, target=1e6, random_seed=1)
        bt = forecast.backtest(src, quarters=1, sampler_config=TINY, n_sims=200, random_seed=1)
    assert fc.method == "deals" and np.isfinite(fc.samples).all()
    assert not fc.model.data_.seasonal and "season" not in fc.model.idata_.posterior
    assert any("too few for a yearly season" in n for n in fc.notes)
    assert bt["method"].iloc[0] == "deals"  # the backtest scores the model the forecast used
    assert bt.loc[bt["method"] == "deals", "crps"].notna().all()


def test_a_backtest_whose_model_forecast_nothing_is_refused(small_company):
    src = connect({"opportunities": small_company.tables["opportunities"]}).at(AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bt = forecast.backtest(src, quarters=1, methods=("funnel", "seasonal_naive"), n_sims=200)
    assert bt.loc[bt["method"] == "funnel", "note"].str.len().gt(0).all()
    with pytest.raises(forecast.ForecastError, match=r"funnel model could forecast none"):
        forecast.summary(bt)


def test_unknown_method_is_refused(small_source):
    with pytest.raises(forecast.ForecastError, match=r"method='magic'"):
        forecast.forecast(small_source.at(AS_OF), QUARTER, method="magic")
