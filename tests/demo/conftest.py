"""Fixtures for the demo-company tests: the default company (tests/conftest.py) and a small run."""

from __future__ import annotations

import pytest
from demo_helpers import seed_of


@pytest.fixture(scope="session")
def company(demo_company):
    """The default demo company (default seed and size), simulated once per session."""
    return demo_company


@pytest.fixture(scope="session")
def tables(company):
    return company.tables


@pytest.fixture(scope="session")
def truth(company):
    return company.truth


@pytest.fixture(scope="session")
def small():
    """A small company with its own seed, for tests that simulate twice."""
    from revlab import demo

    return demo.simulate(seed=seed_of("demo small"), n_leads=4_000)
