"""Turn CRM exports (Salesforce, HubSpot, or any CRM through a mapping) into canonical tables.

Ready maps cover Salesforce (:func:`from_salesforce`) and HubSpot (:func:`from_hubspot`).
For any other CRM, describe each export with a mapping, a dict or a YAML file, and call
:func:`load_export`. Every row of an export becomes one row of the table; nothing is dropped
or guessed. Columns the mapping names but the export lacks, stage values the mapping does
not cover, and values that do not parse are all reported at once in one
:class:`~revlab.schema.SchemaError`, with the fix.

Mapping format (YAML; the same keys work as a dict)::

    table: opportunities          # canonical table this export becomes
    renames:                      # source column: canonical column (the export must have it)
      Deal ID: opportunity_id
      Created: created_at
      Value: amount
      Stage: stage
    optional:                     # renamed when present, skipped when not
      Expected Close: close_date
      Rep: owner
    aliases:                      # another header accepted for a source column
      Deal Value: Value
    stages:                       # stage values by outcome; sets is_closed and is_won
      column: Stage
      won: [Won]
      lost: [Lost, No Decision]
      open: [New, Qualified, Proposal]
    values:                       # general value maps: canonical column from a source column
      segment:
        from: Tier
        map: {T1: enterprise, T2: mid-market, T3: smb}
    dates:                        # strftime format per timestamp column (default ISO 8601);
      created_at: "%d/%m/%Y %H:%M"   # also epoch_s / epoch_ms
      close_date: "%d/%m/%Y"
    timezone: Europe/Berlin       # zone of timestamps written without an offset (default UTC)
    derive:                       # columns copied from others: close_date of closed deals
      closed_at: {copy: close_date, when: is_closed}
    fill:                         # value for empty cells of a column (explicit, never implied)
      owner: unassigned
    keep: all                     # other columns kept as snake_case attributes: all, none,
    drop: [Email]                 #   or a list; `drop` leaves some out

Headers match exactly, else ignoring case, spaces and punctuation ("Create Date" finds
``createdate``). A value map matches values ignoring case and surrounding spaces; a value it
does not cover is an error naming the values and their row counts. Quote keys YAML would read
as booleans or numbers (``"yes"``, ``"1"``), and use ``""`` as the key for empty cells.
Canonical columns get canonical dtypes (timestamps naive UTC, money float, ids text, flags
bool); kept attributes become booleans or numbers when every value reads so, else text.
"""

from ._load import load_export, read_export
from ._mapping import (
    ColumnMap,
    Derived,
    FirstOf,
    Lookup,
    StageMap,
    ValueMap,
    read_mapping,
    stage_values,
)
from ._summary import ExportSummary, Imported
from .hubspot import (
    HUBSPOT_CONTACTS,
    HUBSPOT_DEALS,
    HUBSPOT_ENGAGEMENTS,
    HUBSPOT_STAGES,
    HUBSPOT_SUBSCRIPTIONS,
    from_hubspot,
    read_hubspot,
)
from .salesforce import (
    SALESFORCE_CONTRACT,
    SALESFORCE_EVENT,
    SALESFORCE_LEAD,
    SALESFORCE_OPPORTUNITY,
    SALESFORCE_OPPORTUNITY_HISTORY,
    SALESFORCE_STAGES,
    SALESFORCE_TASK,
    from_salesforce,
    read_salesforce,
)

__all__ = [
    "HUBSPOT_CONTACTS",
    "HUBSPOT_DEALS",
    "HUBSPOT_ENGAGEMENTS",
    "HUBSPOT_STAGES",
    "HUBSPOT_SUBSCRIPTIONS",
    "SALESFORCE_CONTRACT",
    "SALESFORCE_EVENT",
    "SALESFORCE_LEAD",
    "SALESFORCE_OPPORTUNITY",
    "SALESFORCE_OPPORTUNITY_HISTORY",
    "SALESFORCE_STAGES",
    "SALESFORCE_TASK",
    "ColumnMap",
    "Derived",
    "ExportSummary",
    "FirstOf",
    "Imported",
    "Lookup",
    "StageMap",
    "ValueMap",
    "from_hubspot",
    "from_salesforce",
    "load_export",
    "read_export",
    "read_hubspot",
    "read_mapping",
    "read_salesforce",
    "stage_values",
]
