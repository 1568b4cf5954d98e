"""Input checks shared by the models and the generic path: the target and the feature columns.

Every error names the column and the fix.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from revlab.errors import DataError


class PropensityError(DataError):
    """Data that a propensity model cannot learn from or score, with the fix."""


class FeatureMismatchError(PropensityError):
    """The data to score do not have the features the model was trained on."""


class FeatureWarning(UserWarning):
    """A feature was dropped or looks suspicious; training went on without it."""


def check_target(y, *, name: str = "label", context: str = "the training window") -> np.ndarray:
    """The target as an int array of 0/1; refuse missing values, other values and one class."""
    series = pd.Series(np.asarray(y) if not isinstance(y, pd.Series) else y)
    if series.isna().any():
        raise PropensityError(
            f"{name}: {int(series.isna().sum())} rows have no outcome; drop them or use only "
            "snapshots whose label window is complete."
        )
    if series.dtype == bool:
        series = series.astype(int)
    values = set(pd.unique(series).tolist())
    if not values <= {0, 1}:
        shown = ", ".join(repr(v) for v in sorted(values, key=str)[:5])
        raise PropensityError(
            f"{name}: the outcome must be 0/1 (or True/False), found {shown}; map it to 0/1 "
            "first, e.g. fit_table(..., positive='yes')."
        )
    counts = series.value_counts()
    if len(counts) < 2:
        only = int(next(iter(values))) if values else None
        what = "no positive outcomes" if only == 0 else "only positive outcomes"
        raise PropensityError(
            f"{name}: {what} in {context} ({len(series)} rows, all {only}); a model needs both "
            "buyers and non-buyers. Widen the window, move the split later, or pick a target "
            "stage that happens."
        )
    return series.to_numpy().astype(np.int64)


def feature_kinds(X: pd.DataFrame) -> dict[str, str]:
    """Each column's kind: ``numeric`` (numbers, booleans) or ``categorical`` (text)."""
    kinds = {}
    for col in X.columns:
        dtype = X[col].dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            kinds[col] = "numeric"
        elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
            dtype
        ):
            raise PropensityError(
                f"{col}: a timestamp cannot be a feature (its timing may lie after the snapshot); "
                "turn it into days since an event known at the snapshot, or exclude it."
            )
        else:
            kinds[col] = "categorical"
    return kinds


def drop_empty(X: pd.DataFrame, kinds: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Drop all-missing columns with a warning; refuse a frame with no usable feature left."""
    empty = [c for c in kinds if X[c].isna().all()]
    if empty:
        warnings.warn(
            f"{', '.join(empty)}: every value is missing; the model ignores "
            f"{'this column' if len(empty) == 1 else 'these columns'}.",
            FeatureWarning,
            stacklevel=4,
        )
    kept = {c: k for c, k in kinds.items() if c not in empty}
    if not kept:
        raise PropensityError(
            "no usable feature: every feature column is empty. Provide at least one column with "
            "values."
        )
    return kept, empty


def as_model_frame(X: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """The feature columns in training order: numbers as float, text as object with NaN.

    Columns already in the right form are not copied (pandas copy-on-write).
    """
    out = X[list(kinds)]
    changes = {}
    for col, kind in kinds.items():
        values = out[col]
        if kind == "numeric":
            if values.dtype != np.float64:
                changes[col] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif isinstance(values.dtype, pd.StringDtype):
            changes[col] = values.to_numpy(dtype=object, na_value=np.nan)
        elif values.dtype != object or values.map(type).ne(str).any():
            present = values.notna().to_numpy()
            text = np.full(len(values), np.nan, dtype=object)
            text[present] = [str(v) for v in values.to_numpy()[present]]
            changes[col] = text
    return out.assign(**changes) if changes else out


def check_features(X: pd.DataFrame, kinds: dict[str, str], dropped: Sequence[str] = ()) -> None:
    """Refuse data whose columns or column kinds differ from those the model learned."""
    if not isinstance(X, pd.DataFrame):
        raise FeatureMismatchError("the data to score must be a DataFrame with named columns.")
    missing = [c for c in kinds if c not in X.columns]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    for col, kind in kinds.items():
        if col in X.columns and kind == "numeric" and not _numeric_like(X[col]):
            problems.append(f"{col} was numeric in training but holds text now")
    if problems:
        raise FeatureMismatchError(
            "the model's features no longer match the data: "
            + "; ".join(problems)
            + ". Rebuild the features the same way as for training, or retrain the model on "
            "the new columns."
        )


def _numeric_like(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return True
    return bool(values.isna().all())
