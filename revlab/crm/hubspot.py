"""Ready maps for HubSpot exports, by API property name (UI export labels are accepted too).

- contacts → leads: ``hs_object_id`` (UI "Record ID"), ``createdate`` ("Create Date"),
  ``hs_analytics_source`` ("Original Source", the channel), and the lifecycle-stage dates
  ``hs_lifecyclestage_marketingqualifiedlead_date`` → ``mql_at``,
  ``hs_lifecyclestage_salesqualifiedlead_date`` → ``sql_at``,
  ``hs_lifecyclestage_opportunity_date`` → ``converted_at`` (a contact that became a customer
  without an opportunity date converts at ``hs_lifecyclestage_customer_date``, kept as
  ``customer_at``). Other properties stay as snake_case attributes; personal fields (names,
  e-mail, phones, address) are dropped.
- deals → opportunities: ``hs_object_id``, ``createdate``, ``amount``, ``dealstage`` (stage),
  ``closedate``, ``hubspot_owner_id`` (owner). ``is_closed`` / ``is_won`` come from
  ``hs_is_closed`` / ``hs_is_closed_won`` when exported, else from ``dealstage`` through the
  default sales pipeline's stages (``HUBSPOT_STAGES``, internal ids and labels); a stage of a
  custom pipeline must be added with ``stages=`` or it is reported. ``closed_at`` is
  ``closedate`` for closed deals (HubSpot sets it when a deal closes).
- deals → stage_history: one row per filled ``hs_date_entered_<stage>`` (or
  ``hs_v2_date_entered_<stage>``, or UI ``Date entered "<Stage> (<Pipeline>)"``) cell.

API exports write timestamps in UTC (``2024-03-05T14:22:10.123Z``) or as epoch milliseconds;
UI exports write them in the portal's time zone without an offset: pass ``timezone=``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from ._load import Source, load_export, read_source
from ._mapping import ColumnMap, Derived, stage_values

#: The default "Sales Pipeline" deal stages: internal ids and their UI labels.
HUBSPOT_STAGES: dict[str, tuple[str, ...]] = {
    "won": ("closedwon", "Closed Won"),
    "lost": ("closedlost", "Closed Lost"),
    "open": (
        "appointmentscheduled", "Appointment Scheduled", "qualifiedtobuy", "Qualified To Buy",
        "presentationscheduled", "Presentation Scheduled", "decisionmakerboughtin",
        "Decision Maker Bought-In", "contractsent", "Contract Sent",
    ),
}  # fmt: skip

PERSONAL_FIELDS = (
    "firstname", "lastname", "email", "phone", "mobilephone", "address", "fax",
    "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number", "Street Address",
)  # fmt: skip
_DATE_ENTERED = re.compile(
    r'^(?:hs_(?:v2_)?date_entered_(?P<id>.+)|Date entered "?(?P<label>.+?)(?: \(.+\))?"?)$'
)
_EPOCH = re.compile(r"^\d{12,13}$")

HUBSPOT_CONTACTS = ColumnMap(
    table="leads",
    renames={
        "hs_object_id": "lead_id", "createdate": "created_at", "hs_analytics_source": "channel",
    },
    optional={
        "hs_lifecyclestage_subscriber_date": "subscriber_at",
        "hs_lifecyclestage_lead_date": "lead_at",
        "hs_lifecyclestage_marketingqualifiedlead_date": "mql_at",
        "hs_lifecyclestage_salesqualifiedlead_date": "sql_at",
        "hs_lifecyclestage_opportunity_date": "converted_at",
        "hs_lifecyclestage_customer_date": "customer_at",
    },
    aliases={
        "Record ID": "hs_object_id", "Contact ID": "hs_object_id", "Create Date": "createdate",
        "Original Source": "hs_analytics_source",
        "Original Traffic Source": "hs_analytics_source",
        "Became a Subscriber Date": "hs_lifecyclestage_subscriber_date",
        "Became a Lead Date": "hs_lifecyclestage_lead_date",
        "Became a Marketing Qualified Lead Date": "hs_lifecyclestage_marketingqualifiedlead_date",
        "Became a Sales Qualified Lead Date": "hs_lifecyclestage_salesqualifiedlead_date",
        "Became an Opportunity Date": "hs_lifecyclestage_opportunity_date",
        "Became a Customer Date": "hs_lifecyclestage_customer_date",
    },
    dates={"subscriber_at": None, "lead_at": None, "customer_at": None},
    derive={"converted_at": Derived("converted_at", fallback="customer_at")},
    drop=PERSONAL_FIELDS,
)  # fmt: skip

HUBSPOT_DEALS = ColumnMap(
    table="opportunities",
    renames={
        "hs_object_id": "opportunity_id", "createdate": "created_at", "amount": "amount",
        "dealstage": "stage",
    },
    optional={
        "closedate": "close_date", "hubspot_owner_id": "owner", "hs_is_closed": "is_closed",
        "hs_is_closed_won": "is_won",
    },
    aliases={
        "Record ID": "hs_object_id", "Deal ID": "hs_object_id", "Deal owner": "hubspot_owner_id",
        "Is Deal Closed?": "hs_is_closed", "Is Closed Won": "hs_is_closed_won",
    },
    values={
        col: vmap.with_when_missing()
        for col, vmap in stage_values("dealstage", **HUBSPOT_STAGES).items()
    },
    derive={"closed_at": Derived("close_date", when="is_closed")},
)  # fmt: skip

HUBSPOT_STAGE_HISTORY = ColumnMap(
    table="stage_history",
    renames={"opportunity_id": "opportunity_id", "stage": "stage", "entered_at": "entered_at"},
    keep="none",
)


def from_hubspot(
    *,
    contacts: Source | None = None,
    deals: Source | None = None,
    stages: Mapping[str, Sequence[str]] | None = None,
    timezone: str = "UTC",
    maps: Mapping[str, ColumnMap] | None = None,
) -> dict[str, pd.DataFrame]:
    """Canonical tables from HubSpot exports (CSV paths or DataFrames); give either or both.

    Parameters
    ----------
    contacts, deals
        The contacts and deals exports.
    stages
        Extra deal stages by outcome, for custom pipelines:
        ``{"won": ["1234567"], "lost": [...], "open": [...]}``, added to ``HUBSPOT_STAGES``.
    timezone
        Time zone of timestamps written without an offset (UI exports use the portal's).
    maps
        Replacement maps by canonical table name (``leads``, ``opportunities``, ``stage_history``).

    Returns
    -------
    dict
        ``leads`` from contacts; ``opportunities`` from deals, and ``stage_history`` when the
        deals export has date-entered-stage columns.
    """
    deal_map = HUBSPOT_DEALS
    if stages:
        merged = {k: (*HUBSPOT_STAGES[k], *stages.get(k, ())) for k in HUBSPOT_STAGES}
        values = stage_values("dealstage", **merged)
        deal_map = deal_map.with_(values={c: v.with_when_missing() for c, v in values.items()})
    maps = {
        "leads": HUBSPOT_CONTACTS,
        "opportunities": deal_map,
        "stage_history": HUBSPOT_STAGE_HISTORY,
        **(maps or {}),
    }
    tables = {}
    if contacts is not None:
        raw, name = read_source(contacts)
        tables["leads"] = load_export(_epochs(raw), _tz(maps["leads"], timezone), name=name)
    if deals is not None:
        raw, name = read_source(deals)
        entered = [c for c in raw.columns if _DATE_ENTERED.match(str(c))]
        deal_frame = _epochs(raw.drop(columns=entered))
        tables["opportunities"] = load_export(
            deal_frame, _tz(maps["opportunities"], timezone), name=name
        )
        if entered:
            history = stage_entries(_epochs(raw), entered, maps["opportunities"])
            tables["stage_history"] = load_export(
                history, _tz(maps["stage_history"], timezone), name=f"{name} (date entered)"
            )
    return tables


def stage_entries(raw: pd.DataFrame, entered: list[str], deal_map: ColumnMap) -> pd.DataFrame:
    """One row per filled date-entered-stage cell: opportunity_id, stage, entered_at."""
    id_col = deal_map.find(list(raw.columns), "hs_object_id") or "hs_object_id"
    long = raw[[id_col, *entered]].melt(id_vars=id_col, var_name="column", value_name="entered_at")
    long = long[long["entered_at"].notna() & long["entered_at"].astype(str).str.strip().ne("")]
    match = long["column"].astype(str).str.extract(_DATE_ENTERED)
    long = long.assign(stage=match["id"].fillna(match["label"]))
    long = long.rename(columns={id_col: "opportunity_id"})
    # hs_ and hs_v2_ columns may both record the same entry: keep one.
    long = long.drop_duplicates(["opportunity_id", "stage", "entered_at"])
    out = long[["opportunity_id", "stage", "entered_at"]]
    return out.sort_values(["opportunity_id", "entered_at"], kind="stable").reset_index(drop=True)


def _epochs(raw: pd.DataFrame) -> pd.DataFrame:
    """HubSpot API exports may write dates as epoch milliseconds: turn them into ISO text."""
    out = raw.copy()
    for col in out.columns:
        if not re.search(r"date|_at$|entered", str(col), re.I):
            continue
        text = out[col].dropna().astype(str).str.strip()
        if len(text) and text.str.match(_EPOCH).all():
            stamps = pd.to_datetime(pd.to_numeric(out[col]), unit="ms", utc=True)
            out[col] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").where(out[col].notna())
    return out


def _tz(cmap: ColumnMap, timezone: str) -> ColumnMap:
    return cmap if timezone == cmap.timezone else cmap.with_(timezone=timezone)
