"""A hand-built book of four customers whose every figure the tests work out by hand.

The data are cut at ``AS_OF`` (2025-01-01); renewals have 30 days' grace.

- A1 smb, via paid_search: 2022-01-01..2022-12-31 for 1,000, renewed 2023 for 1,100, then
  churned (that term's decision was due on 2024-01-30).
- A2 smb, via organic: 2022-03-01..2023-02-28 for 500, renewed for 500, renewed again
  2024-03-01..2025-02-28 for 600; that third term's decision is not due yet.
- A3 enterprise, via paid_search: 2023-06-01..2024-05-31 for 10,000, churned.
- A4 enterprise, via organic: first term 2024-10-01..2025-09-30 for 8,000; no renewal due yet.

Satisfaction (NPS): A1 9 then 3; A2 10, 7, none; A3 4; A4 none.
"""

from __future__ import annotations

import pandas as pd
import pytest

from revlab.sources import connect

AS_OF = pd.Timestamp("2025-01-01")


@pytest.fixture
def book() -> dict[str, pd.DataFrame]:
    ts = pd.to_datetime
    subscriptions = pd.DataFrame(
        {
            "subscription_id": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"],
            "account_id": ["A1", "A1", "A2", "A2", "A2", "A3", "A4"],
            "start_date": ts(
                [
                    "2022-01-01",
                    "2023-01-01",
                    "2022-03-01",
                    "2023-03-01",
                    "2024-03-01",
                    "2023-06-01",
                    "2024-10-01",
                ]
            ),
            "end_date": ts(
                [
                    "2022-12-31",
                    "2023-12-31",
                    "2023-02-28",
                    "2024-02-29",
                    "2025-02-28",
                    "2024-05-31",
                    "2025-09-30",
                ]
            ),
            "amount": [1000.0, 1100.0, 500.0, 500.0, 600.0, 10000.0, 8000.0],
            "renewed_from": [None, "S1", None, "S3", "S4", None, None],
            "satisfaction": [9.0, 3.0, 10.0, 7.0, None, 4.0, None],
        }
    )
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4"],
            "created_at": ts(["2021-11-01", "2022-01-15", "2023-04-01", "2024-08-01"]),
            "amount": [1000.0, 500.0, 10000.0, 8000.0],
            "is_closed": [True] * 4,
            "is_won": [True] * 4,
            "account_id": ["A1", "A2", "A3", "A4"],
            "lead_id": ["L1", "L2", "L3", "L4"],
            "segment": ["smb", "smb", "enterprise", "enterprise"],
            "closed_at": ts(["2021-12-31", "2022-02-28", "2023-05-31", "2024-09-30"]),
        }
    )
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L4"],
            "created_at": ts(["2021-10-01", "2022-01-01", "2023-03-01", "2024-07-01"]),
            "channel": ["paid_search", "organic", "paid_search", "organic"],
            "segment": ["smb", "smb", "enterprise", "enterprise"],
        }
    )
    return {"subscriptions": subscriptions, "opportunities": opportunities, "leads": leads}


@pytest.fixture
def book_source(book):
    """The book as a source cut at AS_OF."""
    return connect(book).at(AS_OF)


@pytest.fixture(scope="session")
def demo_terms(demo_company):
    """The demo company's contract terms, as known at its data end."""
    from revlab import lifecycle

    return lifecycle.terms(connect(demo_company.tables).at(demo_company.as_of))


@pytest.fixture(scope="session")
def segment_model(demo_terms):
    """The churn model by segment on the demo company, sampled for real (about 15 s)."""
    from revlab import lifecycle

    seed = sum(map(ord, "lifecycle churn by segment"))
    return lifecycle.ChurnModel(by="segment").fit(demo_terms, random_seed=seed)
