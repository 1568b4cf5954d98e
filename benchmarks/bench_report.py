"""Time the full default quarterly report (every notebook, HTML, scorecard) on the demo data.

    python benchmarks/bench_report.py            # warm: reuses the PyTensor compile cache
    python benchmarks/bench_report.py --cold     # cold: a fresh, empty compile cache
    python benchmarks/bench_report.py --rerun    # twice into one folder: journal empty, kept

Prints one row per notebook and the total. Target: the full default report in <= 180 s cold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="use an empty compile cache")
    parser.add_argument("--source", default=str(ROOT / "data" / "demo.duckdb"))
    parser.add_argument(
        "--rerun", action="store_true",
        help="render twice into one folder: the second run reads the forecast journal",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        if args.cold:
            env["PYTENSOR_FLAGS"] = f"compiledir={tmp}/pytensor"
        runs = [_run(args.source, tmp, env)]
        if args.rerun:
            runs.append(_run(args.source, tmp, env))
    mode = "cold" if args.cold else "warm"
    labels = ["empty journal", "journal kept"][: len(runs)]
    print(f"{'step':<28}" + "".join(f"{label:>16}" for label in labels))
    for name in runs[0][0]:
        print(f"{name:<28}" + "".join(f"{seconds[name]:>16.1f}" for seconds, _ in runs))
    rest = [total - sum(seconds.values()) for seconds, total in runs]
    print(f"{'checks, HTML, scorecard':<28}" + "".join(f"{r:>16.1f}" for r in rest))
    totals = "".join(f"{total:>16.1f}" for _, total in runs)
    print(f"{'total (' + mode + ')':<28}{totals}   target <= 180 s cold")


def _run(source: str, tmp: str, env: dict) -> tuple[dict, float]:
    """One report into ``tmp``/reports, in a fresh process: seconds per notebook, and in all."""
    code = (
        "import json, sys; from revlab.report import build; "
        f"r = build(source={source!r}, out={tmp + '/reports'!r}, progress=False, "
        f"notebooks_dir={str(ROOT / 'notebooks')!r}, "
        "log=lambda m: print(m, file=sys.stderr)); "
        "print(json.dumps(r.seconds))"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT
    )
    total = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"report failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]), total


if __name__ == "__main__":
    main()
