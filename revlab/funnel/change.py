"""Headline figures of a quarter, their change against earlier quarters, and what drove it.

:func:`headline` computes the scorecard of one quarter from the data as known at its end;
:func:`compare` puts it beside the previous quarter and the same quarter a year earlier;
:func:`drivers` splits the change of one metric across channels or segments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from revlab._tables import CREATED
from revlab.funnel import _base, closing, conversion, inventory, volume
from revlab.funnel.inventory import ALL
from revlab.needs import requires
from revlab.periods import Quarter
from revlab.sources import Source

__all__ = [
    "HEADLINES",
    "Headline",
    "cohort_for",
    "compare",
    "compare_text",
    "drivers",
    "headline",
]


@dataclass(frozen=True)
class Headline:
    """A headline figure: its label, unit (as in ``present.record``) and better direction."""

    label: str
    unit: str
    better: str | None = "higher"


HEADLINES: dict[str, Headline] = {
    "new_names": Headline("New names", "count"),
    "cost_per_name": Headline("Cost per name", "money", "lower"),
    "lead_to_customer": Headline("Lead to customer (matured cohort)", "pct"),
    "open_inventory": Headline("Open prospects", "count", None),
    "inventory_median_age_days": Headline("Median prospect age", "days", "lower"),
    "stale_share": Headline("Stale prospects", "pct", "lower"),
    "win_rate": Headline("Win rate", "pct"),
    "avg_deal_size": Headline("Average deal size", "money"),
    "bookings": Headline("Bookings", "money"),
    "bookings_target": Headline("Bookings target", "money", None),
    "attainment": Headline("Attainment (bookings / target)", "pct"),
    "sales_cycle_days": Headline("Sales cycle", "days", "lower"),
    "pipeline_velocity": Headline("Pipeline velocity (per day)", "money"),
    "pipeline_coverage": Headline("Pipeline coverage", "ratio"),
}


def _at_end(src: Source, q: Quarter) -> Source:
    """The source as known at the quarter's end (never later than its own cut)."""
    end = q.end if src.as_of is None else min(q.end, pd.Timestamp(src.as_of))
    return src.at(end)


def _first_day(src: Source) -> pd.Timestamp | None:
    """The earliest lead or deal creation in the data: where its history starts."""
    days = [
        src.table(name)[CREATED[name]].min().execute()
        for name in ("leads", "opportunities")
        if src.has(name)
    ]
    days = [pd.Timestamp(d) for d in days if d is not None and not pd.isna(d)]
    return min(days) if days else None


def cohort_for(q: Quarter, within_days: int) -> Quarter:
    """The latest creation quarter whose ``within_days`` window had ended by ``q``'s end."""
    c = q
    while c.end + pd.Timedelta(days=within_days) > q.end:
        c = c.previous
    return c


def _lead_to_customer(src: Source, q: Quarter, within_days: int) -> float:
    c = cohort_for(q, within_days)
    got = conversion.conversion_by_cohort(
        src, by=None, cohort="quarter", to="won", within_days=(within_days,)
    )
    row = got[got["cohort"] == str(c)]
    return float(row["rate"].iloc[0]) if len(row) else np.nan


@requires(one_of=("leads", "opportunities"), analysis="Headline figures")
def headline(
    src: Source,
    *,
    quarter: Quarter | str,
    stale_after_days: int = 30,
    within_days: int = 180,
) -> dict[str, float]:
    """The headline figures of one quarter, from the data as known at the quarter's end.

    Keys (see :data:`HEADLINES` for labels and units): ``new_names`` (leads created in the
    quarter); ``cost_per_name`` (all spend / all names, NaN without ``marketing_spend``);
    ``lead_to_customer`` (share of the latest creation quarter whose ``within_days`` window
    ended by the quarter's end that was won within ``within_days``); ``open_inventory``,
    ``inventory_median_age_days`` and ``stale_share`` (open prospects at the quarter's end,
    see :func:`~revlab.funnel.inventory.inventory_at`); ``win_rate``, ``avg_deal_size``,
    ``bookings``, ``sales_cycle_days``, ``pipeline_velocity`` (see
    :func:`~revlab.funnel.closing.closing_by_quarter`); ``bookings_target`` (the quarter's row
    of ``targets``) and ``attainment`` (bookings / target, NaN without a positive target);
    ``pipeline_coverage`` (NaN without ``targets``). A metric that cannot be measured is NaN,
    never 0.
    """
    q = Quarter.parse(quarter, src.calendar)
    s = _at_end(src, q)
    out = dict.fromkeys(HEADLINES, np.nan)
    if s.has("leads"):
        out |= _lead_figures(s, q, within_days)
    if s.has("leads") or s.has("opportunities"):
        out |= _inventory_figures(s, stale_after_days)
    out |= _closing_figures(s, q)
    return {k: out[k] for k in HEADLINES}


def _lead_figures(s: Source, q: Quarter, within_days: int) -> dict[str, float]:
    names = volume.new_names(s, period="quarter", by=None, since=q.start)
    out = {"new_names": float(names.loc[names["period"] == str(q), "n"].sum())}
    if s.has("marketing_spend"):
        cost = volume.cost_per_name(s, quarter=q)
        out["cost_per_name"] = float(cost.loc[cost["channel"] == ALL, "cost_per_name"].iloc[0])
    if s.has("opportunities"):
        out["lead_to_customer"] = _lead_to_customer(s, q, within_days)
    return out


def _inventory_figures(s: Source, stale_after_days: int) -> dict[str, float]:
    inv = inventory.inventory_at(s, stale_after_days=stale_after_days)
    row = inv[inv["stage"] == ALL]
    if row.empty:
        return {"open_inventory": 0.0}
    keys = {"open_inventory": "open", "inventory_median_age_days": "median_age_days"}
    keys["stale_share"] = "stale_share"
    return {k: float(row[c].iloc[0]) for k, c in keys.items()}


def _closing_figures(s: Source, q: Quarter) -> dict[str, float]:
    keys = ["win_rate", "avg_deal_size", "bookings", "sales_cycle_days", "pipeline_velocity"]
    out = dict.fromkeys([*keys, "bookings_target", "attainment", "pipeline_coverage"], np.nan)
    if s.has("targets"):
        out["bookings_target"] = _target(s, q)
    if not s.has("opportunities"):
        return out
    row = closing.closing(s, quarter=q).iloc[0]
    out |= {k: float(row[k]) for k in keys}
    if out["bookings_target"] > 0:
        out["attainment"] = out["bookings"] / out["bookings_target"]
    if s.has("targets") and "close_date" in s.table("opportunities").columns:
        out["pipeline_coverage"] = float(
            closing.pipeline_coverage(s, quarter=q)["coverage"].iloc[0]
        )
    return out


def _target(s: Source, q: Quarter) -> float:
    """The quarter's bookings target from ``targets``; NaN when it has no row for it."""
    t = s.table("targets")
    got = t.filter(t.quarter == str(q)).bookings_target.max().to_pandas()
    return float(got) if got is not None and not pd.isna(got) else np.nan


@requires(one_of=("leads", "opportunities"), analysis="Headline figures")
def compare(
    src: Source,
    *,
    quarter: Quarter | str,
    stale_after_days: int = 30,
    within_days: int = 180,
    history_quarters: int = 0,
) -> pd.DataFrame:
    """Headline figures of a quarter beside the previous quarter and the same one a year ago.

    ``change`` and ``change_yoy`` are relative changes (``current / other - 1``) for counts,
    money, days and ratios, and differences in points (``current - other``) for shares.
    ``history_quarters`` > 0 adds ``history``: each figure over the last that many quarters up
    to ``quarter`` (``{"2026Q1": value, ...}``, each as known at its quarter's end, unknown
    quarters left out), for the scorecard's trend lines.

    Returns
    -------
    DataFrame
        ``metric``, ``label``, ``unit``, ``better``, ``current``, ``previous``, ``year_ago``,
        ``change``, ``change_yoy`` (and ``history``).
    """
    q = Quarter.parse(quarter, src.calendar)
    opts = {"stale_after_days": stale_after_days, "within_days": within_days}
    trail = [q.shift(-i) for i in range(history_quarters - 1, -1, -1)]
    if trail:  # a quarter the data begin after (or in) reads as few names, not unknown
        first = _first_day(src)
        trail = [x for x in trail if first is None or x.start + pd.Timedelta(days=14) >= first]
    known = {x: headline(src, quarter=x, **opts) for x in {q, q.previous, q.year_ago, *trail}}
    values = {"current": known[q], "previous": known[q.previous], "year_ago": known[q.year_ago]}
    rows = []
    for key, h in HEADLINES.items():
        cur, prev, yago = (values[k][key] for k in ("current", "previous", "year_ago"))
        rows.append(
            {"metric": key, "label": h.label, "unit": h.unit, "better": h.better,
             "current": cur, "previous": prev, "year_ago": yago,
             "change": _change(cur, prev, h.unit), "change_yoy": _change(cur, yago, h.unit)}
        )  # fmt: skip
        if history_quarters > 0:
            rows[-1]["history"] = {
                str(x): float(known[x][key]) for x in trail if not np.isnan(known[x][key])
            }
    out = pd.DataFrame(rows)
    out["better"] = pd.Series([h.better for h in HEADLINES.values()], dtype=object)
    return out


def compare_text(
    frame: pd.DataFrame,
    *,
    fmt: Callable[[float, str], str],
    change: Callable[..., str],
) -> pd.DataFrame:
    """The :func:`compare` frame as text for readers, each value written in its unit.

    ``fmt(value, unit)`` writes a value and ``change(new, old, unit=unit)`` a change (for
    instance ``revlab.present.fmt`` and ``revlab.present.change``).

    Returns
    -------
    DataFrame
        ``metric`` (label), ``this quarter``, ``last quarter``, ``change``, ``a year ago``,
        ``change on a year``, all text.
    """
    rows = list(frame.itertuples(index=False))
    return pd.DataFrame(
        {
            "metric": [r.label for r in rows],
            "this quarter": [fmt(r.current, r.unit) for r in rows],
            "last quarter": [fmt(r.previous, r.unit) for r in rows],
            "change": [change(r.current, r.previous, unit=r.unit) for r in rows],
            "a year ago": [fmt(r.year_ago, r.unit) for r in rows],
            "change on a year": [change(r.current, r.year_ago, unit=r.unit) for r in rows],
        }
    )


def _change(new: float, old: float, unit: str) -> float:
    if np.isnan(new) or np.isnan(old):
        return np.nan
    if unit == "pct":
        return new - old
    return new / old - 1 if old != 0 else np.nan


# -- drivers --------------------------------------------------------------------------------

Components = Callable[[Source, Quarter, list[str]], pd.DataFrame]


def _names(s: Source, q: Quarter, by: list[str]) -> pd.DataFrame:
    got = volume.new_names(s, period="quarter", by=by, since=q.start)
    got = got[got["period"] == str(q)]
    return got[by].assign(num=got["n"].astype(float), den=1.0)


def _cost(s: Source, q: Quarter, by: list[str]) -> pd.DataFrame:
    if by != ["channel"]:
        raise ValueError("cost per name can only be split by channel (spend is per channel).")
    got = volume.cost_per_name(s, quarter=q, total=False)
    return got[["channel"]].assign(num=got["spend"], den=got["names"].astype(float))


def _closing(num: str, den: str) -> Components:
    def parts(s: Source, q: Quarter, by: list[str]) -> pd.DataFrame:
        got = closing.closing(s, quarter=q, by=by)
        return got[by].assign(num=got[num].astype(float), den=got[den].astype(float))

    return parts


def _inventory(s: Source, q: Quarter, by: list[str]) -> pd.DataFrame:
    got = inventory.inventory_at(s, by=by, total=True)
    got = got[got["stage"] == inventory.ALL]
    return got[by].assign(num=got["open"].astype(float), den=1.0)


_RATIO = {"cost_per_name", "win_rate", "avg_deal_size"}
_COMPONENTS: dict[str, Components] = {
    "new_names": _names,
    "cost_per_name": _cost,
    "win_rate": _closing("won", "closed"),
    "avg_deal_size": _closing("bookings", "won"),
    "bookings": _closing("bookings", "closed"),
    "open_inventory": _inventory,
}


def drivers(
    src: Source,
    *,
    quarter: Quarter | str,
    metric: str = "new_names",
    by: str | Sequence[str] = "channel",
    against: str = "previous",
) -> pd.DataFrame:
    """Which groups drove a metric's change from ``against`` (previous or year_ago) to now.

    Totals (new_names, bookings, open_inventory): ``contribution`` = the group's change.
    Ratios (win_rate = won/closed, avg_deal_size = bookings/won, cost_per_name =
    spend/names) are a weighted mean ``sum_g w_g r_g`` with weights ``w_g`` = the group's
    share of the denominator; ``contribution = w1 r1 - w0 r0`` splits exactly into
    ``rate_effect = (w0 + w1)/2 (r1 - r0)`` (the group's own rate moved) and
    ``mix_effect = (w1 - w0)(r0 + r1)/2`` (its weight moved). A group absent in one quarter
    takes the other quarter's rate, so its whole contribution is mix. Contributions sum to
    the total change; ``share`` is each one's share of it.

    Returns
    -------
    DataFrame
        ``by...``, ``current``, ``before``, ``contribution``, ``rate_effect``,
        ``mix_effect``, ``share``; largest absolute contribution first.
    """
    if metric not in _COMPONENTS:
        raise ValueError(f"metric must be one of {', '.join(_COMPONENTS)}, got {metric!r}.")
    if against not in ("previous", "year_ago"):
        raise ValueError(f"against must be 'previous' or 'year_ago', got {against!r}.")
    by = _base.groups(by)
    q = Quarter.parse(quarter, src.calendar)
    other = q.previous if against == "previous" else q.year_ago
    now = _COMPONENTS[metric](_at_end(src, q), q, by)
    before = _COMPONENTS[metric](_at_end(src, other), other, by)
    both = now.merge(before, on=by, how="outer", suffixes=("1", "0"))
    both[["num1", "num0", "den1", "den0"]] = both[["num1", "num0", "den1", "den0"]].fillna(0.0)
    out = _decompose(both, ratio=metric in _RATIO)
    return out.sort_values("contribution", key=np.abs, ascending=False, ignore_index=True)[
        [*by, "current", "before", "contribution", "rate_effect", "mix_effect", "share"]
    ]


def _decompose(both: pd.DataFrame, *, ratio: bool) -> pd.DataFrame:
    out = both.copy()
    if ratio:
        with np.errstate(invalid="ignore", divide="ignore"):
            r1 = (out["num1"] / out["den1"]).where(out["den1"] > 0)
            r0 = (out["num0"] / out["den0"]).where(out["den0"] > 0)
        w1 = out["den1"] / out["den1"].sum() if out["den1"].sum() > 0 else out["den1"] * 0
        w0 = out["den0"] / out["den0"].sum() if out["den0"].sum() > 0 else out["den0"] * 0
    else:
        r1, r0 = out["num1"], out["num0"]
        w1 = w0 = pd.Series(1.0, index=out.index)
    r1f, r0f = r1.fillna(r0).fillna(0.0), r0.fillna(r1).fillna(0.0)
    out["current"], out["before"] = r1, r0
    out["rate_effect"] = (w0 + w1) / 2 * (r1f - r0f)
    out["mix_effect"] = (w1 - w0) * (r0f + r1f) / 2
    out["contribution"] = out["rate_effect"] + out["mix_effect"]
    total = out["contribution"].sum()
    out["share"] = out["contribution"] / total if total != 0 else np.nan
    return out
