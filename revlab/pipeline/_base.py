"""Shared pieces of the pipeline analyses: time literals, as-of cuts, closed stages, ordering."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from revlab.needs import Minimum
from revlab.periods import Quarter
from revlab.schema import OPPORTUNITY_STAGES
from revlab.sources import Source, SourceError

#: Tables every history-based analysis needs, and the column the slip-aware ones add.
HISTORY = ("opportunities", "stage_history")
CLOSE_DATES = ("stage_history.close_date",)


def _changed_close_dates(src: Source) -> float:
    """Deals whose expected close date was recorded with more than one value."""
    h = src.table("stage_history")
    h = h.filter(h.close_date.notnull())
    per = h.group_by("opportunity_id").aggregate(n=h.close_date.nunique())
    return float(per.filter(per.n > 1).count().execute())


#: Slips are seen only where the history records a close date changing.
CLOSE_DATE_HISTORY = Minimum(
    "deals whose expected close date the history records changing",
    _changed_close_dates,
    1,
    why="without close-date history, slips are unknown rather than none",
)

#: Normalised names of the two closed stages (lower case, no spaces, underscores or dashes), so
#: canonical ``closed_won`` and CRM spellings such as ``Closed Won`` are both recognised.
WON_STAGE, LOST_STAGE = "closedwon", "closedlost"


def ts(value: str | pd.Timestamp) -> ir.Value:
    """A timestamp literal for engine expressions."""
    return ibis.literal(pd.Timestamp(value).to_pydatetime(), type="timestamp")


def closed_stages(history: ir.Table) -> tuple[list[str], list[str]]:
    """The spellings of the won and of the lost stage that occur in ``history``.

    One small distinct query; testing ``stage.isin(names)`` is much cheaper on millions of rows
    than normalising every stage name in the engine.
    """
    stages = history.select("stage").distinct().to_pyarrow()["stage"].to_pylist()
    names = [s for s in stages if s is not None]
    won = sorted(s for s in names if _norm(s) == WON_STAGE)
    lost = sorted(s for s in names if _norm(s) == LOST_STAGE)
    return won, lost


def _norm(stage: str) -> str:
    return stage.lower().replace(" ", "").replace("_", "").replace("-", "")


def in_quarter(when: ir.TimestampValue, quarter: Quarter) -> ir.BooleanValue:
    """Whether a time falls in the quarter (start inclusive, end exclusive); null is False."""
    return ((when >= ts(quarter.start)) & (when < ts(quarter.end))).fill_null(False)


def cut(src: Source, at: str | pd.Timestamp | None) -> Source:
    """``src`` as it stood at ``at`` (``None``: the source's own cut), never past that cut."""
    if at is None:
        return src
    at = pd.Timestamp(at)
    if src.as_of is not None and at > src.as_of:
        raise ValueError(
            f"date {at:%Y-%m-%d %H:%M} is after the source's as-of date {src.as_of:%Y-%m-%d %H:%M}"
            "; the data after it are not to be seen: pass an earlier date, or a later as_of."
        )
    return src.at(at)


def group_columns(by: str | Sequence[str] | None) -> list[str]:
    """Grouping columns as a list (``None`` or ``()``: no grouping)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def check_group_columns(table: ir.Table, by: Sequence[str]) -> None:
    """Refuse grouping by a column that ``opportunities`` does not have."""
    missing = [b for b in by if b not in table.columns]
    if missing:
        raise SourceError(
            f"opportunities has no column {', '.join(map(repr, missing))} to group by; "
            f"it has: {', '.join(table.columns)}."
        )


def stage_rank(stages: Iterable[str]) -> dict[str, int]:
    """Funnel order of stage names: the demo's open stages first, then others by name."""
    known = {s: i for i, s in enumerate(OPPORTUNITY_STAGES)}
    ordered = sorted(set(stages), key=lambda s: (known.get(s, len(known)), s))
    return {s: i for i, s in enumerate(ordered)}
