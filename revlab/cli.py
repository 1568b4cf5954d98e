"""The `revlab` command: generate the demo company, import CRM exports, validate, report.

Exit codes: 0 success (sections the data cannot support are skipped and said so); 1 a notebook
failed, or sections were skipped under --strict (the previous report is kept);
2 bad arguments or parameters; 3 the data source is unreachable or its data is invalid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

# The codes live in revlab.exitcodes (shared with report and import); importable here too.
from revlab.exitcodes import EXIT_DATA, EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE

__all__ = ["EXIT_DATA", "EXIT_OK", "EXIT_RUN_FAILED", "EXIT_USAGE", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `revlab` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    return int(args.run(args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="revlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")

    from revlab.demo._cli import DESCRIPTION, add_arguments

    demo = sub.add_parser(
        "demo", help="generate the demo company into a DuckDB file", description=DESCRIPTION
    )
    add_arguments(demo)  # the demo's own options and defaults, as `python -m revlab.demo` has
    demo.set_defaults(run=_run_demo)

    from revlab.crm.command import add_parser as add_import

    add_import(sub)

    check = sub.add_parser("validate", help="check a data source against the data contract")
    check.add_argument("--source", default=None, help="DuckDB file, folder or URL")
    check.add_argument("--as-of", default=None, help="nothing may happen after this date")
    check.set_defaults(run=_run_validate)

    report = sub.add_parser("report", help="render the quarterly report with papermill")
    report.add_argument("--quarter", default="latest", help="e.g. 2026Q3, or 'latest'")
    report.add_argument("--source", default=None, help="DuckDB file, folder or URL")
    report.add_argument("--out", default="reports", help="folder holding one folder a quarter")
    report.add_argument("--as-of", default=None, help="data cut (default: the quarter's end)")
    report.add_argument(
        "--fiscal-year-start",
        type=int,
        default=1,
        metavar="MONTH",
        help="month the fiscal year starts, 1-12 (default 1: calendar quarters; 2: FY labels)",
    )
    report.add_argument(
        "--fiscal-year-named-by",
        choices=("end", "start"),
        default="end",
        help="a fiscal year is named by the year it ends in (default) or starts in",
    )
    report.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="notebook parameter (repeatable); refused if no notebook has it",
    )
    report.add_argument(
        "--notebooks",
        default=None,
        help="folder of notebooks to run (default: the repository's notebooks/ in a source "
        "checkout, else the notebooks installed with revlab)",
    )
    report.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1, previous report kept) when any section is skipped for want of data",
    )
    report.add_argument(
        "--currency",
        default="",
        help="ISO 4217 code money is converted into and shown in (default: the data's)",
    )
    report.set_defaults(run=_run_report)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from revlab.demo._cli import run

    return int(run(args) or 0)


def _run_validate(args: argparse.Namespace) -> int:
    from revlab.schema import SchemaError
    from revlab.sources import SourceError, connect

    try:
        checked = connect(args.source).validate(as_of=args.as_of)
    except (SchemaError, SourceError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_DATA
    for name, frame in checked.tables.items():
        print(f"{name}: {len(frame):,} rows")
    for line in [*checked.notes, *checked.warnings]:
        print(f"note: {line}")
    print("valid: the data meets the contract")
    return EXIT_OK


def _run_report(args: argparse.Namespace) -> int:
    from revlab import report

    return report.cli_report(args)


if __name__ == "__main__":
    sys.exit(main())
