"""The reps' forecast call: the category roll-up of a quarter, and how past calls held.

Each deal carries its rep's call (``forecast_category``: Closed, Commit, Best Case, Pipeline,
Omitted), and its history the call after each change, so the call as of any date is the one of
the deal's last change at or before it (:mod:`revlab._asof`). The **roll-up** of a quarter at a
date is the standard cumulative one: *Closed* is what was won in the quarter by then; *Commit*
adds the open deals called Commit whose expected close date falls in the quarter; *Best Case*
adds those called Best Case; *Pipeline* adds those called Pipeline (or not called at all), so it
is every open deal expected in the quarter except the ones the reps left out (Omitted, listed
apart). The **call backtest** replays the roll-up at the start and the middle of past quarters
and sets it beside the model's forecast as of the start (read from a backtest frame, never
refitted) and what was booked: which was closer, how often the commit was met. Per rep,
:func:`rep_calls` says how much of what each rep called Commit (or Best Case) was won in the
quarter: a rep whose commits close less often than others' is the optimist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revlab._tables import FORECAST_CATEGORIES
from revlab.forecast import aggregates as agg
from revlab.forecast._errors import ForecastError
from revlab.forecast.backtest import backtest_quarters
from revlab.needs import requires
from revlab.periods import Quarter
from revlab.pipeline.snapshot import open_pipeline, pipeline_at

__all__ = ["CallBacktest", "ROLL_UP", "beside_model", "call_backtest", "rep_calls", "roll_up"]

#: The roll-up's rows, each adding one category to the row before.
ROLL_UP = ("Closed", "Commit", "Best Case", "Pipeline")
ANALYSIS = "The forecast call"
_CALLS = ("opportunities.forecast_category",)
#: Past calls are read from the history: without it a deal's call at a past date is unknown.
_PAST_CALLS = (*_CALLS, "stage_history.forecast_category")
_MODELS = ("funnel", "deals", "timeseries")


@requires("opportunities", analysis=ANALYSIS, columns=_CALLS)
def roll_up(src, quarter: str | Quarter, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """The reps' roll-up of ``quarter`` as called at ``as_of`` (default: the source's cut).

    Returns
    -------
    DataFrame
        One row per roll-up level (Closed, Commit, Best Case, Pipeline), then Omitted:
        ``category``, ``amount`` (cumulative: each level includes the ones above it; Omitted
        is on its own and in no level), ``deals`` (cumulative likewise) and ``added`` (the
        amount of the deals called in that category alone).
    """
    q = Quarter.parse(quarter, src.calendar)
    at = pd.Timestamp(as_of) if as_of is not None else src.as_of
    won_amount, won_deals = _won(src.at(at) if at is not None else src, q)
    pipe = open_pipeline(src, at=at, quarter=q)
    called = pipe.select("amount", category=pipe.forecast_category.fill_null("Pipeline"))
    frame = called.group_by("category").aggregate(amount=called.amount.sum(), deals=called.count())
    per = frame.to_pandas().set_index("category").reindex(FORECAST_CATEGORIES).fillna(0.0)
    per.loc["Closed"] = [won_amount, won_deals]  # a deal is Closed once won, whatever its call
    rows, amount, deals = [], 0.0, 0
    for cat in ROLL_UP:
        amount, deals = amount + per.loc[cat, "amount"], deals + int(per.loc[cat, "deals"])
        rows.append((cat, amount, deals, float(per.loc[cat, "amount"])))
    omitted = per.loc["Omitted"]
    rows.append(("Omitted", float(omitted["amount"]), int(omitted["deals"]), omitted["amount"]))
    return pd.DataFrame(rows, columns=["category", "amount", "deals", "added"]).astype(
        {"amount": float, "added": float}
    )


def beside_model(roll: pd.DataFrame, forecast) -> pd.DataFrame:
    """The roll-up with ``model_chance``: the model's probability of booking at least each level.

    ``forecast`` is the quarter's :class:`~revlab.forecast.QuarterForecast` (any object with
    ``prob_at_least``); Omitted is in no level and gets no chance.
    """
    chance = [
        forecast.prob_at_least(a) if c in ROLL_UP else np.nan
        for c, a in zip(roll["category"], roll["amount"], strict=True)
    ]
    return roll.assign(model_chance=chance)


def _won(src, q: Quarter) -> tuple[float, int]:
    """Won amount and deals closed in ``q`` by the source's cut (as the forecast counts them)."""
    o = src.table("opportunities")
    close = o.closed_at if "closed_at" in o.columns else o.close_date
    if "closed_at" in o.columns and "close_date" in o.columns:
        close = o.closed_at.coalesce(o.close_date)
    start, end = (pd.Timestamp(t).to_pydatetime() for t in (q.start, q.end))
    won = o.filter(o.is_won & (close >= start) & (close < end)).select("amount").to_pandas()
    return float(won["amount"].fillna(0.0).sum()), len(won)


@dataclass
class CallBacktest:
    """Past quarters' calls beside the model and what was booked; see :func:`call_backtest`.

    ``table`` has one row per quarter; ``summary`` the counts and mean errors over the
    quarters where both the call and the model's median are known (``as_of`` says which call,
    at the quarter's ``"start"`` or ``"mid"``, the summary compares).
    """

    table: pd.DataFrame
    as_of: str
    summary: dict = field(default_factory=dict)


@requires("opportunities", "stage_history", analysis=ANALYSIS, columns=_PAST_CALLS)
def call_backtest(
    src,
    quarters: int | Iterable[str | Quarter] | None = None,
    *,
    as_of: str = "start",
    model_backtest: pd.DataFrame | None = None,
) -> CallBacktest:
    """The commit and best-case calls of past quarters, at their start and midway, judged.

    Parameters
    ----------
    src
        A source whose deals and history carry ``forecast_category``.
    quarters
        How many of the last complete quarters (or which ones); default: those of
        ``model_backtest``, else 4.
    as_of
        Which call the summary compares with the model and the bookings: ``"start"`` (the
        model's own origin) or ``"mid"``.
    model_backtest
        The frame of :func:`revlab.forecast.backtest`; the model (its first method) gives the
        median, p10 and p90 of each quarter as of its start. Not refitted here.

    Returns
    -------
    CallBacktest
        ``table``: ``quarter``, ``commit_start``, ``best_case_start``, ``commit_mid``,
        ``best_case_mid``, ``model_median``, ``model_p10``, ``model_p90``, ``actual``,
        ``commit`` (the call compared), ``commit_met`` (actual ≥ commit), ``commit_error`` and
        ``model_error`` (absolute, in money), ``closer`` ("commit", "model" or "").
    """
    if as_of not in ("start", "mid"):
        raise ForecastError(f"as_of must be 'start' or 'mid', not {as_of!r}.")
    history = _model_rows(model_backtest)
    if quarters is None:
        given = model_backtest is not None and len(model_backtest)
        quarters = list(dict.fromkeys(model_backtest["quarter"])) if given else 4
    chosen = backtest_quarters(src, quarters) if isinstance(quarters, int) else quarters
    rows = [_quarter_row(src, Quarter.parse(q, src.calendar), history) for q in chosen]
    table = pd.DataFrame(rows)
    table["commit"] = table[f"commit_{as_of}"]
    table["commit_met"] = table["actual"] >= table["commit"]
    table["commit_error"] = (table["commit"] - table["actual"]).abs()
    table["model_error"] = (table["model_median"] - table["actual"]).abs()
    table["closer"] = np.select(
        [
            table["model_error"] < table["commit_error"],
            table["commit_error"] < table["model_error"],
        ],
        ["model", "commit"],
        "",
    )
    return CallBacktest(table, as_of, _summary(table))


def _model_rows(bt: pd.DataFrame | None) -> pd.DataFrame:
    """The model's median, p10 and p90 per quarter from a backtest frame (trusted fits only)."""
    cols = ["model_median", "model_p10", "model_p90"]
    if bt is None or not len(bt):
        return pd.DataFrame(columns=cols)
    models = [m for m in dict.fromkeys(bt["method"]) if m in _MODELS]
    if not models:
        return pd.DataFrame(columns=cols)
    rows = bt[(bt["method"] == models[0]) & bt["ok"].astype(bool)].set_index("quarter")
    return rows[["median", "q10", "q90"]].set_axis(cols, axis=1)


def _quarter_row(src, q: Quarter, history: pd.DataFrame) -> dict:
    mid = q.start + pd.Timedelta(days=q.days // 2)
    row: dict = {"quarter": str(q)}
    for when, at in (("start", q.start), ("mid", mid)):
        levels = roll_up(src, q, at).set_index("category")["amount"]
        row[f"commit_{when}"] = float(levels["Commit"])
        row[f"best_case_{when}"] = float(levels["Best Case"])
    model = history.loc[str(q)] if str(q) in history.index else None
    for col in ("model_median", "model_p10", "model_p90"):
        row[col] = float(model[col]) if model is not None else np.nan
    row["actual"] = agg.booked(src.at(q.end), q)
    return row


def _summary(table: pd.DataFrame) -> dict:
    """Counts over the quarters scored: commit met, which was closer, mean errors and bias."""
    both = table.dropna(subset=["model_median"])
    return {
        "quarters": len(table),
        "commit_met": int(table["commit_met"].sum()),
        "compared": len(both),
        "model_closer": int((both["closer"] == "model").sum()),
        "commit_closer": int((both["closer"] == "commit").sum()),
        "commit_mae": float(table["commit_error"].mean()) if len(table) else np.nan,
        "model_mae": float(both["model_error"].mean()) if len(both) else np.nan,
        "commit_bias": float((table["commit"] - table["actual"]).mean()) if len(table) else np.nan,
    }


@requires(
    "opportunities",
    "stage_history",
    analysis="The forecast call by rep",
    columns=(*_PAST_CALLS, "opportunities.owner"),
)
def rep_calls(
    src, quarters: int | Iterable[str | Quarter] = 4, *, as_of: str = "start"
) -> pd.DataFrame:
    """Per rep: what they called Commit and Best Case against what their pipeline then won.

    Each quarter, a rep's pipeline is their deals open at the quarter's start (or midway,
    ``as_of="mid"``) and expected to close in it; of it, the amount called Commit, called
    Commit or Best Case, and won before the quarter ended (amounts as at the call). A rep who
    commits more than their pipeline wins is calling optimistically; less, conservatively.

    Returns
    -------
    DataFrame
        One row per ``owner``: ``quarters``, ``pipeline``, ``commit``, ``best_case``, ``won``
        (summed over the quarters), ``commit_over`` ((commit - won) / pipeline),
        ``commit_exceeded`` (share of quarters whose commit exceeded what was won), sorted by
        ``commit_over``.
    """
    chosen = backtest_quarters(src, quarters) if isinstance(quarters, int) else quarters
    parts = []
    for q in (Quarter.parse(x, src.calendar) for x in chosen):
        at = q.start if as_of == "start" else q.start + pd.Timedelta(days=q.days // 2)
        cols = ("opportunity_id", "amount", "owner", "forecast_category")
        deals = pipeline_at(src, at, quarter=q, columns=cols)
        won = deals["opportunity_id"].isin(_won_ids(src.at(q.end), q))
        category = deals["forecast_category"]
        parts.append(
            deals.assign(
                quarter=str(q),
                pipeline=deals["amount"],
                commit=deals["amount"].where(category == "Commit", 0.0),
                best_case=deals["amount"].where(category.isin(["Commit", "Best Case"]), 0.0),
                won=deals["amount"].where(won, 0.0),
            )
        )
    money = ["pipeline", "commit", "best_case", "won"]
    per = pd.concat(parts, ignore_index=True).groupby(["owner", "quarter"])[money].sum()
    out = per.groupby("owner").sum()
    out.insert(0, "quarters", per.groupby("owner").size())
    out["commit_over"] = (out["commit"] - out["won"]) / out["pipeline"].where(out["pipeline"] > 0)
    out["commit_exceeded"] = (per["commit"] > per["won"]).groupby("owner").mean()
    return out.sort_values("commit_over").reset_index()


def _won_ids(src, q: Quarter) -> set:
    """Ids of deals won in ``q`` by the source's cut."""
    o = src.table("opportunities")
    close = o.closed_at.coalesce(o.close_date) if "close_date" in o.columns else o.closed_at
    start, end = (pd.Timestamp(t).to_pydatetime() for t in (q.start, q.end))
    won = o.filter(o.is_won & (close >= start) & (close < end)).select("opportunity_id")
    return set(won.to_pandas()["opportunity_id"])
