"""Time and size the demo simulator: 1,000,000 leads with their touches (about ten million rows).

Targets on the 2-core reference machine: at most 30 s and 6 GB peak memory.
Usage: python benchmarks/bench_demo.py [--leads N] [--seed S]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux reports kB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024**3 if sys.platform == "darwin" else 1024**2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)

    from revlab import demo

    seed = demo.DEFAULT_SEED if args.seed is None else args.seed
    base_rss = peak_rss_gb()
    began = time.perf_counter()
    company = demo.simulate(seed=seed, n_leads=args.leads)
    seconds = time.perf_counter() - began
    rows = {name: len(frame) for name, frame in company.tables.items()}
    n_leads, n_touch = rows["leads"], rows["activities"]
    width = max(map(len, rows))
    print(f"demo.simulate(n_leads={args.leads:,}, seed={seed})")
    for name, n in rows.items():
        print(f"  {name:<{width}}  {n:>12,} rows")
    print()
    print(f"  {'metric':<24}{'value':>14}{'target':>12}")
    print(f"  {'leads':<24}{n_leads:>14,}")
    print(f"  {'activity rows':<24}{n_touch:>14,}")
    print(f"  {'seconds':<24}{seconds:>14.1f}{'<= 30':>12}")
    print(f"  {'leads per second':<24}{n_leads / seconds:>14,.0f}")
    print(f"  {'peak RSS (GB)':<24}{peak_rss_gb():>14.2f}{'<= 6':>12}")
    print(f"  {'RSS before (GB)':<24}{base_rss:>14.2f}")
    ok = seconds <= 30 and peak_rss_gb() <= 6
    print(f"\n  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
