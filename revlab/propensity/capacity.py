"""Capacity what-if: buyers reached when sales can work K prospects a week, by rule.

Each week (snapshot date) every strategy picks the K best open prospects it has not worked
before, by its own key:

- ``score``: the model's probability, highest first;
- ``random``: a random choice (averaged over seeded draws), the do-nothing baseline;
- ``most_recent``: the newest leads first (smallest ``age_days``);
- ``most_active``: the most touches in the last 30 days (``act_30d``).

A worked prospect counts as reached if it buys within the label horizon. With ``outcome`` set
to the observed label this is a back-test; with it set to the model's probability it is the
*expected* number of buyers, for a period whose outcomes are not known yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Strategy name → (column, highest first?).
RULES = {"most_recent": ("age_days", False), "most_active": ("act_30d", True)}


def capacity_whatif(
    frame: pd.DataFrame,
    *,
    capacity_per_week: int,
    score: str = "score",
    outcome: str = "label",
    rules: dict[str, tuple[str, bool]] | None = None,
    n_random: int = 20,
    seed: int = 0,
    time_col: str = "snapshot_at",
    id_col: str = "lead_id",
) -> pd.DataFrame:
    """Buyers reached week by week by the score, at random, and by simple rules.

    Parameters
    ----------
    frame
        Scored snapshots: ``id_col``, ``time_col``, ``score``, ``outcome`` and the rule columns.
    capacity_per_week
        Prospects sales can work each week (scaled if snapshots are not a week apart).
    rules
        Extra strategies, name → (column, highest first); default :data:`RULES` (those whose
        column is present).

    Returns
    -------
    DataFrame
        One row per week and strategy: ``snapshot_at``, ``strategy``, ``worked``, ``buyers``
        and ``cum_buyers``.
    """
    if capacity_per_week <= 0:
        raise ValueError(f"capacity_per_week must be positive, got {capacity_per_week}.")
    rules = {k: v for k, v in (rules or RULES).items() if v[0] in frame.columns}
    keys = {"score": (score, True), **rules}
    weeks = sorted(frame[time_col].unique())
    per_snapshot = _per_snapshot(weeks, capacity_per_week)
    rows = []
    for name, (col, desc) in keys.items():
        rows += _run(frame, name, col, desc, outcome, per_snapshot, time_col, id_col)
    rng = np.random.default_rng(seed)
    draws = [
        pd.DataFrame(
            _run(frame, "random", None, True, outcome, per_snapshot, time_col, id_col, rng=rng)
        )
        for _ in range(n_random)
    ]
    mean = (
        pd.concat(draws)
        .groupby([time_col, "strategy"], as_index=False)[["worked", "buyers"]]
        .mean()
    )
    out = pd.concat([pd.DataFrame(rows), mean], ignore_index=True)
    out = out.sort_values(["strategy", time_col], kind="stable")
    out["cum_buyers"] = out.groupby("strategy")["buyers"].cumsum()
    return out.rename(columns={time_col: "snapshot_at"}).reset_index(drop=True)


def _per_snapshot(weeks: list, capacity_per_week: int) -> int:
    if len(weeks) < 2:
        return int(capacity_per_week)
    step = pd.Series(pd.to_datetime(weeks)).diff().dt.days.median()
    return max(int(round(capacity_per_week * step / 7)), 1)


def _run(frame, name, col, desc, outcome, k, time_col, id_col, rng=None) -> list[dict]:
    """One strategy over the weeks: pick k not-yet-worked prospects each week."""
    worked: set = set()
    rows = []
    for week, group in frame.groupby(time_col, sort=True):
        pool = group[~group[id_col].isin(worked)]
        if rng is not None:
            pick = pool.iloc[rng.permutation(len(pool))[:k]]
        else:
            key = pool[col].to_numpy(dtype=float)
            key = np.where(np.isnan(key), -np.inf if desc else np.inf, key)
            order = np.lexsort((pool[id_col].to_numpy(), -key if desc else key))
            pick = pool.iloc[order[:k]]
        worked.update(pick[id_col])
        rows.append(
            {
                time_col: week,
                "strategy": name,
                "worked": len(pick),
                "buyers": float(pick[outcome].sum()),
            }
        )
    return rows


def summarize_capacity(weekly: pd.DataFrame) -> pd.DataFrame:
    """Totals per strategy over the period, best first, with the gain over random choice.

    Returns
    -------
    DataFrame
        ``strategy``, ``weeks``, ``worked``, ``buyers``, ``rate`` (buyers per prospect
        worked) and ``vs_random`` (buyers / buyers reached at random).
    """
    out = weekly.groupby("strategy", as_index=False).agg(
        weeks=("snapshot_at", "nunique"), worked=("worked", "sum"), buyers=("buyers", "sum")
    )
    out["rate"] = out["buyers"] / out["worked"].where(out["worked"] > 0)
    random = out.loc[out["strategy"] == "random", "buyers"]
    base = float(random.iloc[0]) if len(random) and random.iloc[0] > 0 else np.nan
    out["vs_random"] = out["buyers"] / base
    return out.sort_values("buyers", ascending=False, kind="stable").reset_index(drop=True)
