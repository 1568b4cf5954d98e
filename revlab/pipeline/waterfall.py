"""The pipeline waterfall: how a quarter's pipeline moved from one date to another.

The *pipeline for quarter Q at date t* is every deal open at ``t`` whose expected close date,
as known at ``t``, falls in Q, valued at its amount at ``t``. Between ``start`` and ``end`` the
opening pipeline (at ``start``) becomes the closing pipeline (at ``end``). Every deal in either
is in exactly one movement, decided by the first rule that holds:

========================  ==================================================  =================
movement                  the deal                                            value
========================  ==================================================  =================
``won``                   was in the opening pipeline and was won by ``end``  − opening amount
``lost``                  was in the opening pipeline and was lost by ``end`` − opening amount
``slipped_out``           was in the opening pipeline, is still open at       − opening amount
                          ``end``, but its close date moved out of Q
                          (nearly always later; a date moved before Q's
                          start counts here too)
``amount_change``         is in both, and its amount changed                  closing − opening
``unchanged``             is in both at the same amount                       0
``new``                   is in the closing pipeline, created after           + closing amount
                          ``start``
``pulled_in``             is in the closing pipeline, existed (open, close    + closing amount
                          date outside Q) at ``start``
========================  ==================================================  =================

Values are each deal's contribution to *closing − opening*, so opening + the movements =
closing exactly (up to floating-point rounding), and in counts opening + new + pulled in −
slipped out − lost − won = closing. A won deal counts at its opening amount (an amount change
before the win is part of the win); :func:`movements` gives both amounts. A deal that entered
and left Q's pipeline inside the window (created and won in it, say) is in neither pipeline,
moves nothing and is in no movement; :func:`closed_in_window` reports what was won and lost
in the window, from the opening pipeline or from deals that entered it later.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from revlab import _amounts, _asof
from revlab.needs import requires
from revlab.periods import Quarter
from revlab.pipeline import _base
from revlab.sources import Source

__all__ = ["MOVEMENTS", "closed_in_window", "movements", "waterfall"]

#: Waterfall rows in the order they are drawn, with their labels.
MOVEMENTS: dict[str, str] = {
    "opening": "Opening",
    "new": "New",
    "pulled_in": "Pulled in",
    "slipped_out": "Slipped out",
    "lost": "Lost",
    "won": "Won",
    "amount_change": "Amount changes",
    "closing": "Closing",
}


def _window(src: Source, quarter: Quarter, start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = quarter.start if start is None else pd.Timestamp(start)
    if end is None:
        end = quarter.end if src.as_of is None else min(quarter.end, src.as_of)
    end = pd.Timestamp(end)
    if end < start:
        raise ValueError(f"the window ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d}).")
    return start, end


def _cuts(src: Source, start: pd.Timestamp, end: pd.Timestamp) -> tuple[ir.Table, ir.Table]:
    """``opportunities`` at ``start`` and at ``end``, rebuilt for deals open in the window only.

    Deals closed by ``start`` or created after ``end`` are in neither pipeline, so their
    history need not be read.
    """
    _base.cut(src, end)  # refuses an end after the source's as-of date
    full = src.at(None)
    opps, history = full.table("opportunities"), full.table("stage_history")
    live = opps.created_at <= _base.ts(end)
    if "closed_at" in opps.columns:
        live = live & ~(opps.is_closed & (opps.closed_at <= _base.ts(start))).fill_null(False)
    opps = opps.filter(live)
    history = history.semi_join(opps, "opportunity_id")
    return tuple(_asof.cut("opportunities", opps, at, history=history) for at in (start, end))


@requires(
    *_base.HISTORY,
    columns=_base.CLOSE_DATES,
    analysis="Pipeline movements",
)
def movements(
    src: Source,
    *,
    quarter: str | Quarter,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """Every deal of the opening or closing pipeline with its one movement (engine expression).

    Parameters
    ----------
    src
        A source with ``opportunities`` and ``stage_history`` (with ``close_date``).
    quarter
        The target quarter: deals expected to close in it make its pipeline.
    start, end
        The window (default: the quarter's start, and its end or the source's as-of date if
        earlier). ``end`` may not lie after ``src.as_of``.
    by
        Deal columns to carry along (``segment``, ``owner``).

    Returns
    -------
    ibis Table
        ``opportunity_id``, ``by...``, ``movement``, ``value`` (signed contribution to closing −
        opening), ``amount_start``, ``amount_end``, ``close_date_start``, ``close_date_end``,
        ``stage_start``, ``stage_end`` (start values are null for deals not in the opening
        pipeline).
    """
    q = Quarter.parse(quarter, src.calendar)
    start, end = _window(src, q, start, end)
    by = _base.group_columns(by)
    s, e = _cuts(src, start, end)
    _base.check_group_columns(e, by)
    s = s.filter(~s.is_closed & _base.in_quarter(s.close_date, q)).select(
        _id=s.opportunity_id,
        amount_start=s.amount,
        close_date_start=s.close_date,
        stage_start=s.stage,
    )
    j = e.left_join(s, e.opportunity_id == s._id)
    opening = j._id.notnull()
    closing = ~j.is_closed & _base.in_quarter(j.close_date, q)
    j = j.filter(opening | closing)
    change = j.amount - j.amount_start
    movement = ibis.cases(
        (opening & j.is_closed & j.is_won, "won"),
        (opening & j.is_closed, "lost"),
        (opening & ~closing, "slipped_out"),
        (opening & (change != 0), "amount_change"),
        (opening, "unchanged"),
        (j.created_at > _base.ts(start), "new"),
        else_="pulled_in",
    )
    value = ibis.cases((opening & closing, change), (opening, -j.amount_start), else_=j.amount)
    return j.select(
        opportunity_id=j.opportunity_id,
        **{b: j[b] for b in by},
        movement=movement,
        value=value.cast("float64"),
        amount_start=j.amount_start,
        amount_end=j.amount,
        close_date_start=j.close_date_start,
        close_date_end=j.close_date,
        stage_start=j.stage_start,
        stage_end=j.stage,
    )


@requires(
    *_base.HISTORY,
    columns=_base.CLOSE_DATES,
    analysis="Pipeline waterfall",
)
def waterfall(
    src: Source,
    *,
    quarter: str | Quarter,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """The quarter's pipeline waterfall from ``start`` to ``end`` (see the module docstring).

    Returns
    -------
    DataFrame
        One row per ``by`` group and movement, in :data:`MOVEMENTS` order: ``by...``,
        ``movement``, ``label``, ``deals`` (deals in the movement; for ``amount_change`` those
        whose amount changed), ``value`` (opening and closing: the pipeline's total; otherwise
        the signed change) and ``running`` (the running total after the bar, ending at the
        closing value). Movements without deals are rows with 0. Deals carried over unchanged
        move nothing and have no row. The window is in ``frame.attrs`` (``quarter``, ``start``,
        ``end``), with what the bars cannot show: ``undated_deals`` and ``undated_value``
        (deals open at ``end`` with no expected close date, so in no quarter's pipeline) and
        ``unknown_amounts`` (deals in the movements whose amount is 0 or missing, counted as
        nothing; see :mod:`revlab._amounts`).
    """
    by = _base.group_columns(by)
    q = Quarter.parse(quarter, src.calendar)
    start, end = _window(src, q, start, end)
    m = movements(src, quarter=q, start=start, end=end, by=by)
    in_open = m.amount_start.notnull()
    in_close = m.movement.isin(["amount_change", "unchanged", "new", "pulled_in"])
    zero = ibis.literal(0.0)
    unpriced = (in_open & ~_amounts.known(m.amount_start)) | (
        in_close & ~_amounts.known(m.amount_end)
    )
    counts = (
        m.group_by([*by, "movement"])
        .aggregate(
            deals=m.count(),
            value=m.value.sum(),
            _open_n=in_open.sum(),
            _open_v=ibis.cases((in_open, m.amount_start), else_=zero).sum(),
            _close_n=in_close.sum(),
            _close_v=ibis.cases((in_close, m.amount_end), else_=zero).sum(),
            _unknown=unpriced.sum(),
        )
        .to_pandas()
    )
    out = _assemble(counts.drop(columns="_unknown"), by, q, start, end)
    undated = _undated(src, end)
    out.attrs.update(unknown_amounts=int(counts["_unknown"].sum()), **undated)
    return out


def _undated(src: Source, end: pd.Timestamp) -> dict[str, float]:
    """Open deals at ``end`` with no expected close date: in no quarter's pipeline at all."""
    opps = src.at(end).table("opportunities")
    none = opps.filter(~opps.is_closed & opps.close_date.isnull())
    got = none.aggregate(n=none.count(), v=none.amount.sum()).to_pandas().iloc[0]
    value = 0.0 if pd.isna(got["v"]) else float(got["v"])
    return {"undated_deals": int(got["n"]), "undated_value": value}


def _assemble(
    counts: pd.DataFrame, by: list[str], q: Quarter, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    if by and len(counts):
        groups = counts.groupby(by, dropna=False, sort=True)
        out = pd.concat(
            [_rows(g.set_index("movement"), dict(zip(by, key, strict=True))) for key, g in groups],
            ignore_index=True,
        )
    else:
        out = _rows(counts.set_index("movement"), {b: None for b in by})
    out.attrs.update(quarter=str(q), start=start, end=end)
    return out


def _rows(g: pd.DataFrame, key: dict) -> pd.DataFrame:
    opening_n, opening_v = g["_open_n"].sum(), g["_open_v"].sum()
    closing_n, closing_v = g["_close_n"].sum(), g["_close_v"].sum()
    rows = []
    running = opening_v
    for move, label in MOVEMENTS.items():
        if move == "opening":
            n, v = opening_n, opening_v
        elif move == "closing":
            n, v = closing_n, closing_v
        else:
            n = int(g["deals"].get(move, 0))
            v = float(g["value"].get(move, 0.0)) if n else 0.0
            running = running + v
        run = v if move in ("opening", "closing") else running
        rows.append({**key, "movement": move, "label": label, "deals": int(n), "value": float(v),
                     "running": float(run)})  # fmt: skip
    return pd.DataFrame(rows)


@requires(
    *_base.HISTORY,
    columns=_base.CLOSE_DATES,
    analysis="Deals closed in a window",
)
def closed_in_window(
    src: Source,
    *,
    quarter: str | Quarter,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Deals of the quarter won or lost between ``start`` and ``end``, by where they came from.

    A deal counts when it was open at ``start`` (or created after it), closed by ``end``, and
    was either in the opening pipeline or has its close date (as known at ``end``, usually the
    day it closed) in the quarter. ``source`` is ``opening`` for deals of the opening pipeline
    (the waterfall's won and lost bars, here at the amount they closed at) and ``entered`` for
    deals that joined the quarter's pipeline inside the window (created or pulled in), which
    the waterfall leaves out because they are in neither its opening nor its closing.

    Returns
    -------
    DataFrame
        ``outcome`` (won, lost), ``source`` (opening, entered), ``deals``, ``amount``: four
        rows, zero where nothing happened.
    """
    q = Quarter.parse(quarter, src.calendar)
    start, end = _window(src, q, start, end)
    s, e = _cuts(src, start, end)
    s = s.select(
        _id=s.opportunity_id,
        _open=~s.is_closed,
        _in=~s.is_closed & _base.in_quarter(s.close_date, q),
    )
    j = e.filter(e.is_closed).left_join(s, e.opportunity_id == s._id)
    in_opening = j._in.fill_null(False)
    j = j.filter(j._open.fill_null(True) & (in_opening | _base.in_quarter(j.close_date, q)))
    j = j.mutate(
        outcome=ibis.cases((j.is_won, "won"), else_="lost"),
        source=ibis.cases((j._in.fill_null(False), "opening"), else_="entered"),
    )
    got = j.group_by(["outcome", "source"]).aggregate(deals=j.count(), amount=j.amount.sum())
    got = got.to_pandas().set_index(["outcome", "source"])
    index = pd.MultiIndex.from_product([["won", "lost"], ["opening", "entered"]])
    out = got.reindex(index).fillna({"deals": 0, "amount": 0.0})
    out["deals"] = out["deals"].astype("int64")
    return out.rename_axis(["outcome", "source"]).reset_index()
