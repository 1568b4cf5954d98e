"""Contract terms as renewal chains, and bad subscriptions refused with the fix."""

from __future__ import annotations

import pandas as pd
import pytest

from revlab import lifecycle
from revlab.lifecycle import LifecycleError
from revlab.schema import SchemaError
from revlab.sources import SourceError, connect


def test_terms_link_chains_and_know_which_decisions_are_due(book_source):
    t = lifecycle.terms(book_source).set_index("subscription_id")
    assert t["term_number"].to_dict() == {
        "S1": 1, "S3": 1, "S6": 1, "S2": 2, "S4": 2, "S7": 1, "S5": 3
    }  # fmt: skip
    assert t["due"].to_dict() == {
        "S1": True, "S3": True, "S6": True, "S2": True, "S4": True, "S7": False, "S5": False
    }  # fmt: skip
    renewed = t["renewed"]
    assert renewed[["S1", "S3", "S4"]].tolist() == [True, True, True]
    assert renewed[["S2", "S6"]].tolist() == [False, False]
    assert renewed[["S5", "S7"]].isna().all()  # not due: unknown, not lost
    assert t.loc["S1", "uplift"] == pytest.approx(1.1)
    assert t.loc["S4", "next_amount"] == 600.0
    assert (t["months"] == 12).all() and t.loc["S6", "arr"] == 10000.0
    assert t.loc["S1", "channel"] == "paid_search" and t.loc["S7", "segment"] == "enterprise"
    assert t.loc["S6", "cohort"] == "2023"


def test_customers_carry_sbg_recency_and_T(book_source):
    c = lifecycle.customers(book_source).set_index("customer_id")
    assert c.loc["A1", ["terms", "decisions", "churned", "recency", "T"]].tolist() == [
        2, 2, True, 2, 3
    ]  # fmt: skip
    assert c.loc["A2", ["terms", "decisions", "churned", "recency", "T"]].tolist() == [
        3, 2, False, 3, 3
    ]  # fmt: skip
    assert c.loc["A3", ["decisions", "churned", "recency", "T"]].tolist() == [1, True, 1, 2]
    assert c.loc["A4", ["decisions", "T"]].tolist() == [0, 1]
    assert c.loc["A1", "growth"] == pytest.approx(0.1)
    assert c.loc["A2", "current_amount"] == 600.0


def test_without_renewed_from_the_next_term_within_grace_renews(book):
    subs = book["subscriptions"].drop(columns=["renewed_from", "subscription_id"])
    t = lifecycle.terms(connect({**book, "subscriptions": subs}).at("2025-01-01"))
    assert sorted(t["term_number"]) == [1, 1, 1, 1, 2, 2, 3]
    late = subs.copy()
    late.loc[1, "start_date"] = pd.Timestamp("2023-03-15")  # 74 days after S1 ended
    t = lifecycle.terms(connect({**book, "subscriptions": late}).at("2025-01-01"))
    assert t["customer_id"].isin(["A1#2"]).any()  # came back: a second life, not a renewal


def test_terms_ending_before_they_start_are_refused(book):
    bad = book["subscriptions"].copy()
    bad.loc[5, "end_date"] = pd.Timestamp("2023-01-01")
    with pytest.raises(
        SchemaError, match=r"subscriptions\.end_date: terms ending before they start: 1 "
    ) as e:
        lifecycle.terms(connect({**book, "subscriptions": bad}))
    assert "subscription_id S6" in str(e.value) and "fix the dates" in str(e.value)


def test_overlapping_terms_are_refused_naming_the_account(book):
    bad = book["subscriptions"].copy()
    bad.loc[1, "start_date"] = pd.Timestamp("2022-06-01")  # S2 starts inside S1
    with pytest.raises(
        SchemaError, match=r"subscriptions\.start_date: 1 term of 1 account overlaps an earlier"
    ) as e:
        lifecycle.terms(connect({**book, "subscriptions": bad}))
    assert "account_id A1" in str(e.value) and "2022-06-01" in str(e.value)


def test_no_or_empty_subscriptions_say_so(book):
    with pytest.raises(SourceError, match="subscriptions"):
        lifecycle.terms(connect({"leads": book["leads"]}))
    empty = book["subscriptions"].iloc[:0]
    with pytest.raises(LifecycleError, match="holds no contract terms"):
        lifecycle.terms(connect({**book, "subscriptions": empty}))
