"""From simulated arrays to the canonical tables (column names and dtypes of revlab.schema).

Only what happened before the data end is shown: later events are blank, open leads and deals
are open. Ids are strings (``L-0000042``), labels are strings, times are ``datetime64[us]``,
money is float64, flags are bool.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from revlab.demo._activities import DETAILS, TOUCH_CHANNELS
from revlab.demo._calendar import Calendar
from revlab.demo._params import ACTIVITIES, CHANNELS, DEAL_STAGES, REGIONS, SEGMENTS

STAGE_NAMES = (*DEAL_STAGES, "closed_won", "closed_lost")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def text(codes: np.ndarray, labels) -> pd.Series:
    """A string column from integer codes into ``labels`` (negative codes are missing)."""
    codes = np.asarray(codes)
    mask = codes < 0
    indices = pa.array(
        np.where(mask, 0, codes).astype(np.int32), mask=mask if mask.any() else None
    )
    labels = pa.array(np.asarray(labels, dtype=object), pa.string())
    return pd.Series(pa.DictionaryArray.from_arrays(indices, labels).cast(pa.string()), dtype=_STR)


def ids(prefix: str, n: int) -> np.ndarray:
    """``n`` ids like ``L-0000042``, zero-padded to a common width."""
    width = max(6, len(str(max(n - 1, 0))))
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(str), width)).astype(object)


def _when(cal: Calendar, t: np.ndarray, until: float) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    return cal.to_datetime(np.where(t < until, t, np.nan))


def leads(cal: Calendar, L: dict, lead_ids, opp_of_lead: np.ndarray, opp_ids) -> pd.DataFrame:
    """The leads table; ``opp_of_lead`` is each lead's deal index or -1."""
    h = cal.horizon
    times = L["times"]
    return pd.DataFrame(
        {
            "lead_id": text(np.arange(lead_ids.size), lead_ids),
            "created_at": cal.to_datetime(L["created"]),
            "channel": text(L["channel"], CHANNELS),
            "segment": text(L["segment"], SEGMENTS),
            "region": text(L["region"], REGIONS),
            "acquisition_cost": L["cost"].astype(float),
            "mql_at": _when(cal, times[:, 0], h),
            "sql_at": _when(cal, times[:, 1], h),
            "converted_at": _when(cal, times[:, 2], h),
            "opportunity_id": text(opp_of_lead, opp_ids),
            "disqualified_at": _when(cal, L["disqualified"], h),
        }
    )


def activities(cal: Calendar, touches, lead_ids) -> pd.DataFrame:
    """The activities table."""
    return pd.DataFrame(
        {
            "lead_id": text(touches.lead, lead_ids),
            "occurred_at": cal.to_datetime(touches.t),
            "activity": text(touches.kind, ACTIVITIES),
            "channel": text(touches.channel, TOUCH_CHANNELS),
            "detail": text(touches.detail, DETAILS),
        }
    )


def opportunities(cal: Calendar, D: dict, now: dict, opp_ids, lead_ids) -> pd.DataFrame:
    """The opportunities table; ``now`` holds each deal's last recorded values at the end."""
    closed = D["closed"] < cal.horizon
    return pd.DataFrame(
        {
            "opportunity_id": text(np.arange(opp_ids.size), opp_ids),
            "created_at": cal.to_datetime(D["created"]),
            "amount": now["amount"].astype(float),
            "is_closed": closed,
            "is_won": closed & D["won"],
            "account_id": text(D["lead"], np.char.replace(lead_ids.astype(str), "L-", "A-")),
            "lead_id": text(D["lead"], lead_ids),
            "stage": text(now["stage"].astype(np.int64), STAGE_NAMES),
            "close_date": cal.to_datetime(now["close_date"]),
            "closed_at": _when(cal, D["closed"], cal.horizon),
            "segment": text(D["segment"], SEGMENTS),
            "owner": text(D["owner"] - 1, [f"AE-{i:03d}" for i in range(1, D["owner"].max() + 1)]),
        }
    )


def stage_history(cal: Calendar, events, opp_ids) -> pd.DataFrame:
    """The stage_history table (one row per change, values after it)."""
    return pd.DataFrame(
        {
            "opportunity_id": text(events.deal, opp_ids),
            "stage": text(events.stage.astype(np.int64), STAGE_NAMES),
            "entered_at": cal.to_datetime(events.t),
            "amount": events.amount.astype(float),
            "close_date": cal.to_datetime(events.close_date),
        }
    )


def add_forecast_calls(tables: dict, history_codes, deal_codes) -> None:
    """Add ``forecast_category`` to the deals and their history (codes into the categories)."""
    from revlab._tables import FORECAST_CATEGORIES

    tables["stage_history"]["forecast_category"] = text(history_codes, FORECAST_CATEGORIES)
    tables["opportunities"]["forecast_category"] = text(deal_codes, FORECAST_CATEGORIES)


def marketing_spend(cal: Calendar, mondays: np.ndarray, spend: np.ndarray) -> pd.DataFrame:
    """The marketing_spend table: one row per Monday-week and channel."""
    n_weeks, n_ch = spend.shape
    return pd.DataFrame(
        {
            "period_start": cal.to_datetime(np.repeat(mondays, n_ch)),
            "channel": text(np.tile(np.arange(n_ch), n_weeks), CHANNELS),
            "spend": spend.ravel().astype(float),
        }
    )


def targets(quarters: list, values: np.ndarray) -> pd.DataFrame:
    """The targets table."""
    labels = [str(q) for q in quarters]
    return pd.DataFrame(
        {"quarter": text(np.arange(len(labels)), labels), "bookings_target": values.astype(float)}
    )


def subscriptions(cal: Calendar, S: dict, D: dict, won_idx, lead_ids) -> pd.DataFrame:
    """The subscriptions table, by start date; ``won_idx`` maps subscribed deals to deals."""
    order = np.lexsort((S["id"], S["start"]))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)  # new id of each term
    sub_ids = ids("S-", order.size)
    prev = S["renewed_from"][order]
    lead = D["lead"][won_idx[S["deal"][order]]]
    accounts = np.char.replace(lead_ids.astype(str), "L-", "A-")
    return pd.DataFrame(
        {
            "subscription_id": text(np.arange(order.size), sub_ids),
            "account_id": text(lead, accounts),
            "start_date": cal.to_datetime(S["start"][order]),
            "end_date": cal.to_datetime(S["end"][order]),
            "amount": S["amount"][order].astype(float),
            "renewed_from": text(np.where(prev >= 0, rank[np.maximum(prev, 0)], -1), sub_ids),
            "satisfaction": S["satisfaction"][order].astype(float),
        }
    )
