"""The counts the forecast models fit on, computed in the engine through Ibis.

Every function takes a :class:`~revlab.sources.Source` cut at the as-of date (``src.at(as_of)``)
and returns a small pandas frame whose size is bounded by the number of channels, segments,
stages and days of history, not by the number of leads or deals: the model's cost does not grow
with the data. Times are in days (a deal's age, a lead's time to convert); a lead or deal
still open at the as-of date is *censored* at its age, never counted as lost.

Sums of amounts (won deals' log amounts, their drift, bookings) are the exception: won deals'
amounts are fetched and summed exactly with ``math.fsum``. An engine's parallel sum adds in a
varying order, and its last-digit differences sent a seeded forecast down another path.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from revlab import _amounts
from revlab.forecast._errors import ForecastError
from revlab.periods import FiscalCalendar, Quarter
from revlab.schema import OPPORTUNITY_STAGES

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from revlab.sources import Source

DAY = 86_400
#: Label of a deal's only stage when the data has no stage history.
OPEN_STAGE = "open"
#: Label for a missing segment or channel.
UNKNOWN = "unknown"


def _at(src: Source) -> pd.Timestamp:
    if src.as_of is None:
        raise ForecastError("the forecast needs a source cut at a date: pass src.at(as_of).")
    return pd.Timestamp(src.as_of)


def _lit(ts: pd.Timestamp):
    import ibis

    return ibis.literal(pd.Timestamp(ts).to_pydatetime(), type="timestamp")


def _days(later: ir.Value, earlier: ir.Value) -> ir.Value:
    """Float days between two timestamp expressions."""
    return (later.epoch_seconds() - earlier.epoch_seconds()).cast("float64") / DAY


def _label(t: ir.Table, col: str) -> ir.Value:
    import ibis

    if col not in t.columns:
        return ibis.literal("all")
    return t[col].cast("string").fill_null(UNKNOWN)


# --- leads ----------------------------------------------------------------------------------


def lead_volume(src: Source, *, max_weeks: int = 156, table: str = "leads") -> pd.DataFrame:
    """New leads per channel and week, counting back from the as-of date.

    Week 0 is the seven days before the as-of date; only weeks that lie entirely after the
    first lead are returned (a partial first week would look like a drop in volume).
    ``table="opportunities"`` counts new deals instead (the deals-only model's arrivals); the
    column is still called ``leads``.

    Returns
    -------
    DataFrame
        ``channel``, ``week`` (0 = latest, counting back), ``week_start``, ``leads``: one row
        per channel and week, zeros included.
    """
    at = _at(src)
    t = src.table(table)
    first = t.created_at.min().execute()
    if first is None or pd.isna(first):
        raise ForecastError(f"{table}: none was created by {at:%Y-%m-%d}; nothing to forecast.")
    n_weeks = min(int((at - pd.Timestamp(first)) / pd.Timedelta(days=7)), max_weeks)
    week = (_days(_lit(at), t.created_at) / 7).floor().cast("int64")
    counts = (
        t.mutate(channel=_label(t, "channel"), week=week)
        .filter(lambda x: x.week < n_weeks)
        .group_by(["channel", "week"])
        .agg(leads=lambda x: x.count())
        .to_pandas()
    )
    channels = sorted(set(t.select(c=_label(t, "channel")).distinct().to_pandas()["c"]))
    grid = pd.MultiIndex.from_product([channels, range(n_weeks)], names=["channel", "week"])
    out = counts.set_index(["channel", "week"])["leads"].reindex(grid, fill_value=0)
    out = out.reset_index()
    out["week_start"] = at - pd.to_timedelta(7 * (out["week"] + 1), unit="D")
    out["leads"] = out["leads"].astype("int64")
    return out[["channel", "week", "week_start", "leads"]]


def lead_cohorts(src: Source) -> pd.DataFrame:
    """Leads by channel, segment, what became of them by the as-of date, and when.

    ``status`` is ``converted`` (became an opportunity), ``disqualified``, or ``open``
    (censored: neither yet); ``days`` is the whole number of days from creation to the
    event, or to the as-of date for open leads.

    Returns
    -------
    DataFrame
        ``channel``, ``segment``, ``status``, ``days``, ``n``.
    """
    import ibis

    at = _lit(_at(src))
    t = src.table("leads")
    null = ibis.null("timestamp")
    conv = t.converted_at if "converted_at" in t.columns else null
    dq = t.disqualified_at if "disqualified_at" in t.columns else null
    status = ibis.cases(
        (conv.notnull(), "converted"), (dq.notnull(), "disqualified"), else_="open"
    )
    end = ibis.cases((conv.notnull(), conv), (dq.notnull(), dq), else_=at)
    rows = t.mutate(
        channel=_label(t, "channel"),
        segment=_label(t, "segment"),
        status=status,
        days=_days(end, t.created_at).floor().cast("int64"),
    )
    out = rows.group_by(["channel", "segment", "status", "days"]).agg(n=lambda x: x.count())
    out = out.to_pandas()
    out["days"] = out["days"].clip(lower=0)
    return out.sort_values(["channel", "segment", "status", "days"], ignore_index=True)


def lead_mix(src: Source, *, days: int = 365, table: str = "leads") -> pd.DataFrame:
    """Leads (or ``table``'s rows) per channel and segment created in the last ``days`` days."""
    at = _at(src)
    t = _deals(src) if table == "opportunities" else src.table(table)  # deals: their labels
    recent = t.filter(t.created_at > _lit(at - pd.Timedelta(days=days)))
    out = (
        recent.mutate(channel=_label(recent, "channel"), segment=_label(recent, "segment"))
        .group_by(["channel", "segment"])
        .agg(n=lambda x: x.count())
        .to_pandas()
    )
    return out.sort_values(["channel", "segment"], ignore_index=True)


# --- deals ----------------------------------------------------------------------------------


def _deals(src: Source) -> ir.Table:
    """Opportunities with segment, channel (through their lead) and close time."""
    o = src.table("opportunities")
    close = o.closed_at if "closed_at" in o.columns else None
    if "close_date" in o.columns:
        close = o.close_date if close is None else close.coalesce(o.close_date)
    if close is None:
        raise ForecastError(
            "opportunities: neither closed_at nor close_date; the forecast needs to know when "
            "closed deals closed. Add closed_at."
        )
    o = o.mutate(closed=close)
    if "segment" not in o.columns and src.has("leads") and "lead_id" in o.columns:
        leads = src.table("leads")
        if "segment" in leads.columns:
            seg = leads.select(_lid=leads.lead_id, segment=leads.segment)
            o = o.left_join(seg, o.lead_id == seg._lid).drop("_lid")
    if "segment" in o.columns or src.has("leads"):
        o = o.mutate(segment=_label(o, "segment"))
    else:
        o = o.mutate(segment=size_bands(o))
    if src.has("leads") and "lead_id" in o.columns:
        leads = src.table("leads")
        ch = leads.select(_lid=leads.lead_id, channel=leads.channel.cast("string"))
        o = o.left_join(ch, o.lead_id == ch._lid).drop("_lid")
        o = o.mutate(channel=o.channel.fill_null(UNKNOWN))
    else:
        o = o.mutate(channel=_label(o, "channel"))
    return o


#: Shares of deals below the amount bands' upper edges (terciles).
BAND_QUANTILES = (1 / 3, 2 / 3)


def band_edges(o: ir.Table) -> list[float]:
    """The amounts at which :func:`size_bands` cuts: terciles of the known amounts."""
    known = o.filter(_amounts.known(o.amount))
    edges = [known.amount.quantile(q).execute() for q in BAND_QUANTILES]
    return [float(e) for e in edges if e is not None and not pd.isna(e)]


def size_bands(o: ir.Table) -> ir.Value:
    """Deals grouped by amount tercile, the segment of a deals export that has none.

    Large deals close less often and more slowly than small ones; without a segment, one win
    rate for all would give the large open deals the small ones' chances and over-forecast
    (measured in docs/forecast.md). Bands are cut at the terciles of the known amounts by the
    as-of date; a deal without a known amount is in ``amount unknown``.
    """
    import ibis

    edges = band_edges(o)
    if len(edges) < 2 or edges[0] >= edges[1]:
        return ibis.literal(UNKNOWN)
    lo, hi = (f"{e:,.0f}" for e in edges)
    return ibis.cases(
        (~_amounts.known(o.amount), "amount unknown"),
        (o.amount < edges[0], f"amount under {lo}"),
        (o.amount < edges[1], f"amount {lo} to {hi}"),
        else_=f"amount {hi} and over",
    )


def _entries(src: Source) -> ir.Table:
    """First entry of each deal into each open stage, with the amount then.

    Columns ``opportunity_id``, ``stage``, ``entered``, ``entry_amount``; without stage history
    the deal's creation is its only entry.
    """
    import ibis

    o = src.table("opportunities")
    if not src.has("stage_history"):
        return o.select(
            "opportunity_id",
            stage=ibis.literal(OPEN_STAGE),
            entered=o.created_at,
            entry_amount=o.amount,
        )
    h = src.table("stage_history")
    closing = _closing_stages(src)
    h = h.filter(h.stage.notnull() & ~h.stage.isin(closing))
    amount = h.amount if "amount" in h.columns else ibis.null("float64")
    w = ibis.window(group_by=[h.opportunity_id, h.stage], order_by=h.entered_at)
    first = h.mutate(_r=ibis.row_number().over(w), entry_amount=amount).filter(lambda x: x._r == 0)
    return first.select(
        "opportunity_id", "stage", entered=first.entered_at, entry_amount=(first.entry_amount)
    )


def _closing_stages(src: Source) -> list[str]:
    """Stage names that mark a closed deal (the final stage of closed deals)."""
    o = src.table("opportunities")
    if "stage" not in o.columns:
        return ["closed_won", "closed_lost"]
    names = o.filter(o.is_closed & o.stage.notnull()).stage.cast("string").name("s")
    found = set(names.as_table().distinct().to_pandas()["s"])
    return sorted(found | {"closed_won", "closed_lost"})


def stage_order(src: Source) -> list[str]:
    """Open stages in funnel order: the usual order first, others by when deals reach them."""
    e = _entries(src)
    frame = e.group_by("stage").agg(n=lambda x: x.count()).to_pandas()
    names = [s for s in frame["stage"]]
    known = [s for s in OPPORTUNITY_STAGES if s in names]
    if len(known) == len(names):
        return known
    deal = _deals(src).select(_oid="opportunity_id", created_at="created_at")
    j = e.join(deal, e.opportunity_id == deal._oid)
    lag = j.group_by("stage").agg(lag=_days(j.entered, j.created_at).mean()).to_pandas()
    return list(lag.sort_values("lag")["stage"])


def stage_outcomes(src: Source) -> pd.DataFrame:
    """Deals by the stage they entered and how they finally ended (for stage win rates).

    Returns
    -------
    DataFrame
        ``stage``, ``segment``, ``channel``, ``status`` (``won``, ``lost`` or ``open``), ``n``.
    """
    import ibis

    d = _deals(src).select("opportunity_id", "is_closed", "is_won", "segment", "channel")
    d = d.rename(_oid="opportunity_id")
    e = _entries(src)
    j = e.join(d, e.opportunity_id == d._oid)
    status = ibis.cases((j.is_won, "won"), (j.is_closed, "lost"), else_="open")
    out = j.mutate(status=status).group_by(["stage", "segment", "channel", "status"])
    return out.agg(n=lambda x: x.count()).to_pandas()


def stage_exits(src: Source) -> pd.DataFrame:
    """How deals left each open stage they entered, and after how long.

    Each entry of a deal into an open stage is a row of a cohort: ``status`` is ``advanced``
    (it entered a later stage, or was won, from this one), ``lost`` (closed lost from this
    stage) or ``open`` (still in the stage at the as-of date: censored); ``days`` the whole
    days spent in the stage until then.

    Returns
    -------
    DataFrame
        ``stage``, ``segment``, ``channel``, ``status``, ``days``, ``n``.
    """
    import ibis

    at = _lit(_at(src))
    d = _deals(src).select("opportunity_id", "is_closed", "is_won", "closed", "segment", "channel")
    d = d.rename(_oid="opportunity_id")
    e = _entries(src).select("opportunity_id", "stage", "entered")
    later = e.select(_oid2="opportunity_id", _next="entered")
    nxt = e.join(later, (e.opportunity_id == later._oid2) & (later._next > e.entered))
    nxt = nxt.group_by(["opportunity_id", "stage"]).agg(next=lambda x: x._next.min())
    nxt = nxt.rename(_oid3="opportunity_id", _stage3="stage")
    e = e.left_join(nxt, (e.opportunity_id == nxt._oid3) & (e.stage == nxt._stage3))
    j = e.join(d, e.opportunity_id == d._oid)
    status = ibis.cases(
        (j.next.notnull(), "advanced"), (j.is_won, "advanced"), (j.is_closed, "lost"),
        else_="open",
    )  # fmt: skip
    end = ibis.cases((j.next.notnull(), j.next), (j.is_closed, j.closed), else_=at)
    rows = j.mutate(status=status, days=_days(end, j.entered).floor().cast("int64"))
    out = rows.group_by(["stage", "segment", "channel", "status", "days"]).agg(
        n=lambda x: x.count()
    )
    out = out.to_pandas()
    out["days"] = out["days"].clip(lower=0)
    return out.sort_values(["stage", "segment", "channel", "status", "days"], ignore_index=True)


def open_deals(src: Source) -> pd.DataFrame:
    """Deals open at the as-of date: stage, segment, channel, amount and days in the stage.

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``stage``, ``segment``, ``channel``, ``amount``,
        ``days_in_stage``, ``age_days``, ``close_date`` (expected; NaT when not recorded).
    """
    import ibis

    at = _lit(_at(src))
    d = _deals(src).filter(lambda x: ~x.is_closed)
    if src.has("stage_history") and "stage" in d.columns:
        e = _entries(src)
        e = e.select(_oid="opportunity_id", _stage="stage", entered="entered")
        d = d.left_join(e, (d.opportunity_id == e._oid) & (d.stage == e._stage))
        d = d.mutate(entered=d.entered.coalesce(d.created_at))
    else:
        d = d.mutate(stage=ibis.literal(OPEN_STAGE), entered=d.created_at)
    close_date = d.close_date if "close_date" in d.columns else ibis.null("timestamp")
    out = d.select(
        "opportunity_id",
        stage=d.stage.cast("string"),
        segment="segment",
        channel="channel",
        amount="amount",
        days_in_stage=_days(at, d.entered),
        age_days=_days(at, d.created_at),
        close_date=close_date,
    ).to_pandas()
    missing = out["amount"].isna()
    if missing.any():
        ids = ", ".join(out.loc[missing, "opportunity_id"].astype(str).head(3))
        raise ForecastError(
            f"opportunities.amount: {int(missing.sum())} open deal(s) have no amount ({ids}); "
            "the forecast needs every open deal's amount."
        )
    return out.sort_values("opportunity_id", ignore_index=True)


def won_amounts(src: Source) -> pd.DataFrame:
    """Sufficient statistics of the log amount of won deals, per segment.

    Returns
    -------
    DataFrame
        ``segment``, ``n``, ``sum_log``, ``sum_log2`` (a lognormal fit needs nothing else).
    """
    d = _deals(src)
    won = d.filter(d.is_won & (d.amount > 0))
    logs = won.select("segment", la=won.amount.ln()).to_pandas()
    rows = [
        {"segment": seg, "n": len(la), "sum_log": math.fsum(la), "sum_log2": math.fsum(la**2)}
        for seg, la in logs.groupby("segment")["la"]
    ]
    out = pd.DataFrame(rows, columns=["segment", "n", "sum_log", "sum_log2"])
    return out.sort_values("segment", ignore_index=True)


def amount_drift(src: Source) -> pd.DataFrame:
    """How far won deals' final amounts moved from the amount recorded at each stage.

    Count, mean and sd of log(final / amount at entering the stage), per stage.
    """
    d = _deals(src)
    won = d.filter(d.is_won & (d.amount > 0)).select(_oid="opportunity_id", final="amount")
    e = _entries(src)
    e = e.filter(e.entry_amount.notnull() & (e.entry_amount > 0))
    j = e.join(won, e.opportunity_id == won._oid)
    logs = j.select("stage", r=(j.final / j.entry_amount).ln()).to_pandas()
    rows = []
    for stage, r in logs.groupby("stage")["r"]:
        mean = math.fsum(r) / len(r)
        sd = math.sqrt(math.fsum((r - mean) ** 2) / (len(r) - 1)) if len(r) > 1 else 0.0
        rows.append({"stage": stage, "n": len(r), "mean": mean, "sd": sd})
    out = pd.DataFrame(rows, columns=["stage", "n", "mean", "sd"])
    return out.sort_values("stage", ignore_index=True)


# --- bookings -------------------------------------------------------------------------------


def bookings(
    src: Source, *, freq: str = "month", cal: FiscalCalendar | None = None
) -> pd.DataFrame:
    """Won amount per month or quarter of closing, up to the as-of date (empty periods as 0).

    Quarters are on ``cal`` (default: the source's calendar), so fiscal quarters on a fiscal run.

    Returns
    -------
    DataFrame
        ``period`` (period start), ``bookings``, ``deals``.
    """
    if freq not in ("month", "quarter"):
        raise ForecastError(f"freq={freq!r}: use 'month' or 'quarter'.")
    d = _deals(src)
    won = d.filter(d.is_won)
    frame = won.select(closed="closed", amount="amount").to_pandas()
    cal = src.calendar if cal is None else cal
    code = "MS" if freq == "month" else "QS" if cal.is_calendar else cal.freq
    if frame.empty:
        return pd.DataFrame({"period": pd.DatetimeIndex([]), "bookings": [], "deals": []})
    unit = "M" if freq == "month" else "Q" if cal.is_calendar else cal.freq
    period = frame["closed"].dt.to_period(unit).dt.start_time
    out = frame.groupby(period).agg(bookings=("amount", math.fsum), deals=("amount", "size"))
    first = src.table("opportunities").created_at.min().execute()
    start = pd.Timestamp(first).to_period(unit).start_time
    if code == cal.freq:  # fiscal quarters: their starts, through the as-of date
        full = pd.period_range(start, _at(src), freq=code).start_time
    else:
        full = pd.date_range(start, _at(src), freq=code)
    out = out.reindex(full, fill_value=0).rename_axis("period").reset_index()
    out["deals"] = out["deals"].astype("int64")
    return out


def booked(src: Source, quarter: Quarter | str) -> float:
    """Won amount already closed in ``quarter`` by the as-of date."""
    q = Quarter.parse(quarter, src.calendar)
    d = _deals(src)
    won = d.filter(d.is_won & (d.closed >= _lit(q.start)) & (d.closed < _lit(q.end)))
    return math.fsum(won.select("amount").to_pandas()["amount"].dropna())


def history_span(src: Source) -> tuple[pd.Timestamp | None, pd.Timestamp]:
    """First creation time among leads and opportunities, and the as-of date."""
    first = []
    for name in ("leads", "opportunities"):
        if src.has(name):
            v = src.table(name).created_at.min().execute()
            if v is not None and not pd.isna(v):
                first.append(pd.Timestamp(v))
    return (min(first) if first else None), _at(src)
