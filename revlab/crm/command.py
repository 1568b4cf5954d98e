"""``revlab import``: CRM exports → validated canonical tables in a DuckDB file or Parquet folder.

Three ways in: ``--mapping MAP.yaml`` per export (any CRM; the n-th mapping reads the n-th
file), ``--salesforce`` or ``--hubspot`` with their exports (each file named for its object,
``Opportunity.csv``, ``deals.csv``, or given as ``object=path``). The tables are validated
(:func:`revlab.schema.validate`, and the deal history with
:func:`revlab.pipeline.validate_history`) before anything is written; the summary says what
was mapped, derived, filled and left out. Exit codes as ``revlab``'s: 2 bad arguments, 3 data
invalid, each with a message naming the file, the line or column, and the fix.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from revlab.exitcodes import EXIT_DATA, EXIT_OK, EXIT_USAGE
from revlab.schema import SchemaError

from ._summary import Imported

#: Words in an export's file name that say which object it holds.
SALESFORCE_NAMES = {
    "opportunityhistory": "opportunity_history", "opportunity": "opportunity", "lead": "lead",
    "task": "task", "event": "event", "contract": "contract",
    "datedconversionrate": "dated_conversion_rate",
}  # fmt: skip
HUBSPOT_NAMES = {
    "deal": "deals", "contact": "contacts", "engagement": "engagements", "activit": "engagements",
    "subscription": "subscriptions", "exchange": "exchange_rates",
}  # fmt: skip


class UsageError(ValueError):
    """Bad arguments: exit 2 with the message."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``import`` subcommand's arguments."""
    p = sub.add_parser(
        "import",
        help="turn CRM exports into canonical tables (DuckDB file or Parquet folder)",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="CSV exports; with --salesforce/--hubspot, OBJECT=FILE or named for "
                        "the object (Opportunity.csv, deals.csv ...)")  # fmt: skip
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--mapping", action="append", default=[], metavar="MAP.yaml",
                     help="YAML mapping per file, in the files' order (format: "
                          "help(revlab.crm))")  # fmt: skip
    how.add_argument("--salesforce", action="store_true", help="Salesforce exports: "
                     "Lead, Opportunity, OpportunityHistory, Task, Event, Contract")  # fmt: skip
    how.add_argument(
        "--hubspot",
        action="store_true",
        help="HubSpot exports: contacts, deals, engagements, subscriptions",
    )
    p.add_argument("--out", required=True,
                   help="a .duckdb file or a folder (Parquet), replaced whole; then run "
                        "`revlab report --source OUT`")  # fmt: skip
    p.add_argument("--encoding", default=None, help="text encoding of the files, e.g. cp1252")
    p.add_argument(
        "--timezone",
        default="UTC",
        help="HubSpot: zone of times written without an offset (UI exports)",
    )
    p.add_argument(
        "--contract-amount",
        default=None,
        metavar="FIELD",
        help="Salesforce: the Contract field holding a term's value, e.g. ARR__c",
    )
    p.add_argument(
        "--as-of", default=None, help="nothing may happen after this date (default: now)"
    )
    p.add_argument(
        "--accept-history-problems",
        action="store_true",
        help="write the tables even if the deal history contradicts the deals",
    )
    p.set_defaults(run=cli_import)


def cli_import(args: argparse.Namespace) -> int:
    """Run ``revlab import``; print the summary, or what is wrong and how to fix it."""
    from ._write import OutputError, write_tables

    try:
        imported = _read(args)
        notes = _check(imported, args)
        write_tables(imported.tables, args.out)
    except (UsageError, OutputError) as exc:
        print(f"revlab import: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SchemaError as exc:
        print(f"revlab import: nothing written; the exports cannot be used.\n{exc}",
              file=sys.stderr)  # fmt: skip
        return EXIT_DATA
    print(imported.text())
    for note in notes:
        print(f"note: {note}")
    print(f"wrote {len(imported.tables)} tables to {args.out}; next: "
          f"revlab report --source {args.out}")  # fmt: skip
    return EXIT_OK


def _read(args: argparse.Namespace) -> Imported:
    from . import _load, hubspot, salesforce

    for f in args.files:
        path = Path(f.split("=", 1)[1] if "=" in f and (args.salesforce or args.hubspot) else f)
        if not path.is_file():
            raise UsageError(f"{path}: no such file.")
    if args.mapping:
        if len(args.mapping) != len(args.files):
            raise UsageError(
                f"{len(args.files)} file(s) and {len(args.mapping)} --mapping(s): give one "
                "mapping per file, in the same order."
            )
        out = Imported()
        for path, mapping in zip(args.files, args.mapping, strict=True):
            if not Path(mapping).is_file():
                raise UsageError(f"{mapping}: no such mapping file.")
            out = out.merged(_load.read_export(path, mapping, encoding=args.encoding))
        return out
    encoding = args.encoding or "utf-8"
    if args.salesforce:
        objects = _objects(args.files, SALESFORCE_NAMES, "Salesforce")
        return salesforce.read_salesforce(**objects, contract_amount=args.contract_amount,
                                          encoding=encoding)  # fmt: skip
    objects = _objects(args.files, HUBSPOT_NAMES, "HubSpot")
    return hubspot.read_hubspot(**objects, timezone=args.timezone, encoding=encoding)


def _objects(files: list[str], names: dict[str, str], crm: str) -> dict[str, str]:
    """Object keyword → file, from ``object=path`` or the words of the file's name."""
    known = sorted(set(names.values()))
    out: dict[str, str] = {}
    for f in files:
        if "=" in f:
            obj, path = f.split("=", 1)
            if obj not in known:
                raise UsageError(
                    f"{obj!r} is not a {crm} object here; use one of {', '.join(known)}."
                )
        else:
            path = f
            key = re.sub(r"[^a-z]", "", Path(f).stem.lower())
            obj = next((o for word, o in names.items() if word in key), None)
            if obj is None:
                raise UsageError(
                    f"{f}: cannot tell which {crm} object it holds from its name; write "
                    f"OBJECT={f} with OBJECT one of {', '.join(known)}."
                )
        if obj in out:
            raise UsageError(f"two files for {crm} {obj}: {out[obj]} and {path}; give one.")
        out[obj] = path
    return out


def _check(imported: Imported, args: argparse.Namespace) -> list[str]:
    """Validate the tables and the deal history; return notes worth printing."""
    import warnings

    from revlab.schema import DataQualityWarning, validate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        checked = validate(imported.tables, as_of=args.as_of)
    notes = [*checked.notes, *checked.warnings]
    if {"opportunities", "stage_history"} <= set(imported.tables):
        from revlab.pipeline.checks import check_history
        from revlab.sources import connect

        problems = check_history(connect(imported.tables))
        if problems and not args.accept_history_problems:
            raise SchemaError([*problems, "to write the tables anyway (the pipeline pages show "
                               "these problems), add --accept-history-problems."])  # fmt: skip
        notes += problems
    return notes
