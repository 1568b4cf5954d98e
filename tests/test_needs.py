"""Analyses declare what they need; a source that falls short is told so before any work."""

from __future__ import annotations

import pytest

from revlab import funnel, lifecycle, pipeline
from revlab.errors import Shortfall
from revlab.needs import REGISTRY, Minimum, Needs, catalog, requires
from revlab.sources import MissingTable, SourceError, connect


def test_a_missing_table_is_named_with_what_to_add(tiny_tables):
    src = connect({"leads": tiny_tables["leads"]})
    with pytest.raises(MissingTable) as caught:
        funnel.cost_per_name(src, quarter="2024Q1")
    err = caught.value
    assert isinstance(err, SourceError) and isinstance(err, Shortfall)
    assert err.reason == "the data have no marketing_spend table"
    assert err.enable.startswith("Add marketing_spend (one row per channel and period:")
    assert "period_start, channel, spend" in err.enable


def test_several_missing_tables_are_named_once(tiny_tables):
    src = connect({"opportunities": tiny_tables["opportunities"]})
    with pytest.raises(MissingTable, match=r"no leads or marketing_spend tables\. Add leads"):
        funnel.cost_per_name(src, quarter="2024Q1")


def test_a_missing_column_is_named(tiny_tables):
    h = tiny_tables["stage_history"].drop(columns="close_date")
    src = connect({**tiny_tables, "stage_history": h})
    with pytest.raises(MissingTable, match=r"the stage_history table has no close_date column"):
        pipeline.waterfall(src, quarter="2024Q1")


def test_one_of_and_minimums(tiny_tables):
    needs = Needs("Inventory", one_of=("leads", "opportunities"))
    assert needs.problems(connect({"targets": tiny_tables["targets"]})) == [
        (
            "the data have neither leads nor opportunities",
            "Add leads or opportunities to enable it.",
        )
    ]
    closed = Minimum(
        "closed deals", lambda s: float(s.to_pandas("opportunities").is_closed.sum()), 5
    )
    src = connect({"opportunities": tiny_tables["opportunities"]})
    with pytest.raises(
        Shortfall, match=r"Win rates: 1 closed deals; it needs at least 5"
    ) as caught:
        Needs("Win rates", tables=("opportunities",), minimums=(closed,)).check(src)
    assert not isinstance(caught.value, MissingTable)  # thin, not missing


def test_requires_checks_before_the_function_runs_and_registers():
    calls = []

    @requires("subscriptions", analysis="Test analysis")
    def analysis(src):
        calls.append(src)

    with pytest.raises(MissingTable):
        analysis(connect({"leads": _one_lead()}))
    assert calls == []
    assert REGISTRY[f"{__name__}.{analysis.__qualname__}"].tables == ("subscriptions",)
    with pytest.raises(ValueError, match="unknown table 'subscription'"):
        requires("subscription", analysis="typo")


def test_the_catalog_lists_every_declared_analysis():
    table = catalog()
    assert {"function", "analysis", "tables", "columns", "minimums"} == set(table.columns)
    row = table.set_index("function").loc["revlab.funnel.volume.cost_per_name"]
    assert row.tables == "leads, marketing_spend"
    assert lifecycle.terms.needs.tables == ("subscriptions",)


def _one_lead():
    import pandas as pd

    return pd.DataFrame(
        {"lead_id": ["L1"], "created_at": pd.to_datetime(["2024-01-01"]), "channel": ["organic"]}
    )
