"""Is the deals-only forecast calibrated? Quarters of seeded demo companies cut to a deals export.

Each company (seed 1, 2, ...) is simulated afresh and cut to what a first CRM export holds: the
opportunities created in the ``--months`` months before the forecast quarter and after it, no
leads and no other table (stage, segment, amount, close date kept; ``--no-stage`` drops stage
and segment). One quarter inside its data (2025Q4 to 2026Q3 in turn) is forecast as of its
first day by the deals-only model, the time-series model, the seasonal naive and the
stage-weighted pipeline, and scored against what the export's deals booked in the quarter.
Printed per method: quarters scored, coverage of the 50/80/95% intervals, the share below the
10th and above the 90th percentile, mean CRPS and its ratio to the deals-only model's, the
mean error of the median, and the share of fits that passed their diagnostics.

Usage: python benchmarks/validate_deals_only.py [--companies 24] [--jobs 2] [--months 12]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

QUARTERS = ("2025Q4", "2026Q1", "2026Q2", "2026Q3")
METHODS = ("deals", "timeseries", "seasonal_naive", "stage_weighted")


def export(tables: dict, start: pd.Timestamp, *, stages: bool = True) -> dict:
    """A deals export: opportunities created from ``start``, nothing else."""
    opps = tables["opportunities"]
    opps = opps[opps["created_at"] >= start].drop(columns=["lead_id", "account_id"])
    if not stages:
        opps = opps.drop(columns=["stage", "segment"])
    return {"opportunities": opps.reset_index(drop=True)}


def forecast_company(seed: int, months: int, stages: bool, sampler: dict | None) -> list[dict]:
    """Simulate company ``seed``, cut it to a deals export, forecast one quarter, score it."""
    from revlab import demo
    from revlab.errors import DataError
    from revlab.forecast import aggregates as agg
    from revlab.forecast import scoring
    from revlab.forecast.backtest import forecast_with
    from revlab.periods import Quarter
    from revlab.sources import connect

    warnings.simplefilter("ignore")
    q = Quarter.parse(QUARTERS[seed % len(QUARTERS)])
    company = demo.simulate(seed=seed)
    src = connect(export(company.tables, q.start - pd.DateOffset(months=months), stages=stages))
    actual = agg.booked(src.at(q.end), q)
    rows = []
    for method in METHODS:
        row = {"seed": seed, "quarter": str(q), "method": method, "actual": actual, "ok": True}
        row |= dict.fromkeys(scoring.score(np.ones(2), 1.0), np.nan)
        try:
            fc = forecast_with(
                method, src.at(q.start), q, sampler_config=sampler, random_seed=seed
            )
            row |= {"ok": fc.trustworthy} | scoring.score(fc.samples, actual)
        except DataError as exc:
            row["note"] = str(exc)[:120]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=24, help="seeded companies (quarters)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="companies fitted at once")
    parser.add_argument(
        "--months", type=int, default=12, help="months of deals before the quarter"
    )
    parser.add_argument("--no-stage", action="store_true", help="drop stage and segment")
    parser.add_argument("--draws", type=int, default=1000, help="posterior draws per chain")
    parser.add_argument("--out", help="write every forecast's scores to this CSV")
    args = parser.parse_args(argv)

    from revlab.forecast import scoring

    sampler = {"draws": args.draws, "tune": 500, "chains": 2}
    seeds = range(args.first_seed, args.first_seed + args.companies)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(forecast_company, s, args.months, not args.no_stage, sampler)
                for s in seeds]  # fmt: skip
        results = pd.DataFrame([r for job in jobs for r in job.result()])
    elapsed = time.perf_counter() - started
    if args.out:
        results.to_csv(args.out, index=False)
    scored = results.dropna(subset=["crps"])
    table = scoring.summarise(scored[scored["ok"].astype(bool)])
    for name, col in (("below_p10", "q10"), ("above_p90", "q90")):
        side = (
            scored["actual"] < scored[col]
            if name == "below_p10"
            else scored["actual"] > scored[col]
        )
        table[name] = table["method"].map(side.groupby(scored["method"]).mean())
    table["diagnostics_ok"] = table["method"].map(scored.groupby("method")["ok"].mean())
    cols = ["method", "n", "coverage_50", "coverage_80", "coverage_95", "below_p10",
            "above_p90", "mean_crps", "crps_ratio", "mean_ape", "diagnostics_ok"]  # fmt: skip
    shape = f"{args.months} months of deals" + (", no stage or segment" if args.no_stage else "")
    print(f"{args.companies} companies cut to {shape}; {elapsed:.0f} s ({args.jobs} at a time)\n")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    skipped = results[results["crps"].isna()].groupby("method").size()
    if not skipped.empty:
        print("\nnot forecast: " + ", ".join(f"{m} {n}" for m, n in skipped.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
