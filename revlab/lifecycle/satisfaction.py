"""Customer satisfaction and what follows from it: renewal, expansion, and churn explained.

Where subscriptions carry a ``satisfaction`` score (the term's CSAT on 1–5 or NPS on 0–10),
:func:`satisfaction_outcomes` gives renewal and expansion rates by satisfaction band, with
intervals, and :func:`churn_explained` says how much of churn the score accounts for: the
odds ratio per point, the share of the log-likelihood it explains beyond the controls
(McFadden's pseudo-R²), how well it ranks churners (ROC AUC), and the share of churn that would
not happen if every customer scored at least the top band (the avoidable share). A term's
outcome is its renewal decision; only terms whose decision is due count.

References
----------
McFadden (1974), "Conditional logit analysis of qualitative choice behavior" -- the pseudo-R².
Reichheld (2003), "The one number you need to grow", Harvard Business Review -- NPS bands.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from revlab import rates
from revlab.errors import Shortfall
from revlab.lifecycle import _logit, _terms
from revlab.lifecycle._errors import LifecycleError
from revlab.sources import Source

__all__ = ["bands", "churn_explained", "satisfaction_outcomes"]

#: (band, lowest score, highest score), worst first.
SCALES = {
    "nps": (("detractor", 0, 6), ("passive", 7, 8), ("promoter", 9, 10)),
    "csat": (("unsatisfied", 1, 2), ("neutral", 3, 3), ("satisfied", 4, 5)),
}
NO_SCORE = "no score"


def _scale(scores: pd.Series, scale: str) -> str:
    values = scores.dropna()
    if scale != "auto":
        if scale not in SCALES:
            raise ValueError(f"scale must be 'auto', 'nps' or 'csat', got {scale!r}.")
        return scale
    if values.empty:
        raise LifecycleError(
            "subscriptions.satisfaction: no term has a score, so nothing can be said about "
            "satisfaction; add the CSAT or NPS survey score of each term."
        )
    lo, hi = values.min(), values.max()
    if lo >= 1 and hi <= 5:
        return "csat"
    if lo >= 0 and hi <= 10:
        return "nps"
    raise LifecycleError(
        f"subscriptions.satisfaction: scores run from {lo:g} to {hi:g}, neither CSAT (1-5) "
        "nor NPS (0-10); rescale them to one of those, or pass scale='nps' or 'csat'."
    )


def bands(scores: pd.Series, *, scale: str = "auto") -> pd.Series:
    """Satisfaction band of each score (ordered, worst first); ``no score`` where missing."""
    chosen = SCALES[_scale(scores, scale)]
    edges = [chosen[0][1] - 0.5] + [hi + 0.5 for _, _, hi in chosen]
    names = [name for name, _, _ in chosen]
    cut = pd.cut(scores, bins=edges, labels=names)
    out = cut.cat.add_categories([NO_SCORE]).fillna(NO_SCORE)
    return out.cat.reorder_categories([*names, NO_SCORE], ordered=True)


def _due_terms(data: Source | pd.DataFrame, grace_days: float) -> pd.DataFrame:
    """Terms whose renewal is due; a Shortfall when no term carries a satisfaction score."""
    t = data if isinstance(data, pd.DataFrame) else _terms.terms(data, grace_days=grace_days)
    if not t["satisfaction"].notna().any():
        raise Shortfall(
            "Satisfaction",
            "no contract term carries a satisfaction score",
            enable="Add satisfaction (each term's CSAT or NPS score) to subscriptions.",
        )
    return t[t["due"]].assign(renewed=lambda d: d["renewed"].astype(bool))


def satisfaction_outcomes(
    data: Source | pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    scale: str = "auto",
    grace_days: float = _terms.GRACE_DAYS,
    level: float = 0.95,
) -> pd.DataFrame:
    """Renewal and expansion by satisfaction band, with intervals.

    Among terms whose renewal decision is due: ``renewal_rate`` = renewed / decided (Wilson);
    among the renewed, ``expansion_rate`` = share renewed for more (Wilson) and
    ``mean_uplift`` = mean of new / old amount (Student-t interval). Terms without a score
    form the ``no score`` band rather than being dropped.

    Returns
    -------
    DataFrame
        ``by...``, ``band``, ``n``, ``renewed``, ``renewal_rate``, ``lower``, ``upper``,
        ``expanded``, ``expansion_rate``, ``expansion_lower``, ``expansion_upper``,
        ``mean_uplift``, ``uplift_lower``, ``uplift_upper``.
    """
    groups = [] if by is None else [by] if isinstance(by, str) else list(by)
    t = _due_terms(data, grace_days)
    t = t.assign(band=bands(t["satisfaction"], scale=scale))
    t = t.assign(expanded=t["renewed"] & (t["uplift"] > 1))
    keys = [*groups, "band"]
    g = t.groupby(keys, observed=False, sort=True)
    out = g.agg(
        n=("renewed", "size"),
        renewed=("renewed", "sum"),
        expanded=("expanded", "sum"),
        mean_uplift=("uplift", "mean"),
        sd_uplift=("uplift", "std"),
    ).reset_index()
    out = rates.add_rate(out, k="renewed", n="n", level=level, name="renewal_rate")
    grow = rates.add_rate(out, k="expanded", n="renewed", level=level, name="expansion_rate")
    out["expansion_rate"] = grow["expansion_rate"]
    out["expansion_lower"], out["expansion_upper"] = grow["lower"], grow["upper"]
    out["uplift_lower"], out["uplift_upper"] = rates.mean_interval(
        out["mean_uplift"], out["sd_uplift"], out["renewed"], level=level
    )
    cols = [*keys, "n", "renewed", "renewal_rate", "lower", "upper", "expanded"]
    cols += ["expansion_rate", "expansion_lower", "expansion_upper", "mean_uplift"]
    return out[[*cols, "uplift_lower", "uplift_upper"]]


def _design(t: pd.DataFrame, controls: list[str], score: np.ndarray | None) -> np.ndarray:
    parts = [np.ones((len(t), 1))]
    if controls:
        dummies = pd.get_dummies(t[controls].astype("str"), drop_first=True, dtype=float)
        parts.append(dummies.to_numpy())
    if score is not None:
        parts.append(score[:, None])
    return np.hstack(parts)


def churn_explained(
    data: Source | pd.DataFrame,
    *,
    controls: Sequence[str] = ("segment",),
    scale: str = "auto",
    grace_days: float = _terms.GRACE_DAYS,
    level: float = 0.95,
    n_boot: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """How much of churn the satisfaction score explains, beyond ``controls``.

    Two logistic regressions of churn at a due renewal, on the scored terms: controls only,
    and controls plus the score (in points). ``pseudo_r2`` = 1 - logL(with score) / logL(
    controls only); ``lr_p_value`` tests the score's coefficient; ``auc`` is the probability
    that a churned term scored lower than a renewed one (ties count half). ``avoidable_share``
    is the share of predicted churn that disappears when every score below the top band is
    raised to its lowest value, with a bootstrap interval over terms (``n_boot``, ``seed``).

    Returns
    -------
    DataFrame
        One row: ``terms``, ``churned``, ``odds_ratio`` (per point), ``or_lower``,
        ``or_upper``, ``lr_p_value``, ``pseudo_r2``, ``auc``, ``avoidable_share``, ``lower``,
        ``upper``.
    """
    t = _due_terms(data, grace_days)
    t = t[t["satisfaction"].notna()].reset_index(drop=True)
    churn = (~t["renewed"]).to_numpy(dtype=float)
    if len(t) < 10 or churn.sum() == 0 or churn.sum() == len(t):
        raise LifecycleError(
            f"satisfaction: {len(t)} scored terms with a due renewal, {int(churn.sum())} of "
            "them churned; explaining churn needs both renewals and churn among scored terms."
        )
    top = SCALES[_scale(t["satisfaction"], scale)][-1][1]
    controls = list(controls)
    score = t["satisfaction"].to_numpy(dtype=float)
    base = _logit.fit(_design(t, controls, None), churn)
    full = _logit.fit(x := _design(t, controls, score), churn)
    z = stats.norm.ppf(0.5 + level / 2)
    coef, se = full.coef[-1], np.sqrt(full.cov[-1, -1])
    boot = _avoidable_boot(t, controls, score, churn, top, n_boot, seed)
    tail = (1 - level) / 2
    row = {
        "terms": len(t),
        "churned": int(churn.sum()),
        "odds_ratio": np.exp(coef),
        "or_lower": np.exp(coef - z * se),
        "or_upper": np.exp(coef + z * se),
        "lr_p_value": float(stats.chi2.sf(2 * (full.loglik - base.loglik), 1)),
        "pseudo_r2": 1 - full.loglik / base.loglik,
        "auc": _auc(score, churn),
        "avoidable_share": _avoidable(full, x, top),
        "lower": float(np.quantile(boot, tail)) if len(boot) else np.nan,
        "upper": float(np.quantile(boot, 1 - tail)) if len(boot) else np.nan,
    }
    return pd.DataFrame([row])


def _avoidable(fit: _logit.Fit, x: np.ndarray, top: float) -> float:
    raised = x.copy()
    raised[:, -1] = np.maximum(raised[:, -1], top)
    return float(1 - fit.predict(raised).sum() / fit.predict(x).sum())


def _avoidable_boot(t, controls, score, churn, top, n_boot, seed) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = _design(t, controls, score)
    out = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(t), len(t))
        if churn[idx].min() == churn[idx].max():
            continue
        out.append(_avoidable(_logit.fit(x[idx], churn[idx]), x[idx], top))
    return np.array(out)


def _auc(score: np.ndarray, churn: np.ndarray) -> float:
    """P(a churned term scored lower than a renewed one), ties half (Mann-Whitney)."""
    lost, kept = score[churn == 1], score[churn == 0]
    u = stats.mannwhitneyu(kept, lost, alternative="two-sided").statistic
    return float(u / (len(lost) * len(kept)))
