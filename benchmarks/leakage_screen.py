"""The leakage screen on real and planted data: what it flags, its evidence, AUC with and without.

Runs the propensity leakage screen, unwarned, on UCI Bank Marketing (both files, from
``../shared/data/bank_marketing``; row order is time there) and on the demo company with and
without the four leaks of :mod:`revlab.demo.leaks`, through the same fitting paths users call
(``fit_table`` and ``study``). Prints one table: per data set, the flagged columns with their
evidence, the test ROC AUC without them (the model used) and with them, and the seconds taken.

Usage: ``python benchmarks/leakage_screen.py [--seeds 0 1 2]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank_marketing"


def _bank(name: str, seed: int) -> dict:
    from revlab import propensity

    frame = propensity.read_table(BANK / name)
    t0 = time.perf_counter()
    fit = propensity.fit_table(
        frame, outcome="y", positive="yes", split="ordered", seed=seed, n_boot=0, warn=False
    )
    return _row(name, fit.leakage, fit.metric("roc_auc"), fit.leakage_effect, t0)


def _demo(planted: bool, seed: int) -> dict:
    from revlab import demo, propensity
    from revlab.demo.leaks import plant_leaks
    from revlab.sources import connect

    company = demo.simulate()
    tables = plant_leaks(company.tables, seed=seed) if planted else company.tables
    src = connect(tables).at(company.truth.as_of)
    t0 = time.perf_counter()
    result = propensity.study(src, models=("boosted",), n_boot=0, seed=seed, warn=False)
    name = "demo company + 4 planted leaks" if planted else "demo company"
    return _row(name, result.leakage, result.metric("roc_auc"), result.leakage_effect, t0)


def _row(name, screen, auc, effect, t0) -> dict:
    evidence = screen.table.set_index("feature")["evidence"]
    with_auc = effect.set_index("model")["roc_auc"].iloc[1] if effect is not None else auc
    return {
        "data": name,
        "flagged (evidence)": "; ".join(f"{f} [{evidence[f]}]" for f in screen.flagged) or "none",
        "review": ", ".join(screen.review) or "none",
        "AUC without": round(auc, 3),
        "AUC with": round(with_auc, 3),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        for name in ("bank-full.csv", "bank-additional-full.csv"):
            if (BANK / name).exists():
                rows.append({"seed": seed, **_bank(name, seed)})
        for planted in (False, True):
            rows.append({"seed": seed, **_demo(planted, seed)})
    with pd.option_context("display.max_colwidth", None, "display.width", 250):
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
