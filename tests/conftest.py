"""Shared fixtures: a tiny valid dataset, named seeds, and figures closed after every test."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")  # tests draw off-screen; the library itself never picks a backend


def named_seed(name: str) -> int:
    """A reproducible seed from a test's purpose, as seaborn and pymc-marketing do."""
    return sum(map(ord, name))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def tiny_tables() -> dict[str, pd.DataFrame]:
    """A small dataset that meets the contract: three leads, two deals, one touch each."""
    ts = pd.to_datetime
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3"],
            "created_at": ts(["2024-01-02", "2024-01-05", "2024-02-01"]),
            "channel": ["organic", "paid_search", "organic"],
            "segment": ["smb", "enterprise", "smb"],
            "acquisition_cost": [10.0, 55.5, 0.0],
            "converted_at": ts(["2024-01-20", "2024-02-01", None]),
            "opportunity_id": ["O1", "O2", None],
        }
    )
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2"],
            "created_at": ts(["2024-01-20", "2024-02-01"]),
            "amount": [12000.0, 80000.0],
            "is_closed": [True, False],
            "is_won": [True, False],
            "lead_id": ["L1", "L2"],
            "stage": ["closed_won", "proposal"],
            "closed_at": ts(["2024-03-01", None]),
            "close_date": ts(["2024-03-01", "2024-06-30"]),
        }
    )
    stage_history = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O1", "O1", "O2", "O2"],
            "stage": ["discovery", "proposal", "closed_won", "discovery", "proposal"],
            "entered_at": ts(
                ["2024-01-20", "2024-02-10", "2024-03-01", "2024-02-01", "2024-03-05"]
            ),
            "amount": [10000.0, 12000.0, 12000.0, 80000.0, 80000.0],
            "close_date": ts(
                ["2024-03-31", "2024-03-15", "2024-03-01", "2024-06-30", "2024-06-30"]
            ),
        }
    )
    activities = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3"],
            "occurred_at": ts(["2024-01-03", "2024-01-06", "2024-02-02"]),
            "activity": ["web_visit", "demo_request", "email_open"],
        }
    )
    spend = pd.DataFrame(
        {
            "period_start": ts(["2024-01-01", "2024-01-01"]),
            "channel": ["organic", "paid_search"],
            "spend": [100.0, 500.0],
        }
    )
    targets = pd.DataFrame({"quarter": ["2024Q1"], "bookings_target": [50000.0]})
    return {
        "leads": leads,
        "opportunities": opportunities,
        "stage_history": stage_history,
        "activities": activities,
        "marketing_spend": spend,
        "targets": targets,
    }


@pytest.fixture(scope="session")
def demo_company():
    """The default demo company (tables and ground truth), simulated once per test session."""
    from revlab import demo

    return demo.simulate()


@pytest.fixture(scope="session")
def demo_source(demo_company):
    """A Source over the default demo company's tables (in-memory DuckDB)."""
    from revlab.sources import connect

    return connect(demo_company.tables)


def write_duckdb(tables, path):
    """Write ``tables`` (name -> DataFrame) into a new DuckDB file at ``path``; return it."""
    from revlab.crm._write import write_tables

    return write_tables(tables, path)


@pytest.fixture
def duckdb_file():
    """Write tables into a DuckDB file: ``duckdb_file(tables, path) -> path``."""
    return write_duckdb
