"""The open pipeline as it stood at any date, rebuilt from each deal's recorded history.

A deal is in the pipeline at ``at`` when it was created on or before ``at`` and had not closed
by then; its stage, amount and expected close date are those of its last recorded change on or
before ``at`` (:mod:`revlab._asof`). Without ``stage_history`` a deal that closed later has no
known stage or close date at ``at`` (they are blank), and amounts are today's.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import pandas as pd

from revlab.needs import requires
from revlab.periods import Quarter
from revlab.pipeline import _base
from revlab.sources import Source

__all__ = ["open_pipeline", "pipeline_at"]

#: Columns of :func:`pipeline_at`, in order (optional ones only when ``opportunities`` has them).
PIPELINE_COLUMNS = (
    "opportunity_id",
    "created_at",
    "stage",
    "amount",
    "close_date",
    "segment",
    "owner",
    "forecast_category",
)


@requires("opportunities", analysis="Open pipeline")
def open_pipeline(
    src: Source,
    *,
    at: str | pd.Timestamp | None = None,
    quarter: str | Quarter | None = None,
) -> ir.Table:
    """The deals open at ``at`` (default: the source's as-of date), as an engine expression.

    Parameters
    ----------
    src
        A source with ``opportunities`` (and ideally ``stage_history``).
    at
        The moment to look at (inclusive); it may not lie after ``src.as_of``.
    quarter
        Keep only deals whose expected close date at ``at`` falls in this quarter.

    Returns
    -------
    ibis Table
        The ``opportunities`` columns with their values as known at ``at``.
    """
    src.require("opportunities", analysis="the pipeline at a date")
    opps = _base.cut(src, at).table("opportunities")
    open_ = opps.filter(~opps.is_closed)
    if quarter is not None:
        open_ = open_.filter(
            _base.in_quarter(open_.close_date, Quarter.parse(quarter, src.calendar))
        )
    return open_


@requires("opportunities", analysis="The pipeline at a date")
def pipeline_at(
    src: Source,
    at: str | pd.Timestamp | None = None,
    *,
    quarter: str | Quarter | None = None,
    columns: Sequence[str] = PIPELINE_COLUMNS,
) -> pd.DataFrame:
    """The open pipeline at ``at`` as a pandas frame, one row per deal, sorted by id.

    Meant for inspection and small data; aggregate :func:`open_pipeline` in the engine for
    large data. Columns are ``columns`` that the source has (default ``opportunity_id``,
    ``created_at``, ``stage``, ``amount``, ``close_date``, ``segment``, ``owner``,
    ``forecast_category``).
    """
    pipe = open_pipeline(src, at=at, quarter=quarter)
    keep = [c for c in columns if c in pipe.columns]
    frame = pipe.select(*keep).order_by("opportunity_id").to_pandas()
    for col in ("created_at", "close_date"):
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    for col in ("opportunity_id", "stage", "segment", "owner", "forecast_category"):
        if col in frame.columns:
            frame[col] = frame[col].astype("str").where(frame[col].notna())
    return frame.reset_index(drop=True)
