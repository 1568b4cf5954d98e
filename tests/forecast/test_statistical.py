"""The funnel model judged against the demo company's ground truth, with the default sampler.

- the report's own fit (all the demo data, to 2026-10-01, seed 2026) and a fit at a cut
  inside the data (2026-07-01) pass their sampler diagnostics (R-hat, bulk ESS, divergences);
- every channel's true lead-to-won rate and every segment's true deal-size median lie inside
  their 99% posterior intervals of the report's fit; at the 2026-07-01 cut, a quarter of the
  data earlier, referral's rate is an expected failure (see its reason);
- at three as-of dates, the 10/50/90% predictive quantiles are within 15% of the simulator's
  re-simulated true predictive distribution from the same state.

Interval coverage over many companies is the validation script's job
(``benchmarks/validate_forecast.py``), not one seed's.
"""

import warnings

import pytest

from revlab import forecast
from revlab.forecast import validate
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


@pytest.mark.parametrize("parameter", ["conversion", "deal_size_median"])
def test_true_parameters_inside_99pct_intervals_of_the_report_fit(
    report_fit, demo_company, parameter
):
    missed = _truth_outside_99(report_fit, demo_company, parameter)
    assert missed.empty, f"truth outside the 99% interval:\n{missed}"


@pytest.mark.xfail(
    reason="at the 2026-07-01 cut referral's true lead-to-won rate 0.0409 lies just above the "
    "model's 99% interval (upper 0.0406, z = 2.7); the other five channels are inside, and with "
    "the data to 2026-10-01 all six are. The sample itself is far from the truth: the referral "
    "leads created before the cut win 0.0316 (82 of 2595, counting outcomes after the cut) "
    "where their true mix gives 0.0406, 2.3 standard errors away, and the model follows the "
    "sample (mean 0.0317). Over 40 seeded companies the 99% intervals hold 99.2% of 360 true "
    "values (benchmarks/validate_forecast.py).",
    strict=False,
)
def test_true_channel_conversion_inside_99pct_intervals_at_the_cut(cut_fit, demo_company):
    missed = _truth_outside_99(cut_fit, demo_company, "conversion")
    assert missed.empty, f"truth outside the 99% interval:\n{missed}"


def test_true_segment_deal_size_median_inside_99pct_intervals_at_the_cut(cut_fit, demo_company):
    missed = _truth_outside_99(cut_fit, demo_company, "deal_size_median")
    assert missed.empty, f"truth outside the 99% interval:\n{missed}"


def _truth_outside_99(fit, company, parameter):
    """Groups whose true ``parameter`` lies outside the fit's 99% interval."""
    table = validate.parameter_recovery(fit.model, company.truth)
    return table[(table["parameter"] == parameter) & ~table["inside_99"]]


@pytest.mark.parametrize(("as_of", "quarter"), TRUTH_DATES)
def test_predictive_quantiles_within_15pct_of_the_true_predictive(demo_company, as_of, quarter):
    table = validate.truth_quantiles(
        demo_company, as_of, quarter, random_seed=named_seed(f"truth quantiles {as_of}")
    )
    off = table[(table["ratio"] - 1).abs() > 0.15]
    assert off.empty, f"quantiles more than 15% from the truth:\n{table}"
