"""Weighted ROC AUC and average precision from one sort, for fast bootstrap replicates.

Scores are sorted once and tied scores grouped; each replicate then needs only weighted
counts per group (``np.bincount``), so a bootstrap of 200 replicates on 100,000 rows takes
a second or two rather than 200 sorts. Ties count half, as in scikit-learn's ``roc_auc_score``;
average precision steps at each distinct score, as in ``average_precision_score``.
"""

from __future__ import annotations

import numpy as np


def tie_groups(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ascending sort order of ``p`` and, per sorted position, the id of its tie group."""
    order = np.argsort(p, kind="stable")
    sorted_p = p[order]
    gid = np.concatenate([[0], np.cumsum(sorted_p[1:] != sorted_p[:-1])]) if p.size else order
    return order, gid


def _counts(ys: np.ndarray, gid: np.ndarray, w: np.ndarray | None):
    weights = np.ones(ys.size) if w is None else np.asarray(w, dtype=float)
    n = int(gid[-1]) + 1 if gid.size else 0
    pos = np.bincount(gid, weights=weights * ys, minlength=n)
    neg = np.bincount(gid, weights=weights * (1 - ys), minlength=n)
    return pos, neg


def auc_roc(ys: np.ndarray, gid: np.ndarray, w: np.ndarray | None = None) -> float:
    """ROC AUC of outcomes ``ys`` sorted by ascending score, tie groups ``gid``."""
    pos, neg = _counts(ys, gid, w)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos == 0 or total_neg == 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (total_pos * total_neg))


def auc_pr(ys: np.ndarray, gid: np.ndarray, w: np.ndarray | None = None) -> float:
    """Average precision (area under the precision-recall curve, step-wise)."""
    pos, neg = _counts(ys, gid, w)
    if pos.sum() == 0:
        return float("nan")
    pos, neg = pos[::-1], neg[::-1]
    tp, fp = np.cumsum(pos), np.cumsum(neg)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
    return float((pos * precision).sum() / pos.sum())
