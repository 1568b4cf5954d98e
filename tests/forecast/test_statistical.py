"""The funnel model judged against the demo company's ground truth, with the default sampler.

- the report's own fit (all the demo data, to 2026-10-01, seed 2026) and a fit at a cut
  inside the data (2026-07-01) pass their sampler diagnostics (R-hat, bulk ESS, divergences);
- every channel's true lead-to-won rate and every segment's true deal-size median lie inside
  their 99% posterior intervals on the report's fit and at the cut, except the mid-market
  median on the report's fit, an expected failure: this company's own won deals sit 2.6
  standard errors above it (see ``EDGE``); and all nine lie within 3.29 posterior standard
  deviations (a 99.9% interval) on both fits;
- at three as-of dates, the 10/50/90% predictive quantiles are within 15% of the simulator's
  re-simulated true predictive distribution from the same state.

Interval coverage over many companies is the validation script's job
(``benchmarks/validate_forecast.py``), not one seed's.
"""

import warnings

import pandas as pd
import pytest

from revlab import calibration, forecast
from tests.conftest import named_seed

pytestmark = pytest.mark.slow

AS_OF, QUARTER = "2026-07-01", "2026Q3"
#: The fit the quarterly report shows: the quarter after the demo data end, as of that end,
#: with the notebook's default seed.
REPORT_AS_OF, REPORT_QUARTER, REPORT_SEED = "2026-10-01", "2026Q4", 2026
#: (as-of, quarter) pairs for the comparison with the true predictive distribution: a quarter's
#: first day, another quarter's first day, and the middle of a quarter.
TRUTH_DATES = (("2026-04-01", "2026Q2"), ("2026-07-01", "2026Q3"), ("2026-08-15", "2026Q3"))


def _fit(src, quarter, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return forecast.forecast(src, quarter, random_seed=seed)


@pytest.fixture(scope="module")
def report_fit(demo_source, demo_company):
    assert str(demo_company.truth.as_of.date()) == REPORT_AS_OF, "the demo data end moved"
    return _fit(demo_source.at(REPORT_AS_OF), REPORT_QUARTER, REPORT_SEED)


@pytest.fixture(scope="module")
def cut_fit(demo_source):
    return _fit(demo_source.at(AS_OF), QUARTER, named_seed("forecast default fit"))


@pytest.mark.parametrize("fit", ["report_fit", "cut_fit"])
def test_default_fits_pass_the_sampler_diagnostics(fit, request):
    fit = request.getfixturevalue(fit)
    d = fit.diagnostics
    assert d.divergences == 0
    assert d.worst_rhat <= 1.01, d.message()
    assert d.min_ess_bulk >= 400, d.message()
    assert fit.trustworthy


#: The demo company's mid-market deals won by 2026-10-01 have a median of 46.5k against a true
#: 42k: the sample itself sits 2.6 standard errors from the truth, and a 99% interval reaches
#: 2.58, so the posterior, which follows its data, holds it only at a cut with fewer won deals.
#: Over 40 seeded companies the 99% intervals hold 98-99% of 360 true values and no segment's
#: median is off on average (benchmarks/validate_forecast.py), which is the judge of
#: calibration; :func:`test_no_true_value_is_far_outside_the_posterior` is the steady check.
EDGE = pytest.mark.xfail(
    reason="the demo's mid-market won deals sit 2.6 SE above the true median; see EDGE",
    strict=False,
)


@pytest.mark.parametrize("parameter", ["conversion", pytest.param("deal_size_median", marks=EDGE)])
def test_true_parameters_inside_99pct_intervals_of_the_report_fit(
    report_fit, demo_company, parameter
):
    missed = _truth_outside_99(report_fit, demo_company, parameter)
    assert missed.empty, f"truth outside the 99% interval:\n{missed}"


def test_at_most_one_true_value_outside_its_99pct_interval_at_the_cut(cut_fit, demo_company):
    """Of the nine true values, at most one outside its 99% interval.

    A calibrated posterior misses each with probability 1%, so two misses or more happen
    0.3% of the time; one miss is 8.6% and is what CI saw once (the referral conversion at
    z = 2.37 on another machine's floating point, inside the 99% interval here).
    """
    missed = pd.concat(
        [_truth_outside_99(cut_fit, demo_company, p) for p in ("conversion", "deal_size_median")]
    )
    assert len(missed) <= 1, f"truths outside the 99% interval:\n{missed}"


@pytest.mark.parametrize("fit", ["report_fit", "cut_fit"])
def test_no_true_value_is_far_outside_the_posterior(fit, request, demo_company):
    """All nine true values within 3.29 posterior sd (a 99.9% normal interval).

    The data's own worst deviation here is 2.6 standard errors, and the posterior z-scores
    of the truths reach 2.2-2.6 on four of the nine (measured 2026-12-06), so this holds with
    room to spare whatever the draws; a biased or overconfident posterior (a rate pulled to
    the mean by pooling, an interval too narrow) breaks it.
    """
    table = calibration.parameter_recovery(request.getfixturevalue(fit).model, demo_company.truth)
    far = table[table["z"].abs() > 3.29]
    assert len(table) == 9 and far.empty, f"true values far outside the posterior:\n{table}"


def _truth_outside_99(fit, company, parameter):
    """Groups whose true ``parameter`` lies outside the fit's 99% interval."""
    table = calibration.parameter_recovery(fit.model, company.truth)
    return table[(table["parameter"] == parameter) & ~table["inside_99"]]


@pytest.mark.parametrize(("as_of", "quarter"), TRUTH_DATES)
def test_predictive_quantiles_within_15pct_of_the_true_predictive(demo_company, as_of, quarter):
    table = calibration.truth_quantiles(
        demo_company, as_of, quarter, random_seed=named_seed(f"truth quantiles {as_of}")
    )
    off = table[(table["ratio"] - 1).abs() > 0.15]
    assert off.empty, f"quantiles more than 15% from the truth:\n{table}"
