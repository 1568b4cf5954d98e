"""Time the non-contractual models on 100,000 customers: RFM, BG/NBD and Gamma-Gamma fits.

Transactions are drawn from the BG/NBD and Gamma-Gamma processes with CDNOW's published
parameters (:func:`revlab.lifecycle.noncontractual.simulate_transactions`), 39 weeks of
calibration. The fit (MAP, flat priors: maximum likelihood) is timed from the RFM summary on;
the recovered parameters are printed beside the true ones.
Target on the 2-core reference machine: fitting both models at most 60 s.
Usage: python benchmarks/bench_lifecycle.py [--customers N] [--seed S]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux reports kB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024**3 if sys.platform == "darwin" else 1024**2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=sum(map(ord, "bench lifecycle")))
    args = parser.parse_args(argv)

    from revlab import lifecycle
    from revlab.lifecycle.noncontractual import simulate_transactions

    times = {}
    began = time.perf_counter()
    tx = simulate_transactions(args.customers, weeks=39.0, seed=args.seed)
    times["simulate transactions"] = time.perf_counter() - began
    began = time.perf_counter()
    summary = lifecycle.rfm(tx, observation_end="2024-09-29", time_unit="W")
    times["RFM summary"] = time.perf_counter() - began
    began = time.perf_counter()
    model = lifecycle.PurchaseModel().fit(summary)
    times["fit BG/NBD + Gamma-Gamma"] = time.perf_counter() - began
    began = time.perf_counter()
    pred = model.predict(summary, horizon=52)
    times["predict 52 weeks"] = time.perf_counter() - began
    fit_total = times["RFM summary"] + times["fit BG/NBD + Gamma-Gamma"]

    repeat = int((summary["frequency"] > 0).sum())
    print(f"non-contractual models on {args.customers:,} customers (seed {args.seed})")
    print(f"  {len(tx):,} transactions; {repeat:,} customers bought again")
    print()
    print(f"  {'step':<28}{'seconds':>10}{'target':>10}")
    for step, seconds in times.items():
        print(f"  {step:<28}{seconds:>10.1f}")
    print(f"  {'RFM + fit':<28}{fit_total:>10.1f}{'<= 60':>10}")
    print(f"  {'peak RSS (GB)':<28}{peak_rss_gb():>10.2f}")
    print()
    print(f"  {'parameter':<12}{'true':>10}{'fitted':>10}{'error':>10}")
    for name, value in TRUE.items():
        got = model.params_.get(name, float("nan"))
        print(f"  {name:<12}{value:>10.3f}{got:>10.3f}{got / value - 1:>+10.1%}")
    print()
    print(f"  expected purchases in the next 52 weeks: {pred['purchases'].sum():,.0f}")
    print(f"  expected value in the next 52 weeks:     ${pred['value'].sum():,.0f}")
    ok = fit_total <= 60
    print(f"\n  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
