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
    assert fit.leakage.flagged == ["call_minutes"]
    assert set(fit.features) == {"visits", "plan"}  # the flagged column is left out
    assert fit.test["signed_up"].min() > table["signed_up"].iloc[: fit.n_train].max()
    assert fit.split_basis == "by signed_up"
    effect = fit.leakage_effect.set_index("model")["roc_auc"]
    assert effect["with flagged columns"] > 0.99 > effect["without flagged columns (used)"]
    assert effect["without flagged columns (used)"] == pytest.approx(fit.metric("roc_auc"))


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
    assert fit.leakage.flagged == [] and fit.leakage_effect is None
    assert 0.7 < fit.metric("roc_auc") < 0.95


def test_random_split_is_refused_for_dated_data(table):
    with pytest.raises(SplitError, match="random splits are not offered for ordered data"):
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
        propensity.fit_table(
            late, outcome="bought", positive="yes", date="signed_up", exclude=["call_minutes"]
        )


def _undated(table, *, newest_first):
    """The table without its date, as an export sorted by id (optionally newest first)."""
    frame = table.drop(columns=["signed_up", "call_minutes"]).assign(
        seq=np.arange(len(table)) + 1000
    )
    return frame.iloc[::-1].reset_index(drop=True) if newest_first else frame


def test_an_undated_table_is_never_split_by_row_order_silently(table):
    frame = _undated(table, newest_first=True)
    with pytest.warns(
        propensity.SplitWarning, match=r"drift over time was not tested.*seq \(decreasing\)"
    ):
        fit = propensity.fit_table(
            frame, outcome="bought", positive="yes", id_column="id", n_boot=0
        )
    assert fit.split_basis == "stratified random (drift over time not tested)"
    rate = (frame["bought"] == "yes").mean()
    assert fit.test["label"].mean() == pytest.approx(rate, abs=0.005)  # stratified


def test_a_file_sorted_newest_first_is_refused_as_ordered(table):
    frame = _undated(table, newest_first=True)
    with pytest.raises(SplitError, match=r"sorted newest first: id, seq decrease.*order='id'"):
        propensity.fit_table(frame, outcome="bought", positive="yes", split="ordered")


def test_a_named_order_column_sorts_before_the_split(table):
    frame = _undated(table, newest_first=True)
    fit = propensity.fit_table(
        frame, outcome="bought", positive="yes", order="seq", id_column="id", n_boot=0
    )
    assert fit.split_basis == "by seq (ascending)"
    assert fit.test["seq"].min() > frame["seq"].nsmallest(fit.n_train).max()
    oldest_first = _undated(table, newest_first=False)
    same = propensity.fit_table(
        oldest_first, outcome="bought", positive="yes", split="ordered", id_column="id", n_boot=0
    )
    assert same.split_basis == "row order (oldest first, as given)"
    assert same.metric("roc_auc") == pytest.approx(fit.metric("roc_auc"))


def test_order_candidates():
    frame = pd.DataFrame(
        {
            "ticket": [f"T-{i}" for i in range(100, 0, -1)],
            "n": np.arange(100),
            "flat": np.zeros(100),
            "noise": np.random.default_rng(0).random(100),
        }
    )
    assert propensity.order_candidates(frame) == {"ticket": "decreasing", "n": "increasing"}


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
    assert fit.leakage.flagged == []  # no honest bank column is flagged


@needs_bank
@pytest.mark.parametrize("name", ["bank-full.csv", "bank-additional-full.csv"])
def test_bank_marketing_duration_is_flagged_unasked(name):
    """UCI's own notes say the call length is known only after the call: the screen finds it."""
    if not (BANK / name).exists():
        pytest.skip(f"{BANK / name} not found")
    bank = propensity.read_table(BANK / name)
    with pytest.warns(LeakageWarning, match=r"duration \(alone AUC 0\.8"):
        fit = propensity.fit_table(
            bank, outcome="y", positive="yes", split="ordered", seed=named_seed("bank"), n_boot=0
        )
    assert fit.leakage.flagged == ["duration"] and "duration" not in fit.features
    effect = fit.leakage_effect.set_index("model")["roc_auc"]
    assert effect["with flagged columns"] - effect["without flagged columns (used)"] > 0.1
