from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revlab import propensity
from revlab.propensity import LeakageWarning, PropensityError, SplitError
from tests.conftest import named_seed

BANK = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bank_marketing"
BANK_FULL = BANK / "bank-full.csv"
needs_bank = pytest.mark.skipif(
    not BANK_FULL.exists(),
    reason=f"UCI Bank Marketing not found at {BANK_FULL} (public data kept outside the repo)",
)


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(named_seed("propensity generic"))
    n = 3000
    frame = pd.DataFrame(
        {
            "id": [f"C{i}" for i in range(n)],
            "signed_up": pd.date_range("2022-01-01", periods=n, freq="6h"),
            "visits": rng.poisson(2, n).astype(float),
            "plan": rng.choice(["free", "trial", "pro"], n),
        }
    )
    logit = -2.5 + 0.6 * frame["visits"] + 0.7 * (frame["plan"] == "trial")
    frame["bought"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame["call_minutes"] = np.where(frame["bought"] == "yes", 30, 2) + rng.random(n)
    return frame


def test_fit_table_with_a_date_column(table):
    with pytest.warns(LeakageWarning, match="call_minutes"):
        fit = propensity.fit_table(
            table,
            outcome="bought",
            positive="yes",
            date="signed_up",
            id_column="id",
            n_boot=20,
        )
    assert fit.leakage.set_index("feature").loc["call_minutes", "flagged"]
    assert set(fit.features) == {"visits", "plan", "call_minutes"}
    assert fit.test["signed_up"].min() > table["signed_up"].iloc[: fit.n_train].max()


def test_excluding_the_leak_gives_an_honest_model(table):
    fit = propensity.fit_table(
        table,
        outcome="bought",
        positive="yes",
        date="signed_up",
        id_column="id",
        exclude=["call_minutes"],
        n_boot=20,
    )
    assert not fit.leakage["flagged"].any()
    assert 0.7 < fit.metric("roc_auc") < 0.95


def test_random_split_is_refused_for_dated_data(table):
    with pytest.raises(SplitError, match="random splits are not offered for dated data"):
        propensity.fit_table(
            table, outcome="bought", positive="yes", date="signed_up", split="random"
        )


def test_bad_outcomes_are_refused(table):
    with pytest.raises(PropensityError, match=r"bought: the outcome must be 0/1"):
        propensity.fit_table(table, outcome="bought")
    with pytest.raises(PropensityError, match="no row equals positive='maybe'"):
        propensity.fit_table(table, outcome="bought", positive="maybe")
    with pytest.raises(PropensityError, match="purchased: no such column"):
        propensity.fit_table(table, outcome="purchased")
    with pytest.raises(PropensityError, match="exclude names unknown column"):
        propensity.fit_table(table, outcome="bought", positive="yes", exclude=["nope"])
    never = table.assign(bought="no")
    with pytest.raises(PropensityError, match="no row equals positive='yes'"):
        propensity.fit_table(never, outcome="bought", positive="yes")


def test_no_buyers_in_the_training_rows(table):
    late = table.assign(bought=np.where(np.arange(len(table)) > 2700, "yes", "no"))
    with pytest.raises(PropensityError, match="no positive outcomes in the training rows"):
        propensity.fit_table(late, outcome="bought", positive="yes", exclude=["call_minutes"])


@needs_bank
@pytest.mark.parametrize(("split", "floor"), [("ordered", 0.67), ("random", 0.79)])
def test_bank_marketing_without_duration(split, floor):
    bank = propensity.read_table(BANK_FULL)
    fit = propensity.fit_table(
        bank,
        outcome="y",
        positive="yes",
        exclude=["duration"],
        split=split,
        seed=named_seed("bank marketing"),
        n_boot=0,
    )
    assert "duration" not in fit.features
    assert fit.metric("roc_auc") >= floor
