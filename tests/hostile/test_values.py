"""Values no analysis can use are refused up front, with the table, column, count and fix."""

import numpy as np
import pandas as pd
import pytest

from revlab.schema import SchemaError, validate


def _opps(tiny_tables, **changes):
    opps = tiny_tables["opportunities"].copy()
    for col, (row, value) in changes.items():
        opps.loc[row, col] = value
    return {**tiny_tables, "opportunities": opps}


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e18])
def test_an_infinite_or_overflowing_amount_is_refused(tiny_tables, value):
    with pytest.raises(SchemaError, match=r"opportunities\.amount: 1 row is infinite or beyond"):
        validate(_opps(tiny_tables, amount=(0, value)), as_of="2024-06-30")


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_blank_required_text_counts_as_empty(tiny_tables, blank):
    leads = tiny_tables["leads"].copy()
    leads.loc[0, "channel"] = blank
    with pytest.raises(SchemaError, match=r"leads\.channel: 1 row is empty"):
        validate({**tiny_tables, "leads": leads}, as_of="2024-06-30")


def test_an_open_deal_with_a_close_time_is_refused(tiny_tables):
    opps = tiny_tables["opportunities"]
    open_row = opps.index[~opps["is_closed"]]
    if open_row.empty:
        pytest.skip("the tiny data have no open deal")
    tables = _opps(tiny_tables, closed_at=(open_row[0], pd.Timestamp("2024-03-01")))
    with pytest.raises(SchemaError, match=r"opportunities\.closed_at: 1 row is set on open deals"):
        validate(tables, as_of="2024-06-30")
