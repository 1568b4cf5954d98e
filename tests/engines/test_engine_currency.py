"""Money in three currencies converts alike on Postgres and Spark (the as-of join)."""

from __future__ import annotations

import pandas as pd
import pytest

from revlab.demo._currencies import in_currencies
from revlab.forecast.aggregates import bookings
from revlab.sources import connect

from .test_engine_parity import AS_OF


@pytest.fixture(scope="module")
def three(engine_company):
    return in_currencies(engine_company.tables, ["USD", "EUR", "GBP"], seed=24)


@pytest.fixture(params=["postgres", "spark"])
def copied(request, three):
    from revlab import engines

    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        return engines.copy_to(three, server.create_database("revlab_fx"))
    session = request.getfixturevalue("spark_session")
    return engines.copy_to(three, session, database="fx", overwrite=True)


def test_conversion_is_the_same_on_every_engine(copied, three):
    here = connect(three).at(AS_OF)
    there = copied.at(AS_OF)
    for name, key in (("opportunities", "opportunity_id"), ("subscriptions", "subscription_id")):
        want = here.to_pandas(name).sort_values(key, ignore_index=True)
        got = there.to_pandas(name).sort_values(key, ignore_index=True)
        pd.testing.assert_series_equal(got["amount"], want["amount"], rtol=1e-9)
    pd.testing.assert_frame_equal(
        bookings(there, freq="quarter"), bookings(here, freq="quarter"), rtol=1e-9
    )
