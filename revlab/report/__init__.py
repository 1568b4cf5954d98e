"""The quarterly report: papermill runs of every notebook, HTML for reviewers, a scorecard.

``revlab report --quarter 2026Q3`` (or ``make report``) runs :func:`build`. Exit codes:
0 success (sections the data cannot support are skipped, said in the page and the log);
1 a notebook failed, or sections were skipped under ``--strict`` (previous report kept);
2 bad arguments or parameters; 3 the source is unreachable or its data invalid.
"""

from __future__ import annotations

import argparse
import sys

from revlab.report.run import NotebookFailed, ReportError, ReportResult, SectionsSkipped, build

__all__ = [
    "build",
    "cli_report",
    "NotebookFailed",
    "ReportError",
    "ReportResult",
    "SectionsSkipped",
]


def cli_report(args: argparse.Namespace) -> int:
    """Run the report from parsed command-line arguments; print where it is or what failed."""
    from revlab.exitcodes import EXIT_DATA, EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE
    from revlab.periods import PeriodError
    from revlab.report.params import ParameterError
    from revlab.schema import SchemaError
    from revlab.sources import SourceError

    try:
        result = build(
            quarter=args.quarter,
            source=args.source,
            out=args.out,
            as_of=args.as_of or "",
            parameters=[tuple(p) for p in args.parameter],
            notebooks_dir=args.notebooks,
            strict=args.strict,
            fiscal_year_start=args.fiscal_year_start,
            fiscal_year_named_by=args.fiscal_year_named_by,
            currency=getattr(args, "currency", ""),
        )
    except (ParameterError, PeriodError) as exc:
        print(f"revlab report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (SourceError, SchemaError) as exc:
        print(f"revlab report: the data cannot be used.\n{exc}", file=sys.stderr)
        return EXIT_DATA
    except NotebookFailed as exc:
        print(f"revlab report: {exc}", file=sys.stderr)
        return EXIT_RUN_FAILED
    except ReportError as exc:
        print(f"revlab report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    times = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    print(f"Report for {result.quarter} ({times}):\n  {result.index.resolve()}")
    if result.skipped:
        print(f"{len(result.skipped)} section(s) skipped for want of data (listed above and "
              "on the scorecard); --strict makes that a failure.")  # fmt: skip
    return EXIT_OK
