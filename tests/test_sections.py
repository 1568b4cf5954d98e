"""Sections skip themselves, in plain words, when the data fall short; bugs still fail."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from revlab.errors import NotRequested, SectionSkipped, Shortfall
from revlab.schema import SchemaError
from revlab.sections import Sections, Skipped


@pytest.fixture
def shown():
    return []


@pytest.fixture
def sections(shown):
    return Sections(shown.append)


def test_a_data_error_skips_the_section_with_its_reason(sections, shown):
    ran = []
    with sections.section("Cost per name") as sec:
        raise Shortfall(
            "Cost per name", "the data have no marketing_spend table", enable="Add it."
        )
        ran.append(True)  # never reached
    assert not ran and not sec
    (skip,) = shown
    assert (skip.title, skip.reason, skip.enable) == (
        "Cost per name",
        "the data have no marketing_spend table",
        "Add it.",
    )
    assert sections.skips == [skip] and not skip.optional


def test_any_revlab_data_error_counts_and_a_bug_propagates(sections, shown):
    with sections.section("Validated tables"):
        raise SchemaError(["leads.created_at: 2 rows are empty"])
    assert "leads.created_at: 2 rows are empty" in shown[0].reason
    with pytest.raises(KeyError):
        with sections.section("Buggy"):
            raise KeyError("a bug is not a skip")
    assert len(shown) == 1


def test_a_section_that_runs_leaves_no_record(sections, shown):
    with sections.section("Fine") as sec:
        value = 1 + 1
    assert sec and value == 2 and shown == [] and sections.skips == []


def test_attempt_returns_a_stand_in_that_skips_every_section_using_it(sections, shown):
    def needs_subscriptions():
        raise Shortfall("Contract terms", "the data have no subscriptions table")

    terms = sections.attempt("Contract terms", needs_subscriptions)
    assert isinstance(terms, Skipped)
    derived = terms.set_index("account_id")["amount"]  # stays a stand-in, raises nothing
    with sections.section("Renewals"):
        f"{derived.sum():,.0f}"
    with sections.section("Churn"):
        len(terms)
    first, *dependent = shown
    assert first.title == "Contract terms" and not first.because
    assert [(s.title, s.because) for s in dependent] == [
        ("Renewals", "Contract terms"),
        ("Churn", "Contract terms"),
    ]
    assert "no subscriptions table" in dependent[0].reason


def test_a_stand_in_used_outside_a_section_fails_loudly(sections):
    terms = sections.attempt("Terms", lambda: (_ for _ in ()).throw(Shortfall("T", "none")))
    with pytest.raises(SectionSkipped, match="it needs Terms, which was skipped: none"):
        bool(terms)


def test_attempt_returns_the_value_when_the_data_suffice(sections):
    assert sections.attempt("Sum", sum, [1, 2, 3]) == 6


def test_continuing_a_skipped_section_is_silent(sections, shown):
    scorecard = sections.attempt("Headline figures", _short)
    with sections.section("Headline figures"):
        list(scorecard)
    assert [s.title for s in shown] == ["Headline figures"]


def test_quiet_sections_and_optional_sections(sections, shown):
    with sections.section("checks", quiet=True) as sec:
        raise Shortfall("x", "no data")
    assert not sec and shown == [] and sections.skips == []
    with sections.section("Public data"):
        raise NotRequested("Public data", "this run was given no file for it")
    assert shown[0].optional and shown[0].record()["optional"] is True


def test_figures_of_a_skipped_section_are_closed(sections):
    kept = plt.figure()
    with sections.section("Half drawn"):
        plt.figure()
        raise Shortfall("x", "too little history")
    assert plt.get_fignums() == [kept.number]


def _short():
    raise Shortfall("Headline figures", "the data have neither leads nor opportunities")


def test_a_reason_already_given_is_not_repeated_in_full(sections, shown):
    for title in ("New names", "Stage funnel"):
        with sections.section(title):
            raise Shortfall(title, "the data have no leads table", enable="Add leads.")
    first, again = shown
    assert not first.same_as and again.same_as == "New names"
    assert again.reason == first.reason  # the log and scorecard still know why


def test_a_library_that_hides_the_skip_still_skips_the_section(sections, shown):
    import numpy as np

    terms = sections.attempt("Contract terms", _short)
    with sections.section("Amounts"):
        np.asarray([terms["amount"], 1.0], dtype=float)  # numpy turns it into a ValueError
    assert shown[-1].title == "Amounts" and shown[-1].because == "Contract terms"
    with pytest.raises(ValueError):
        with sections.section("A real bug"):
            np.asarray([[1.0], 2.0], dtype=float)  # no stand-in touched: the bug is not hidden
