"""The generic path: a propensity model for a user's own table with an outcome column.

Any table with one row per lead (or per contact, per account …), an outcome column and feature
columns will do. Give the outcome (0/1, True/False, or name the ``positive`` value such as
``"yes"``), optionally a date column, and the columns to exclude as leakage (anything recorded
after the outcome). Every feature is screened on its own for leakage first.

With a date column the split is by date (the last ``test_share`` of rows by date are the test
set) and random splits are refused. Without one, row order is taken as time (``"ordered"``, the
default, right for files written in time order); ``"random"`` is allowed for undated tables,
and :func:`split_gap` shows how much a random split flatters the model when the rows drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from revlab.errors import NotRequested
from revlab.propensity._checks import PropensityError, check_target
from revlab.propensity.evaluate import metrics as score_metrics
from revlab.propensity.leakage import THRESHOLD, screen_features
from revlab.propensity.models import PropensityModel
from revlab.propensity.splits import SplitError, ordered_split, random_split

SPLITS = ("ordered", "random")


@dataclass
class TableFit:
    """A model fitted on a user's table, its held-out scores, metrics and leakage screen."""

    model: PropensityModel
    test: pd.DataFrame
    metrics: pd.DataFrame
    leakage: pd.DataFrame
    split: str
    features: list[str]
    n_train: int

    def metric(self, name: str) -> float:
        """One test metric by name (``roc_auc``, ``pr_auc``, ``brier``, ``ece`` …)."""
        return float(self.metrics.set_index("metric").loc[name, "value"])


def read_table(path: str | Path, *, parameter: str | None = None) -> pd.DataFrame:
    """Read a CSV (comma or semicolon separated, detected) or Parquet file.

    An empty path means the run was given no file: a :class:`~revlab.errors.NotRequested` that
    names the notebook ``parameter`` to set, so an optional section says so and is skipped.
    """
    if not str(path).strip():
        setting = f"the analyst sets {parameter}" if parameter else "pass its path"
        raise NotRequested(
            "Public data", "this run was given no file for it", enable=f"To show it, {setting}."
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
    id_column: str | None = None,
    exclude: Sequence[str] = (),
    split: str = "ordered",
    test_share: float = 0.2,
    kind: str = "boosted",
    seed: int = 0,
    n_boot: int = 200,
    leakage_threshold: float = THRESHOLD,
    **model_params,
) -> TableFit:
    """Fit and evaluate a propensity model on a user's table.

    Parameters
    ----------
    outcome, positive
        The outcome column, and the value meaning "bought" when it is not 0/1.
    date
        Column giving each row's time; the split follows it and random splits are refused.
    exclude
        Columns known only after the outcome (leakage) or otherwise unwanted.
    split
        ``"ordered"`` (by date, else row order) or ``"random"`` (undated tables only).
    **model_params
        Passed to :class:`~revlab.propensity.models.PropensityModel`.
    """
    if split not in SPLITS:
        raise SplitError(f"split {split!r} is not one of {', '.join(SPLITS)}.")
    if split == "random" and date is not None:
        raise SplitError(
            f"random splits are not offered for dated data ({date!r} given): they mix the "
            "future into training. Use split='ordered'."
        )
    y_all = outcome_values(frame, outcome, positive)
    data = frame.assign(_y=y_all)
    if split == "ordered":
        train, test = ordered_split(data, test_share=test_share, time_col=date)
    else:
        train, test = random_split(data, test_share=test_share, seed=seed)
    X_train = feature_frame(
        train, outcome=outcome, date=date, id_column=id_column, exclude=[*exclude, "_y"]
    )
    leakage = screen_features(X_train, train["_y"], threshold=leakage_threshold, seed=seed)
    check_target(train["_y"], name=outcome, context="the training rows")
    time = train[date] if date is not None else None
    model = PropensityModel(kind, random_state=seed, **model_params)
    model.fit(X_train, train["_y"].to_numpy(), time=time)
    scored = test.assign(score=model.predict_proba(test[X_train.columns])[:, 1])
    scored = scored.rename(columns={"_y": "label"})
    table = score_metrics(scored["label"], scored["score"], n_boot=n_boot, seed=seed)
    return TableFit(model, scored, table, leakage, split, list(X_train.columns), len(train))


def split_gap(
    frame: pd.DataFrame,
    *,
    outcome: str,
    positive=None,
    exclude: Sequence[str] = (),
    test_share: float = 0.2,
    seed: int = 0,
    n_boot: int = 200,
) -> pd.DataFrame:
    """Test metrics of the same model under an ordered and a random split, side by side.

    Returns
    -------
    DataFrame
        ``split``, ``roc_auc`` (with ``low``/``high``), ``pr_auc``, ``train_rate``,
        ``test_rate`` (outcome rates on each side).
    """
    rows = []
    for split in SPLITS:
        fit = fit_table(
            frame,
            outcome=outcome,
            positive=positive,
            exclude=exclude,
            split=split,
            test_share=test_share,
            seed=seed,
            n_boot=n_boot,
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
