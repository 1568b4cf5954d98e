"""Is the forecast calibrated? Forecast quarters of independently seeded demo companies.

Each company (seed 1, 2, ...) is simulated afresh; one quarter inside its data (2025Q4 to
2026Q3 in turn, so every season counts) is forecast as of its first day by the funnel model,
the seasonal naive and the stage-weighted pipeline, and scored against the bookings the
company realised. Printed per method: coverage of the 50/80/95% intervals, the share of
quarters below the 10th and above the 90th percentile, mean CRPS and its ratio to the
model's, and the mean error of the median. Then, on the default company at three as-of
dates, the model's 10/50/90% predictive quantiles beside the simulator's re-simulated true
predictive distribution.

Also counted: how often each company's true channel lead-to-won rates and segment deal-size
medians fall inside the model's 50/90/99% posterior intervals (parameter recovery judged over
many companies, not one seed), and each group's mean posterior z-score, with each open
stage's forward rate beside them, flagged where it is off beyond chance (a bias).

Bars (issue 8): the model's 80% interval covers 70-90% of at least 40 quarters, its mean CRPS
beats both baselines, and its quantiles are within 15% of the true ones.
Usage: python benchmarks/validate_forecast.py [--companies 40] [--jobs 2] [--quick] [--out F]
[--sampler JSON]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import pandas as pd

#: As-of dates at which the default company's quantiles are compared with the truth.
TRUTH_DATES = (("2026-04-01", "2026Q2"), ("2026-07-01", "2026Q3"), ("2026-08-15", "2026Q3"))
QUICK_SAMPLER = {"draws": 100, "tune": 300, "chains": 2}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=40, help="seeded companies (quarters)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="companies fitted at once")
    quick = "2 small companies, short chains: checks the machinery only"
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--no-truth", action="store_true", help="skip the quantile comparison")
    parser.add_argument("--out", help="write every forecast's scores to this CSV")
    parser.add_argument(
        "--sampler", type=json.loads, default={},
        help='sampler settings over the default, as JSON: \'{"target_accept": 0.8}\'',
    )  # fmt: skip
    args = parser.parse_args(argv)

    from revlab import calibration

    sampler = {**(QUICK_SAMPLER if args.quick else {}), **args.sampler} or None
    n = 2 if args.quick else args.companies
    seeds = range(args.first_seed, args.first_seed + n)
    started = time.perf_counter()
    results = calibration.run(
        seeds, jobs=args.jobs, n_leads=8000 if args.quick else None, sampler_config=sampler
    )
    elapsed = time.perf_counter() - started
    if args.out:
        results.to_csv(args.out, index=False)
    table = calibration.calibration(results)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(f"{n} companies, one quarter each, {elapsed:.0f} s ({args.jobs} at a time)\n")
        cols = ["method", "n", "coverage_50", "coverage_80", "coverage_95", "below_p10",
                "above_p90", "mean_crps", "crps_ratio", "mean_ape", "diagnostics_ok"]  # fmt: skip
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    model = table.set_index("method").loc["funnel"]
    recovery = calibration.recovery_coverage(results)
    print(
        f"\nParameter recovery ({recovery['values']:.0f} true values: each company's channel "
        "lead-to-won rates and segment deal-size medians) inside the model's intervals: "
        + ", ".join(f"{k} interval {v:.1%}" for k, v in recovery.drop(["values", "rms_z"]).items())
        + f"; root mean square of their posterior z-scores {recovery['rms_z']:.2f} (1 when "
        "the posterior widths are right)"
    )
    bias = calibration.recovery_bias(results)
    if not bias.empty:
        print(
            "\nMean posterior z-score of each true value over the companies (truth minus "
            "posterior mean, in posterior sd; about N(0, 1/companies) without a bias):"
        )
        print(bias.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        flagged = bias[bias["biased"]]
        print("groups off 0 beyond chance (a 5% test over them all): "
              + (", ".join(flagged["parameter"] + " " + flagged["group"]) or "none"))  # fmt: skip
    verdicts = [
        ("80% interval covers 70-90%", 0.70 <= model["coverage_80"] <= 0.90),
        ("mean CRPS beats both baselines", bool((table["crps_ratio"].iloc[1:] > 1).all())),
        ("99% parameter intervals hold at least 95% of the true values", recovery["99%"] >= 0.95),
    ]
    if not args.no_truth:
        verdicts.append(("quantiles within 15% of the truth", _truth(sampler)))
    print()
    for label, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    if not args.quick and n < 40:
        print(f"note: {n} companies; the bar asks for at least 40")
    return 0 if args.quick or all(ok for _, ok in verdicts) else 1


def _truth(sampler: dict | None) -> bool:
    from revlab import calibration, demo

    company = demo.simulate()
    frames = [
        calibration.truth_quantiles(company, at, q, sampler_config=sampler, random_seed=k)
        for k, (at, q) in enumerate(TRUTH_DATES)
    ]
    table = pd.concat(frames, ignore_index=True)
    print("\nDefault company: model vs re-simulated true predictive quantiles")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    return bool(((table["ratio"] - 1).abs() <= 0.15).all())


if __name__ == "__main__":
    sys.exit(main())
