"""Time and size the pipeline analyses on 1,000,000 deals with about 10,000,000 history rows.

The canonical ``opportunities`` and ``stage_history`` tables are synthesised with numpy (deals
created over three years; stage changes, amount revisions and close-date pushes at random
times; 80% closed, a third of them won), loaded into an in-memory DuckDB, and then timed:
the quarter's waterfall, the slip analysis (overall and by segment), both together, and the
expected value of the open pipeline. The slip analysis covers every decided deal (about
800,000), or, as the report runs it, the deals decided in the last four quarters. Peak memory
is the process's resident set, sampled while each step runs.

Target on the 2-core reference machine: waterfall + slip analysis <= 10 s.
Usage: python benchmarks/bench_pipeline.py [--deals N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa

DAY = 86_400_000_000  # microseconds
START = np.datetime64("2023-01-01T00:00:00", "us").astype(np.int64)
STAGES = np.array(["discovery", "demo", "proposal", "negotiation", "closed_won", "closed_lost"])
SEGMENTS = np.array(["smb", "mid_market", "enterprise"])


def rss_gb() -> float:
    """Resident memory of this process now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**3
    except OSError:
        return 0.0


class PeakMemory:
    """Sample the resident set every 5 ms while a block runs; ``peak`` is the highest seen."""

    def __enter__(self):
        self.peak, self._stop = rss_gb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_gb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_gb())


def cpu_seconds() -> float:
    """CPU time of this process (user + system, every thread) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def synthesise(n: int, seed: int) -> dict[str, pa.Table]:
    """Canonical opportunities and stage_history for ``n`` deals, consistent with each other."""
    rng = np.random.default_rng(seed)
    created = START + (rng.random(n) * 3 * 365 * DAY).astype(np.int64)
    closed = rng.random(n) < 0.8
    won = closed & (rng.random(n) < 1 / 3)
    middle = rng.poisson(8.3, n)  # stage changes, revisions and pushes between open and close
    k = 1 + middle + closed
    deal = np.repeat(np.arange(n), k)
    first = np.cumsum(k) - k
    pos = np.arange(deal.size) - first[deal]
    last = pos == k[deal] - 1
    closing = last & closed[deal]
    gaps = np.where(pos == 0, 0, rng.exponential(4 * DAY, deal.size)).astype(np.int64)
    t = created[deal] + _group_cumsum(gaps, first, k)
    kind = rng.choice(3, size=deal.size, p=[0.3, 0.2, 0.5])  # stage, revision, push
    kind[pos == 0] = -1
    stage_step = (kind == 0).astype(np.int64)
    stage = np.minimum(_group_cumsum(stage_step, first, k), 3)
    stage[closing] = np.where(won[deal[closing]], 4, 5)
    log_amount = np.where(pos == 0, rng.normal(10, 1, deal.size), 0.0)
    log_amount += np.where(kind == 1, rng.normal(0, 0.15, deal.size), 0.0)
    amount = np.round(np.exp(_group_cumsum(log_amount, first, k)), 2)
    push = np.where(kind == 2, rng.integers(1, 4, deal.size) * 30 * DAY, 0)
    push[pos == 0] = created[deal[pos == 0]] + rng.integers(30, 180, int((pos == 0).sum())) * DAY
    close_date = _group_cumsum(push, first, k)
    close_date = close_date - close_date % DAY
    close_date[closing] = t[closing] - t[closing] % DAY
    ids = pa.array(np.char.add("O-", np.char.zfill(np.arange(n).astype(str), 7)))
    end = first + k - 1
    history = pa.table({
        "opportunity_id": ids.take(pa.array(deal)),
        "stage": pa.array(STAGES[stage]),
        "entered_at": pa.array(t.astype("datetime64[us]")),
        "amount": pa.array(amount),
        "close_date": pa.array(close_date.astype("datetime64[us]")),
    })  # fmt: skip
    opportunities = pa.table({
        "opportunity_id": ids,
        "created_at": pa.array(created.astype("datetime64[us]")),
        "amount": pa.array(amount[end]),
        "is_closed": pa.array(closed),
        "is_won": pa.array(won),
        "stage": pa.array(STAGES[stage[end]]),
        "close_date": pa.array(close_date[end].astype("datetime64[us]")),
        "closed_at": pa.array(np.where(closed, t[end], np.iinfo(np.int64).min)
                              .astype("datetime64[us]"), mask=~closed),
        "segment": pa.array(SEGMENTS[rng.integers(0, 3, n)]),
        "owner": pa.array(np.char.add("AE-", rng.integers(1, 201, n).astype(str))),
    })  # fmt: skip
    return {"opportunities": opportunities, "stage_history": history}


def _group_cumsum(x: np.ndarray, first: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``x`` within each deal's run of rows."""
    total = np.cumsum(x)
    before = np.where(first > 0, total[first - 1], 0)
    return total - np.repeat(before, k)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=sum(map(ord, "bench pipeline")))
    args = parser.parse_args(argv)

    import ibis

    from revlab import pipeline
    from revlab.periods import Quarter
    from revlab.sources import Source

    began = time.perf_counter()
    tables = synthesise(args.deals, args.seed)
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    for name, table in tables.items():
        con.create_table(name, table)
    del tables
    as_of = pd.Timestamp("2026-01-01")
    src = Source(con, label="synthetic", as_of=as_of)
    n_rows = con.table("stage_history").count().execute()
    setup = time.perf_counter() - began
    quarter = Quarter.latest_complete(as_of)

    year = {"closed_from": quarter.shift(-3).start, "closed_to": quarter.end}
    steps = {
        "waterfall": lambda: pipeline.waterfall(src, quarter=quarter),
        "slip analysis": lambda: pipeline.slip_analysis(src),
        "slip analysis by segment": lambda: pipeline.slip_analysis(src, by="segment"),
        "slip analysis, last year": lambda: pipeline.slip_analysis(src, **year),
        "waterfall + slip analysis": lambda: (
            pipeline.waterfall(src, quarter=quarter),
            pipeline.slip_analysis(src),
        ),
        "expected value": lambda: pipeline.expected_value(src, quarter=quarter.shift(1)),
    }
    print(f"pipeline analyses on {args.deals:,} deals, {n_rows:,} history rows "
          f"(synthesised and loaded in {setup:.1f} s; quarter {quarter}; "
          f"{os.cpu_count()} cores)\n")  # fmt: skip
    print(f"  {'step':<28}{'seconds':>9}{'CPU s':>8}{'peak RSS GB':>13}{'target':>9}")
    results = {}
    for name, step in steps.items():
        with PeakMemory() as mem:
            start, cpu = time.perf_counter(), cpu_seconds()
            out = step()
            results[name] = time.perf_counter() - start
            cpu = cpu_seconds() - cpu
        target = "<= 10" if name == "waterfall + slip analysis" else ""
        print(f"  {name:<28}{results[name]:>9.2f}{cpu:>8.2f}{mem.peak:>13.2f}{target:>9}")
        if name == "waterfall":
            moved = out.set_index("movement")["deals"]
            print(f"    (opening {moved['opening']:,} deals, closing {moved['closing']:,})")
    ok = results["waterfall + slip analysis"] <= 10
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n  load average while running: {load} (seconds are wall-clock; CPU s sums threads)")
    print(f"  {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
