"""``revlab demo``: generate the demo company into a DuckDB file and its truth beside it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from revlab.demo._params import DEFAULT_END, DEFAULT_N_LEADS, DEFAULT_SEED, DEFAULT_START

#: What ``revlab demo --help`` says the command does.
DESCRIPTION = "Simulate the demo company (seeded) and write its tables and ground truth."


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options of ``revlab demo`` to ``p``: the one place they and their defaults live.

    Both :func:`parser` (``python -m revlab.demo``) and the ``revlab`` command's ``demo``
    subcommand (:mod:`revlab.cli`) are built from it.
    """
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (%(default)s)")
    p.add_argument(
        "--leads",
        type=int,
        default=DEFAULT_N_LEADS,
        help="expected number of leads over the window (%(default)s)",
    )
    p.add_argument("--start", default=DEFAULT_START, help="first day (%(default)s)")
    p.add_argument("--end", default=DEFAULT_END, help="last day, inclusive (%(default)s)")
    p.add_argument(
        "--fiscal-year-start",
        type=int,
        default=1,
        metavar="MONTH",
        help="month the company's fiscal year starts: its targets are for fiscal quarters "
        "(default 1: calendar quarters)",
    )
    p.add_argument("--out", default="data/demo.duckdb", help="DuckDB file for the tables")
    p.add_argument(
        "--truth",
        default=None,
        help="folder for the ground truth (default: <out>_truth beside it)",
    )
    p.add_argument(
        "--currencies",
        default="",
        help="bill accounts and channels in these currencies, the first the reporting one, "
        "with dated fx_rates (e.g. USD,EUR,GBP; default: all in USD, no fx_rates)",
    )
    p.add_argument(
        "--forecast-calls",
        action="store_true",
        help="reps call each deal Commit / Best Case / Pipeline / Omitted (forecast_category)",
    )
    return p


def parser() -> argparse.ArgumentParser:
    """Options of ``revlab demo``."""
    return add_arguments(argparse.ArgumentParser(prog="revlab demo", description=DESCRIPTION))


def cli_main(argv: list[str] | None = None) -> int:
    """Run ``revlab demo`` with ``argv``; print the rows written per table. Returns 0."""
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Generate the demo company as parsed by :func:`add_arguments`'s options. Returns 0."""
    from revlab.demo._simulate import simulate
    from revlab.demo._store import write

    if args.truth is None:
        out = Path(args.out)
        args.truth = str(out.with_name(f"{out.stem}_truth"))
    began = time.perf_counter()
    company = simulate(
        seed=args.seed,
        n_leads=args.leads,
        start=args.start,
        end=args.end,
        forecast_calls=getattr(args, "forecast_calls", False),
        fiscal_year_start=args.fiscal_year_start,
    )
    if getattr(args, "currencies", ""):
        company = with_currencies(company, args.currencies, seed=args.seed)
    rows = write(company, path=args.out, truth_path=args.truth)
    width = max(map(len, rows))
    print(f"demo company (seed {args.seed}) written to {args.out}; truth in {args.truth}/")
    for name, n in rows.items():
        print(f"  {name:<{width}}  {n:>10,} rows")
    print(f"  data as of {company.as_of:%Y-%m-%d}; {time.perf_counter() - began:.1f} s")
    print(f"  tables fingerprint {stored_fingerprint(args.out)} (the same for the same seed)")
    return 0


def with_currencies(company, codes: str, *, seed: int):
    """The company with its money in the comma-separated ``codes`` (see demo._currencies)."""
    from revlab._currency import check_code
    from revlab.demo._currencies import in_currencies
    from revlab.demo._simulate import Company

    listed = list(dict.fromkeys(check_code(c) for c in codes.split(",") if c.strip()))
    return Company(in_currencies(company.tables, listed, seed=seed), company.truth)


def stored_fingerprint(path: str) -> str:
    """The fingerprint of the tables as written to ``path``, read back.

    The same seed gives the same tables, and so the same fingerprint; the ``.duckdb`` bytes
    differ between two writes (DuckDB's string and null compression is not deterministic).
    """
    from revlab._fingerprint import source_fingerprint
    from revlab.sources import connect

    src = connect(path)
    try:
        return source_fingerprint(src)
    finally:
        src.backend.disconnect()
