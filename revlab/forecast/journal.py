"""The forecast journal: every forecast kept, so it is made once and can be scored later.

An entry is one forecast of one quarter, as of one date, by one method, under given settings,
from data with a given content fingerprint (:func:`revlab._fingerprint.content_fingerprint` of
the cut the method saw), made by given package versions. Its key hashes all of these, so a
changed setting, edited data or a new revlab version makes a new entry instead of reusing a stale
one. Each entry keeps the quantiles, :data:`KEPT_DRAWS` draws (enough to score it with CRPS and
interval coverage) and whether its fit passed diagnostics.

:func:`~revlab.forecast.backtest` reads the journal and fits only what is missing; the report
keeps its own forecast too (``forecast(..., journal=)``), so a later report scores the earlier
reports' forecasts against what closed (:meth:`Journal.track_record`). Entries are small JSON
files in one folder (the report's is ``<out>/.journal``); deleting it costs only time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from revlab._fingerprint import content_fingerprint, versions
from revlab._recall import write_json
from revlab.errors import NotRequested, Shortfall
from revlab.forecast import aggregates as agg
from revlab.forecast import scoring
from revlab.forecast.result import QuarterForecast
from revlab.periods import Quarter

#: Draws kept per entry: CRPS and coverage from 2,000 draws differ from all draws by well under 1%.
KEPT_DRAWS = 2_000
#: Quantiles kept for the track record.
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
#: Format of an entry; a change makes older entries unreadable, so they are refitted.
FORMAT = 1


@dataclass(frozen=True)
class Journal:
    """A folder of journal entries (created on first write)."""

    folder: Path

    @classmethod
    def at(cls, folder: str | Path | None) -> Journal | None:
        """The journal in ``folder``, or None when no folder is given (nothing is kept)."""
        return cls(Path(folder)) if folder and str(folder).strip() else None

    def key(self, quarter: Quarter, as_of, method: str, settings: dict, data: str) -> str:
        """The entry key of a forecast of ``quarter`` as of ``as_of`` from data ``data``.

        ``data`` is the content fingerprint of the cut the method sees (:func:`data_of`).
        """
        facts = {
            "format": FORMAT,
            "quarter": str(quarter),
            "as_of": f"{pd.Timestamp(as_of):%Y-%m-%d %H:%M:%S}",
            "method": method,
            "settings": settings,
            "data": data,
            "versions": versions(),
        }
        text = json.dumps(facts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def get(self, key: str) -> dict | None:
        """The entry stored under ``key``, or None (missing, unreadable or another format)."""
        path = self.folder / f"{key}.json"
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return entry if entry.get("format") == FORMAT else None

    def put(self, key: str, fc: QuarterForecast, *, kind: str, settings: dict, data: str) -> dict:
        """Keep ``fc`` under ``key`` (written atomically) and return the entry."""
        samples = kept_draws(fc.samples)
        entry = {
            "format": FORMAT,
            "key": key,
            "kind": kind,
            "quarter": str(fc.quarter),
            "as_of": f"{pd.Timestamp(fc.as_of):%Y-%m-%d}",
            "method": fc.method,
            "settings": settings,
            "data": data,
            "versions": versions(),
            "made": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
            "trustworthy": bool(fc.trustworthy),
            "target": fc.target,
            "quantiles": {str(q): float(np.quantile(samples, q)) for q in QUANTILES},
            "samples": samples.tolist(),
        }
        write_json(self.folder / f"{key}.json", entry)
        return entry

    def keep(self, fc: QuarterForecast, src, *, kind: str, settings: dict) -> dict:
        """Keep a forecast made from source ``src`` (its fingerprint and key computed here)."""
        data = data_of(src)
        key = self.key(fc.quarter, fc.as_of, fc.method, settings, data)
        return self.put(key, fc, kind=kind, settings=settings, data=data)

    def entries(self) -> pd.DataFrame:
        """One row per entry: kind, quarter, as_of, method, median, 80% interval, trustworthy."""
        rows = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.exists() else []:
            entry = self.get(path.stem)
            if entry is None:
                continue
            q = entry["quantiles"]
            rows.append(
                {
                    "kind": entry["kind"],
                    "quarter": entry["quarter"],
                    "as_of": pd.Timestamp(entry["as_of"]),
                    "method": entry["method"],
                    "p10": q["0.1"],
                    "median": q["0.5"],
                    "p90": q["0.9"],
                    "trustworthy": entry["trustworthy"],
                    "made": entry["made"],
                    "key": entry["key"],
                }
            )
        columns = ["kind", "quarter", "as_of", "method", "p10", "median", "p90", "trustworthy"]
        return pd.DataFrame(rows, columns=[*columns, "made", "key"])

    def track_record(self, src, *, kind: str = "forecast") -> pd.DataFrame:
        """Earlier forecasts of quarters that have closed by ``src``'s as-of date, scored.

        One row per kept forecast of ``kind`` (``"forecast"``: the forecasts reports made;
        ``"backtest"``: the backtests' refits), the latest made per quarter, as-of date and
        method: what it said, what was booked, and its scores (:func:`scoring.score`).
        """
        done = self.entries()
        done = done[done["kind"] == kind]
        if src.as_of is not None:
            closed = done["quarter"].map(
                lambda q: Quarter.parse(q, src.calendar).end <= pd.Timestamp(src.as_of)
            )
            done = done[closed.astype(bool)]
        if done.empty:
            return pd.DataFrame()
        done = done.sort_values("made").drop_duplicates(
            ["quarter", "as_of", "method"], keep="last"
        )
        rows = []
        for row in done.itertuples():
            quarter = Quarter.parse(row.quarter, src.calendar)
            actual = agg.booked(src.at(quarter.end), quarter)
            samples = np.asarray(self.get(row.key)["samples"])
            rows.append(
                {
                    "quarter": row.quarter,
                    "as_of": row.as_of,
                    "method": row.method,
                    "median": row.median,
                    "p10": row.p10,
                    "p90": row.p90,
                    "actual": actual,
                    **scoring.score(samples, actual),
                }
            )
        return pd.DataFrame(rows)


def data_of(cut) -> str:
    """The content fingerprint of the data a forecast from source ``cut`` sees."""
    return content_fingerprint(cut)


def kept_draws(samples) -> np.ndarray:
    """At most :data:`KEPT_DRAWS` draws: evenly spaced order statistics of ``samples``.

    Backtests score these whether or not a journal is kept, so a score read back from the
    journal equals the score of a fresh fit.
    """
    samples = np.asarray(samples, dtype=float)
    if len(samples) <= KEPT_DRAWS:
        return samples
    return np.sort(samples)[np.linspace(0, len(samples) - 1, KEPT_DRAWS).astype(int)]


def settings_of(method: str, model_config, sampler_config, n_sims: int, seed) -> dict:
    """What, besides the data, decides a forecast: the part of its key the caller sets."""
    return {
        "method": method,
        "model_config": model_config or {},
        "sampler_config": sampler_config or {},
        "n_sims": n_sims,
        "seed": seed,
    }


def track_record(journal: Journal | None, src) -> pd.DataFrame:
    """The reports' kept forecasts of quarters closed by ``src``'s as-of date, scored.

    A :class:`~revlab.errors.NotRequested` when no journal is kept, and a
    :class:`~revlab.errors.Shortfall` until a kept forecast's quarter has closed, so the
    notebook's section says why it is empty.
    """
    analysis = "Track record of earlier forecasts"
    if journal is None:
        raise NotRequested(
            analysis,
            "this run keeps no forecast journal",
            enable="The report keeps one in <out>/.journal; in JupyterLab, set journal_dir.",
        )
    record = journal.track_record(src)
    if record.empty:
        raise Shortfall(
            analysis,
            "no forecast kept by an earlier report is for a quarter that has closed yet",
            enable="It fills in once a quarter forecast by an earlier report has closed.",
        )
    return record
