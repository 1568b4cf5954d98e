"""Ready maps for Salesforce exports (Data Loader / Data Export API field names).

- ``Lead`` → leads: ``Id``, ``CreatedDate``, ``LeadSource`` (the channel), ``ConvertedDate``,
  ``ConvertedOpportunityId``; ``Status``, ``IsConverted``, ``Industry``, ``NumberOfEmployees``,
  ``Country`` and any other field stay as snake_case attributes (custom ``Foo__c`` → ``foo``).
  Personal fields (names, e-mail, phones, street address) are dropped.
- ``Opportunity`` → opportunities: ``Id``, ``CreatedDate``, ``StageName``, ``Amount``,
  ``IsClosed``, ``IsWon``, ``CloseDate``, ``AccountId``, ``OwnerId``. Without ``IsClosed`` /
  ``IsWon`` columns the flags come from the standard stage names (``SALESFORCE_STAGES``);
  a stage outside them is an error that names it.
- ``OpportunityHistory`` → stage_history: ``OpportunityId``, ``StageName``, ``CreatedDate``
  (``entered_at``), ``Amount``, ``CloseDate`` (the values after each change).

Timestamps such as ``2024-03-05T14:22:10.000+0000`` are UTC and become naive UTC. Date fields
(``ConvertedDate``, ``CloseDate``) carry no time: they read as midnight, except that a lead
converted (or a deal closed) on the day it was created gets its creation time, so that the
event does not precede the record. ``closed_at`` of a closed opportunity is its ``CloseDate``
(Salesforce's own convention: the close date of a closed deal is when it closed); open
opportunities have no ``closed_at``. Salesforce keeps no time of disqualification, so
``disqualified_at`` stays unset; ``Status`` is kept as an attribute. Salesforce opportunities
carry no lead id: when the Lead export is given, ``opportunities.lead_id`` is the lead whose
``ConvertedOpportunityId`` names the deal (the earliest converted, if several leads were
merged into one deal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ._load import Source, canonical_order, load_export
from ._mapping import ColumnMap, stage_values
from ._values import to_text

#: Salesforce's default opportunity stages, by outcome.
SALESFORCE_STAGES: dict[str, tuple[str, ...]] = {
    "won": ("Closed Won",),
    "lost": ("Closed Lost",),
    "open": (
        "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
        "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
        "Negotiation/Review",
    ),
}  # fmt: skip

PERSONAL_FIELDS = (
    "FirstName", "LastName", "MiddleName", "Name", "Salutation", "Email", "Phone",
    "MobilePhone", "Fax", "Street", "Address", "PhotoUrl",
)  # fmt: skip


@dataclass(frozen=True)
class NotBefore:
    """Date field ``day`` as a timestamp, lifted to ``created`` when both fall on one day."""

    day: str
    created: str
    when: str | None = None

    @property
    def needs(self) -> tuple[str, ...]:
        """Columns the rule reads."""
        return tuple(c for c in (self.day, self.created, self.when) if c is not None)

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        """The derived column."""
        value, start = table[self.day], table[self.created]
        same_day = value.notna() & (value == start.dt.normalize()) & (start > value)
        out = value.where(~same_day, start)
        return out.where(table[self.when].astype(bool)) if self.when else out


SALESFORCE_LEAD = ColumnMap(
    table="leads",
    renames={"Id": "lead_id", "CreatedDate": "created_at", "LeadSource": "channel"},
    optional={"ConvertedDate": "converted_at", "ConvertedOpportunityId": "opportunity_id"},
    derive={"converted_at": NotBefore("converted_at", "created_at")},
    drop=PERSONAL_FIELDS,
)

SALESFORCE_OPPORTUNITY = ColumnMap(
    table="opportunities",
    renames={
        "Id": "opportunity_id", "CreatedDate": "created_at", "StageName": "stage",
        "Amount": "amount",
    },
    optional={
        "IsClosed": "is_closed", "IsWon": "is_won", "CloseDate": "close_date",
        "AccountId": "account_id", "OwnerId": "owner",
    },
    values={
        col: vmap.with_when_missing()
        for col, vmap in stage_values("StageName", **SALESFORCE_STAGES).items()
    },
    derive={"closed_at": NotBefore("close_date", "created_at", when="is_closed")},
)  # fmt: skip

SALESFORCE_OPPORTUNITY_HISTORY = ColumnMap(
    table="stage_history",
    renames={"OpportunityId": "opportunity_id", "StageName": "stage", "CreatedDate": "entered_at"},
    optional={"Amount": "amount", "CloseDate": "close_date"},
    keep="none",
)


def from_salesforce(
    *,
    lead: Source | None = None,
    opportunity: Source | None = None,
    opportunity_history: Source | None = None,
    maps: Mapping[str, ColumnMap] | None = None,
) -> dict[str, pd.DataFrame]:
    """Canonical tables from Salesforce exports (CSV paths or DataFrames); give any subset.

    Parameters
    ----------
    lead, opportunity, opportunity_history
        The Lead, Opportunity and OpportunityHistory exports.
    maps
        Replacement maps by canonical table name, e.g.
        ``{"leads": SALESFORCE_LEAD.with_(fill={"channel": "(none)"})}``.

    Returns
    -------
    dict
        ``leads``, ``opportunities`` and ``stage_history``, for the exports given.
    """
    maps = {
        "leads": SALESFORCE_LEAD,
        "opportunities": SALESFORCE_OPPORTUNITY,
        "stage_history": SALESFORCE_OPPORTUNITY_HISTORY,
        **(maps or {}),
    }
    sources = {"leads": lead, "opportunities": opportunity, "stage_history": opportunity_history}
    tables = {
        table: load_export(src, maps[table]) for table, src in sources.items() if src is not None
    }
    if "leads" in tables and "opportunities" in tables:
        tables["opportunities"] = link_leads(tables["opportunities"], tables["leads"])
    return tables


def link_leads(opportunities: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """Fill ``opportunities.lead_id`` from ``leads.opportunity_id`` (earliest conversion wins)."""
    if "opportunity_id" not in leads.columns or "lead_id" in opportunities.columns:
        return opportunities
    order = "converted_at" if "converted_at" in leads.columns else "created_at"
    converted = leads.dropna(subset=["opportunity_id"]).sort_values(order, kind="stable")
    first = converted.drop_duplicates("opportunity_id").set_index("opportunity_id")["lead_id"]
    out = opportunities.assign(lead_id=to_text(opportunities["opportunity_id"].map(first)))
    return out[canonical_order(out.columns, "opportunities")]
