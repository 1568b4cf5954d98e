"""The calibration machinery (revlab.calibration): a small run, and the table's arithmetic.

The coverage bars themselves are judged by ``benchmarks/validate_forecast.py`` on 40 companies;
here one small company checks that every method is forecast and scored against the truth.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from revlab import calibration
from revlab.forecast import scoring
from tests.conftest import named_seed
from tests.forecast.conftest import TINY


@pytest.fixture(scope="module")
def one_company():
    seed = named_seed("validate one company")
    rows = calibration.forecast_company(seed, n_leads=8000, sampler_config=TINY)
    return seed, pd.DataFrame(rows)


def test_every_method_forecasts_the_same_quarter_against_the_realised_bookings(one_company):
    seed, rows = one_company
    from revlab import demo

    truth = demo.simulate(seed=seed, n_leads=8000).truth
    quarter = calibration.QUARTERS[seed % len(calibration.QUARTERS)]
    assert list(rows["method"]) == list(calibration.METHODS)
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
    table = calibration.calibration(pd.DataFrame(rows)).set_index("method")
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
    assert model["recovery_sum_z2"] > 0
    counts = [model[f"recovered_{lv}"] for lv in (50, 90, 99)]
    assert counts == sorted(counts) and counts[-1] <= model["recovery_n"]
    assert rows.set_index("method").loc["seasonal_naive", ["recovery_n"]].isna().all()
    z = model.filter(like="z__").astype(float)
    assert "z__conversion__referral" in z and "z__deal_size_median__smb" in z
    stages = z.filter(like="z__stage_advance__")
    assert list(stages.index.str.removeprefix("z__stage_advance__")) == [
        "discovery", "demo", "proposal", "negotiation"
    ]  # fmt: skip
    assert stages.notna().all() and len(z) == 9 + 4
    assert (z.drop(stages.index) ** 2).sum() == pytest.approx(model["recovery_sum_z2"])


def test_stage_recovery_weights_the_cells_by_the_truths_entries():
    """Forward rates averaged with the truth's shares; z on the log-odds scale."""
    a = np.empty((20_001, 2, 1, 2))  # draws of P(forward): (draw, stage, segment, channel)
    u = norm.ppf((np.arange(20_001) + 0.5) / 20_001)
    a[:, 0, 0, 0], a[:, 0, 0, 1] = 0.8, 0.6
    a[:, 1, 0, :] = 1 / (1 + np.exp(-(1.0 + 0.1 * u)))[:, None]  # logit ~ N(1, 0.1)

    class Fit:
        data_ = SimpleNamespace(stages=("s1", "s2"), segments=("g",), channels=("a", "b"))
        idata_ = None

    class Truth:
        def stage_advance_rate(self):
            return pd.DataFrame({
                "stage": ["s1", "s1", "s2", "s2", "s3"], "segment": "g",
                "channel": ["a", "b", "a", "b", "a"],
                "rate": [0.8, 0.6, 0.75, 0.75, 0.5], "share": [0.25, 0.75, 0.5, 0.5, 1.0],
            })  # fmt: skip

    import revlab.forecast.simulate as simulate

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(simulate, "posterior_arrays", lambda model: {"a": a})
        table = calibration.stage_recovery(Fit(), Truth()).set_index("stage")
    assert list(table.index) == ["s1", "s2"]  # the model's stages only, in its order
    assert table.loc["s1", "truth"] == pytest.approx(0.25 * 0.8 + 0.75 * 0.6)
    assert table.loc["s1", "mean"] == pytest.approx(0.65)
    # truth logit(0.75) = 1.0986 against a posterior logit N(1, 0.1): z close to 0.99
    assert table.loc["s2", "z"] == pytest.approx((np.log(3) - 1.0) / 0.1, abs=0.01)


class _Draws:
    """A stand-in fit whose draws are evenly spaced normal quantiles around known centres."""

    data_ = SimpleNamespace(channels=("a", "b"), segments=("s",))

    @staticmethod
    def _normal(centre, sd):
        u = (np.arange(20_001) + 0.5) / 20_001
        return np.asarray(centre)[None] + np.asarray(sd)[None] * norm.ppf(u)[:, None]

    def conversion_rate_draws(self):
        return self._normal([0.010, 0.020], [0.001, 0.0015])

    def deal_size_median_draws(self):
        return self._normal([1000.0], [100.0])


class _Truth:
    def conversion_rate(self, by):
        return pd.DataFrame({"channel": ["b", "a"], "rate": [0.0235, 0.0105]})  # b off by 0.0035

    def deal_size_median(self):
        return pd.DataFrame({"segment": ["s"], "median": [1500.0]})  # off by 500: outside all


def test_parameter_recovery_aligns_groups_and_judges_each_level():
    table = calibration.parameter_recovery(_Draws(), _Truth()).set_index("group")
    assert table.loc["a", "truth"] == 0.0105 and table.loc["b", "truth"] == 0.0235
    assert list(table.loc["a", ["inside_50", "inside_90", "inside_99"]]) == [True, True, True]
    # b is 2.33 sd out: outside the 50% (0.67 sd) and 90% (1.64 sd) intervals, inside 99%
    assert list(table.loc["b", ["inside_50", "inside_90", "inside_99"]]) == [False, False, True]
    assert not table.loc["s", ["inside_50", "inside_90", "inside_99"]].any()
    # z-scores on the log-odds and log scales: close to the natural scale's 0.5 and 2.33 sd
    assert 0.4 < table.loc["a", "z"] < 0.6 and 2.0 < table.loc["b", "z"] < 2.5
    assert table.loc["s", "z"] > 3.5  # 5 sd out on the natural scale, log(1.5) / 0.1 on the log
    rows = pd.DataFrame([{"method": "funnel", "recovery_n": len(table),
                          "recovery_sum_z2": float((table["z"] ** 2).sum())}
                         | {f"recovered_{lv}": int(table[f"inside_{lv}"].sum())
                            for lv in (50, 90, 99)}])  # fmt: skip
    share = calibration.recovery_coverage(rows)
    assert share["50%"] == pytest.approx(1 / 3) and share["99%"] == pytest.approx(2 / 3)
    assert share["values"] == 3
    assert share["rms_z"] == pytest.approx(np.sqrt((table["z"] ** 2).mean()))


def test_recovery_bias_flags_a_group_out_on_the_same_side_every_time():
    rng = np.random.default_rng(named_seed("recovery bias"))
    n = 40
    rows = pd.DataFrame({
        "method": "funnel",
        "z__conversion__fair": rng.normal(0.0, 1.0, n),  # calibrated: mean within 2.39/sqrt(40)
        "z__conversion__low": rng.normal(0.0, 1.0, n) - 0.8,  # out on one side each time
        "z__deal_size_median__smb": np.r_[rng.normal(0.0, 1.0, n - 5), [np.nan] * 5],
    })  # fmt: skip
    rows = pd.concat(
        [rows, pd.DataFrame({"method": ["seasonal_naive"], "z__conversion__low": [9.0]})]
    )
    table = calibration.recovery_bias(rows).set_index("group")
    assert table.loc["low", "biased"] and table.loc["low", "mean_z"] < -0.4
    assert not table.loc["fair", "biased"] and not table.loc["smb", "biased"]
    assert table.loc["smb", "companies"] == n - 5  # missing values are not counted as zeros
    assert table.loc["low", "companies"] == n  # only the model's rows
