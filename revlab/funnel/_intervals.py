"""Stage stays of every prospect as intervals, and the daily event log built from them.

A *stay* is one prospect in one open stage from ``enter`` until ``exit`` (null while still
there). Lead stages come from ``leads``: ``new`` (created, not yet MQL), ``mql`` and ``sql``;
a lead leaves a stage when it reaches a later one or is disqualified. Deal stages come from
``stage_history`` (each open stage until the next change or the close), or, without it, one
``opportunity`` stay from creation to close. ``lost`` marks exits by disqualification or a
lost deal.

The event log turns stays into +1 (entry) and -1 (exit) events counted per stage and day in
the engine; cumulating them gives the inventory on any day without testing every prospect
against every date.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from revlab.funnel import _base, _memo
from revlab.schema import CLOSED_STAGES, OPPORTUNITY_STAGES
from revlab.sources import Source

LEAD_OPEN_STAGES: tuple[str, ...] = ("new", "mql", "sql")
_NEXT = {"new": ("mql_at", "sql_at", "converted_at"), "mql": ("sql_at", "converted_at")}
_NEXT["sql"] = ("converted_at",)
_ENTER = {"new": "created_at", "mql": "mql_at", "sql": "sql_at"}


def stage_order(stages: Sequence[str]) -> list[str]:
    """Stages in funnel order: lead stages, the demo's deal stages, then others by name."""
    known = [*LEAD_OPEN_STAGES, *OPPORTUNITY_STAGES, "opportunity"]
    rank = {s: i for i, s in enumerate(known)}
    return sorted(set(stages), key=lambda s: (rank.get(s, len(known)), s))


def _lead_stays(src: Source, by: Sequence[str]) -> ir.Table | None:
    leads = src.table("leads")
    _base.check_columns(leads, "leads", by, "grouping")
    parts = []
    for stage, enter in _ENTER.items():
        if enter not in leads.columns:
            continue
        nxt = [leads[c] for c in _NEXT[stage] if c in leads.columns]
        advance = ibis.coalesce(*nxt) if len(nxt) > 1 else (nxt[0] if nxt else None)
        if advance is None:
            advance = ibis.null("timestamp")
        if "disqualified_at" in leads.columns:
            dq = leads.disqualified_at
        else:
            dq = ibis.null("timestamp")
        part = leads.filter(leads[enter].notnull()).select(
            stage=ibis.literal(stage),
            lead_id=leads.lead_id,
            born=leads.created_at,
            enter=leads[enter],
            _advance=advance,
            _drop=dq,
            **{b: leads[b].cast("string") for b in by},
        )
        parts.append(part)
    return ibis.union(*parts) if parts else None


def _deal_attrs(src: Source, by: Sequence[str]) -> ir.Table:
    opps = _base.deals(src, by=by)
    return opps.select(
        opportunity_id=opps.opportunity_id,
        lead_id=opps.lead_id if "lead_id" in opps.columns else ibis.null("string"),
        born=opps.created_at,
        closed_at=_base.closed_time(opps),
        is_closed=opps.is_closed,
        is_won=opps.is_won,
        **{b: opps[b] for b in by},
    )


def _deal_stays(src: Source, by: Sequence[str]) -> ir.Table:
    a = _deal_attrs(src, by)
    closed_exit = ibis.cases((a.is_closed, a.closed_at), else_=ibis.null("timestamp"))
    lost_close = a.is_closed & ~a.is_won
    if not src.has("stage_history"):
        return a.select(
            stage=ibis.literal("opportunity"),
            lead_id=a.lead_id,
            born=a.born,
            enter=a.born,
            _advance=ibis.cases((lost_close, ibis.null("timestamp")), else_=closed_exit),
            _drop=ibis.cases((lost_close, closed_exit), else_=ibis.null("timestamp")),
            **{b: a[b] for b in by},
        )
    h = src.table("stage_history")
    w = ibis.window(group_by=h.opportunity_id, order_by=h.entered_at)
    h = h.mutate(_next_at=h.entered_at.lead().over(w), _next=h.stage.lead().over(w))
    h = h.filter(~h.stage.isin(CLOSED_STAGES))
    j = h.join(a, "opportunity_id")
    last_open = j._next.isnull() | j._next.isin(CLOSED_STAGES)
    closed = ibis.cases((j.is_closed, j.closed_at), else_=ibis.null("timestamp"))
    exit_ = ibis.cases((last_open, closed), else_=j._next_at)
    lost = last_open & j.is_closed & ~j.is_won
    return j.select(
        stage=j.stage.cast("string"),
        lead_id=j.lead_id,
        born=j.born,
        enter=j.entered_at,
        _advance=ibis.cases((lost, ibis.null("timestamp")), else_=exit_),
        _drop=ibis.cases((lost, exit_), else_=ibis.null("timestamp")),
        **{b: j[b] for b in by},
    )


def _parts(src: Source, by: Sequence[str]) -> list[ir.Table]:
    if not src.has("leads") and not src.has("opportunities"):
        src.require("leads", analysis="prospect inventory")
    parts = [p for p in (_lead_stays(src, by),) if p is not None] if src.has("leads") else []
    if src.has("opportunities"):
        parts.append(_deal_stays(src, by))
    types = {"stage": "string", "lead_id": "string", "born": "timestamp", "enter": "timestamp"}
    types |= {"_advance": "timestamp", "_drop": "timestamp", **dict.fromkeys(by, "string")}
    return [p.select(**{c: p[c].cast(t) for c, t in types.items()}) for p in parts]


def stays(src: Source, *, by: Sequence[str] = ()) -> ir.Table:
    """Every stage stay: ``stage``, ``lead_id``, ``born``, ``enter``, ``exit``, ``lost``, by.

    A stay ends at the earlier of ``_advance`` (the prospect moved on: a later stage, or a
    won deal) and ``_drop`` (disqualified, or the deal lost); ``lost`` says it was the drop.
    Both are kept, since "still open at t" is cheaper to test on them than on their minimum.
    An exit recorded before the entry (a lead disqualified before the MQL date it also has)
    is read as a stay of zero length: it is never open, and the event log counts its exit on
    its entry day.
    """
    s = ibis.union(*_parts(src, by))
    a, d = s._advance, s._drop
    first = ibis.cases((d.isnull() | (a <= d), a), else_=d)
    return s.mutate(exit=first, lost=d.notnull() & (a.isnull() | (d < a)))


def open_at(s: ir.Table, at: ir.Value) -> ir.Table:
    """The stays of :func:`stays` open at ``at``: entered by then, not yet left."""
    gone = (s._advance <= at).fill_null(False) | (s._drop <= at).fill_null(False)
    return s.filter((s.enter <= at) & ~gone)


def daily_log(src: Source, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """The event log of :func:`_daily_log`, memoised per data cut (see :mod:`._memo`)."""
    return _memo.memoised(src, "daily_log", tuple(by), lambda: _daily_log(src, by))


def _daily_log(src: Source, by: Sequence[str]) -> pd.DataFrame:
    """Entries and exits per stage and day, with the open count at each day's end.

    Returns a dense frame (every day from the first entry to the as-of date, per stage and
    group): ``stage``, ``by...``, ``day``, ``entered``, ``exited``, ``lost`` (exits by
    disqualification or a lost deal), ``stay_days`` (summed length of the stays that ended
    that day) and ``open`` (stays open at the end of the day = cumulative entries - exits).
    Each stay is read once and paired with a two-row table, giving its +1 and -1 events.
    """
    keys = ["stage", *by]
    s = stays(src, by=by)
    sign = ibis.memtable(pd.DataFrame({"_sign": [1, -1]}))
    j = s.cross_join(sign)
    j = j.filter((j._sign == 1) | j.exit.notnull())
    out = j._sign == -1
    when = ibis.cases((out, _base.latest(j.exit, j.enter)), else_=j.enter)
    stay = (_base.seconds(when) - _base.seconds(j.enter)).cast("float64")
    ev = j.select(
        *keys,
        day=when.truncate("D"),
        _in=(~out).cast("int32"),
        _out=out.cast("int32"),
        _lost=(out & j.lost).cast("int32"),
        _stay=ibis.cases((out, stay), else_=0.0),
    )
    counts = ev.group_by([*keys, "day"]).aggregate(
        entered=ev._in.sum(),
        exited=ev._out.sum(),
        lost=ev._lost.sum(),
        stay_days=ev._stay.sum() / _base.DAY_SECONDS,
    )
    return _dense(counts.to_pandas(), keys, _base.as_of(src))


def _dense(counts: pd.DataFrame, keys: list[str], at: pd.Timestamp) -> pd.DataFrame:
    cols = [*keys, "day", "entered", "exited", "lost", "stay_days", "open"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    counts["day"] = pd.to_datetime(counts["day"]).astype("datetime64[us]")
    days = pd.date_range(counts["day"].min(), _base.last_moment(at).floor("D"), freq="D")
    grid = _base.cross(counts[keys].drop_duplicates(), pd.DataFrame({"day": days}))
    grid["day"] = grid["day"].astype("datetime64[us]")
    out = grid.merge(counts, on=[*keys, "day"], how="left")
    out = out.fillna({"entered": 0, "exited": 0, "lost": 0, "stay_days": 0.0})
    for c in ("entered", "exited", "lost"):
        out[c] = out[c].astype("int64")
    out = out.sort_values([*keys, "day"], ignore_index=True)
    out["open"] = (
        (out["entered"] - out["exited"]).groupby([out[k] for k in keys], sort=False).cumsum()
    )
    return out[cols]


def open_histogram(
    src: Source,
    *,
    at: pd.Timestamp,
    by: Sequence[str] = (),
    stale_after_days: int | None = 30,
) -> pd.DataFrame:
    """The snapshot of :func:`_open_histogram`, memoised per data cut (see :mod:`._memo`)."""
    args = (pd.Timestamp(at), tuple(by), stale_after_days)
    return _memo.memoised(
        src, "open_histogram", args, lambda: _open_histogram(src, at, by, stale_after_days)
    )


def _open_histogram(
    src: Source, at: pd.Timestamp, by: Sequence[str], stale_after_days: int | None
) -> pd.DataFrame:
    """Prospects open at ``at``, counted per stage, group, age in days and staleness.

    ``age_days`` is whole days since the prospect was created (the lead, or the deal for deal
    stages); ``stale`` is True when neither an activity nor the stage entry happened in the
    last ``stale_after_days`` days (NaN without an activities table, or when
    ``stale_after_days`` is None); ``stage_days`` sums whole days in the current stage.
    """
    lit = _base.ts(at)
    s = open_at(stays(src, by=by), lit)
    has_acts = stale_after_days is not None and src.has("activities")
    if has_acts:
        since = _base.ts(pd.Timestamp(at) - pd.Timedelta(days=stale_after_days))
        acts = src.table("activities")
        recent = acts.filter((acts.occurred_at > since) & (acts.occurred_at <= lit))
        touched = recent.select(_lid=recent.lead_id).distinct()
        s = s.left_join(touched, s.lead_id == touched._lid)
        stale = s._lid.isnull() & (s.enter <= since)
    else:
        stale = ibis.null("boolean")
    s = s.mutate(
        age_days=_base.days_between(s.born, lit),
        _in_stage=_base.days_between(s.enter, lit),
        stale=stale,
    )
    hist = s.group_by(["stage", *by, "age_days", "stale"]).aggregate(
        open=s.count(), stage_days=s._in_stage.sum()
    )
    out = hist.to_pandas()
    out["stale"] = out["stale"].astype("float64") if has_acts else float("nan")
    return out
