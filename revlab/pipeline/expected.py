"""Expected value of the open pipeline: stage-weighted, and calibrated on the deals' own history.

Two ways to turn an open pipeline into expected bookings:

* **stage-weighted**: each deal's amount times a fixed probability for its stage (the CRM's
  stage probabilities; :data:`DEFAULT_STAGE_WEIGHTS` are Salesforce's defaults);
* **history-calibrated**: each deal's amount times the win rate of deals that were in the same
  stage, measured on deals that had closed by the date, using only what was known at the date
  (history rows and closes on or before it): no leakage, so it can be back-tested.

The calibrated rate is P(won | reached the stage) among decided deals. Deals still open are
left out (not counted as losses); since quick decisions are over-represented early on, the
rate is noisier for young pipelines and stages with few closed deals (see ``n`` and the
interval).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import pandas as pd

from revlab import rates
from revlab.needs import requires
from revlab.periods import Quarter
from revlab.pipeline import _base
from revlab.pipeline.snapshot import open_pipeline
from revlab.sources import Source

__all__ = ["DEFAULT_STAGE_WEIGHTS", "calibrated_win_rates", "expected_value"]

#: Stage probabilities of Salesforce's default sales process, mapped to the demo's stages
#: (Prospecting/Qualification 10%, Needs Analysis 20%, Proposal/Price Quote 75%,
#: Negotiation/Review 90%).
DEFAULT_STAGE_WEIGHTS: dict[str, float] = {
    "discovery": 0.10,
    "demo": 0.20,
    "proposal": 0.75,
    "negotiation": 0.90,
}


@requires(*_base.HISTORY, analysis="History-calibrated win rates")
def calibrated_win_rates(
    src: Source,
    *,
    at: str | pd.Timestamp | None = None,
    by: str | Sequence[str] | None = None,
    lookback_days: int | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Win rate of deals by the open stages they passed through, known as of ``at``.

    Parameters
    ----------
    src
        A source with ``opportunities`` and ``stage_history``.
    at
        The date (default: the source's as-of date); only history and closes by then count.
    by
        Deal columns to calibrate within (``segment``).
    lookback_days
        Only deals closed in the ``lookback_days`` before ``at`` (default: all closed deals).
    level
        Confidence level of the Wilson interval.

    Returns
    -------
    DataFrame
        ``stage``, ``by...``, ``n`` (closed deals that were in the stage), ``won``, ``rate``
        (won / n; NaN when n is 0), ``lower``, ``upper``; every open stage seen in the history,
        in funnel order.

    References
    ----------
    Wilson (1927), JASA 22; Brown, Cai & DasGupta (2001), Statistical Science 16(2).
    """
    by = _base.group_columns(by)
    s = _base.cut(src, at)
    h, o = s.table("stage_history"), s.table("opportunities")
    _base.check_group_columns(o, by)
    decided = o.is_closed
    if lookback_days is not None:
        end = s.as_of
        if end is None:
            raise ValueError("lookback_days needs a date: pass at, or a source cut at an as_of.")
        since = _base.ts(end - pd.Timedelta(days=lookback_days))
        closed_time = o.closed_at if "closed_at" in o.columns else o.close_date
        decided = decided & (closed_time > since).fill_null(False)
    deals = o.select("opportunity_id", *by, _decided=decided, _won=decided & o.is_won)
    won, lost = _base.closed_stages(h)
    visits = h.filter(~h.stage.isin(won + lost)).select("opportunity_id", "stage").distinct()
    j = visits.join(deals, "opportunity_id")
    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    counts = (
        j.group_by(["stage", *by])
        .aggregate(
            n=ibis.cases((j._decided, one), else_=zero).sum(),
            won=ibis.cases((j._won, one), else_=zero).sum(),
        )
        .to_pandas()
    )
    counts["stage"] = counts["stage"].astype("str")
    rank = _base.stage_rank(counts["stage"])
    counts = counts.sort_values(
        ["stage", *by], key=lambda c: c.map(rank) if c.name == "stage" else c
    )
    counts[["n", "won"]] = counts[["n", "won"]].astype("int64")
    return rates.add_rate(counts.reset_index(drop=True), k="won", n="n", level=level)


@requires(*_base.HISTORY, analysis="Expected value of the pipeline")
def expected_value(
    src: Source,
    *,
    at: str | pd.Timestamp | None = None,
    quarter: str | Quarter | None = None,
    weights: Mapping[str, float] | None = None,
    lookback_days: int | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Stage-weighted and history-calibrated expected value of the pipeline open at ``at``.

    Parameters
    ----------
    src
        A source with ``opportunities`` and ``stage_history``.
    at
        The date (default: the source's as-of date).
    quarter
        Only deals expected (at ``at``) to close in this quarter (default: all open deals).
    weights
        Win probability per stage for the stage-weighted value (default
        :data:`DEFAULT_STAGE_WEIGHTS`); a stage without one gets NaN, never a silent zero.
    lookback_days, level
        Passed to :func:`calibrated_win_rates`.

    Returns
    -------
    DataFrame
        One row per open stage, in funnel order, then a ``total`` row: ``stage``, ``deals``,
        ``amount``, ``weight``, ``expected_weighted`` (amount × weight), ``n`` (closed deals
        behind the calibrated rate), ``win_rate``, ``lower``, ``upper``,
        ``expected_calibrated`` (amount × win rate) and ``expected_lower`` /
        ``expected_upper`` (amount × the rate's interval bounds: the uncertainty of the rates,
        not of the deals' outcomes). The total's ``weight`` and ``win_rate`` are the implied
        averages (expected / amount); its ``n`` is NaN (a deal counts in every stage it passed).
    """
    weights = DEFAULT_STAGE_WEIGHTS if weights is None else dict(weights)
    pipe = open_pipeline(src, at=at, quarter=quarter)
    per_stage = pipe.group_by("stage").aggregate(deals=pipe.count(), amount=pipe.amount.sum())
    frame = per_stage.to_pandas()
    frame["stage"] = frame["stage"].astype("str")
    cal = calibrated_win_rates(src, at=at, lookback_days=lookback_days, level=level)
    frame = frame.merge(cal.rename(columns={"rate": "win_rate"}), on="stage", how="left")
    frame["n"] = frame["n"].fillna(0).astype("int64")
    frame["weight"] = frame["stage"].map(weights).astype("float64")
    frame["expected_weighted"] = frame["amount"] * frame["weight"]
    for out, col in (("calibrated", "win_rate"), ("lower", "lower"), ("upper", "upper")):
        frame[f"expected_{out}"] = frame["amount"] * frame[col]
    rank = _base.stage_rank(frame["stage"])
    frame = frame.sort_values("stage", key=lambda c: c.map(rank)).reset_index(drop=True)
    return pd.concat([frame, _total(frame)], ignore_index=True)[_COLUMNS]


_COLUMNS = ["stage", "deals", "amount", "weight", "expected_weighted", "n", "win_rate", "lower",
            "upper", "expected_calibrated", "expected_lower", "expected_upper"]  # fmt: skip


def _total(frame: pd.DataFrame) -> pd.DataFrame:
    sums = {c: frame[c].sum(min_count=1) for c in _COLUMNS if c.startswith("expected")}
    amount = frame["amount"].sum()
    row = {"stage": "total", "deals": int(frame["deals"].sum()), "amount": float(amount),
           "n": float("nan"), **sums}  # fmt: skip
    if frame["weight"].isna().any():
        row["expected_weighted"] = float("nan")
    if frame["win_rate"].isna().any():
        for c in ("expected_calibrated", "expected_lower", "expected_upper"):
            row[c] = float("nan")
    nan = float("nan")
    row["weight"] = row["expected_weighted"] / amount if amount else nan
    row["win_rate"] = row["expected_calibrated"] / amount if amount else nan
    row["lower"] = row["expected_lower"] / amount if amount else nan
    row["upper"] = row["expected_upper"] / amount if amount else nan
    return pd.DataFrame([row])
