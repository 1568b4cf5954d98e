"""Leakage guards: features that know the outcome, and timestamps from after the snapshot.

A feature recorded after the outcome (the length of the call that closed the sale, a status
field updated on conversion, a count of touches after the snapshot date) makes a model look
excellent in evaluation and useless in practice. Two checks catch the common cases:

- :func:`screen_features` scores every feature *on its own* against the outcome and flags any
  whose single-feature ROC AUC reaches ``threshold`` (default 0.95): real buying signals are
  rarely that clean, so such a feature is almost always leakage. Missingness counts as a value,
  because "empty until it happened" is a typical leak. Categories are scored out of fold, so an
  identifier column is not flagged merely for being unique.
- :func:`check_point_in_time` refuses timestamp columns holding moments after the snapshot.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from revlab.propensity._checks import PropensityError
from revlab.propensity._ranks import auc_roc, tie_groups

THRESHOLD = 0.95


class LeakageWarning(UserWarning):
    """A feature predicts the outcome almost perfectly on its own: probably leakage."""


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    order, gid = tie_groups(score)
    auc = auc_roc(y[order], gid)
    return max(auc, 1 - auc)


def _numeric_auc(values: pd.Series, y: np.ndarray) -> float:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(x)
    if missing.all():
        return 0.5
    lo, hi = np.nanmin(x) - 1, np.nanmax(x) + 1
    return max(_auc(y, np.where(missing, lo, x)), _auc(y, np.where(missing, hi, x)))


def _categorical_auc(values: pd.Series, y: np.ndarray, rng) -> float:
    """Out-of-fold target rate per category (two halves), scored on the other half."""
    codes = pd.factorize(values.astype("object").where(values.notna(), "(missing)"))[0]
    half = rng.random(len(y)) < 0.5
    score = np.empty(len(y))
    for train in (half, ~half):
        test = ~train
        n = np.bincount(codes[train], minlength=codes.max() + 1)
        k = np.bincount(codes[train], weights=y[train], minlength=codes.max() + 1)
        prior = y[train].mean() if train.any() else 0.5
        rate = (k + prior) / (n + 1)  # one pseudo-observation at the overall rate
        score[test] = rate[codes[test]]
    return _auc(y, score)


def screen_features(
    X: pd.DataFrame,
    y,
    *,
    threshold: float = THRESHOLD,
    max_rows: int = 50_000,
    seed: int = 0,
    warn: bool = True,
) -> pd.DataFrame:
    """Single-feature ROC AUC of every column; warn about those at or above ``threshold``.

    Returns
    -------
    DataFrame
        ``feature``, ``auc_alone`` (0.5 = no signal, 1 = perfect; direction ignored) and
        ``flagged``, strongest first.
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=float)
    if len(X) > max_rows:
        keep = np.sort(rng.choice(len(X), max_rows, replace=False))
        X, y = X.iloc[keep], y[keep]
    rows = []
    for col in X.columns:
        values = X[col]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            auc = _numeric_auc(values, y)
        elif pd.api.types.is_datetime64_any_dtype(values):
            auc = _numeric_auc(values.astype("int64").where(values.notna()), y)
        else:
            auc = _categorical_auc(values, y, rng)
        rows.append({"feature": col, "auc_alone": auc, "flagged": auc >= threshold})
    out = pd.DataFrame(rows, columns=["feature", "auc_alone", "flagged"])
    out = out.sort_values("auc_alone", ascending=False, kind="stable").reset_index(drop=True)
    flagged = out.loc[out["flagged"]]
    if warn and len(flagged):
        listed = ", ".join(f"{r.feature} (AUC {r.auc_alone:.3f})" for r in flagged.itertuples())
        warnings.warn(
            f"{listed}: predicts the outcome almost perfectly on its own, so it is probably "
            "recorded after the outcome (leakage). Exclude it unless it is truly known when "
            "prospects are scored.",
            LeakageWarning,
            stacklevel=2,
        )
    return out


def check_point_in_time(frame: pd.DataFrame, *, time_col: str = "snapshot_at") -> None:
    """Refuse timestamp features with moments after each row's snapshot date."""
    for col in frame.columns:
        if col == time_col or not pd.api.types.is_datetime64_any_dtype(frame[col]):
            continue
        late = frame[col] > frame[time_col]
        if late.any():
            raise PropensityError(
                f"{col}: {int(late.sum())} rows hold a time after their snapshot date; such a "
                "feature is built from the future. Use only events on or before the snapshot."
            )
