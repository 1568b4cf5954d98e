"""The demo company cut down to the shapes real exports have.

A real CRM export is thinner and stranger than the demo: a year of deals and nothing else,
amounts captured only from some date, deals that start months after the leads, one channel,
no close dates. Each function here takes the demo's canonical tables and returns them in one
such shape, still valid against the contract (references to rows cut away are blanked, as an
export of the remaining rows would have them). :data:`SHAPES` names them all; the report is
run on every one in the tests (``tests/report/test_shapes.py``), and the validation of the
deals-only forecast uses them.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

Tables = dict[str, pd.DataFrame]


def _since(tables: Tables, start: pd.Timestamp) -> Tables:
    """Every table as an export of the rows created on or after ``start`` would hold them."""
    leads = tables["leads"][tables["leads"]["created_at"] >= start].copy()
    opps = tables["opportunities"]
    opps = opps[opps["created_at"] >= start].copy()
    opps = _unlink(opps, "lead_id", leads["lead_id"])
    leads = _unlink_leads(leads, opps)
    out = {
        "leads": leads,
        "opportunities": opps,
        "activities": _keep(
            tables["activities"], "lead_id", leads["lead_id"], "occurred_at", start
        ),
        "stage_history": _keep(tables["stage_history"], "opportunity_id", opps["opportunity_id"]),
        "marketing_spend": tables["marketing_spend"][
            tables["marketing_spend"]["period_start"] >= start
        ],
        "targets": tables["targets"],
    }
    subs = tables["subscriptions"][tables["subscriptions"]["start_date"] >= start].copy()
    out["subscriptions"] = _unlink(subs, "renewed_from", subs["subscription_id"])
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def _keep(frame, key, allowed, time_col=None, start=None):
    kept = frame[frame[key].isin(allowed)]
    return kept[kept[time_col] >= start] if time_col else kept


def _unlink(frame: pd.DataFrame, column: str, allowed: pd.Series) -> pd.DataFrame:
    """Blank references to rows that are not in the export."""
    if column in frame.columns:
        frame[column] = frame[column].where(frame[column].isin(allowed))
    return frame


def _unlink_leads(leads: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
    """Leads whose deal is not in the export lose the link and the conversion time with it."""
    gone = leads["opportunity_id"].notna() & ~leads["opportunity_id"].isin(opps["opportunity_id"])
    leads.loc[gone, ["opportunity_id", "converted_at"]] = None
    return leads


def _as_of(tables: Tables) -> pd.Timestamp:
    return max(tables["leads"]["created_at"].max(), tables["opportunities"]["created_at"].max())


def months_of_history(months: int) -> Callable[[Tables], Tables]:
    """Only the last ``months`` months of every table (an export started recently)."""

    def cut(tables: Tables) -> Tables:
        return _since(tables, _as_of(tables).normalize() - pd.DateOffset(months=months))

    cut.__doc__ = f"Only the last {months} months of every table."
    return cut


def deals_only(tables: Tables) -> Tables:
    """A year of deals and nothing else: opportunities with stage, amount and close date."""
    opps = months_of_history(12)(tables)["opportunities"]
    return {"opportunities": opps.drop(columns=["lead_id", "account_id"])}


def deals_only_no_stage(tables: Tables) -> Tables:
    """A year of deals with amounts and dates only: no stage, segment or owner."""
    opps = deals_only(tables)["opportunities"]
    return {"opportunities": opps.drop(columns=["stage", "segment", "owner"])}


def without(*names: str) -> Callable[[Tables], Tables]:
    """The tables without ``names``, references into them blanked."""

    def drop(tables: Tables) -> Tables:
        out = {k: v.copy() for k, v in tables.items() if k not in names}
        if "opportunities" in names and "leads" in out:
            out["leads"] = out["leads"].assign(opportunity_id=None, converted_at=pd.NaT)
        if "leads" in names and "opportunities" in out:
            out["opportunities"] = out["opportunities"].drop(columns="lead_id")
        return out

    drop.__doc__ = f"Every table but {', '.join(names)}."
    return drop


def amounts_from(start: str) -> Callable[[Tables], Tables]:
    """Deal amounts recorded as 0 before ``start`` (the CRM captured them only from then)."""

    def zero(tables: Tables) -> Tables:
        out = dict(tables)
        opps = tables["opportunities"].copy()
        opps.loc[opps["created_at"] < pd.Timestamp(start), "amount"] = 0.0
        out["opportunities"] = opps
        history = tables["stage_history"].copy()
        early = history["opportunity_id"].isin(opps.loc[opps["amount"] == 0, "opportunity_id"])
        history.loc[early, "amount"] = 0.0
        out["stage_history"] = history
        return out

    zero.__doc__ = f"Deal amounts are 0 for deals created before {start}."
    return zero


def deals_from(start: str) -> Callable[[Tables], Tables]:
    """Deals recorded only from ``start``, months after the first leads."""

    def cut(tables: Tables) -> Tables:
        out = {k: v.copy() for k, v in tables.items()}
        opps = out["opportunities"]
        opps = opps[opps["created_at"] >= pd.Timestamp(start)].reset_index(drop=True)
        out["opportunities"] = opps
        out["leads"] = _unlink_leads(out["leads"], opps)
        out["stage_history"] = _keep(
            out["stage_history"], "opportunity_id", opps["opportunity_id"]
        )
        return out

    cut.__doc__ = f"Deals only from {start}; the leads go back to the start."
    return cut


def won_only(tables: Tables) -> Tables:
    """Only won and open deals: the export left the lost ones out."""
    out = {k: v.copy() for k, v in tables.items()}
    opps = out["opportunities"]
    lost = opps["is_closed"] & ~opps["is_won"]
    out["opportunities"] = opps[~lost].reset_index(drop=True)
    out["leads"] = _unlink_leads(out["leads"], out["opportunities"])
    out["stage_history"] = _keep(
        out["stage_history"], "opportunity_id", out["opportunities"]["opportunity_id"]
    )
    return out


def one_value(table_columns: dict[str, str], value: str) -> Callable[[Tables], Tables]:
    """``column`` set to one ``value`` in each named table (one channel, one segment)."""

    def same(tables: Tables) -> Tables:
        out = {k: v.copy() for k, v in tables.items()}
        for table, column in table_columns.items():
            out[table][column] = value
        if "marketing_spend" in table_columns:
            spend = out["marketing_spend"]
            out["marketing_spend"] = spend.groupby(["period_start", "channel"], as_index=False)[
                "spend"
            ].sum()
        return out

    return same


def drop_columns(table_columns: dict[str, tuple[str, ...]]) -> Callable[[Tables], Tables]:
    """The named columns removed from their tables."""

    def drop(tables: Tables) -> Tables:
        out = dict(tables)
        for table, columns in table_columns.items():
            out[table] = out[table].drop(columns=list(columns))
        return out

    return drop


def only(*names: str) -> Callable[[Tables], Tables]:
    """Only the named tables."""

    def keep(tables: Tables) -> Tables:
        return {k: tables[k] for k in names}

    keep.__doc__ = f"Only {', '.join(names)}."
    return keep


#: Every shape: name → (what it is, the function that cuts the demo's tables to it).
SHAPES: dict[str, tuple[str, Callable[[Tables], Tables]]] = {
    "deals_only": ("a year of opportunities and no other table", deals_only),
    "deals_only_no_stage": (
        "a year of opportunities without stages or segments",
        deals_only_no_stage,
    ),
    "history_6m": ("six months of every table", months_of_history(6)),
    "history_9m": ("nine months of every table", months_of_history(9)),
    "history_15m": ("fifteen months of every table", months_of_history(15)),
    "no_stage_history": ("no stage_history", without("stage_history")),
    "no_activities": ("no activities", without("activities")),
    "no_marketing_spend": ("no marketing_spend", without("marketing_spend")),
    "no_targets": ("no targets", without("targets")),
    "no_subscriptions": ("no subscriptions", without("subscriptions")),
    "amounts_from_2025": ("deal amounts 0 before 2025-04-01", amounts_from("2025-04-01")),
    "deals_from_2025": (
        "deals only from 2025-04-01, leads from the start",
        deals_from("2025-04-01"),
    ),
    "won_only": ("won and open deals only, no lost ones", won_only),
    "one_channel": (
        "every lead from one channel",
        one_value(
            {"leads": "channel", "marketing_spend": "channel", "activities": "channel"}, "web"
        ),
    ),
    "one_segment": (
        "one segment",
        one_value({"leads": "segment", "opportunities": "segment"}, "smb"),
    ),
    "no_segment": (
        "no segment column anywhere",
        drop_columns({"leads": ("segment",), "opportunities": ("segment",)}),
    ),
    "no_close_date": (
        "deals and their history without expected close dates",
        drop_columns({"opportunities": ("close_date",), "stage_history": ("close_date",)}),
    ),
    "subscriptions_only": ("subscriptions and nothing else", only("subscriptions")),
    "leads_only": ("leads and nothing else", only("leads")),
}


def shape(tables: Tables, name: str) -> Tables:
    """The demo's ``tables`` cut to the shape ``name`` (see :data:`SHAPES`)."""
    if name not in SHAPES:
        raise KeyError(f"unknown shape {name!r}; shapes are {', '.join(SHAPES)}")
    return SHAPES[name][1]({k: v.copy() for k, v in tables.items()})
