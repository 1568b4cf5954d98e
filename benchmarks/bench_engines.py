"""The funnel metric set on 10,000,000 leads (~100M activities): DuckDB against local Spark.

Builds the data as ``bench_funnel.py`` does (demo companies of 1,000,000 leads side by side,
into one DuckDB file), exports every table to Parquet, then times the metric set of the funnel
notebook for the latest complete quarter (``bench_funnel.metric_set``), each engine in a fresh
process:

- DuckDB on its file: time, CPU time and peak resident memory (VmHWM);
- Spark ``local[N]`` on the Parquet files (as Spark reads a lake): time, and the peak memory
  of the Python driver plus Spark's JVM. Steps are reported as they finish, so a run stopped by
  ``--spark-timeout`` still shows how far Spark got.

Usage: python benchmarks/bench_engines.py [--leads N] [--keep DIR] [--spark-cores 2]
       [--spark-memory 8g] [--spark-timeout SECONDS] [--no-spark]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_funnel  # noqa: E402  (the builder and the metric set are shared, not copied)

TOTAL_GB = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
TABLES = ("leads", "activities", "opportunities", "stage_history", "marketing_spend", "targets")


def quarter_of(db: Path) -> str:
    """The latest complete quarter of the data in ``db``."""
    import datetime as dt

    import duckdb

    from revlab.periods import Quarter

    con = duckdb.connect(str(db), read_only=True)
    end = con.execute("SELECT max(created_at) FROM leads").fetchone()[0]
    con.close()
    return str(Quarter.latest_complete(end + dt.timedelta(days=1)))


def export_parquet(db: Path, folder: Path) -> dict:
    """Every table of ``db`` as ``folder/<table>.parquet`` (Spark's input)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    for name in TABLES:
        con.execute(f"COPY {name} TO '{folder / name}.parquet' (FORMAT parquet)")
    con.close()
    size = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 1024**3
    return {"seconds": time.perf_counter() - began, "gb": size}


# -- the measured work (each engine in its own process) ---------------------------------------


def _emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def _run_steps(src, q) -> None:
    """Run the metric set, printing one JSON line per step as it finishes."""
    began, cpu = time.perf_counter(), time.process_time()
    for name, run in bench_funnel.metric_set(src, q).items():
        t = time.perf_counter()
        run()
        _emit({"step": name, "seconds": time.perf_counter() - t})
    _emit({"total": time.perf_counter() - began, "cpu": time.process_time() - cpu})


def measure_duckdb(db: str, quarter: str) -> None:
    from revlab.periods import Quarter
    from revlab.sources import connect

    q = Quarter.parse(quarter)
    _run_steps(connect(db, as_of=q.end), q)
    _emit({"peak_gb": bench_funnel.peak_rss_gb()})


def _jvm_peak_gb() -> float:
    """Peak resident memory of this process's child processes (Spark's JVM), in GB."""
    total = 0.0
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            total += next(int(s.split()[1]) for s in status if s.startswith("VmHWM:")) / 1024**2
    return total


def measure_spark(folder: str, quarter: str, cores: int, memory: str) -> None:
    from revlab import engines
    from revlab.periods import Quarter
    from revlab.sources import connect

    t = time.perf_counter()
    spark = engines.local_spark(cores=cores, memory=memory, shuffle_partitions=4 * cores)
    for name in TABLES:
        spark.read.parquet(f"{folder}/{name}.parquet").createOrReplaceTempView(name)
    _emit({"startup": time.perf_counter() - t})
    q = Quarter.parse(quarter)
    _run_steps(connect(spark, as_of=q.end), q)
    _emit({"peak_gb": bench_funnel.peak_rss_gb() + _jvm_peak_gb()})
    spark.stop()


def _child(args: list[str], timeout: float | None = None) -> dict:
    """Run this script with ``args`` in a fresh process; collect the JSON lines it prints.

    A child still running after ``timeout`` seconds is killed; what it reported stays.
    """
    out: dict = {"steps": {}}
    with subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True
    ) as child:
        timer = threading.Timer(timeout, child.kill) if timeout else None
        if timer:
            timer.start()
        for line in child.stdout:
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if "step" in record:
                out["steps"][record["step"]] = record["seconds"]
                print(f"   {args[0][2:]:<7}{record['step']:<32}{record['seconds']:>9.1f} s",
                      file=sys.stderr, flush=True)  # fmt: skip
            else:
                out |= record
        child.wait()
        if timer:
            timer.cancel()
    if "total" not in out:
        if timeout and child.returncode == -9:
            out["timed_out"] = timeout
        else:
            out["failed"] = child.returncode
    return out


# -- report ----------------------------------------------------------------------------------


def _cell(seconds: float | None) -> str:
    return f"{seconds:>10.1f}" if seconds is not None else f"{'-':>10}"


def report(n_leads: int, built: dict, quarter: str, duck: dict, spark: dict | None) -> None:
    rows = built.get("rows") or {}
    print(f"\n== {n_leads:,} leads · quarter {quarter} · machine: {os.cpu_count()} cores, "
          f"{TOTAL_GB:.0f} GB")  # fmt: skip
    if rows:
        print("   " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    print(
        f"   DuckDB file {built['db_gb']:.1f} GB; Parquet for Spark {built['parquet_gb']:.1f} GB"
    )
    spark = spark or {"steps": {}}
    print(f"\n   {'step':<32}{'DuckDB s':>10}{'Spark s':>10}{'Spark/DuckDB':>14}")
    for name, d in duck["steps"].items():
        s = spark["steps"].get(name)
        ratio = f"{s / d:>14.1f}" if s is not None and d > 0 else f"{'-':>14}"
        print(f"   {name:<32}{_cell(d)}{_cell(s)}{ratio}")
    total_s = spark.get("total")
    ratio = f"{total_s / duck['total']:>14.1f}" if total_s else f"{'-':>14}"
    print(f"   {'metric set':<32}{_cell(duck['total'])}{_cell(total_s)}{ratio}")
    print(f"   {'Spark session start':<32}{'':>10}{_cell(spark.get('startup'))}")
    print(f"   {'peak memory (GB)':<32}{duck['peak_gb']:>10.1f}"
          f"{_cell(spark.get('peak_gb'))}   of {TOTAL_GB:.0f} GB")  # fmt: skip
    print("   (a step at 0.0 s reuses the event log or snapshot that a step before it computed:")
    print("   revlab memoises them per data cut)")
    print()
    print(f"   DuckDB: the metric set in {duck['total']:.0f} s ({duck['cpu']:.0f} CPU s), peak "
          f"{duck['peak_gb']:.1f} GB: {'within' if duck['peak_gb'] < TOTAL_GB else 'OVER'} "
          "this machine's memory.")  # fmt: skip
    if "timed_out" in spark:
        done = len(spark["steps"])
        print(f"   Spark: stopped after {spark['timed_out']:.0f} s with {done} of "
              f"{len(duck['steps'])} steps done.")  # fmt: skip
    elif total_s:
        print(
            f"   Spark local: {total_s:.0f} s, {total_s / duck['total']:.1f}x DuckDB's time on "
            "the same machine; Spark pays for itself only when a cluster adds machines."
        )
    elif "failed" in spark:
        print(f"   Spark: failed (exit code {spark['failed']}); see the messages above.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="folder for the data (reused)")
    parser.add_argument("--spark-cores", type=int, default=2)
    parser.add_argument("--spark-memory", default="8g")
    parser.add_argument("--spark-timeout", type=float, default=None, help="seconds")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--duckdb", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--spark", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duckdb:
        measure_duckdb(*args.duckdb)
        return 0
    if args.spark:
        folder, quarter, cores, memory = args.spark
        measure_spark(folder, quarter, int(cores), memory)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db, parquet = folder / f"funnel_{args.leads}.duckdb", folder / f"parquet_{args.leads}"
        built = {"rows": None}
        if not db.exists():
            print(f"building {args.leads:,} leads into {db} ...", file=sys.stderr, flush=True)
            built = bench_funnel._child("--build", str(db), str(args.leads))
        if not (parquet / "activities.parquet").exists():
            export_parquet(db, parquet)
        built["db_gb"] = db.stat().st_size / 1024**3
        built["parquet_gb"] = sum(p.stat().st_size for p in parquet.glob("*")) / 1024**3
        quarter = quarter_of(db)
        duck = _child(["--duckdb", str(db), quarter])
        spark = None
        if not args.no_spark:
            spark_args = [str(parquet), quarter, str(args.spark_cores), args.spark_memory]
            spark = _child(["--spark", *spark_args], timeout=args.spark_timeout)
    report(args.leads, built, quarter, duck, spark)
    return 0 if "total" in duck else 1


if __name__ == "__main__":
    sys.exit(main())
