"""The funnel's query building blocks compile for other engines, not only DuckDB.

Compiling (without running) catches DuckDB-only operations early. PySpark is left out here:
its compiler reads settings from a live session.
"""

from __future__ import annotations

import ibis
import pytest

from revlab.funnel import _base, _intervals


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "bigquery"])
def test_building_blocks_compile_for_other_engines(hand, dialect):
    at = _base.ts(hand.as_of)
    stays = _intervals.stays(hand, by=["channel"])
    expressions = {
        "open stays": _intervals.open_at(stays, at),
        "stage entries per day": stays.group_by(["stage", stays.enter.truncate("D")]).aggregate(
            n=stays.count()
        ),
        "milestones": _base.milestones(hand, by=["segment"], stages=("mql", "opportunity", "won")),
        "deals by channel": _base.deals(hand, by=["channel"]),
    }
    for name, expr in expressions.items():
        sql = str(ibis.to_sql(expr, dialect=dialect))
        assert "SELECT" in sql.upper(), name
