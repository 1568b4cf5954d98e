"""Turn CRM exports (Salesforce, HubSpot, or any CRM through a mapping) into canonical tables.

Ready maps cover Salesforce (:func:`from_salesforce`: Lead, Opportunity, OpportunityHistory,
Task, Event, Contract) and HubSpot (:func:`from_hubspot`: contacts, deals, engagements,
subscriptions). For any other CRM, describe each export with a mapping, a dict or a YAML file,
and call :func:`load_export` (one table) or :func:`read_export` (its tables and a summary).
``revlab import`` does the same from the shell and writes a DuckDB file or Parquet folder for
``revlab report --source``. Problems are reported all at once in one
:class:`~revlab.schema.SchemaError` naming the file, line or column, and the fix: an unreadable
file (not UTF-8: pass ``encoding="cp1252"``; empty; not CSV; ragged rows), a malformed mapping
(a repeated or unknown key, a wrong shape, with its YAML line), columns the mapping names but
the export lacks, stage values it does not cover, values that do not parse, local times that do
not exist or repeat at a DST change.

Mapping format (YAML; the same keys work as a dict)::

    table: opportunities          # canonical table this export becomes
    renames:                      # source column: canonical column (the export must have it)
      Deal ID: opportunity_id
      Created: created_at
      Stage: stage
      Account: account_id
    optional:                     # renamed when present, skipped when not
      Value: amount
      Expected Close: close_date
      Rep: owner
    aliases:                      # another header accepted for a source column
      Deal Value: Value
    lookups:                      # columns from a second file, by key
      accounts:
        file: accounts.csv        #   relative to this mapping file
        key: Account ID           #   its key column
        by: Account               #   this export's column holding that key
        columns: {Sector: Account Sector}   # its column: the name it takes here
    stages:                       # stage values by outcome; sets is_closed and is_won, and
      column: Stage               #   writes won stages closed_won and lost ones closed_lost
      won: [Won]                  #   in opportunities.stage and stage_history.stage
      lost: [Lost, No Decision]
      open: [New, Qualified, Proposal]
    stage_dates:                  # one date column per stage → one stage_history row per
      Qualified On: Qualified     #   filled cell (stage names go through `stages:` too)
      Won On: Won
    values:                       # value maps: canonical column from a source column
      segment:
        from: Account Sector      #   a looked-up column works like the export's own
        map: {Banking: enterprise, Retail: mid-market, Software: smb}
    dates:                        # strftime format per timestamp column (default ISO 8601, or
                                  #   day/month dates whose order the column shows: 25/03/2024);
      created_at: "%d/%m/%Y %H:%M"   # also epoch_s / epoch_ms; entered_at is the format
      close_date: "%d/%m/%Y"         #   of the stage_dates columns
    timezone: Europe/Berlin       # zone of timestamps written without an offset (default UTC)
    ambiguous: earliest           # a local time lived twice (clocks back): earliest or latest
    nonexistent: shift_forward    # a local time skipped (clocks forward): shift_forward/backward
    derive:                       # columns copied from others: close_date of closed deals
      closed_at: {copy: close_date, when: is_closed}
    fill:                         # empty cells of a column: a value, or another column's value
      owner: unassigned
      amount: {from: List Price}
    keep: [Product Family]        # attributes carried (an allowlist; default none)
    skip_empty: [lead_id]         # rows whose column is empty are left out, and counted
    owner_names: false            # true keeps owners as exported (names, e-mails)
    owner_salt: a-secret          # key of the owner pseudonyms
    encoding: utf-8               # of the CSV files (cp1252 for Excel on Windows)
    delimiter: ","

Headers match exactly, else ignoring case, spaces and punctuation ("Create Date" finds
``createdate``). A value map matches values ignoring case and surrounding spaces; a value it
does not cover is an error naming the values and their row counts. Quote keys YAML would read
as booleans or numbers (``"yes"``, ``"on"``, ``"1"``), and use ``""`` for empty cells. A key
given twice is an error (YAML alone would keep the last silently).

Personal data: a table gets its canonical columns and the attributes ``keep`` names, nothing
else; a named attribute whose header or values say e-mail, phone, name, address or free text
is refused, as is a canonical text column holding e-mail addresses or phone numbers. Owners
given as names or e-mail addresses become ``owner-<10 hex>`` (a keyed BLAKE2b hash with
``owner_salt``; the same owner gets the same id in every import with the same salt).
Canonical columns get canonical dtypes (timestamps naive UTC, money float, ids text, flags
bool); kept attributes become booleans or numbers when every value reads so, else text.
Everything an import did is in :class:`Imported` ``.exports`` (and ``revlab import``'s output):
mapped, derived, filled, left out (personal fields by name), pseudonymised. Details:
``docs/crm.md``.
"""

from ._load import load_export, read_export
from ._mapping import (
    ColumnMap,
    Derived,
    FirstOf,
    Lookup,
    StageMap,
    ValueMap,
    stage_values,
)
from ._spec import read_mapping
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
