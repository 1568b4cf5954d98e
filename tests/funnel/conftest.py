"""A hand-built funnel whose every figure the tests work out by hand.

Times are whole days after 2024-01-01 (``day(n)``), so elapsed days are exact. 2024 is a leap
year: January is days 0-30, February 31-59, March 60-90, April 91-120, May 121-151, June
152-181, July 182-212. The data are cut at ``AS_OF = day(200)`` (2024-07-19).

Leads (channel, segment): what happens to them
- L1 paid smb: created 0, MQL 2, SQL 5, opportunity 10 (O1), won at 40.
- L2 paid smb: created 0, MQL 3, disqualified 30.
- L3 paid enterprise: created 10, MQL 12, SQL 20, opportunity 25 (O2), lost at 70.
- L4 paid enterprise: created 150, MQL 160, still open (censored: 50 days old).
- L5 organic smb: created 5, opportunity 100 (O3, skipping MQL and SQL), deal still open.
- L6 organic smb: created 170, still new (censored: 30 days old).
- L7 organic enterprise: created 20, disqualified 50.
- L8 events smb: created 30, nothing since (a channel with no conversion).

Deals: O1 10 000 (discovery 10, proposal 20, won 40); O2 50 000 (discovery 25, demo 35,
lost 70); O3 30 000 (discovery 100, demo 120, expected to close 2024-08-15).
"""

from __future__ import annotations

import pandas as pd
import pytest

from revlab.sources import connect

START = pd.Timestamp("2024-01-01")


def day(n: float | None) -> pd.Timestamp:
    """The moment ``n`` days after 2024-01-01 (NaT for None)."""
    return pd.NaT if n is None else START + pd.Timedelta(days=n)


AS_OF = day(200)


def _ts(values):
    return pd.Series([day(v) for v in values], dtype="datetime64[us]")


@pytest.fixture
def hand_tables() -> dict[str, pd.DataFrame]:
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(1, 9)],
            "created_at": _ts([0, 0, 10, 150, 5, 170, 20, 30]),
            "channel": ["paid", "paid", "paid", "paid", "organic", "organic", "organic", "events"],
            "segment": [
                "smb",
                "smb",
                "enterprise",
                "enterprise",
                "smb",
                "smb",
                "enterprise",
                "smb",
            ],
            "mql_at": _ts([2, 3, 12, 160, None, None, None, None]),
            "sql_at": _ts([5, None, 20, None, None, None, None, None]),
            "converted_at": _ts([10, None, 25, None, 100, None, None, None]),
            "opportunity_id": ["O1", None, "O2", None, "O3", None, None, None],
            "disqualified_at": _ts([None, 30, None, None, None, None, 50, None]),
        }
    )
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3"],
            "created_at": _ts([10, 25, 100]),
            "amount": [10_000.0, 50_000.0, 30_000.0],
            "is_closed": [True, True, False],
            "is_won": [True, False, False],
            "lead_id": ["L1", "L3", "L5"],
            "stage": ["closed_won", "closed_lost", "demo"],
            "closed_at": _ts([40, 70, None]),
            "close_date": pd.Series(
                [day(40), day(70), pd.Timestamp("2024-08-15")], dtype="datetime64[us]"
            ),
            "segment": ["smb", "enterprise", "smb"],
        }
    )
    stage_history = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O1", "O1", "O2", "O2", "O2", "O3", "O3"],
            "stage": [
                "discovery",
                "proposal",
                "closed_won",
                "discovery",
                "demo",
                "closed_lost",
                "discovery",
                "demo",
            ],  # fmt: skip
            "entered_at": _ts([10, 20, 40, 25, 35, 70, 100, 120]),
            "amount": [10_000.0] * 3 + [50_000.0] * 3 + [30_000.0] * 2,
            "close_date": pd.Series(
                [day(60)] * 2
                + [day(40)]
                + [day(80)] * 2
                + [day(70)]
                + [pd.Timestamp("2024-08-15")] * 2,
                dtype="datetime64[us]",
            ),  # fmt: skip
        }
    )
    activities = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L5"],
            "occurred_at": _ts([1, 4, 20, 10]),
            "activity": ["web_visit", "email_open", "demo_request", "web_visit"],
        }
    )
    spend = pd.DataFrame(
        {
            "period_start": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-01-01", "2024-04-01", "2024-01-01"]
            ).astype("datetime64[us]"),
            "channel": ["paid", "paid", "organic", "organic", "events"],
            "spend": [1000.0, 500.0, 0.0, 200.0, 300.0],
        }
    )
    targets = pd.DataFrame(
        {"quarter": ["2024Q1", "2024Q2", "2024Q3"], "bookings_target": [20_000.0, 0.0, 60_000.0]}
    )
    return {
        "leads": leads,
        "opportunities": opportunities,
        "stage_history": stage_history,
        "activities": activities,
        "marketing_spend": spend,
        "targets": targets,
    }


@pytest.fixture(name="day")
def day_fixture():
    """``day(n)``: the moment n days after 2024-01-01, the hand-built funnel's clock."""
    return day


@pytest.fixture
def hand(hand_tables):
    """The hand-built funnel as a Source cut at AS_OF."""
    return connect(hand_tables, as_of=AS_OF)
