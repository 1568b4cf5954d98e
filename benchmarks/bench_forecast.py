"""Time the default demo forecast cold and warm, the time-series model, and Prophet beside them.

Budgets (issue 8): the default demo forecast, ``forecast(connect("data/demo.duckdb")
.at("2026-07-01"), "2026Q3")`` (funnel model fit + posterior predictive), in <= 60 s with
empty compile caches and <= 20 s with them warm, on the 2-core project machine.

- **cold**: a fresh process with ``REVLAB_CACHE_DIR`` (revlab's compiled models) and
  PyTensor's ``compiledir`` pointed at empty temporary folders;
- **warm**: a second fresh process with those caches kept.

Each runs in its own process, so its peak resident memory (VmHWM) is its own. Then, in a
third process, the time-series model (default sampler) and Prophet (``prophet_baseline.py``:
multiplicative yearly seasonality, 500 predictive samples) forecast the next quarter of the
same monthly series: the demo company's monthly bookings before 2026-07-01, and the two real
series in ``../shared/data/revenue_series`` (whole series). The time-series model's compile
is timed apart (its first fit in the process, minus a fit with the compiled model in hand).
Prophet's rows are left out, with a note, when it is not installed (``make bench`` installs
it).

Usage: ``python benchmarks/bench_forecast.py [--seed 2026]``

Measured on 2026-12-06 on the 2-core project machine (load 0.4), with the default sampler of
2 chains x 1500 draws: the demo forecast 49.6 s cold and 17.3 s warm, peak 1.35 GB (55.9 s and
19.7 s on 2026-11-25 with the same code); both budgets met on a quiet machine, the warm one
with little room. The machine's speed drifts by
20-30% within a day, so compare changes in alternating runs. Warm, sampling is 13 s of it;
cold, the extra time is compiling about 140 C modules one at a time, with revlab's gcc flags
(precompiled header, -O1, -g0; revlab/forecast/_sampling/cflags.py), which took it from 102 s.
The time-series model compiles in 8 s once, then fits and predicts in 2-2.5 s; Prophet fits
in 0.1-0.3 s and draws its 500 samples in 0.02 s.
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
HERE = Path(__file__).resolve().parent
DEMO = ROOT / "data" / "demo.duckdb"
AS_OF, QUARTER = "2026-07-01", "2026Q3"
BUDGETS = {"cold": 60.0, "warm": 20.0}

_PEAK = """
def peak_gb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
"""

_DEMO_FORECAST = (
    _PEAK
    + """
import json, sys, time, warnings
t0 = time.perf_counter()
from revlab import forecast
from revlab.sources import connect
src = connect(sys.argv[1]).at(sys.argv[2])
t1 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fc = forecast.forecast(src, sys.argv[3], random_seed=int(sys.argv[4]))
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t1, "startup": t1 - t0, "peak": peak_gb(),
                  "ok": bool(fc.trustworthy), "draws": int(fc.samples.size),
                  "median": float(fc.quantile(0.5))}))
"""
)

_SERIES = (
    _PEAK
    + """
import json, sys, time, warnings
import numpy as np, pandas as pd
sys.path.insert(0, sys.argv[1])
import prophet_baseline
from revlab.forecast import TimeSeriesModel, monthly_series
from revlab.forecast import aggregates as agg
from revlab.sources import connect

src = connect(sys.argv[2]).at(sys.argv[3])
monthly = agg.bookings(src, freq="month").set_index("period")["bookings"]
at = pd.Timestamp(sys.argv[3])
monthly = monthly[monthly.index + pd.DateOffset(months=1) <= at]
series = {"demo bookings": monthly[monthly.gt(0).cummax()]}
data = __import__("pathlib").Path(sys.argv[4])
if data.is_dir():
    series["cafes"] = monthly_series(pd.read_csv(data / "auscafe_monthly.csv"))
    series["souvenirs"] = monthly_series(pd.read_csv(data / "souvenirs_monthly.csv"))
seed = int(sys.argv[5])

def ts(s):
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = TimeSeriesModel().fit(s, random_seed=seed)
    m.predict(horizon=3, random_seed=seed)
    return time.perf_counter() - t, bool(m.diagnostics_.ok), len(m.inputs_.months)

out = {"prophet": prophet_baseline.version(), "rows": []}
first, _, _ = ts(series["demo bookings"])
for name, s in series.items():
    seconds, ok, used = ts(s)
    if name == "demo bookings":
        out["compile"] = first - seconds
    row = {"series": name, "months": len(s), "ts_months": used, "ts": seconds, "ts_ok": ok}
    if prophet_baseline.available():
        fits = []
        for _ in range(3):
            t = time.perf_counter()
            model = prophet_baseline.fit(s)
            fits.append(time.perf_counter() - t)
        months = pd.date_range(s.index[-1] + pd.DateOffset(months=1), periods=3, freq="MS")
        t = time.perf_counter()
        prophet_baseline.predict_months(model, months, random_seed=seed)
        row |= {"prophet_fit": float(np.median(fits)), "prophet_pred": time.perf_counter() - t}
    out["rows"].append(row)
out["peak"] = peak_gb()
print(json.dumps(out))
"""
)


def _run(code: str, args: list[str], env: dict) -> tuple[dict, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    wall = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026, help="seed of the forecasts")
    parser.add_argument("--source", default=str(DEMO), help="DuckDB file of the demo company")
    args = parser.parse_args()
    if not Path(args.source).exists():
        sys.exit(f"{args.source} not found: run `make data` first.")
    data = ROOT.parent / "shared" / "data" / "revenue_series"
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["REVLAB_CACHE_DIR"] = f"{tmp}/revlab"
        env["PYTENSOR_FLAGS"] = f"compiledir={tmp}/pytensor"
        demo_args = [args.source, AS_OF, QUARTER, str(args.seed)]
        cold, cold_wall = _run(_DEMO_FORECAST, demo_args, env)
        warm, warm_wall = _run(_DEMO_FORECAST, demo_args, env)
        series_args = [str(HERE), args.source, AS_OF, str(data), str(args.seed)]
        ser, _ = _run(_SERIES, series_args, env)

    print(f"default demo forecast: {QUARTER} as of {AS_OF}, funnel model, seed {args.seed}; "
          f"{cold['draws']:,} draws, median {cold['median']:,.0f}")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after (other work slows every row)")  # fmt: skip
    print(f"{'step':<46}{'seconds':>9}{'process s':>11}{'peak GB':>9}{'budget':>8}  ok")
    for name, r, wall in (("cold", cold, cold_wall), ("warm", warm, warm_wall)):
        limit = BUDGETS[name]
        ok = "yes" if r["seconds"] <= limit else "NO"
        if not r["ok"]:
            ok += " (diagnostics failed)"
        label = f"demo forecast, {name} (fit + predictive)"
        print(f"{label:<46}{r['seconds']:>9.1f}{wall:>11.1f}{r['peak']:>9.2f}"
              f"{limit:>6.0f} s  {ok}")  # fmt: skip
    have_prophet = ser["prophet"] != "not installed"
    print(f"\nnext quarter of a monthly series: time-series model (default sampler) and "
          f"Prophet {ser['prophet']}; peak {ser['peak']:.2f} GB in that process")  # fmt: skip
    print(f"time-series model compile: {ser['compile']:.1f} s, once per process "
          "(then cached on disk)")  # fmt: skip
    head = f"{'monthly series':<16}{'months':>7}{'TS window':>10}{'TS fit+pred s':>14}"
    if have_prophet:
        head += f"{'Prophet fit s':>14}{'Prophet 500 samples s':>22}"
    print(head)
    for r in ser["rows"]:
        flag = "" if r["ts_ok"] else "*"
        line = f"{r['series']:<16}{r['months']:>7}{r['ts_months']:>10}{r['ts']:>13.1f}{flag:1}"
        if have_prophet:
            line += f"{r['prophet_fit']:>14.2f}{r['prophet_pred']:>22.2f}"
        print(line)
    if not all(r["ts_ok"] for r in ser["rows"]):
        print("* the fit failed its sampler diagnostics (timed all the same)")
    if have_prophet:
        print("Prophet fit: median of 3 fits on the whole series (the time-series model fits "
              "its window).")  # fmt: skip
    if ser["prophet"] == "not installed":
        print("Prophet rows left out: it is not installed (make bench installs the bench extra).")
    if not data.is_dir():
        print(f"real-series rows left out: {data} not found.")


if __name__ == "__main__":
    main()
