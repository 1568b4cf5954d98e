"""Checks of ``stage_history`` against itself and against ``opportunities``.

The pipeline at a past date is only as good as the history it is rebuilt from. Three kinds of
problem make it wrong, and each is reported like :class:`revlab.schema.SchemaError` messages
(table, column, how many rows or deals, example deal ids, and the fix):

* **changes before the deal existed**: a row's ``entered_at`` before its deal's ``created_at``;
* **changes out of time order**: two different changes of a deal recorded at the same instant
  (their order is unknown), or changes after the deal's closing change (closed won or lost);
* **history contradicting the deal's final state**: a history that ends in ``closed_won`` for a
  deal not won, in ``closed_lost`` for a deal won or open, in an open stage for a closed deal,
  or at an amount other than the deal's.

The checks run in the engine on the data as stored (not cut at the source's as-of date); only
counts and a few example ids come back.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from revlab.needs import requires
from revlab.pipeline import _base
from revlab.schema import SchemaError
from revlab.sources import Source

__all__ = ["check_history", "validate_history"]

MAX_EXAMPLES = 3
_SINGULAR = {"are": "is", "share": "shares", "come": "comes", "end": "ends"}
#: Amounts closer than this are the same (a cent's rounding in an export).
AMOUNT_TOLERANCE = 0.01


@requires(*_base.HISTORY, analysis="Deal history check")
def check_history(src: Source) -> list[str]:
    """Every problem of ``stage_history`` (see the module docstring); empty when it is sound."""
    full = src.at(None)
    h, o = full.table("stage_history"), full.table("opportunities")
    won, lost = _base.closed_stages(h)
    problems = [
        _before_creation(h, o),
        *_out_of_order(h, won + lost),
        *_contradictions(h, o, won, lost),
    ]
    return [p for p in problems if p]


@requires(*_base.HISTORY, analysis="Deal history check")
def validate_history(src: Source) -> None:
    """Raise one :class:`~revlab.schema.SchemaError` listing every problem of the history."""
    problems = check_history(src)
    if problems:
        raise SchemaError(problems)


def _report(flagged: ir.Table, unit: str, what: str, fix: str, *, column: str) -> str:
    """``stage_history.<column>: N <unit>s <what> (opportunity_id a, b, c, …); <fix>``."""
    n = int(flagged.count().execute())
    if n == 0:
        return ""
    ids = flagged.select("opportunity_id").distinct().order_by("opportunity_id")
    shown = [str(v) for v in ids.limit(MAX_EXAMPLES + 1).to_pandas()["opportunity_id"]]
    more = ", …" if len(shown) > MAX_EXAMPLES else ""
    noun = f"{n} {unit}{'s' if n != 1 else ''}"
    if n == 1:
        head, rest = what.split(" ", 1)
        what = f"{_SINGULAR.get(head, head)} {rest}".replace(" their ", " its ")
    example = f"opportunity_id {', '.join(shown[:MAX_EXAMPLES])}{more}"
    return f"stage_history.{column}: {noun} {what} ({example}); {fix}"


def _before_creation(h: ir.Table, o: ir.Table) -> str:
    j = h.join(o.select("opportunity_id", _created=o.created_at), "opportunity_id")
    return _report(
        j.filter(j.entered_at < j._created),
        "row",
        "are before their deal's created_at",
        "a deal cannot change before it exists: fix the times at the source (a time-zone shift "
        "is the usual cause) or the deal's created_at.",
        column="entered_at",
    )


def _out_of_order(h: ir.Table, closed_names: list[str]) -> list[str]:
    values = [c for c in ("stage", "amount", "close_date") if c in h.columns]
    versions = h.select("opportunity_id", "entered_at", *values).distinct()
    per_time = versions.group_by(["opportunity_id", "entered_at"]).aggregate(_n=versions.count())
    clash = per_time.filter(per_time._n > 1)
    tied = h.semi_join(
        clash, (h.opportunity_id == clash.opportunity_id) & (h.entered_at == clash.entered_at)
    )
    closed = h.filter(h.stage.isin(closed_names))
    first_close = closed.group_by("opportunity_id").aggregate(_closed=closed.entered_at.min())
    j = h.join(first_close, "opportunity_id")
    return [
        _report(
            tied,
            "row",
            "share their deal and change time with a different change",
            "the order of those changes is unknown: record each change at its own time, or "
            "drop the stale row.",
            column="entered_at",
        ),
        _report(
            j.filter(j.entered_at > j._closed),
            "row",
            "come after their deal's closing change (closed_won or closed_lost)",
            "closing must be a deal's last change: fix the times, or if the deal was reopened, "
            "remove the earlier closing row.",
            column="entered_at",
        ),
    ]


def _last_changes(h: ir.Table) -> ir.Table:
    w = ibis.window(group_by=h.opportunity_id, order_by=ibis.desc(h.entered_at))
    ranked = h.mutate(_rank=ibis.row_number().over(w))
    return ranked.filter(ranked._rank == 0)


def _contradictions(h: ir.Table, o: ir.Table, won: list[str], lost: list[str]) -> list[str]:
    last = _last_changes(h)
    deal = o.select(_id=o.opportunity_id, _closed=o.is_closed, _won=o.is_won, _amount=o.amount)
    j = last.join(deal, last.opportunity_id == deal._id)
    won_stage, closed_stage = j.stage.isin(won), j.stage.isin(won + lost)
    fix = "the history and the deal disagree: fix is_won / is_closed, or the history."
    found = [
        _report(j.filter(won_stage & ~j._won), "deal", "end their history in closed_won "
                "but opportunities.is_won is false", fix, column="stage"),
        _report(j.filter(closed_stage & ~won_stage & (j._won | ~j._closed)), "deal",
                "end their history in closed_lost but opportunities says won or open", fix,
                column="stage"),
        _report(j.filter(~closed_stage & j._closed), "deal", "end their history in an open "
                "stage but opportunities.is_closed is true", "add the closing change to "
                "stage_history, or fix is_closed.", column="stage"),
    ]  # fmt: skip
    if "amount" in h.columns:
        off = j.amount.notnull() & ((j.amount - j._amount).abs() > AMOUNT_TOLERANCE)
        found.append(
            _report(
                j.filter(off),
                "deal",
                "end their history at an amount other than opportunities.amount",
                "the last change holds the deal's current values: add the missing change, or "
                "fix the amount.",
                column="amount",
            )
        )
    return found
