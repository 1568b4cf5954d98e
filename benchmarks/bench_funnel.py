"""Time and size the funnel metrics for one quarter on 1,000,000 leads (~10M activity rows).

Builds the demo company at that size, writes it to a DuckDB file, then, in a fresh process so
that the peak memory is the metrics' own, times every funnel metric of the notebook for the
latest complete quarter, and a plain-pandas computation of the same conversion table.
Targets on the 2-core reference machine: <= 5 s and <= 3 GB peak for the metric set.

Usage: python benchmarks/bench_funnel.py [--leads N] [--big] [--keep DIR]
  --big   also run at 10,000,000 leads (ten demo companies side by side; takes minutes)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS, TARGET_GB = 5.0, 3.0
WITHIN = (30, 60, 90, 180)
ID_COLUMNS = ("lead_id", "opportunity_id", "account_id", "subscription_id", "renewed_from")


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GB.

    Linux's VmHWM starts afresh in a new program; ``ru_maxrss`` would also count the memory
    of the parent that started it (it survives exec), so it is only the fallback.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024**3 if sys.platform == "darwin" else 1024**2)


# -- building the data ---------------------------------------------------------------------


def _insert(con, name: str, frame, first: bool) -> None:
    con.register("_frame", frame)
    if first:
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
    else:
        con.execute(f'INSERT INTO "{name}" SELECT * FROM _frame')
    con.unregister("_frame")


def build(path: Path, n_leads: int, chunk: int = 1_000_000) -> dict:
    """Write ``n_leads`` leads (demo companies of ``chunk`` leads side by side) to DuckDB."""
    import duckdb

    from revlab import demo

    con = duckdb.connect(str(path))
    began, rows = time.perf_counter(), {}
    for i in range(max(1, n_leads // chunk)):
        company = demo.simulate(seed=demo.DEFAULT_SEED + i, n_leads=min(chunk, n_leads))
        for name, frame in company.tables.items():
            if n_leads > chunk:  # keep ids unique across companies
                frame = frame.assign(**{
                    c: f"{i}-" + frame[c] for c in ID_COLUMNS if c in frame.columns
                })  # fmt: skip
            _insert(con, name, frame, first=i == 0)
            rows[name] = rows.get(name, 0) + len(frame)
        del company
    for name, key, value in (("marketing_spend", "period_start, channel", "spend"),
                             ("targets", "quarter", "bookings_target")):  # fmt: skip
        con.execute(f"CREATE TABLE _t AS SELECT {key}, sum({value}) AS {value} "
                    f"FROM {name} GROUP BY ALL ORDER BY ALL")  # fmt: skip
        con.execute(f"DROP TABLE {name}; ALTER TABLE _t RENAME TO {name}")
    con.close()
    return {"rows": rows, "seconds": time.perf_counter() - began, "build_gb": peak_rss_gb()}


# -- the measured work (run in a child process) ----------------------------------------------


def metric_set(src, q) -> dict:
    """Every funnel metric the notebook shows for quarter ``q``."""
    from revlab import funnel

    return {
        "new names (weekly x channel)": lambda: funnel.new_names(
            src, period="week", by="channel", since=q.year_ago.start
        ),
        "cost per name": lambda: funnel.cost_per_name(src, quarter=q),
        "conversion by cohort": lambda: funnel.conversion_by_cohort(
            src, by="channel", cohort="quarter", within_days=WITHIN
        ),
        "conversion rate (segment)": lambda: funnel.conversion_rate(src, by="segment"),
        "conversion curves (KM)": lambda: funnel.conversion_curve(src, by="channel"),
        "stage funnel": lambda: funnel.funnel_stages(src),
        "inventory flow (monthly)": lambda: funnel.inventory_flow(src, period="month"),
        "inventory snapshot + stale": lambda: funnel.inventory_at(src),
        "inventory aging": lambda: funnel.inventory_aging(src),
        "time in stage / Little": lambda: funnel.stage_times(src, quarter=q),
        "closing (by segment)": lambda: funnel.closing(src, quarter=q, by="segment"),
        "pipeline coverage": lambda: funnel.pipeline_coverage(src, quarter=q),
        "headline figures": lambda: funnel.headline(src, quarter=q),
    }


def pandas_conversion(leads, opps, as_of):
    """The conversion-by-cohort table (channel x quarter x window) in plain pandas."""
    import numpy as np
    import pandas as pd

    won = opps[opps["is_won"] & (opps["closed_at"] <= as_of)]
    m = leads.merge(won[["opportunity_id", "closed_at"]], on="opportunity_id", how="left")
    day = np.floor((m["closed_at"] - m["created_at"]) / pd.Timedelta(days=1)) + 1
    m["cohort"] = m["created_at"].dt.to_period("Q")
    for w in WITHIN:
        m[f"k_{w}"] = (day <= w).astype("int64")
    wide = m.groupby(["channel", "cohort"])[[f"k_{w}" for w in WITHIN]].agg("sum")
    wide["n"] = m.groupby(["channel", "cohort"]).size()
    long = wide.reset_index().melt(["channel", "cohort", "n"], var_name="w", value_name="k")
    long["within_days"] = long.pop("w").str[2:].astype(int)
    ends = (long["cohort"] + 1).dt.start_time
    long["matured"] = ends + pd.to_timedelta(long["within_days"], unit="D") <= as_of
    long["rate"] = (long["k"] / long["n"]).where(long["matured"])
    long["cohort"] = long["cohort"].astype(str)
    return long


def _same_table(ours, theirs) -> bool:
    """Whether the engine's table and the pandas one agree on every non-empty matured cell."""
    keys = ["channel", "cohort", "within_days"]
    both = ours[ours["n"] > 0].merge(theirs, on=keys, suffixes=("", "_pd"), validate="1:1")
    ripe = both[both["matured"]]
    return (
        len(both) == len(theirs)
        and (both["n"] == both["n_pd"]).all()
        and (ripe["converted"] == ripe["k"]).all()
        and bool(((ripe["rate"] - ripe["rate_pd"]).abs() < 1e-12).all())
    )


def _time_metrics(src, q) -> dict:
    timings, began, cpu = {}, time.perf_counter(), time.process_time()
    for name, run in metric_set(src, q).items():
        t = time.perf_counter()
        run()
        timings[name] = time.perf_counter() - t
    total, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {"timings": timings, "total": total, "cpu": cpu, "peak_gb": peak_rss_gb()}


def measure(db: str) -> dict:
    """Time the metric set and the pandas baseline on ``db``; runs in its own process."""
    import datetime as dt
    import os

    import duckdb

    from revlab import funnel
    from revlab.periods import Quarter
    from revlab.sources import connect

    con = duckdb.connect(db, read_only=True)
    end = con.execute("SELECT max(created_at) FROM leads").fetchone()[0]
    q = Quarter.latest_complete(end + dt.timedelta(days=1))
    src = connect(db, as_of=q.end)
    out = {"quarter": str(q), **_time_metrics(src, q), "load": os.getloadavg()[0]}
    t = time.perf_counter()
    funnel.compare(src, quarter=q)
    out["compare_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ours = funnel.conversion_by_cohort(src, by="channel", cohort="quarter", within_days=WITHIN)
    out["engine_s"] = time.perf_counter() - t
    t = time.perf_counter()
    leads = con.execute(
        "SELECT lead_id, created_at, channel, opportunity_id FROM leads WHERE created_at <= ?",
        [q.end.to_pydatetime()],
    ).df()
    opps = con.execute("SELECT opportunity_id, is_won, closed_at FROM opportunities").df()
    out["pandas_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    theirs = pandas_conversion(leads, opps, q.end)
    out["pandas_s"] = time.perf_counter() - t
    out["same_table"] = _same_table(ours, theirs)
    out["pandas_peak_gb"] = peak_rss_gb()
    return out


# -- report ---------------------------------------------------------------------------------


def _child(*args: str) -> dict:
    """Run this script in a fresh process and read the JSON it prints last."""
    child = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if child.returncode != 0:
        sys.stderr.write(child.stderr)
        raise SystemExit(f"{' '.join(args)} failed")
    return json.loads(child.stdout.strip().splitlines()[-1])


def run_scale(n_leads: int, folder: Path) -> dict:
    db = folder / f"funnel_{n_leads}.duckdb"
    built = {"rows": None, "seconds": 0.0, "build_gb": 0.0}
    if not db.exists():
        built = _child("--build", str(db), str(n_leads))
    measured = _child("--measure", str(db))
    return {"n_leads": n_leads, "db_gb": db.stat().st_size / 1024**3, **built, **measured}


def report(r: dict) -> None:
    print(
        f"\n== {r['n_leads']:,} leads · quarter {r['quarter']} · DuckDB file {r['db_gb']:.2f} GB"
    )
    if r["rows"]:
        rows = ", ".join(f"{k} {v:,}" for k, v in r["rows"].items())
        print(f"   built in {r['seconds']:.0f} s (peak {r['build_gb']:.1f} GB): {rows}")
    print(f"   {'step':<32}{'seconds':>9}")
    for name, s in r["timings"].items():
        print(f"   {name:<32}{s:>9.2f}")
    ok = r["total"] <= TARGET_SECONDS and r["peak_gb"] <= TARGET_GB
    print(
        f"   {'metric set for one quarter':<32}{r['total']:>9.2f}   target <= {TARGET_SECONDS:g} s"
    )
    print(f"   {'  CPU seconds (all threads)':<32}{r['cpu']:>9.2f}   load average {r['load']:.1f}")
    print(f"   {'peak RSS (GB)':<32}{r['peak_gb']:>9.2f}   target <= {TARGET_GB:g} GB")
    print(f"   {'compare (3 quarters, extra)':<32}{r['compare_s']:>9.2f}")
    ratio = r["engine_s"] / r["pandas_s"]
    print(f"   conversion-by-cohort table: engine {r['engine_s']:.2f} s, plain pandas "
          f"{r['pandas_s']:.2f} s (+{r['pandas_load_s']:.2f} s to load the columns)")  # fmt: skip
    print(f"   engine / pandas = {ratio:.2f}; same table: {r['same_table']}")
    print(f"   peak RSS with pandas baseline: {r['pandas_peak_gb']:.2f} GB")
    print(f"   {'PASS' if ok else 'FAIL'} (targets apply at 1,000,000 leads)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--big", action="store_true", help="also run at 10,000,000 leads")
    parser.add_argument("--keep", type=Path, default=None, help="folder for the DuckDB files")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    if args.build:
        print(json.dumps(build(Path(args.build[0]), int(args.build[1]))))
        return 0
    scales = [args.leads, *([10_000_000] if args.big else [])]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results = [run_scale(n, folder) for n in scales]
    for r in results:
        report(r)
    first = results[0]
    return 0 if first["total"] <= TARGET_SECONDS and first["peak_gb"] <= TARGET_GB else 1


if __name__ == "__main__":
    sys.exit(main())
