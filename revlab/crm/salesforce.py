"""Ready maps for Salesforce exports (Data Loader / Data Export API field names).

- ``Lead`` → leads: ``Id``, ``CreatedDate``, ``LeadSource`` (the channel), ``ConvertedDate``,
  ``ConvertedOpportunityId``; ``Status``, ``IsConverted``, ``Industry``, ``NumberOfEmployees``,
  ``AnnualRevenue``, ``Rating``, ``Country``, ``State`` and ``ConvertedContactId`` are kept as
  snake_case attributes when exported. Nothing else is carried: names, e-mails, phones,
  addresses, ``Description`` and custom fields stay out unless named (``keep=[...]`` through
  ``maps=``), and a named field holding e-mails, phone numbers or prose is refused.
- ``Opportunity`` → opportunities: ``Id``, ``CreatedDate``, ``StageName``, ``Amount``,
  ``IsClosed``, ``IsWon``, ``CloseDate``, ``AccountId``, ``OwnerId``; attributes ``Type``,
  ``LeadSource``, ``ForecastCategoryName``, ``Probability``. ``Name`` (free text naming the
  customer) stays out. Without ``IsClosed`` / ``IsWon`` columns the flags come from the
  standard stage names (``SALESFORCE_STAGES``); a stage outside them is an error that names it.
- ``OpportunityHistory`` → stage_history: ``OpportunityId``, ``StageName``, ``CreatedDate``
  (``entered_at``), ``Amount``, ``CloseDate`` (the values after each change).
- ``Task`` and ``Event`` → activities: ``WhoId`` (the lead or contact), the time
  (``CompletedDateTime``, else ``ActivityDate``, else ``CreatedDate`` for tasks;
  ``StartDateTime``, else ``ActivityDateTime``, else ``CreatedDate`` for events), the kind
  (``TaskSubtype`` / ``EventSubtype``, else ``Type``); ``CallType`` as ``detail``. Subjects,
  descriptions and call results are free text and stay out. Activities without ``WhoId`` (on
  an account only) are left out and counted; with the Lead export, a contact converted from a
  lead (``ConvertedContactId``) counts for that lead, and touches of contacts that never were
  leads are left out and counted.
- ``CurrencyIsoCode`` (multi-currency orgs) → ``currency`` on opportunities, stage_history and
  subscriptions; ``DatedConversionRate`` → fx_rates: ``IsoCode``, ``StartDate``, and
  ``rate = 1 / ConversionRate`` (see :mod:`revlab._fx`).
- ``Contract`` → subscriptions: ``Id``, ``AccountId``, ``StartDate``, ``EndDate`` (else
  ``StartDate`` plus ``ContractTerm`` months); the standard object has no amount, so name the
  field holding the term's value (``contract_amount="ARR__c"``). Draft contracts and those in
  approval are not terms and are left out and counted.

Stage names: a won stage is written ``closed_won`` and a lost one ``closed_lost`` in both
opportunities and stage_history (open stages are kept as written), so that the history of a
deal ends where the deal is; custom closing stages are learned from the Opportunity export's
``IsWon`` / ``IsClosed``. Owners are ids (``OwnerId``); an owner exported as a name or an
e-mail address becomes a pseudonymous ``owner-<hash>`` id (see :mod:`revlab.crm`).

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

from ._load import Source, canonical_order, map_frame, read_source
from ._mapping import ColumnMap, FirstOf, StageMap, closing_stages, stage_values
from ._summary import Imported
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
_STAGES = StageMap("StageName", **SALESFORCE_STAGES, strict=False)
#: Contract statuses that are not (yet) a term of service.
NOT_TERMS = ("Draft", "In Approval Process", "InApproval")


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


@dataclass(frozen=True)
class TermEnd:
    """A contract's end: ``end`` when given, else ``start`` plus ``months`` less one day."""

    end: str
    start: str
    months: str

    @property
    def needs(self) -> tuple[str, ...]:
        """Columns the rule reads (the end alone is enough)."""
        return (self.start,)

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        """The derived column."""
        end = (
            table[self.end] if self.end in table.columns else pd.Series(pd.NaT, index=table.index)
        )
        if self.months not in table.columns:
            return end
        months = pd.to_numeric(table[self.months], errors="coerce")
        start = table[self.start]
        computed = [
            s + pd.DateOffset(months=int(m)) - pd.Timedelta(days=1)
            if pd.notna(s) and pd.notna(m) else pd.NaT
            for s, m in zip(start, months, strict=True)
        ]  # fmt: skip
        return end.where(end.notna(), pd.Series(computed, index=table.index, dtype=end.dtype))


SALESFORCE_LEAD = ColumnMap(
    table="leads",
    renames={"Id": "lead_id", "CreatedDate": "created_at", "LeadSource": "channel"},
    optional={"ConvertedDate": "converted_at", "ConvertedOpportunityId": "opportunity_id"},
    derive={"converted_at": NotBefore("converted_at", "created_at")},
    attributes=(
        "Status", "IsConverted", "Industry", "NumberOfEmployees", "AnnualRevenue", "Rating",
        "Country", "State", "ConvertedContactId",
    ),
)  # fmt: skip

SALESFORCE_OPPORTUNITY = ColumnMap(
    table="opportunities",
    renames={
        "Id": "opportunity_id", "CreatedDate": "created_at", "StageName": "stage",
        "Amount": "amount",
    },
    optional={
        "IsClosed": "is_closed", "IsWon": "is_won", "CloseDate": "close_date",
        "AccountId": "account_id", "OwnerId": "owner", "CurrencyIsoCode": "currency",
    },
    values={
        col: vmap.with_when_missing()
        for col, vmap in stage_values("StageName", **SALESFORCE_STAGES).items()
    },
    stages=_STAGES,
    derive={"closed_at": NotBefore("close_date", "created_at", when="is_closed")},
    attributes=("Type", "LeadSource", "ForecastCategoryName", "Probability"),
)  # fmt: skip

SALESFORCE_OPPORTUNITY_HISTORY = ColumnMap(
    table="stage_history",
    renames={"OpportunityId": "opportunity_id", "StageName": "stage", "CreatedDate": "entered_at"},
    optional={"Amount": "amount", "CloseDate": "close_date", "CurrencyIsoCode": "currency"},
    stages=_STAGES,
)

SALESFORCE_TASK = ColumnMap(
    table="activities",
    renames={"WhoId": "lead_id", "CreatedDate": "_created"},
    optional={
        "CompletedDateTime": "_completed", "ActivityDate": "_due", "TaskSubtype": "_subtype",
        "Type": "_type", "CallType": "detail",
    },
    dates={"_created": None, "_completed": None, "_due": None},
    derive={
        "occurred_at": FirstOf(("_completed", "_due", "_created")),
        "activity": FirstOf(("_subtype", "_type"), default="Task"),
    },
    skip_empty=("lead_id",),
    attributes=("Status", "Priority", "CallDurationInSeconds", "IsClosed"),
)  # fmt: skip

SALESFORCE_EVENT = ColumnMap(
    table="activities",
    renames={"WhoId": "lead_id", "CreatedDate": "_created"},
    optional={
        "StartDateTime": "_start", "ActivityDateTime": "_when", "EventSubtype": "_subtype",
        "Type": "_type",
    },
    dates={"_created": None, "_start": None, "_when": None},
    derive={
        "occurred_at": FirstOf(("_start", "_when", "_created")),
        "activity": FirstOf(("_subtype", "_type"), default="Event"),
    },
    skip_empty=("lead_id",),
    attributes=("DurationInMinutes", "IsAllDayEvent", "ShowAs"),
)  # fmt: skip

SALESFORCE_CONTRACT = ColumnMap(
    table="subscriptions",
    renames={"Id": "subscription_id", "AccountId": "account_id", "StartDate": "start_date"},
    optional={"EndDate": "end_date", "ContractTerm": "_term", "CurrencyIsoCode": "currency"},
    derive={"end_date": TermEnd("end_date", "start_date", "_term")},
    attributes=("Status", "ContractTerm"),
)


@dataclass(frozen=True)
class PerCorporate:
    """A rate quoted per unit of the corporate currency, turned around: ``1 / ConversionRate``."""

    column: str

    @property
    def needs(self) -> tuple[str, ...]:
        """Columns the rule reads."""
        return (self.column,)

    def __call__(self, table: pd.DataFrame) -> pd.Series:
        """Units of the corporate currency per unit of the row's currency (empty where not > 0)."""
        quoted = pd.to_numeric(table[self.column], errors="coerce")
        return (1.0 / quoted.where(quoted > 0)).astype("float64")


SALESFORCE_DATED_CONVERSION_RATE = ColumnMap(
    table="fx_rates",
    renames={"IsoCode": "currency", "StartDate": "valid_from", "ConversionRate": "_per_corporate"},
    derive={"rate": PerCorporate("_per_corporate")},
)

#: The export keyword of each object, its default map and its canonical table.
OBJECTS = {
    "lead": SALESFORCE_LEAD,
    "opportunity": SALESFORCE_OPPORTUNITY,
    "opportunity_history": SALESFORCE_OPPORTUNITY_HISTORY,
    "task": SALESFORCE_TASK,
    "event": SALESFORCE_EVENT,
    "contract": SALESFORCE_CONTRACT,
    "dated_conversion_rate": SALESFORCE_DATED_CONVERSION_RATE,
}


def from_salesforce(**exports) -> dict[str, pd.DataFrame]:
    """Canonical tables from Salesforce exports; the arguments of :func:`read_salesforce`."""
    return read_salesforce(**exports).tables


def read_salesforce(
    *,
    lead: Source | None = None,
    opportunity: Source | None = None,
    opportunity_history: Source | None = None,
    task: Source | None = None,
    event: Source | None = None,
    contract: Source | None = None,
    dated_conversion_rate: Source | None = None,
    contract_amount: str | None = None,
    maps: Mapping[str, ColumnMap] | None = None,
    encoding: str = "utf-8",
) -> Imported:
    """Canonical tables from Salesforce exports (CSV paths or DataFrames), with the summary.

    Parameters
    ----------
    lead, opportunity, opportunity_history, task, event, contract, dated_conversion_rate
        The exports of those objects; give any subset. ``DatedConversionRate`` becomes
        ``fx_rates`` with ``rate = 1 / ConversionRate`` (Salesforce quotes units of the
        currency per unit of the corporate currency; revlab the other way round).
    contract_amount
        The Contract field holding a term's value (e.g. ``"ARR__c"``); needed with ``contract``.
    maps
        Replacement maps by object keyword (``lead``, ``opportunity``, ``task`` …), e.g.
        ``{"lead": SALESFORCE_LEAD.with_(keep=["Region__c"])}``.
    encoding
        Text encoding of the CSV files, e.g. ``"cp1252"``.

    Returns
    -------
    Imported
        ``.tables``: leads, opportunities, stage_history, activities (Task and Event together),
        subscriptions, fx_rates, for the exports given; ``.exports``: what was done to each.
    """
    given = dict(lead=lead, opportunity=opportunity, opportunity_history=opportunity_history,
                 task=task, event=event, contract=contract,
                 dated_conversion_rate=dated_conversion_rate)  # fmt: skip
    by_table = {"leads": "lead", "opportunities": "opportunity",
                "stage_history": "opportunity_history", "subscriptions": "contract"}  # fmt: skip
    maps = {**OBJECTS, **{by_table.get(k, k): v for k, v in (maps or {}).items()}}
    if contract is not None:
        maps["contract"] = _contract_map(maps["contract"], contract_amount)
    parts: dict[str, Imported] = {}
    for obj in ("lead", "opportunity", "task", "event", "contract", "dated_conversion_rate"):
        if given[obj] is not None:
            parts[obj] = _read(given[obj], maps[obj], encoding, obj)
    if opportunity_history is not None:
        hist_map = maps["opportunity_history"]
        if "opportunity" in parts and hist_map.stages is not None:
            learned = closing_stages(parts["opportunity"].tables["opportunities"])
            hist_map = hist_map.with_(stages=hist_map.stages.extended(learned))
            _restage(parts["opportunity"], hist_map.stages)
        parts["opportunity_history"] = _read(opportunity_history, hist_map, encoding, "history")
    return _assemble(parts)


def _contract_map(cmap: ColumnMap, amount: str | None) -> ColumnMap:
    from revlab.schema import SchemaError

    if amount is None and "amount" not in cmap.targets():
        raise SchemaError(
            [
                "Contract → subscriptions: Salesforce's Contract has no standard amount; name "
                "the field holding each term's value: contract_amount='ARR__c' (revlab import "
                "--contract-amount ARR__c)."
            ]
        )
    return cmap.with_(renames={**cmap.renames, amount: "amount"}) if amount else cmap


def _read(source: Source, cmap: ColumnMap, encoding: str, obj: str) -> Imported:
    raw, name = read_source(source, encoding=encoding)
    if obj == "contract" and "Status" in raw.columns:
        draft = raw["Status"].isin(NOT_TERMS)
        imported = map_frame(raw[~draft].reset_index(drop=True), cmap, name=name)
        if draft.any():
            imported.exports[0].skipped["draft or in approval: not a term"] = int(draft.sum())
        return imported
    return map_frame(raw, cmap, name=name)


def _restage(opportunity: Imported, stages: StageMap) -> None:
    opps = opportunity.tables["opportunities"]
    opps["stage"] = stages.canonical(opps["stage"])[0].astype(opps["stage"].dtype)


def _assemble(parts: dict[str, Imported]) -> Imported:
    """One Imported: Task and Event together; deals linked to leads; touches to leads."""
    acts = [parts.pop(k) for k in ("task", "event") if k in parts]
    out = Imported()
    for part in parts.values():
        out = out.merged(part)
    if acts:
        frames = [a.tables["activities"] for a in acts]
        merged = pd.concat(frames, ignore_index=True).sort_values("occurred_at", kind="stable")
        out.tables["activities"] = merged.reset_index(drop=True)
        out.exports += [e for a in acts for e in a.exports]
    if "leads" in out and "opportunities" in out:
        out.tables["opportunities"] = link_leads(out["opportunities"], out["leads"])
    if "leads" in out and "activities" in out:
        out.tables["activities"] = _touches_of_leads(out["activities"], out["leads"], out)
    if "converted_contact_id" in out.tables.get("leads", pd.DataFrame()).columns:
        out.tables["leads"] = out["leads"].drop(columns="converted_contact_id")
    return out


def _touches_of_leads(acts: pd.DataFrame, leads: pd.DataFrame, out: Imported) -> pd.DataFrame:
    """WhoId as a lead: a lead's own id, or the lead a contact was converted from."""
    lead_of = pd.Series(dtype="str")
    if "converted_contact_id" in leads.columns:
        converted = leads.dropna(subset=["converted_contact_id"])
        lead_of = converted.drop_duplicates("converted_contact_id").set_index(
            "converted_contact_id"
        )["lead_id"]
    ids = acts["lead_id"].where(
        acts["lead_id"].isin(leads["lead_id"]), acts["lead_id"].map(lead_of)
    )
    unknown = ids.isna()
    if unknown.any():
        summary = next(e for e in out.exports if e.table == "activities")
        summary.skipped["WhoId names a contact that never was a lead"] = int(unknown.sum())
        summary.rows = int(
            summary.rows - unknown.sum()
        )  # Task and Event share one summary row count
    kept = acts.assign(lead_id=to_text(ids))[~unknown]
    return kept.reset_index(drop=True)


def link_leads(opportunities: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """Fill ``opportunities.lead_id`` from ``leads.opportunity_id`` (earliest conversion wins)."""
    if "opportunity_id" not in leads.columns or "lead_id" in opportunities.columns:
        return opportunities
    order = "converted_at" if "converted_at" in leads.columns else "created_at"
    converted = leads.dropna(subset=["opportunity_id"]).sort_values(order, kind="stable")
    first = converted.drop_duplicates("opportunity_id").set_index("opportunity_id")["lead_id"]
    out = opportunities.assign(lead_id=to_text(opportunities["opportunity_id"].map(first)))
    return out[canonical_order(out.columns, "opportunities")]
