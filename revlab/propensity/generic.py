"""The generic path: a propensity model for a user's own table with an outcome column.

Any table with one row per lead (or per contact, per account …), an outcome column and feature
columns will do. Give the outcome (0/1, True/False, or name the ``positive`` value such as
``"yes"``), optionally a date column, and the columns to exclude as leakage (anything recorded
after the outcome). Every feature is screened on its own for leakage first.

With a date column (or an ``order`` column such as an id that follows time) the split is by it
(the last ``test_share`` of rows are the test set) and random splits are refused. Row order is
never taken as time silently: without a clock the split is stratified random with a
:class:`SplitWarning` (naming any column that looks like an order); ``split="ordered"`` says the
rows are in time order, oldest first, and is refused when a column shows them newest first.
:func:`split_gap` shows how much a random split flatters the model when the rows drift.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from revlab.errors import NotRequested
from revlab.propensity._checks import PropensityError, check_target
from revlab.propensity.evaluate import metrics as score_metrics
from revlab.propensity.leakage import (
    THRESHOLD,
    leakage_effect,
    record_test_auc,
    screen_features,
)
from revlab.propensity.models import PropensityModel
from revlab.propensity.splits import SplitError, ordered_split, random_split

SPLITS = ("auto", "ordered", "random")


class SplitWarning(UserWarning):
    """The table was split without a clock: drift over time was not tested."""


@dataclass
class TableFit:
    """A model fitted on a user's table, its held-out scores, metrics and leakage screen.

    ``split_basis`` says in words how the rows were split; ``leakage_effect`` (only when the
    screen left columns out) compares the test AUC without and with them.
    """

    model: PropensityModel
    test: pd.DataFrame
    metrics: pd.DataFrame
    leakage: pd.DataFrame
    split: str
    features: list[str]
    n_train: int
    split_basis: str = ""
    leakage_effect: pd.DataFrame | None = None

    def metric(self, name: str) -> float:
        """One test metric by name (``roc_auc``, ``pr_auc``, ``brier``, ``ece`` …)."""
        return float(self.metrics.set_index("metric").loc[name, "value"])


def read_table(path: str | Path, *, parameter: str | None = None) -> pd.DataFrame:
    """Read a CSV (comma or semicolon separated, detected) or Parquet file.

    An empty path means the run was given no file: a :class:`~revlab.errors.NotRequested`, so
    an optional section says, for a reader, that it was not asked for and is skipped.
    """
    if not str(path).strip():
        raise NotRequested(
            "Public data",
            "this optional check on public data was not asked for in this run",
            enable="An analyst can add it by running the report again with the public data file.",
        )
    path = Path(path)
    if not path.exists():
        raise PropensityError(f"{path} does not exist; give the path of a CSV or Parquet file.")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    with path.open() as fh:
        head = fh.readline()
    return pd.read_csv(path, sep=";" if head.count(";") > head.count(",") else ",")


def outcome_values(frame: pd.DataFrame, outcome: str, positive=None) -> np.ndarray:
    """The outcome column as 0/1 (``positive`` names the value that means a buyer)."""
    if outcome not in frame.columns:
        raise PropensityError(
            f"{outcome}: no such column; the outcome must be one of the table's columns "
            f"({', '.join(map(str, frame.columns[:8]))}{', …' if frame.shape[1] > 8 else ''})."
        )
    values = frame[outcome]
    if positive is not None:
        if not (values == positive).any():
            raise PropensityError(
                f"{outcome}: no row equals positive={positive!r}; its values are "
                f"{', '.join(map(repr, pd.unique(values)[:5]))}."
            )
        values = (values == positive).astype(int).where(frame[outcome].notna())
    return check_target(values, name=outcome, context="the table")


def feature_frame(
    frame: pd.DataFrame,
    *,
    outcome: str,
    date: str | None = None,
    id_column: str | None = None,
    exclude: Sequence[str] = (),
) -> pd.DataFrame:
    """The feature columns: everything but the outcome, date, id and excluded columns."""
    unknown = [c for c in exclude if c not in frame.columns]
    if unknown:
        raise PropensityError(f"exclude names unknown column(s) {', '.join(unknown)}.")
    for name, col in (("date", date), ("id_column", id_column)):
        if col is not None and col not in frame.columns:
            raise PropensityError(f"{name}={col!r}: no such column in the table.")
    drop = {outcome, *exclude} | {c for c in (date, id_column) if c is not None}
    return frame[[c for c in frame.columns if c not in drop]]


def fit_table(
    frame: pd.DataFrame,
    *,
    outcome: str,
    positive=None,
    date: str | None = None,
    order: str | None = None,
    id_column: str | None = None,
    exclude: Sequence[str] = (),
    keep: Sequence[str] = (),
    split: str = "auto",
    test_share: float = 0.2,
    kind: str = "boosted",
    seed: int = 0,
    n_boot: int = 200,
    leakage_threshold: float = THRESHOLD,
    warn: bool = True,
    **model_params,
) -> TableFit:
    """Fit and evaluate a propensity model on a user's table.

    Parameters
    ----------
    outcome, positive
        The outcome column, and the value meaning "bought" when it is not 0/1.
    date
        Column giving each row's time; the split follows it and random splits are refused.
    order
        A column whose ascending values follow time (an id or sequence number), for tables
        without dates: rows are sorted by it and the latest ``test_share`` are the test set.
    exclude
        Columns known only after the outcome (leakage) or otherwise unwanted.
    keep
        Columns to keep although the leakage screen flags them (others it flags are left out).
    warn
        Warn about what the leakage screen finds (``fit.leakage.message()`` says it too).
    split
        ``"auto"`` (by ``date`` or ``order``; without either, a stratified random split with
        a warning that drift over time was not tested), ``"ordered"`` (also: the rows as given
        are in time order, oldest first) or ``"random"`` (undated tables only).
    **model_params
        Passed to :class:`~revlab.propensity.models.PropensityModel`.
    """
    if split not in SPLITS:
        raise SplitError(f"split {split!r} is not one of {', '.join(SPLITS)}.")
    clock = date or order
    if split == "random" and clock is not None:
        raise SplitError(
            f"random splits are not offered for ordered data ({clock!r} given): they mix the "
            "future into training. Use split='ordered'."
        )
    if order is not None and order not in frame.columns:
        raise SplitError(f"order={order!r}: no such column in the table.")
    y_all = outcome_values(frame, outcome, positive)
    data = frame.assign(_y=y_all)
    basis = _split_basis(frame, split, date, order)
    if basis.startswith("stratified random"):
        train, test = random_split(data, test_share=test_share, seed=seed, stratify="_y")
    else:
        train, test = ordered_split(data, test_share=test_share, time_col=clock)
    X_train = feature_frame(
        train, outcome=outcome, date=date, id_column=id_column, exclude=[*exclude, "_y"]
    )
    check_target(train["_y"], name=outcome, context="the training rows")
    leakage = screen_features(
        X_train, train["_y"], keep=keep, threshold=leakage_threshold, seed=seed, warn=warn
    )
    used = [c for c in X_train.columns if c not in leakage.excluded]
    time = train[date] if date is not None else None

    def fit(columns: list[str]) -> np.ndarray:
        model = PropensityModel(kind, random_state=seed, **model_params)
        model.fit(X_train[columns], train["_y"].to_numpy(), time=time)
        return model, model.predict_proba(test[columns])[:, 1]

    model, score = fit(used)
    scored = test.assign(score=score).rename(columns={"_y": "label"})
    table = score_metrics(scored["label"], scored["score"], n_boot=n_boot, seed=seed)
    effect = None
    if leakage.excluded:
        effect = leakage_effect(scored["label"], score, fit(list(X_train.columns))[1])
    fitted = TableFit(model, scored, table, leakage, split, used, len(train), basis, effect)
    record_test_auc(leakage, fitted.metric("roc_auc"), warn=warn)
    return fitted


def _split_basis(frame: pd.DataFrame, split: str, date: str | None, order: str | None) -> str:
    """How the rows are split, in words; refuse a row order that looks reversed."""
    if date is not None:
        return f"by {date}"
    if order is not None:
        return f"by {order} (ascending)"
    clocks = order_candidates(frame)
    if split == "ordered":
        reversed_ = [c for c, d in clocks.items() if d == "decreasing"]
        if reversed_:
            raise SplitError(
                f"the rows look sorted newest first: {', '.join(reversed_)} decrease down the "
                f"file, so row order would train on the newest rows and test on the oldest. "
                f"Pass order={reversed_[0]!r} to sort by it, or date= for a date column."
            )
        return "row order (oldest first, as given)"
    if split == "random":
        return "stratified random (asked for)"
    hint = (
        f" {', '.join(f'{c} ({d})' for c, d in clocks.items())} may give the order: pass "
        f"order={next(iter(clocks))!r} if it follows time."
        if clocks
        else ""
    )
    warnings.warn(
        "no date or order column was named, so the split is stratified random and drift over "
        "time was not tested: the metrics may flatter the model on future leads. Pass date= "
        "or order=, or split='ordered' if the rows are in time order, oldest first." + hint,
        SplitWarning,
        stacklevel=3,
    )
    return "stratified random (drift over time not tested)"


def order_candidates(frame: pd.DataFrame, *, min_share: float = 0.98) -> dict[str, str]:
    """Columns whose values rise (or fall) down the rows: ids, sequence numbers, timestamps.

    A column counts when at least ``min_share`` of consecutive changes go one way and nearly
    every value is distinct; text ids are read by their number (``C-1042`` → 1042).
    """
    out = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            x = values.astype("int64").where(values.notna()).to_numpy(dtype=float)
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            x = values.to_numpy(dtype=float)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            number = values.astype("str").str.extract(r"^\D{0,12}?(\d+)$", expand=False)
            x = pd.to_numeric(number, errors="coerce").to_numpy(dtype=float)
        else:
            continue
        x = x[~np.isnan(x)]
        if len(x) < 10 or len(np.unique(x)) < 0.9 * len(frame):
            continue
        steps = np.sign(np.diff(x))
        steps = steps[steps != 0]
        if len(steps) and (steps > 0).mean() >= min_share:
            out[col] = "increasing"
        elif len(steps) and (steps < 0).mean() >= min_share:
            out[col] = "decreasing"
    return out


def split_gap(
    frame: pd.DataFrame,
    *,
    outcome: str,
    positive=None,
    exclude: Sequence[str] = (),
    test_share: float = 0.2,
    seed: int = 0,
    n_boot: int = 200,
    warn: bool = True,
) -> pd.DataFrame:
    """Test metrics of the same model under an ordered and a random split, side by side.

    Returns
    -------
    DataFrame
        ``split``, ``roc_auc`` (with ``low``/``high``), ``pr_auc``, ``train_rate``,
        ``test_rate`` (outcome rates on each side).
    """
    rows = []
    for split in ("ordered", "random"):
        fit = fit_table(
            frame,
            outcome=outcome,
            positive=positive,
            exclude=exclude,
            split=split,
            test_share=test_share,
            seed=seed,
            n_boot=n_boot,
            warn=warn,
        )
        m = fit.metrics.set_index("metric")
        test_rate = float(fit.test["label"].mean())
        total = outcome_values(frame, outcome, positive)
        train_rate = (total.sum() - fit.test["label"].sum()) / (len(total) - len(fit.test))
        rows.append(
            {
                "split": split,
                "roc_auc": m.loc["roc_auc", "value"],
                "low": m.loc["roc_auc", "low"],
                "high": m.loc["roc_auc", "high"],
                "pr_auc": m.loc["pr_auc", "value"],
                "train_rate": float(train_rate),
                "test_rate": test_rate,
            }
        )
    return pd.DataFrame(rows)
