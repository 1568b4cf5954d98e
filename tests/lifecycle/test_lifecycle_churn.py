"""The shifted-beta-geometric churn model: recovery of the demo's truth, shapes, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from revlab import lifecycle
from revlab.lifecycle import LifecycleError
from revlab.lifecycle.contractual import _discounted_terms


@pytest.mark.slow
def test_churn_model_recovers_true_churn_by_segment(segment_model, demo_company):
    est = segment_model.churn_rate(level=0.95).set_index("segment")
    truth = demo_company.truth.churn_rate().set_index("segment")["rate"]
    for seg, rate in truth.items():
        assert est.loc[seg, "lower"] <= rate <= est.loc[seg, "upper"], (seg, est.loc[seg], rate)
    assert est.loc["smb", "mean"] > est.loc["enterprise", "mean"]
    d = segment_model.diagnostics()
    assert d["r_hat_max"] < 1.05 and d["ess_bulk_min"] > 200 and d["divergences"] < 10


@pytest.mark.slow
def test_retention_lifetime_and_remaining_value(segment_model, demo_terms):
    ret = segment_model.retention(renewals=4)
    for _, g in ret.groupby("segment"):
        assert np.all(np.diff(g.sort_values("renewal")["mean"]) <= 0)
    terms = segment_model.expected_terms(discount_rate=0.1).set_index("segment")
    five = segment_model.expected_terms(horizon=5, discount_rate=0.1).set_index("segment")
    assert (terms["mean"] >= five["mean"]).all() and (five["mean"] > 1).all()
    assert (five["mean"] <= 5).all()
    value = lifecycle.remaining_value(segment_model, demo_terms).set_index("segment")
    active = lifecycle.customers(demo_terms).query("~churned").groupby("segment").size()
    assert value["active"].to_dict() == active.to_dict()
    assert ((value["lower"] < value["value"]) & (value["value"] < value["upper"])).all()
    assert value.loc["enterprise", "value"] > value.loc["smb", "value"]
    # a horizon cuts the same sum: far enough out it is pymc-marketing's, nearer it is less
    far = lifecycle.remaining_value(segment_model, demo_terms, horizon_months=12 * 2000)
    np.testing.assert_allclose(far.set_index("segment")["value"], value["value"], rtol=1e-6)
    five = lifecycle.remaining_value(segment_model, demo_terms, horizon_months=60)
    five = five.set_index("segment")
    assert (five["value"] < value["value"]).all()
    assert (five["renewals"] <= 5).all() and (five["renewals"] > 0).all()
    one = lifecycle.remaining_value(segment_model, demo_terms, horizon_months=12)
    assert (one.set_index("segment")["renewals"] < 1).all()  # only the next renewal, if reached


def test_discounted_terms_matches_the_series():
    a, b = np.array([0.7, 2.0]), np.array([2.5, 5.0])
    closed = _discounted_terms(a, b, 0.1, 0.0)
    long = _discounted_terms(a, b, 0.1, 0.0, horizon=2000)
    np.testing.assert_allclose(closed, long, rtol=1e-8)
    assert _discounted_terms(a, b, 0.1, 0.0, horizon=1) == pytest.approx([1.0, 1.0])
    two = 1 + b / (a + b) / 1.1  # first term, plus surviving the first renewal, discounted
    np.testing.assert_allclose(_discounted_terms(a, b, 0.1, 0.0, horizon=2), two)
    with pytest.raises(ValueError, match="must exceed the expansion"):
        _discounted_terms(a, b, 0.05, 0.1)


def test_map_fit_save_and_load(book_source, tmp_path):
    terms = lifecycle.terms(book_source)
    model = lifecycle.ChurnModel(by=None).fit(terms, method="map")
    rate = model.churn_rate()
    assert rate["group"].tolist() == ["all"] and 0 < rate.loc[0, "mean"] < 1
    assert rate.loc[0, ["customers", "fitted", "decisions", "churned"]].tolist() == [4, 3, 5, 2]
    model.save(tmp_path / "churn.nc")
    again = lifecycle.ChurnModel.load(tmp_path / "churn.nc")
    assert again.by is None
    np.testing.assert_allclose(again.churn_rate()["mean"], rate["mean"])
    assert again.churn_rate()["customers"].tolist() == [4]
    assert again.skipped_.empty and list(again.skipped_.columns) == ["group", "customers"]


def test_a_group_with_no_renewal_due_is_refused_with_the_fix(book_source):
    terms = lifecycle.terms(book_source)
    with pytest.raises(LifecycleError, match=r"cohort 2024 \(1 customer\): no customer has") as e:
        lifecycle.ChurnModel(by="cohort").fit(terms, method="map")
    assert "filter on cohort" in str(e.value)
    ok = terms[terms["cohort"] != "2024"]
    rate = lifecycle.ChurnModel(by="cohort").fit(ok, method="map").churn_rate()
    assert rate["cohort"].tolist() == ["2022", "2023"]
    model = lifecycle.ChurnModel(by="cohort").fit(terms, method="map", undue="skip")
    assert model.churn_rate()["cohort"].tolist() == ["2022", "2023"]
    assert model.skipped_.to_dict("records") == [{"cohort": "2024", "customers": 1}]
    young = terms[terms["cohort"] == "2024"]
    with pytest.raises(LifecycleError, match="no customer has reached a renewal"):
        lifecycle.ChurnModel(by="cohort").fit(young, method="map", undue="skip")
