"""Renewal rates, logo retention curves and revenue retention, worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revlab import lifecycle
from revlab.lifecycle.retention import NO_RENEWAL_DUE


def test_renewal_rate_by_term_counts_only_due_decisions(book_source):
    r = lifecycle.renewal_rates(book_source).set_index("term_number")
    assert r.loc[1, ["ending", "pending", "n", "k", "churned"]].tolist() == [4, 1, 3, 2, 1]
    assert r.loc[1, "rate"] == pytest.approx(2 / 3)
    assert r.loc[1, "lower"] < 2 / 3 < r.loc[1, "upper"]
    assert r.loc[2, ["n", "k"]].tolist() == [2, 1]
    assert r.loc[3, "n"] == 0 and np.isnan(r.loc[3, "rate"])  # pending: unknown, never 0


def test_renewal_rate_in_a_quarter_reports_pending_terms(book_source):
    r = lifecycle.renewal_rates(book_source, by="segment", quarter="2024Q2")
    assert r[["segment", "n", "k"]].values.tolist() == [["enterprise", 1, 0]]
    r = lifecycle.renewal_rates(book_source, by=None, quarter="2024Q4", grace_days=60)
    assert r[["ending", "pending", "n"]].values.tolist() == [[0, 0, 0]]
    with pytest.raises(ValueError, match="can be grouped by"):
        lifecycle.renewal_rates(book_source, by="region")


def test_retention_curve_is_kaplan_meier_over_renewals(book_source):
    curve = lifecycle.retention_curves(book_source, by=None).set_index("renewal")
    assert curve.loc[0, "retention"] == 1.0 and curve.loc[0, "at_risk"] == 4
    assert curve.loc[1, "at_risk"] == 3  # A4 has no decision due: not at risk
    assert curve.loc[1, "retention"] == pytest.approx(2 / 3)
    assert curve.loc[2, "retention"] == pytest.approx(1 / 3)
    assert curve.loc[2, "months"] == 24
    assert (curve["lower"] <= curve["retention"]).all()
    assert (curve["retention"] <= curve["upper"]).all()


def test_a_cohort_with_no_renewal_due_gets_nan_and_a_note(book_source):
    curve = lifecycle.retention_curves(book_source, by="cohort")
    c24 = curve[(curve["cohort"] == "2024") & (curve["renewal"] > 0)]
    assert len(c24) and c24["retention"].isna().all()
    assert (c24["note"] == NO_RENEWAL_DUE).all()
    c22 = curve[curve["cohort"] == "2022"].set_index("renewal")
    assert c22.loc[2, "retention"] == pytest.approx(0.5) and c22.loc[2, "note"] == ""


def test_revenue_retention_by_quarter(book_source):
    r = lifecycle.revenue_retention(book_source, n_boot=200).set_index("quarter")
    assert r.index[0] == "2023Q1" and r.index[-1] == "2024Q4"
    q = r.loc["2023Q4"]  # base on 2022-12-31: A1 1,000, A2 500; a year on: 1,100 and 500
    assert q["accounts"] == 2 and q["base_arr"] == 1500.0
    assert q["nrr"] == pytest.approx(1600 / 1500) and q["grr"] == pytest.approx(1.0)
    assert q["expansion"] == 100.0 and q["churned_arr"] == 0.0
    q = r.loc["2024Q4"]  # base on 2023-12-31: A1 1,100, A2 500, A3 10,000; only A2 stays
    assert q["nrr"] == pytest.approx(600 / 11600) and q["grr"] == pytest.approx(500 / 11600)
    assert q["logo_retention"] == pytest.approx(1 / 3) and q["new_arr"] == 8000.0
    assert q["churned_arr"] == 11100.0
    assert q["nrr_lower"] <= q["nrr"] <= q["nrr_upper"]


def test_revenue_retention_needs_a_year_of_history(book):
    from revlab.lifecycle import LifecycleError
    from revlab.sources import connect

    with pytest.raises(LifecycleError, match="needs a year of subscriptions"):
        lifecycle.revenue_retention(connect(book).at("2022-06-01"))


def test_demo_retention_falls_faster_for_smb(demo_terms):
    curve = lifecycle.retention_curves(demo_terms, by="segment")
    first = curve[curve["renewal"] == 1].set_index("segment")["retention"]
    assert first["smb"] < first["mid_market"] < first["enterprise"]


def test_demo_revenue_retention_is_plausible(demo_company):
    from revlab.sources import connect

    src = connect(demo_company.tables).at(demo_company.as_of)
    r = lifecycle.revenue_retention(src, first="2025Q3", n_boot=100)
    assert r["quarter"].tolist() == ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert (r["grr"] <= r["nrr"]).all() and (r["nrr"] > 0.7).all() and (r["grr"] < 1).all()
    assert pd.api.types.is_float_dtype(r["nrr"])


def test_quarter_summary_puts_the_previous_quarter_first(book_source):
    s = lifecycle.quarter_summary(book_source, quarter="2024Q4").set_index("quarter")
    assert s.index.tolist() == ["2024Q3", "2024Q4"]
    assert s.loc["2024Q4", "nrr"] == pytest.approx(600 / 11600)
    assert s.loc["2024Q4", "ending"] == 0 and np.isnan(s.loc["2024Q4", "renewal_rate"])
    early = lifecycle.quarter_summary(book_source, quarter="2022Q4").set_index("quarter")
    assert early["nrr"].isna().all()  # nobody was paying a year before: unknown, not zero


def test_renewal_rates_from_a_terms_frame_match_the_source(book_source):
    terms = lifecycle.terms(book_source)
    a = lifecycle.renewal_rates(terms, by="segment")
    b = lifecycle.renewal_rates(book_source, by="segment")
    pd.testing.assert_frame_equal(a, b)


def test_renewal_rates_before_any_decision_is_due_say_so(book):
    from revlab.errors import Shortfall
    from revlab.sources import connect

    young = connect(book).at(pd.Timestamp("2022-06-01"))  # S1 and S3 started, neither ended
    with pytest.raises(Shortfall, match=r"none of the 2 contract terms has reached its renewal"):
        lifecycle.renewal_rates(young)
    assert lifecycle.renewal_rates(young, quarter="2022Q2")["n"].sum() == 0  # a quarter: a row
