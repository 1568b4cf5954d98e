"""What drives the score: permutation importance overall, and top reasons per prospect.

- :func:`permutation_importance` shuffles one feature (or a group of related features, shuffled
  together) on held-out data and reports how much the ROC AUC drops. It is model-agnostic and
  measured on data the model did not train on.
- :func:`top_reasons` asks, for each prospect, how much its probability would fall if one
  feature took a typical value instead (the training median, or the commonest category): a
  simple local perturbation that works the same way for the logistic and the boosted model.
  The features with the largest falls are the prospect's reasons.

References
----------
Breiman (2001), "Random forests", *Machine Learning* 45 — permutation importance;
Fisher, Rudin & Dominici (2019), "All models are wrong, but many are useful", JMLR 20 —
model reliance on held-out data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from revlab.propensity._ranks import auc_roc, tie_groups

#: Smallest rise in probability (0.1 points) that counts as a reason.
MIN_REASON = 0.001


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    order, gid = tie_groups(p)
    return auc_roc(y[order], gid)


def feature_groups(columns: Sequence[str]) -> dict[str, list[str]]:
    """Group snapshot features for importance: one group per activity kind, others alone."""
    groups: dict[str, list[str]] = {}
    for col in columns:
        match = re.match(r"^act_(.+?)_(\d+d|total|days_since|in_stage)$", col)
        if match:
            name = f"activity: {match.group(1)}"
        elif re.match(r"^act_(\d+d|total|days_since|in_stage|per_day)$", col):
            name = "activity: all touches"
        else:
            name = col
        groups.setdefault(name, []).append(col)
    return groups


def permutation_importance(
    model,
    X: pd.DataFrame,
    y,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    n_repeats: int = 3,
    max_rows: int = 20_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Drop in held-out ROC AUC when a feature (group) is shuffled, largest first.

    Parameters
    ----------
    model
        A fitted model with ``predict_proba`` and ``feature_names_in_``.
    X, y
        Held-out rows and outcomes (not the training data).
    groups
        Name → columns shuffled together (same row permutation); default one per feature.
    max_rows
        Rows sampled (seeded) to keep the cost bounded.

    Returns
    -------
    DataFrame
        ``feature``, ``importance`` (mean AUC drop), ``std`` over repeats, ``columns``.
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=float)
    if len(X) > max_rows:
        keep = np.sort(rng.choice(len(X), max_rows, replace=False))
        X, y = X.iloc[keep], y[keep]
    X = X.reset_index(drop=True)
    used = list(model.feature_names_in_)
    groups = groups or {c: [c] for c in used}
    baseline = _auc(y, model.predict_proba(X)[:, 1])
    rows = []
    for name, cols in groups.items():
        cols = [c for c in cols if c in used]
        if not cols:
            continue
        drops = []
        for _ in range(n_repeats):
            shuffled = X.copy()
            perm = rng.permutation(len(X))
            for col in cols:  # one permutation for the whole group, dtypes kept
                shuffled[col] = X[col].iloc[perm].to_numpy()
            drops.append(baseline - _auc(y, model.predict_proba(shuffled)[:, 1]))
        rows.append(
            {
                "feature": name,
                "importance": float(np.mean(drops)),
                "std": float(np.std(drops)),
                "columns": ", ".join(cols),
            }
        )
    out = pd.DataFrame(rows, columns=["feature", "importance", "std", "columns"])
    return out.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def top_reasons(model, X: pd.DataFrame, *, n_reasons: int = 3) -> pd.DataFrame:
    """Each prospect's features that raise its probability most above a typical prospect's.

    Returns
    -------
    DataFrame
        Same index as ``X``: ``reason_1`` … ``reason_k`` as text such as
        ``"act_demo_request_30d = 2 (+8.1 pts)"`` (empty when fewer features raise the score
        by at least :data:`MIN_REASON`),
        and ``contribution_1`` … in probability points (0–1 scale).
    """
    base = model.predict_proba(X)[:, 1]
    names = list(model.feature_names_in_)
    effect = np.zeros((len(X), len(names)))
    for j, col in enumerate(names):
        typical = model.reference_.get(col)
        changed = X.copy()
        changed[col] = np.nan if typical is None else typical
        if typical is not None and not isinstance(typical, str):
            changed[col] = changed[col].astype("float64")
        effect[:, j] = base - model.predict_proba(changed)[:, 1]
    order = np.argsort(-effect, axis=1, kind="stable")[:, :n_reasons]
    out = {}
    for r in range(min(n_reasons, len(names))):
        idx = order[:, r]
        gain = effect[np.arange(len(X)), idx]
        text = [
            f"{names[i]} = {_show(X[names[i]].iloc[row])} ({100 * g:+.1f} pts)"
            if g >= MIN_REASON
            else ""
            for row, (i, g) in enumerate(zip(idx, gain, strict=True))
        ]
        out[f"reason_{r + 1}"] = text
        out[f"contribution_{r + 1}"] = np.where(gain >= MIN_REASON, gain, 0.0)
    return pd.DataFrame(out, index=X.index)


def _show(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    if isinstance(value, float | np.floating):
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return str(value)
