"""Forecast fixtures: a small demo company and one quick fit shared by the fast tests.

The quick fit samples little (it checks shapes and wiring, not statistics); the statistical
checks in ``test_statistical.py`` fit the default demo company with the default sampler.
"""

from __future__ import annotations

import warnings

import pytest

from tests.conftest import named_seed

#: Sampler settings for machinery tests: enough to run, not to judge. Shorter tuning adapts
#: so badly that sampling gets slower, not faster.
TINY = {"draws": 100, "tune": 300, "chains": 2, "cores": 1}
AS_OF = "2026-07-01"
QUARTER = "2026Q3"


@pytest.fixture(scope="session")
def small_company():
    """A demo company with a fifth of the default leads (same structure, faster)."""
    from revlab import demo

    return demo.simulate(seed=named_seed("forecast small company"), n_leads=8000)


@pytest.fixture(scope="session")
def small_source(small_company):
    from revlab.sources import connect

    return connect(small_company.tables)


@pytest.fixture(scope="session")
def quick_forecast(small_source):
    """The funnel forecast of 2026Q3 as of its first day, from a quick fit."""
    from revlab import forecast

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return forecast.forecast(
            small_source.at(AS_OF),
            QUARTER,
            sampler_config=TINY,
            random_seed=named_seed("forecast quick fit"),
        )
