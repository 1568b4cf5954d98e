"""Overlapping subscription terms are caught by validation (exit 3), naming the account, the
terms and the fix, not minutes later in notebook 04 (issue 21)."""

from __future__ import annotations

import pandas as pd
import pytest

from revlab import validate
from revlab.cli import main
from revlab.schema import SchemaError


def _subs(starts, ends, accounts=None) -> pd.DataFrame:
    n = len(starts)
    return pd.DataFrame(
        {
            "subscription_id": [f"S{i + 1}" for i in range(n)],
            "account_id": accounts or ["A1"] * n,
            "start_date": pd.to_datetime(starts),
            "end_date": pd.to_datetime(ends),
            "amount": [100.0] * n,
        }
    )


def test_an_overlap_names_account_terms_and_fix():
    subs = _subs(["2023-01-01", "2023-06-01"], ["2023-12-31", "2024-05-31"])
    with pytest.raises(SchemaError) as err:
        validate({"subscriptions": subs}, as_of="2026-01-01")
    assert (
        "subscriptions.start_date: 1 term of 1 account overlaps an earlier term of the same "
        "account (account_id A1: S2 2023-06-01 to 2024-05-31 starts before S1 2023-01-01 to "
        "2023-12-31 ends)" in str(err.value)
    )
    assert "end the earlier term when the next starts, or merge add-ons" in str(err.value)


def test_a_renewal_starting_the_day_the_previous_term_ends_is_fine():
    subs = _subs(["2023-01-01", "2024-01-01", "2023-01-01"], ["2024-01-01", "2025-01-01",
                 "2023-12-31"], accounts=["A1", "A1", "A2"])  # fmt: skip
    validate({"subscriptions": subs}, as_of="2026-01-01")


def test_a_term_inside_a_long_earlier_term_is_an_overlap_even_after_a_short_one():
    # S2 ends before S3 starts, but S1 (three years) still runs when S3 starts.
    subs = _subs(["2022-01-01", "2022-02-01", "2022-06-01"],
                 ["2024-12-31", "2022-03-31", "2022-12-31"])  # fmt: skip
    with pytest.raises(SchemaError, match=r"2 terms of 1 account overlap an earlier") as err:
        validate({"subscriptions": subs}, as_of="2026-01-01")
    assert "S3 2022-06-01 to 2022-12-31 starts before S1 2022-01-01 to 2024-12-31" in str(
        err.value
    )


def test_revlab_validate_exits_3_on_overlapping_terms(tmp_path, capsys, duckdb_file):
    subs = _subs(["2023-01-01", "2023-06-01"], ["2023-12-31", "2024-05-31"], ["B7", "B7"])
    path = duckdb_file({"subscriptions": subs}, tmp_path / "subs.duckdb")
    code = main(["validate", "--source", str(path), "--as-of", "2026-01-01"])
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err
    assert "account_id B7: S2 2023-06-01 to 2024-05-31 starts before S1" in err
