"""Time the full default quarterly report (every notebook, HTML, scorecard) on the demo data.

    python benchmarks/bench_report.py            # warm: reuses the PyTensor compile cache
    python benchmarks/bench_report.py --cold     # cold: a fresh, empty compile cache

Prints one row per notebook and the total. Target: the full default report in <= 180 s cold.
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        if args.cold:
            env["PYTENSOR_FLAGS"] = f"compiledir={tmp}/pytensor"
        code = (
            "import json, sys; from revlab.report import build; "
            f"r = build(source={args.source!r}, out={tmp + '/reports'!r}, progress=False, "
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
    import json

    seconds = json.loads(out.stdout.strip().splitlines()[-1])
    mode = "cold" if args.cold else "warm"
    print(f"{'step':<28}{'seconds':>10}")
    for name, s in seconds.items():
        print(f"{name:<28}{s:>10.1f}")
    rest = total - sum(seconds.values())
    print(f"{'checks, HTML, scorecard':<28}{rest:>10.1f}")
    print(f"{'total (' + mode + ')':<28}{total:>10.1f}   target <= 180 s cold")


if __name__ == "__main__":
    main()
