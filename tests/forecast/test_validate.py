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
