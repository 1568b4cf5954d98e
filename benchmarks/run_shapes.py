"""Render the report on the demo company cut to every shape real exports have; print a table.

For each shape of :mod:`revlab.demo.shapes` (and a 300-lead company), write the tables to a
DuckDB file, run ``revlab report`` with fast settings, and print: exit code, seconds, how many
sections each page skipped and the first reasons, whether a forecast was produced, and any
traceback text in the pages. This is what a new user with that export would get.

    python benchmarks/run_shapes.py [--shapes deals_only,won_only] [--leads 10000] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

FAST = ["-p", "draws", "200", "-p", "tune", "200", "-p", "backtest_quarters", "1"]


def write(tables, path: Path) -> None:
    from revlab.crm._write import write_tables

    write_tables(tables, path)


def companies(n_leads: int, names: list[str] | None):
    from revlab import demo
    from revlab.demo.shapes import SHAPES, shape

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = demo.simulate(n_leads=n_leads).tables
        for name in names or SHAPES:
            if name == "leads_300":
                yield name, demo.simulate(n_leads=300).tables
            else:
                yield name, shape(base, name)
        if names is None:
            yield "leads_300", demo.simulate(n_leads=300).tables


def summarise(folder: Path) -> dict:
    from revlab.report.scorecard import read_section

    out = {"skipped": 0, "reasons": [], "forecast": False, "traceback": False}
    for nb in sorted(folder.glob("*.ipynb")):
        section = read_section(nb, nb.stem)
        roots = [s for s in section.skipped if not s.get("because") and not s.get("same_as")]
        out["skipped"] += len([s for s in section.skipped if not s.get("optional")])
        out["reasons"] += [f"{nb.stem[:2]}:{s['analysis']}" for s in roots if not s["optional"]]
        if any(m["key"] == "forecast_median" and m["value"] for m in section.metrics):
            out["forecast"] = True
    for page in folder.glob("*.html"):
        if re.search(r"Traceback|Error:", page.read_text(encoding="utf-8")):
            out["traceback"] = True
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="", help="comma-separated shape names (default all)")
    parser.add_argument("--leads", type=int, default=10_000, help="leads in the base company")
    parser.add_argument("--out", default="", help="keep the reports here (default: a temp dir)")
    args = parser.parse_args(argv)
    names = [s for s in args.shapes.split(",") if s] or None
    root = Path(args.out or tempfile.mkdtemp(prefix="revlab-shapes-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"{'shape':22} {'exit':>4} {'s':>5} {'skips':>5} {'forecast':>8} {'traceback':>9}  why")
    for name, tables in companies(args.leads, names):
        db = root / f"{name}.duckdb"
        db.unlink(missing_ok=True)
        write(tables, db)
        start = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "revlab.cli", "report", "--source", str(db),
             "--out", str(root / name), *FAST],
            capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        (root / f"{name}.log").write_text(run.stdout + run.stderr)
        folder = next((p for p in (root / name).glob("20*Q*") if p.is_dir()), None)
        got = summarise(folder) if folder else {"skipped": "-", "reasons": [run.stderr[-200:]]}
        print(
            f"{name:22} {run.returncode:4d} {seconds:5.0f} {got['skipped']!s:>5} "
            f"{got.get('forecast', False)!s:>8} {got.get('traceback', False)!s:>9}  "
            + "; ".join(got["reasons"])[:300],
            flush=True,
        )
    print(f"reports and logs in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
