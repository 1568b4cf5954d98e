"""Validate the time-series model on real monthly revenue, against Prophet and seasonal naive.

Issue 8: on the real series in ``../shared/data/revenue_series`` (Australian cafés' monthly
turnover, 1982-2017; one resort souvenir shop's monthly sales, 1987-1993), rolling-origin
forecasts of the next quarter's total, origins at each quarter start, 2009-2016 for the cafés
and 1991-1993 for the souvenir shop: 44 in all. Each origin sees only the months before it.
Bars: the time-series model's mean CRPS at most 1.1x Prophet's on each series, and its 80%
interval covering 65-92% of the 44 realised quarters.

Methods: the time-series model (:class:`revlab.forecast.TimeSeriesModel`, posterior predictive
of the next three months, summed draw by draw); Prophet 1.5 (``prophet_baseline.py``:
multiplicative yearly seasonality, 500 predictive samples summed over the quarter); seasonal
naive (:func:`revlab.forecast.backtest.seasonal_naive_total`, the same quarter a year earlier
with a lognormal spread); and the seasonal naive as a point forecast, whose CRPS is its
absolute error. The issue's Prophet figures ("CRPS 0.30x and 0.48x that of seasonal naive")
are ratios to that point forecast: the ``/pt naive`` column reproduces them. Every random
step is seeded from ``--seed``, the series and the origin, so a run is deterministic.

Usage::

    python benchmarks/validate_real_series.py                    # full run (a few minutes)
    python benchmarks/validate_real_series.py --quick            # 2 origins per series, tiny fits
    python benchmarks/validate_real_series.py --write-reference  # also store Prophet's CRPS

``--write-reference`` writes Prophet's and seasonal naive's mean CRPS per series to
``tests/forecast/real_series_reference.json``, which ``tests/forecast/test_real_series.py``
compares the time-series model with (Prophet is not installed where the tests run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "revenue_series"
REFERENCE = ROOT / "tests" / "forecast" / "real_series_reference.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import prophet_baseline  # noqa: E402

#: The issue's bars.
CRPS_VS_PROPHET_MAX = 1.1
COVERAGE_80 = (0.65, 0.92)
#: Sampler settings of the full run: the package defaults.
FULL_SAMPLER = {"draws": 1000, "tune": 1000, "chains": 2, "cores": 1}
QUICK_SAMPLER = {"draws": 200, "tune": 300, "chains": 2, "cores": 1}
METHODS = ("timeseries", "prophet", "seasonal_naive", "naive_point")
LABELS = {
    "timeseries": "Time-series model",
    "prophet": "Prophet",
    "seasonal_naive": "Seasonal naive",
    "naive_point": "Seasonal naive, point",
}


@dataclass(frozen=True)
class RealSeries:
    """One real monthly series and its backtest origins."""

    name: str
    label: str
    file: str
    first_year: int
    last_year: int

    def load(self) -> pd.Series:
        """The monthly series, indexed by month start."""
        from revlab.forecast import monthly_series

        return monthly_series(pd.read_csv(DATA / self.file))

    def origins(self) -> pd.DatetimeIndex:
        """Each quarter start from January of the first year to October of the last."""
        return pd.date_range(f"{self.first_year}-01-01", f"{self.last_year}-10-01", freq="QS")


SERIES = (
    RealSeries("cafes", "Australian cafés (AUD bn)", "auscafe_monthly.csv", 2009, 2016),
    RealSeries("souvenirs", "Souvenir shop (AUD)", "souvenirs_monthly.csv", 1991, 1993),
)
N_ORIGINS = 44


def origin_seed(seed: int, series: str, origin: pd.Timestamp, method: str) -> int:
    """A seed for one forecast, from the run's seed, the series, the origin and the method."""
    key = [seed, sum(map(ord, series)), origin.year * 100 + origin.month, METHODS.index(method)]
    return int(np.random.SeedSequence(key).generate_state(1)[0])


def timeseries_draws(history: pd.Series, horizon: int, *, sampler: dict, seed: int):
    """Posterior predictive draws of the next ``horizon`` months' total, and the fit's verdict."""
    from revlab.forecast import TimeSeriesModel

    seeds = np.random.SeedSequence(seed).generate_state(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TimeSeriesModel(sampler_config=sampler).fit(history, random_seed=int(seeds[0]))
    draws = model.predict(horizon=horizon, random_seed=int(seeds[1])).sum(axis=1)
    return draws, model.diagnostics_.ok


def run_series(spec: RealSeries, *, sampler: dict, seed: int, limit: int | None, methods):
    """Scores of every method at every origin of one series, with timings."""
    from revlab.forecast import scoring
    from revlab.forecast.backtest import seasonal_naive_total

    series = spec.load()
    origins = spec.origins()
    if limit:
        origins = origins[:limit]
    rows = []
    for origin in origins:
        history = series[series.index < origin]
        future = series[series.index >= origin].iloc[:3]
        if len(future) < 3:
            raise SystemExit(f"{spec.name}: no complete quarter after {origin:%Y-%m}")
        actual = float(future.sum())
        for method in methods:
            s = origin_seed(seed, spec.name, origin, method)
            start = time.perf_counter()
            ok = True
            if method == "timeseries":
                draws, ok = timeseries_draws(history, 3, sampler=sampler, seed=s)
            elif method == "prophet":
                draws = prophet_baseline.total_draws(history, 3, random_seed=s)
            elif method == "seasonal_naive":
                draws = seasonal_naive_total(history, 3, rng=s)
            else:  # the same months a year earlier, as a point
                draws = np.array([float(history.iloc[-12:-9].sum())])
            seconds = time.perf_counter() - start
            rows.append(
                {"series": spec.name, "origin": origin, "method": method, "actual": actual,
                 "seconds": seconds, "ok": ok} | scoring.score(draws, actual)
            )  # fmt: skip
    return pd.DataFrame(rows)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Per method: origins, mean CRPS, ratios to Prophet and seasonal naive, APE, coverage."""
    out = scores.groupby("method", sort=False).agg(
        n=("crps", "size"),
        mean_crps=("crps", "mean"),
        median_ape=("ape", "median"),
        cov50=("covered_50", "mean"),
        cov80=("covered_80", "mean"),
        cov95=("covered_95", "mean"),
        seconds=("seconds", "sum"),
        fits_ok=("ok", "mean"),
    )
    for ref in ("prophet", "seasonal_naive", "naive_point"):
        out[f"vs_{ref}"] = (
            out["mean_crps"] / out.loc[ref, "mean_crps"] if ref in out.index else np.nan
        )
    return out


def print_table(spec: RealSeries, summary: pd.DataFrame) -> None:
    print(f"\n{spec.label}: {int(summary['n'].iloc[0])} origins, "
          f"{spec.first_year}-{spec.last_year}")  # fmt: skip
    head = (
        f"{'method':<23}{'mean CRPS':>11}{'/Prophet':>9}{'/s.naive':>9}{'/pt naive':>10}"
        f"{'med APE':>8}{'cov50':>6}{'cov80':>6}{'cov95':>6}{'s/fc':>6}"
    )
    print(head)
    for method, r in summary.iterrows():
        cover = (
            f"{r['cov50']:>6.0%}{r['cov80']:>6.0%}{r['cov95']:>6.0%}"
            if method != "naive_point" else f"{'-':>6}" * 3
        )  # fmt: skip
        print(
            f"{LABELS[method]:<23}{r['mean_crps']:>11.4g}{_ratio(r['vs_prophet']):>9}"
            f"{r['vs_seasonal_naive']:>9.2f}{r['vs_naive_point']:>10.2f}"
            f"{r['median_ape']:>8.1%}{cover}{r['seconds'] / r['n']:>6.2f}"
        )


def _ratio(value: float) -> str:
    return "-" if np.isnan(value) else f"{value:.2f}"


def write_reference(scores: pd.DataFrame, sampler: dict, seed: int) -> None:
    ref = {
        "_comment": (
            "Mean CRPS per series of Prophet (and seasonal naive) on the rolling-origin "
            "backtest of issue 8, measured by `python benchmarks/validate_real_series.py "
            f"--write-reference --seed {seed}` with Prophet {prophet_baseline.version()} "
            "(multiplicative yearly seasonality, 500 predictive samples summed over the "
            "quarter). tests/forecast/test_real_series.py compares the time-series model with "
            "these values, since Prophet is not installed where the tests run."
        ),
        "measured": date.today().isoformat(),
        "prophet_version": prophet_baseline.version(),
        "seed": seed,
        "series": {},
    }
    for name, frame in scores.groupby("series", sort=False):
        by = frame.groupby("method")["crps"].mean()
        cov = frame.groupby("method")["covered_80"].mean()
        ref["series"][name] = {
            "origins": int((frame["method"] == "prophet").sum()),
            "prophet_mean_crps": float(by["prophet"]),
            "prophet_coverage_80": float(cov["prophet"]),
            "seasonal_naive_mean_crps": float(by["seasonal_naive"]),
            "timeseries_mean_crps": float(by["timeseries"]),
            "timeseries_coverage_80": float(cov["timeseries"]),
            "timeseries_sampler": sampler,
        }
    REFERENCE.write_text(json.dumps(ref, indent=2) + "\n")
    print(f"\nwrote {REFERENCE.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 origins per series, small fits")
    parser.add_argument("--seed", type=int, default=2026, help="seed of every random step")
    parser.add_argument("--draws", type=int, help="posterior draws per chain (default 1000)")
    parser.add_argument("--tune", type=int, help="tuning steps per chain (default 1000)")
    parser.add_argument(
        "--write-reference",
        action="store_true",
        help=f"store Prophet's mean CRPS in {REFERENCE.relative_to(ROOT)}",
    )
    parser.add_argument("--csv", type=Path, help="also write every forecast's scores here")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: the real series are not at {DATA} (public data kept beside the repo)")
        return
    methods = list(METHODS)
    if not prophet_baseline.available():
        if args.write_reference:
            raise SystemExit("--write-reference needs Prophet: " + str(_missing()))
        print("Prophet is not installed (bench extra): its rows are left out.")
        methods.remove("prophet")
    sampler = dict(QUICK_SAMPLER if args.quick else FULL_SAMPLER)
    sampler |= {k: v for k, v in (("draws", args.draws), ("tune", args.tune)) if v}
    if args.write_reference and args.quick:
        raise SystemExit("--write-reference needs the full run (drop --quick).")
    print(f"time-series model sampler: {sampler}; Prophet {prophet_baseline.version()}; "
          f"seed {args.seed}")  # fmt: skip
    start = time.perf_counter()
    frames = [
        run_series(s, sampler=sampler, seed=args.seed, limit=2 if args.quick else None,
                   methods=methods)
        for s in SERIES
    ]  # fmt: skip
    scores = pd.concat(frames, ignore_index=True)
    n_origins = int((scores["method"] == "timeseries").sum())
    if not args.quick:
        assert n_origins == N_ORIGINS, f"{n_origins} origins, the issue has {N_ORIGINS}"
    for spec in SERIES:
        print_table(spec, summarise(scores[scores["series"] == spec.name]))
    total = summarise(scores)
    covers = ", ".join(
        f"{LABELS[m]} {total.loc[m, 'cov80']:.0%}" for m in methods if m != "naive_point"
    )
    passed = total.loc["timeseries", "fits_ok"]
    print(f"\nAll {n_origins} origins: 80% coverage {covers}")
    print(f"time-series fits passing the sampler diagnostics: {passed:.0%}")
    _verdict(scores, total, methods)
    if args.csv:
        scores.to_csv(args.csv, index=False)
    if args.write_reference:
        write_reference(scores, sampler, args.seed)
    print(f"wall time {time.perf_counter() - start:.0f} s")


def _missing() -> Exception:
    try:
        prophet_baseline._prophet()
    except prophet_baseline.ProphetMissing as exc:
        return exc
    return RuntimeError("?")


def _verdict(scores: pd.DataFrame, total: pd.DataFrame, methods) -> None:
    lo, hi = COVERAGE_80
    cov = total.loc["timeseries", "cov80"]
    ok = "yes" if lo <= cov <= hi else "NO"
    lines = [f"80% coverage {cov:.0%} within {lo:.0%}-{hi:.0%}: {ok}"]
    if "prophet" in methods:
        for name, frame in scores.groupby("series", sort=False):
            ratio = summarise(frame).loc["timeseries", "vs_prophet"]
            ok = ratio <= CRPS_VS_PROPHET_MAX
            lines.append(f"{name}: CRPS {ratio:.2f}x Prophet's (<= {CRPS_VS_PROPHET_MAX}): "
                         f"{'yes' if ok else 'NO'}")  # fmt: skip
    print("bars: " + "; ".join(lines))


if __name__ == "__main__":
    main()
