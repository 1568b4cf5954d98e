"""Point-in-time snapshots: every prospect open at each snapshot date, as known on that date.

A *prospect-snapshot* is one lead on one date: the lead was created on or before the date, had
not become an opportunity and had not been disqualified. Its features use only what was known
on that date (attributes, stage reached, activity counts and recency by kind over several
windows); its label says whether it reached the target stage within ``horizon_days`` after the
date. Everything is built in the engine through Ibis (joins, filters, aggregates, casts), so
the same code runs on DuckDB, Postgres or Spark; only the snapshot frame comes back.

Columns of the returned frame:

``lead_id``, ``snapshot_at``
    The prospect and the snapshot date.
``label``
    1.0 if the target stage was reached in ``(snapshot_at, snapshot_at + horizon_days]``, 0.0 if
    not, NaN when that window is not over by the data cut (such rows are for scoring only).
``label_complete``
    Whether the label window had ended by the data cut.
every other column
    A feature (see :func:`feature_columns`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from revlab.sources import SourceError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from revlab.sources import Source

#: Columns of a snapshot frame that are not features.
KEY_COLUMNS = ("lead_id", "snapshot_at", "label", "label_complete")
#: Stages a label can target, and the leads column (or rule) that marks reaching them.
TARGETS = ("opportunity", "mql", "sql", "won")
#: Lead columns never used as features: keys and events whose timing is handled explicitly.
LEAD_NON_FEATURES = (
    "lead_id",
    "created_at",
    "mql_at",
    "sql_at",
    "converted_at",
    "opportunity_id",
    "disqualified_at",
)
DAY = 86_400


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The feature columns of a snapshot frame: everything but keys, label and flags."""
    return [c for c in frame.columns if c not in KEY_COLUMNS]


def data_cutoff(src: Source) -> pd.Timestamp:
    """The moment the data stand at: the source's as-of date, else its latest recorded event."""
    if src.as_of is not None:
        return pd.Timestamp(src.as_of)
    leads = src.table("leads")
    cols = [c for c in ("created_at", "mql_at", "sql_at", "converted_at") if c in leads.columns]
    latest = [leads[c].max().execute() for c in cols]
    if src.has("activities"):
        latest.append(src.table("activities").occurred_at.max().execute())
    if src.has("opportunities"):
        opps = src.table("opportunities")
        latest += [
            opps[c].max().execute() for c in ("created_at", "closed_at") if c in opps.columns
        ]
    latest = [pd.Timestamp(v) for v in latest if v is not None and not pd.isna(v)]
    if not latest:
        raise SourceError("leads: the table is empty; snapshots need at least one lead.")
    return max(latest)


def snapshot_dates(
    src: Source,
    *,
    every_days: int = 7,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    warmup_days: int = 90,
) -> list[pd.Timestamp]:
    """Regular snapshot dates ending at ``end`` (default: the data cut), oldest first.

    The first date is ``start``, or ``warmup_days`` after the first lead was created, so the
    earliest snapshots already see a few months of activity history.
    """
    last = pd.Timestamp(end) if end is not None else data_cutoff(src).floor("D")
    if start is None:
        first_lead = src.table("leads").created_at.min().execute()
        if first_lead is None or pd.isna(first_lead):
            raise SourceError("leads: the table is empty; snapshots need at least one lead.")
        start = pd.Timestamp(first_lead).normalize() + pd.Timedelta(days=warmup_days)
    first = pd.Timestamp(start)
    n = int((last - first) / pd.Timedelta(days=every_days))
    return [last - pd.Timedelta(days=every_days * k) for k in range(max(n, 0), -1, -1)]


def build_snapshots(
    src: Source,
    dates: Iterable[str | pd.Timestamp],
    *,
    horizon_days: int = 90,
    target: str = "opportunity",
    windows: Sequence[int] = (7, 30, 90),
    kinds: Sequence[str] | None = None,
    max_kinds: int = 12,
) -> pd.DataFrame:
    """Every prospect open at each date, with point-in-time features and the horizon label.

    Parameters
    ----------
    src
        The data; its as-of cut (``src.at(date)``) bounds what any label may look at.
    dates
        Snapshot dates; none may lie after the data cut.
    horizon_days
        Label window H: the target must be reached within H days after the snapshot.
    target
        Stage the label targets: ``"opportunity"`` (``converted_at``), ``"mql"``, ``"sql"``
        or ``"won"`` (the lead's opportunity was won within H days; needs ``opportunities``).
    windows
        Activity windows in days for counts by kind.
    kinds
        Activity kinds that get their own features (others are pooled as ``other``); default
        the ``max_kinds`` most frequent (:func:`activity_kinds`). Pass the training run's kinds
        when scoring, so the features match.

    Returns
    -------
    DataFrame
        One row per prospect-snapshot; columns as described in the module docstring. Extra
        lead columns become features (text as categories, numbers as numbers); extra timestamp
        columns are dropped, since nothing says when they became known.
    """
    expr = snapshot_query(
        src,
        dates,
        horizon_days=horizon_days,
        target=target,
        windows=windows,
        kinds=kinds,
        max_kinds=max_kinds,
    )
    return _tidy(expr.to_pyarrow().to_pandas())  # Arrow's converter: several times faster


def snapshot_query(
    src: Source,
    dates: Iterable[str | pd.Timestamp],
    *,
    horizon_days: int = 90,
    target: str = "opportunity",
    windows: Sequence[int] = (7, 30, 90),
    kinds: Sequence[str] | None = None,
    max_kinds: int = 12,
) -> ir.Table:
    """The Ibis expression behind :func:`build_snapshots`, unexecuted (same parameters).

    Only portable operations: an inequality join, filters, conditional aggregates, casts and
    epoch arithmetic, so it compiles for Postgres, Snowflake or BigQuery as well as DuckDB.
    """
    src.require("leads", analysis="propensity snapshots")
    if target not in TARGETS:
        raise ValueError(f"target {target!r} is not one of {', '.join(TARGETS)}.")
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}.")
    cutoff = data_cutoff(src)
    stamps = _check_dates(dates, cutoff)
    pairs = _open_pairs(src, stamps, target)
    pairs = _label(src, pairs, target, horizon_days, cutoff)
    pairs = _lead_features(pairs)
    if src.has("activities"):
        if kinds is None:
            kinds = activity_kinds(src, max_kinds=max_kinds)
        acts = _activity_features(src, pairs, windows, list(kinds), cutoff)
        pairs = pairs.left_join(acts, ["lead_id", "snapshot_at"]).drop(
            "lead_id_right", "snapshot_at_right"
        )
    return pairs.drop(*[c for c in LEAD_NON_FEATURES[1:] if c in pairs.columns])


def _check_dates(dates: Iterable[str | pd.Timestamp], cutoff: pd.Timestamp) -> pd.Series:
    stamps = pd.Series(pd.to_datetime(list(dates)), name="snapshot_at").astype("datetime64[us]")
    if stamps.empty:
        raise ValueError("no snapshot dates given; pass at least one date.")
    late = stamps[stamps > cutoff]
    if len(late):
        raise ValueError(
            f"snapshot dates after the data cut {cutoff:%Y-%m-%d} would see the future "
            f"({late.iloc[0]:%Y-%m-%d}, …); use dates on or before the cut."
        )
    return stamps.drop_duplicates().sort_values()


def _open_pairs(src: Source, stamps: pd.Series, target: str) -> ir.Table:
    """Leads × dates where the lead existed and was still open (an inequality join)."""
    leads = src.table("leads")
    dates = ibis.memtable(stamps.to_frame())
    pairs = leads.join(dates, leads.created_at <= dates.snapshot_at)
    t = pairs.snapshot_at
    keep = ibis.literal(True)
    for col in ("converted_at", "disqualified_at"):
        if col in pairs.columns:
            keep = keep & (pairs[col].isnull() | (pairs[col] > t))
    stage_col = {"mql": "mql_at", "sql": "sql_at"}.get(target)
    if stage_col is not None:
        if stage_col not in pairs.columns:
            raise SourceError(f"leads.{stage_col}: missing; a '{target}' target needs it.")
        keep = keep & (pairs[stage_col].isnull() | (pairs[stage_col] > t))
    return pairs.filter(keep)


def _reached_at(src: Source, pairs: ir.Table, target: str) -> tuple[ir.Table, ir.Value]:
    if target in ("opportunity", "mql", "sql"):
        col = {"opportunity": "converted_at", "mql": "mql_at", "sql": "sql_at"}[target]
        if col not in pairs.columns:
            raise SourceError(f"leads.{col}: missing; the '{target}' label needs it.")
        return pairs, pairs[col]
    src.require("opportunities", analysis="a 'won' propensity target")
    if "opportunity_id" not in pairs.columns:
        raise SourceError("leads.opportunity_id: missing; a 'won' target links leads to deals.")
    opps = src.table("opportunities")
    when = opps.closed_at if "closed_at" in opps.columns else opps.close_date
    won = opps.filter(opps.is_won).select(_won_id=opps.opportunity_id, _won_at=when)
    joined = pairs.left_join(won, pairs.opportunity_id == won._won_id).drop("_won_id")
    return joined, joined._won_at


def _label(
    src: Source, pairs: ir.Table, target: str, horizon_days: int, cutoff: pd.Timestamp
) -> ir.Table:
    pairs, reached = _reached_at(src, pairs, target)
    t = pairs.snapshot_at
    end = t + ibis.interval(days=horizon_days)
    hit = reached.notnull() & (reached > t) & (reached <= end)
    complete = end <= ibis.literal(cutoff.to_pydatetime(), type="timestamp")
    # no CAST(bool AS DOUBLE): Postgres refuses it
    label = ibis.cases((complete & hit, 1.0), (complete, 0.0), else_=ibis.null("float64"))
    out = pairs.mutate(label=label, label_complete=complete)
    return out.drop("_won_at") if "_won_at" in out.columns else out


def _seconds(when: ir.Value) -> ir.Value:
    """Whole seconds since 1970: engines disagree on fractions (Spark drops them)."""
    return when.truncate("s").epoch_seconds()


def _days(later: ir.Value, earlier: ir.Value) -> ir.Value:
    return (_seconds(later) - _seconds(earlier)).cast("float64") / DAY


def _lead_features(pairs: ir.Table) -> ir.Table:
    """Age, stage reached by the snapshot, time in that stage and time taken to reach each."""
    t = pairs.snapshot_at
    age = _days(t, pairs.created_at)
    reached = {}
    for stage in ("mql", "sql"):
        col = f"{stage}_at"
        if col in pairs.columns:
            reached[stage] = pairs[col].notnull() & (pairs[col] <= t)
    stage_start = pairs.created_at
    stage = ibis.literal("new")
    for name, flag in reached.items():  # mql, then sql: the later stage wins
        stage_start = ibis.cases((flag, pairs[f"{name}_at"]), else_=stage_start)
        stage = ibis.cases((flag, ibis.literal(name)), else_=stage)
    features = {"age_days": age, "stage": stage, "days_in_stage": _days(t, stage_start)}
    previous = pairs.created_at
    for name, flag in reached.items():
        since = _days(t, pairs[f"{name}_at"])
        features[f"days_since_{name}"] = ibis.cases((flag, since), else_=ibis.null("float64"))
        took = _days(pairs[f"{name}_at"], previous)  # how fast it got there: buyers move faster
        features[f"days_to_{name}"] = ibis.cases((flag, took), else_=ibis.null("float64"))
        previous = ibis.cases((flag, pairs[f"{name}_at"]), else_=previous)
    return pairs.mutate(**features)


def _kind_name(kind: str) -> str:
    return re.sub(r"\W+", "_", str(kind).strip().lower()).strip("_") or "blank"


def activity_kinds(src: Source, *, max_kinds: int = 12) -> list[str]:
    """The ``max_kinds`` most frequent activity kinds (ties by name), as stored."""
    acts = src.table("activities")
    counts = acts.group_by("activity").aggregate(n=acts.count())
    counts = counts.filter(counts.activity.notnull()).order_by([ibis.desc("n"), "activity"])
    return [str(k) for k in counts.limit(max_kinds).to_pandas()["activity"]]


def _activity_features(
    src: Source, pairs: ir.Table, windows: Sequence[int], kinds: list[str], cutoff: pd.Timestamp
) -> ir.Table:
    """Counts by kind over each window, all-time counts and days since the last touch."""
    acts = src.table("activities")
    acts = acts.filter(acts.occurred_at <= ibis.literal(cutoff.to_pydatetime(), type="timestamp"))
    acts = acts.select(
        a_id=acts.lead_id,
        a_at=acts.occurred_at,
        kind=ibis.cases(*[(acts.activity == k, _kind_name(k)) for k in kinds], else_="other")
        if kinds
        else ibis.literal("other"),
    )
    keys = pairs.select("lead_id", "snapshot_at")
    j = keys.join(acts, [keys.lead_id == acts.a_id, acts.a_at <= keys.snapshot_at])
    age = _days(j.snapshot_at, j.a_at)
    names = sorted({_kind_name(k) for k in kinds} | {"other"})
    aggs: dict[str, ir.Value] = {"act_total": j.count()}
    for w in windows:
        aggs[f"act_{w}d"] = j.count(where=age <= w)
    aggs["act_days_since"] = age.min()
    for name in names:
        is_kind = j.kind == name
        aggs[f"act_{name}_total"] = j.count(where=is_kind)
        for w in windows:
            aggs[f"act_{name}_{w}d"] = j.count(where=is_kind & (age <= w))
        aggs[f"act_{name}_days_since"] = age.min(where=is_kind)
    return j.group_by(["lead_id", "snapshot_at"]).aggregate(**aggs)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical dtypes and order: keys first, counts 0 (not missing) where nothing happened."""
    counts = [c for c in frame.columns if c.startswith("act_") and not c.endswith("_days_since")]
    frame[counts] = frame[counts].fillna(0).astype("float64")
    frame["snapshot_at"] = frame["snapshot_at"].astype("datetime64[us]")
    frame["label_complete"] = frame["label_complete"].astype("bool")
    for col in feature_columns(frame):
        if pd.api.types.is_datetime64_any_dtype(frame[col]):  # extra lead timestamps: timing
            frame = frame.drop(columns=col)  # unknown, so they could leak the future
        elif frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].astype("str").where(frame[col].notna())
        elif frame[col].dtype == bool and col != "label_complete":
            frame[col] = frame[col].astype("float64")
    first = list(KEY_COLUMNS)
    rest = sorted(feature_columns(frame), key=lambda c: (c.startswith("act_"), c))
    out = frame[first + [c for c in rest if c not in first]]
    out = out.sort_values(["snapshot_at", "lead_id"], kind="stable").reset_index(drop=True)
    ints = [c for c in rest if pd.api.types.is_integer_dtype(out[c].dtype)]
    return out.astype(dict.fromkeys(ints, "float64"))
