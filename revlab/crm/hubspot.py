"""Ready maps for HubSpot exports, by API property name (UI export labels are accepted too).

- contacts → leads: ``hs_object_id`` (UI "Record ID"), ``createdate`` ("Create Date"),
  ``hs_analytics_source`` ("Original Source", the channel), and the lifecycle-stage dates
  ``hs_lifecyclestage_marketingqualifiedlead_date`` → ``mql_at``,
  ``hs_lifecyclestage_salesqualifiedlead_date`` → ``sql_at``,
  ``hs_lifecyclestage_opportunity_date`` → ``converted_at`` (a contact that became a customer
  without an opportunity date converts at ``hs_lifecyclestage_customer_date``, kept as
  ``customer_at``). Attributes kept when exported: ``lifecyclestage``, ``hs_lead_status``,
  ``industry``, ``numemployees``, ``annualrevenue``, ``country``, ``state``. Nothing else is
  carried: names, ``email``, ``work_email``, ``hs_additional_emails``, phones, addresses,
  ``message`` and custom properties stay out unless named.
- deals → opportunities: ``hs_object_id``, ``createdate``, ``amount``, ``dealstage`` (stage),
  ``closedate``, ``hubspot_owner_id`` (owner; a UI export's "Deal owner" holds names, which
  become pseudonymous ``owner-<hash>`` ids); attributes ``pipeline``, ``dealtype``. ``dealname``
  and "Associated Contact" (names and e-mails) stay out. ``is_closed`` / ``is_won`` come from
  ``hs_is_closed`` / ``hs_is_closed_won`` when exported, else from ``dealstage`` through the
  default sales pipeline's stages (``HUBSPOT_STAGES``, internal ids and labels); a stage of a
  custom pipeline must be added with ``stages=`` or it is reported. ``closed_at`` is
  ``closedate`` for closed deals (HubSpot sets it when a deal closes). ``deal_currency_code``
  (UI "Currency") → ``currency``; the deal's history is in the deal's currency.
- exchange_rates (the currencies API's listing as CSV) → fx_rates: ``fromCurrencyCode``,
  ``effectiveAt``, ``conversionRate`` (units of the company currency per unit, as HubSpot
  documents it: check one rate you know before trusting a report).
- deals → stage_history: one row per filled ``hs_date_entered_<stage>`` (or
  ``hs_v2_date_entered_<stage>``, or UI ``Date entered "<Stage> (<Pipeline>)"``) cell; won
  stages are written ``closed_won``, lost ones ``closed_lost`` (in the deals too).
- engagements (calls, e-mails, meetings, notes, tasks) → activities: the associated contact
  (``associations.contactIds``, UI "Associated Contact IDs"; an engagement with several
  contacts is one touch of each), ``hs_timestamp`` and ``hs_engagement_type`` (CALL, EMAIL,
  MEETING …); ``hs_call_direction`` as ``detail``. Bodies, titles and subjects are free text
  and stay out; engagements without a contact are left out and counted.
- subscriptions (commerce subscriptions) → subscriptions: ``hs_object_id``, the associated
  company (``associations.companyIds``, UI "Associated Company IDs") as ``account_id``,
  ``hs_recurring_billing_start_date``, ``hs_recurring_billing_end_date`` (else the start plus
  ``hs_recurring_billing_period``, e.g. ``P12M``), and ``amount`` = ``hs_mrr`` × the term's
  months; ``hs_status`` is kept.

API exports write timestamps in UTC (``2024-03-05T14:22:10.123Z``) or as epoch milliseconds;
UI exports write them in the portal's time zone without an offset: pass ``timezone=`` (and
``ambiguous=`` / ``nonexistent=`` for the hours a DST change repeats or skips).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ._load import Source, map_frame, read_source
from ._mapping import ColumnMap, Derived, StageMap, closing_stages, stage_values
from ._summary import Imported

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
_DATE_ENTERED = re.compile(
    r'^(?:hs_(?:v2_)?date_entered_(?P<id>.+)|Date entered "?(?P<label>.+?)(?: \(.+\))?"?)$'
)
_EPOCH = re.compile(r"^\d{12,13}$")
_PERIOD = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?$")


@dataclass(frozen=True)
class TermValue:
    """A subscription term's end and amount: MRR times the term's months."""

    @property
    def needs(self) -> tuple[str, ...]:
        """Columns the rule reads."""
        return ("start_date", "_mrr")

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        """The term's amount (empty where a month count cannot be known)."""
        days = (table["end_date"] - table["start_date"]).dt.days + 1
        months = (days / (365.25 / 12)).round()
        return pd.to_numeric(table["_mrr"], errors="coerce") * months


@dataclass(frozen=True)
class PeriodEnd:
    """A term's end: the exported end date, else the start plus the billing period, less a day."""

    @property
    def needs(self) -> tuple[str, ...]:
        """Columns the rule reads."""
        return ("start_date",)

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        """The derived column."""
        end = table.get("end_date", pd.Series(pd.NaT, index=table.index, dtype="datetime64[us]"))
        if "_period" not in table.columns:
            return end
        computed = [_add_period(s, p) for s, p in zip(table["start_date"], table["_period"],
                                                       strict=True)]  # fmt: skip
        return end.where(end.notna(), pd.Series(computed, index=table.index, dtype=end.dtype))


def _add_period(start, period) -> pd.Timestamp:
    match = _PERIOD.match(str(period)) if pd.notna(period) and pd.notna(start) else None
    if not match or not (match["y"] or match["m"]):
        return pd.NaT
    months = 12 * int(match["y"] or 0) + int(match["m"] or 0)
    return start + pd.DateOffset(months=months) - pd.Timedelta(days=1)


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
        "Lifecycle Stage": "lifecyclestage", "Lead Status": "hs_lead_status",
        "Number of Employees": "numemployees", "Annual Revenue": "annualrevenue",
        "Country/Region": "country", "State/Region": "state",
    },
    dates={"subscriber_at": None, "lead_at": None, "customer_at": None},
    derive={"converted_at": Derived("converted_at", fallback="customer_at")},
    attributes=("lifecyclestage", "hs_lead_status", "industry", "numemployees", "annualrevenue",
                "country", "state"),
)  # fmt: skip

HUBSPOT_DEALS = ColumnMap(
    table="opportunities",
    renames={
        "hs_object_id": "opportunity_id", "createdate": "created_at", "amount": "amount",
        "dealstage": "stage",
    },
    optional={
        "closedate": "close_date", "hubspot_owner_id": "owner", "hs_is_closed": "is_closed",
        "hs_is_closed_won": "is_won", "deal_currency_code": "currency",
    },
    aliases={
        "Record ID": "hs_object_id", "Deal ID": "hs_object_id", "Deal owner": "hubspot_owner_id",
        "Is Deal Closed?": "hs_is_closed", "Is Closed Won": "hs_is_closed_won",
        "Deal Type": "dealtype", "Currency": "deal_currency_code",
    },
    values={
        col: vmap.with_when_missing()
        for col, vmap in stage_values("dealstage", **HUBSPOT_STAGES).items()
    },
    stages=StageMap("dealstage", **HUBSPOT_STAGES, strict=False),
    derive={"closed_at": Derived("close_date", when="is_closed")},
    attributes=("pipeline", "dealtype"),
)  # fmt: skip

HUBSPOT_ENGAGEMENTS = ColumnMap(
    table="activities",
    renames={"associations.contactIds": "lead_id", "hs_timestamp": "occurred_at",
             "hs_engagement_type": "activity"},
    optional={"hs_call_direction": "detail"},
    aliases={
        "Associated Contact IDs": "associations.contactIds", "contact_id": "associations.contactIds",  # noqa: E501
        "associations_contactIds": "associations.contactIds", "timestamp": "hs_timestamp",
        "Activity date": "hs_timestamp", "engagement.timestamp": "hs_timestamp",
        "type": "hs_engagement_type", "Activity type": "hs_engagement_type",
        "engagement.type": "hs_engagement_type", "Call direction": "hs_call_direction",
    },
    skip_empty=("lead_id",),
    attributes=("hs_call_status", "hs_call_duration", "hs_meeting_outcome", "hs_email_direction",
                "hs_task_status"),
)  # fmt: skip

HUBSPOT_SUBSCRIPTIONS = ColumnMap(
    table="subscriptions",
    renames={"hs_object_id": "subscription_id", "associations.companyIds": "account_id",
             "hs_recurring_billing_start_date": "start_date", "hs_mrr": "_mrr"},
    optional={"hs_recurring_billing_end_date": "end_date",
              "hs_recurring_billing_period": "_period"},
    aliases={
        "Record ID": "hs_object_id", "Associated Company IDs": "associations.companyIds",
        "associations_companyIds": "associations.companyIds",
        "company_id": "associations.companyIds",
        "Billing start date": "hs_recurring_billing_start_date",
        "Billing end date": "hs_recurring_billing_end_date", "MRR": "hs_mrr",
        "Status": "hs_status",
    },
    derive={"end_date": PeriodEnd(), "amount": TermValue()},
    attributes=("hs_status",),
)  # fmt: skip

HUBSPOT_STAGE_HISTORY = ColumnMap(
    table="stage_history",
    renames={"opportunity_id": "opportunity_id", "stage": "stage", "entered_at": "entered_at"},
)

HUBSPOT_EXCHANGE_RATES = ColumnMap(
    table="fx_rates",
    renames={"fromCurrencyCode": "currency", "effectiveAt": "valid_from",
             "conversionRate": "rate"},
)  # fmt: skip

OBJECTS = {
    "exchange_rates": HUBSPOT_EXCHANGE_RATES,
    "contacts": HUBSPOT_CONTACTS,
    "deals": HUBSPOT_DEALS,
    "engagements": HUBSPOT_ENGAGEMENTS,
    "subscriptions": HUBSPOT_SUBSCRIPTIONS,
}


def from_hubspot(**exports) -> dict[str, pd.DataFrame]:
    """Canonical tables from HubSpot exports; the arguments of :func:`read_hubspot`."""
    return read_hubspot(**exports).tables


def read_hubspot(
    *,
    contacts: Source | None = None,
    deals: Source | None = None,
    engagements: Source | None = None,
    subscriptions: Source | None = None,
    exchange_rates: Source | None = None,
    stages: Mapping[str, Sequence[str]] | None = None,
    timezone: str = "UTC",
    ambiguous: str | None = None,
    nonexistent: str | None = None,
    maps: Mapping[str, ColumnMap] | None = None,
    encoding: str = "utf-8",
) -> Imported:
    """Canonical tables from HubSpot exports (CSV paths or DataFrames), with the summary.

    Parameters
    ----------
    contacts, deals, engagements, subscriptions
        The exports of those objects; give any subset.
    exchange_rates
        The account's exchange rates (the currencies API's ``exchange-rates`` listing saved
        as CSV: ``fromCurrencyCode``, ``effectiveAt``, ``conversionRate``, the rate into the
        company currency) → fx_rates. Without it, give an ``fx_rates.csv`` of your own.
    stages
        Extra deal stages by outcome, for custom pipelines:
        ``{"won": ["1234567"], "lost": [...], "open": [...]}``, added to ``HUBSPOT_STAGES``.
    timezone
        Time zone of timestamps written without an offset (UI exports use the portal's).
    ambiguous, nonexistent
        How to read local times that a DST change repeats (``"earliest"`` / ``"latest"``) or
        skips (``"shift_forward"`` / ``"shift_backward"``); by default they are reported.
    maps
        Replacement maps by object (``contacts``, ``deals``, ``engagements``,
        ``subscriptions``) or canonical table name.
    encoding
        Text encoding of the CSV files, e.g. ``"cp1252"``.

    Returns
    -------
    Imported
        ``.tables``: leads from contacts; opportunities from deals, and stage_history when
        the deals export has date-entered-stage columns; activities; subscriptions.
    """
    by_table = {"leads": "contacts", "opportunities": "deals", "activities": "engagements"}
    maps = {**OBJECTS, **{by_table.get(k, k): v for k, v in (maps or {}).items()}}
    if stages:
        deal_map = maps["deals"]
        more = deal_map.stages.extended(stages)
        values = stage_values("dealstage", won=more.won, lost=more.lost, open=more.open)
        maps["deals"] = deal_map.with_(
            stages=more, values={c: v.with_when_missing() for c, v in values.items()}
        )
    zone = dict(timezone=timezone, ambiguous=ambiguous, nonexistent=nonexistent)
    out = Imported()
    given = {"contacts": contacts, "engagements": engagements, "subscriptions": subscriptions,
             "exchange_rates": exchange_rates}  # fmt: skip
    for obj, source in given.items():
        if source is not None:
            raw, name = read_source(source, encoding=encoding)
            prepare = _contacts_per_row if obj == "engagements" else _epochs
            out = out.merged(map_frame(prepare(raw), maps[obj].with_(**zone), name=name))
    if deals is not None:
        out = out.merged(_deals(deals, maps["deals"].with_(**zone), encoding))
    return out


def _deals(source: Source, deal_map: ColumnMap, encoding: str) -> Imported:
    """Deals, and their history from the date-entered columns, closing stages learned."""
    raw, name = read_source(source, encoding=encoding)
    raw = _epochs(raw)
    entered = [c for c in raw.columns if _DATE_ENTERED.match(str(c))]
    id_col = deal_map.find(list(raw.columns), "hs_object_id") or "hs_object_id"
    stage_of = {}
    for col in entered:
        match = _DATE_ENTERED.match(str(col))
        stage_of[col] = match["id"] or match["label"]
    first = map_frame(raw.drop(columns=entered), deal_map, name=name)
    if not entered or id_col not in raw.columns:
        return first
    learned = closing_stages(first.tables["opportunities"])
    stages = deal_map.stages.extended(learned) if deal_map.stages else None
    with_history = deal_map.with_(stage_dates=stage_of, stages=stages)
    return map_frame(raw, with_history, name=name)


def _contacts_per_row(raw: pd.DataFrame) -> pd.DataFrame:
    """An engagement with several associated contacts ("1;2") becomes one row per contact."""
    col = HUBSPOT_ENGAGEMENTS.find(list(raw.columns), "associations.contactIds")
    out = _epochs(raw)
    if col is None:
        return out
    ids = out[col].astype("str").str.split(r"\s*[;,]\s*", regex=True).where(out[col].notna())
    return out.assign(**{col: ids}).explode(col, ignore_index=True).astype("str")


def _epochs(raw: pd.DataFrame) -> pd.DataFrame:
    """HubSpot API exports may write dates as epoch milliseconds: turn them into ISO text."""
    out = raw.copy()
    for col in out.columns:
        if not re.search(r"date|_at$|entered|timestamp", str(col), re.I):
            continue
        text = out[col].astype("str").str.strip()
        epoch = text.str.match(_EPOCH, na=False)
        if epoch.any():
            stamps = pd.to_datetime(pd.to_numeric(text[epoch]), unit="ms", utc=True)
            out.loc[epoch, col] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return out
