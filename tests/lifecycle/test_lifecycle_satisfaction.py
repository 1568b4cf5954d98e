"""Satisfaction bands, renewal and expansion by band, and how much churn the score explains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from revlab import lifecycle
from revlab.lifecycle import LifecycleError


def test_bands_on_nps_and_csat_scales():
    nps = lifecycle.bands(pd.Series([0, 6, 7, 8, 9, 10, np.nan]))
    assert nps.tolist() == [
        "detractor", "detractor", "passive", "passive", "promoter", "promoter", "no score"
    ]  # fmt: skip
    csat = lifecycle.bands(pd.Series([1, 2, 3, 4, 5.0]))
    assert csat.tolist() == ["unsatisfied", "unsatisfied", "neutral", "satisfied", "satisfied"]
    assert lifecycle.bands(pd.Series([4.0]), scale="nps").tolist() == ["detractor"]
    with pytest.raises(LifecycleError, match="neither CSAT"):
        lifecycle.bands(pd.Series([12.0, 80.0]))
    with pytest.raises(LifecycleError, match="no term has a score"):
        lifecycle.bands(pd.Series([np.nan]))


def test_outcomes_by_band_on_the_book(book_source):
    out = lifecycle.satisfaction_outcomes(book_source).set_index("band")
    # due terms: S1 (9, renewed up), S2 (3, churned), S3 (10, renewed flat), S4 (7, renewed up),
    # S6 (4, churned)
    assert out.loc["promoter", ["n", "renewed", "expanded"]].tolist() == [2, 2, 1]
    assert out.loc["detractor", ["n", "renewed"]].tolist() == [2, 0]
    assert out.loc["passive", "expansion_rate"] == 1.0
    assert out.loc["no score", "n"] == 0 and np.isnan(out.loc["no score", "renewal_rate"])
    assert out.loc["promoter", "mean_uplift"] == pytest.approx((1.1 + 1.0) / 2)


def test_demo_renewal_by_band_matches_the_truth(demo_terms, demo_company):
    """First renewals: observed renewals per band against the simulator's probabilities."""
    effect = demo_company.truth.satisfaction_effect().set_index(["segment", "band"])
    first = demo_terms[(demo_terms["term_number"] == 1) & demo_terms["due"]]
    first = first[first["satisfaction"].notna()]
    first = first.assign(band=lifecycle.bands(first["satisfaction"]).astype(str))
    p_churn = effect["churn_rate"].reindex(pd.MultiIndex.from_frame(first[["segment", "band"]]))
    first = first.assign(p=1 - p_churn.to_numpy())
    for band, g in first.groupby("band"):
        expected, var = g["p"].sum(), (g["p"] * (1 - g["p"])).sum()
        z = (g["renewed"].astype(bool).sum() - expected) / np.sqrt(var)
        assert abs(z) < 3, (band, z)
    rates = lifecycle.satisfaction_outcomes(demo_terms).set_index("band")["renewal_rate"]
    assert rates["detractor"] < rates["passive"] < rates["promoter"]


def test_demo_churn_is_partly_explained_by_satisfaction(demo_terms):
    out = lifecycle.churn_explained(demo_terms, n_boot=200, seed=7).iloc[0]
    assert out["or_upper"] < 1  # each point of satisfaction lowers the odds of churn
    assert out["lr_p_value"] < 1e-6
    assert 0.05 < out["pseudo_r2"] < 0.5  # real, far from all of it
    assert 0.6 < out["auc"] < 0.9
    assert out["lower"] < out["avoidable_share"] < out["upper"]
    assert 0 < out["avoidable_share"] < 1


def test_explaining_churn_needs_churn_and_renewals(book_source):
    with pytest.raises(LifecycleError, match="needs both renewals and churn"):
        lifecycle.churn_explained(book_source)


def test_auc_is_mann_whitney():
    from revlab.lifecycle.satisfaction import _auc

    score = np.array([1.0, 2, 3, 4, 5, 6])
    churn = np.array([1.0, 1, 0, 1, 0, 0])
    expected = stats.mannwhitneyu(score[churn == 0], score[churn == 1]).statistic / 9
    assert _auc(score, churn) == pytest.approx(expected) == pytest.approx(8 / 9)
