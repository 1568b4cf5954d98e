"""Intervals for proportions and the Kaplan-Meier cumulative incidence, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from revlab import rates


def test_wilson_matches_the_textbook_formula():
    # 3 of 10 at 95%: centre (0.3 + z^2/20) / (1 + z^2/10), half-width as in Wilson (1927)
    z = stats.norm.ppf(0.975)
    centre = (0.3 + z**2 / 20) / (1 + z**2 / 10)
    half = z / (1 + z**2 / 10) * np.sqrt(0.3 * 0.7 / 10 + z**2 / 400)
    lower, upper = rates.wilson_interval(3, 10)
    assert lower == pytest.approx(centre - half)
    assert upper == pytest.approx(centre + half)
    assert (round(float(lower), 3), round(float(upper), 3)) == (0.108, 0.603)


def test_beta_intervals_jeffreys_and_exact():
    lower, upper = rates.beta_interval(3, 10)
    assert lower == pytest.approx(stats.beta.ppf(0.025, 3.5, 7.5))
    assert upper == pytest.approx(stats.beta.ppf(0.975, 3.5, 7.5))
    # zero successes: Jeffreys lower bound is 0; the exact upper bound is 1 - (alpha/2)^(1/n)
    assert rates.beta_interval(0, 10)[0] == 0
    assert rates.clopper_pearson_interval(0, 10)[1] == pytest.approx(1 - 0.025 ** (1 / 10))
    assert rates.clopper_pearson_interval(10, 10)[0] == pytest.approx(0.025 ** (1 / 10))


def test_empty_group_gives_nan_not_zero():
    frame = pd.DataFrame({"k": [0, 0, 2], "n": [0, 5, 4]})
    out = rates.add_rate(frame)
    assert out["rate"].isna().tolist() == [True, False, False]
    assert out[["lower", "upper"]].iloc[0].isna().all()
    assert out["rate"].iloc[1] == 0 and out["upper"].iloc[1] > 0  # a measured zero has a bound
    for method in ("wilson", "jeffreys", "clopper-pearson"):
        lower, upper = rates.proportion_interval([0], [0], method=method)
        assert np.isnan(lower[0]) and np.isnan(upper[0])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        rates.proportion_interval(1, 2, method="normal")
    with pytest.raises(ValueError, match="between 0 and the group size"):
        rates.wilson_interval(3, 2)
    with pytest.raises(ValueError, match="level"):
        rates.wilson_interval(1, 2, level=95)


def test_kaplan_meier_by_hand_differs_from_naive_share():
    # five leads: converted on day 1; censored on 2; converted on 3; censored on 3 and 4
    counts = pd.DataFrame(
        {"day": [1, 2, 3, 3, 4], "events": [1, 0, 1, 0, 0], "censored": [0, 1, 0, 1, 1]}
    )
    curve = rates.cumulative_incidence(counts)
    assert curve["day"].tolist() == [1, 2, 3, 4]
    assert curve["at_risk"].tolist() == [5, 4, 3, 1]
    # S(1) = 4/5; S(3) = 4/5 * 2/3 = 8/15, so 7/15 converted by day 3
    assert curve["rate"].tolist() == pytest.approx([0.2, 0.2, 7 / 15, 7 / 15])
    naive = 2 / 5
    assert curve["rate"].iloc[-1] != pytest.approx(naive)
    # Greenwood at day 3: 1/(5*4) + 1/(3*2); log-log interval for S
    s, var = 8 / 15, 1 / 20 + 1 / 6
    sigma = np.sqrt(var) / abs(np.log(s))
    z = stats.norm.ppf(0.975)
    row = curve.iloc[2]
    assert row["lower"] == pytest.approx(1 - s ** np.exp(-z * sigma))
    assert row["upper"] == pytest.approx(1 - s ** np.exp(z * sigma))
    assert row["n"] == 5


def test_kaplan_meier_without_censoring_is_the_plain_share():
    counts = pd.DataFrame({"day": [2, 5, 9], "events": [3, 2, 0], "censored": [0, 0, 5]})
    curve = rates.cumulative_incidence(counts)
    assert curve["rate"].iloc[-1] == pytest.approx(5 / 10)


def test_kaplan_meier_by_group_and_reading_the_curve():
    counts = pd.DataFrame(
        {
            "g": ["a", "a", "a", "b"],
            "day": [1, 3, 6, 4],
            "events": [1, 1, 0, 0],
            "censored": [0, 1, 1, 2],
        }
    )
    curve = rates.cumulative_incidence(counts, by=["g"])
    read = rates.incidence_at(curve, [0, 2, 3, 6, 7], by=["g"])
    a = read[read["g"] == "a"].set_index("day")
    # group a: 4 leads; day 1: 1 of 4; day 3: 1 of 3 at risk -> S = 3/4 * 2/3 = 1/2
    assert a.loc[0, "rate"] == 0 and a.loc[0, "at_risk"] == 4
    assert a.loc[2, "rate"] == pytest.approx(1 / 4)
    assert a.loc[3, "rate"] == pytest.approx(1 / 2)
    assert a.loc[6, "rate"] == pytest.approx(1 / 2) and a.loc[6, "at_risk"] == 1
    assert np.isnan(a.loc[7, "rate"])  # nobody followed to day 7: unknown, not carried on
    b = read[read["g"] == "b"].set_index("day")
    # no conversion in b: a measured zero with an exact upper bound for 0 of 2
    assert b.loc[3, "rate"] == 0
    assert b.loc[3, "upper"] == pytest.approx(1 - 0.025 ** (1 / 2))


def test_all_converted_curve_stays_in_bounds():
    counts = pd.DataFrame({"day": [1, 2], "events": [1, 1], "censored": [0, 0]})
    curve = rates.cumulative_incidence(counts)
    assert curve["rate"].tolist() == [0.5, 1.0]
    assert curve["upper"].iloc[-1] == 1
    assert 0 < curve["lower"].iloc[-1] <= 1
    assert curve["lower"].iloc[-1] >= curve["lower"].iloc[0]


def test_mean_interval_is_student_t():
    lower, upper = rates.mean_interval(10.0, 2.0, 5)
    half = stats.t.ppf(0.975, 4) * 2 / np.sqrt(5)
    assert (lower, upper) == (pytest.approx(10 - half), pytest.approx(10 + half))
    assert np.isnan(rates.mean_interval(10.0, np.nan, 1)[0])


def test_several_rates_in_one_frame():
    frame = pd.DataFrame({"won": [3], "closed": [10], "renewed": [2]})
    out = rates.add_rate(frame, k="won", n="closed", name="win_rate")
    out = rates.add_rate(out, k="renewed", n="won", name="renewal", lower="r_lo", upper="r_hi")
    assert out[["lower", "upper"]].iloc[0].tolist() == pytest.approx(
        [x[0] for x in rates.wilson_interval([3], [10])]
    )
    assert out["renewal"].iloc[0] == pytest.approx(2 / 3) and out["r_lo"].iloc[0] < 2 / 3
