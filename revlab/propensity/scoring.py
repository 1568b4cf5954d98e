"""Scoring today's open prospects into a ranked list for sales, saved as CSV and Parquet.

The list holds each prospect's rank, id, probability of reaching the target stage within the
horizon, a few descriptive columns, and the top reasons behind its score (for the top rows, where
sales will look). Everything the model needs is rebuilt with the training run's snapshot
settings, so the features match.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from revlab.propensity.explain import top_reasons
from revlab.propensity.snapshots import build_snapshots, data_cutoff

if TYPE_CHECKING:
    from revlab.sources import Source

#: Descriptive columns carried into the ranked list when present.
DESCRIBE = (
    "channel",
    "segment",
    "region",
    "stage",
    "age_days",
    "days_in_stage",
    "act_30d",
    "act_days_since",
)
SNAPSHOT_SETTINGS = ("horizon_days", "target", "windows", "kinds")


def rank_prospects(
    model, snapshot: pd.DataFrame, *, n_reasons: int = 3, explain_top: int | None = 500
) -> pd.DataFrame:
    """Score one snapshot's prospects and rank them, best first.

    Parameters
    ----------
    model
        A fitted :class:`~revlab.propensity.models.PropensityModel`.
    snapshot
        Prospects with the model's feature columns (one snapshot date).
    n_reasons
        Reasons per prospect (0: none).
    explain_top
        Explain only the best ``explain_top`` prospects (None: all); the rest get no reasons.

    Returns
    -------
    DataFrame
        ``rank``, ``lead_id``, ``score``, the :data:`DESCRIBE` columns present, and
        ``reason_1`` … ``reason_k``.
    """
    score = model.predict_proba(snapshot)[:, 1]
    order = np.argsort(-score, kind="stable")  # ties keep the input order (lead_id in snapshots)
    keep = ["lead_id", *[c for c in DESCRIBE if c in snapshot.columns]]
    out = snapshot[keep].iloc[order].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.insert(2, "score", score[order])
    if n_reasons:
        top = len(out) if explain_top is None else min(explain_top, len(out))
        why = top_reasons(model, snapshot.iloc[order[:top]], n_reasons=n_reasons)
        for r in range(1, n_reasons + 1):
            col = f"reason_{r}"
            out[col] = pd.Series(why[col].to_numpy() if col in why else [], dtype="str").reindex(
                range(len(out)), fill_value=""
            )
    return out


def resolve_output_dir(output_dir: str | Path | None) -> Path:
    """The folder for the ranked list: ``output_dir``, or a new temporary folder when empty."""
    if output_dir:
        return Path(output_dir).expanduser()
    import tempfile

    return Path(tempfile.mkdtemp(prefix="revlab-propensity-"))


#: First characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with ``'``.

    A lead's channel or name of ``=HYPERLINK(...)`` in the CSV sales open in Excel would run;
    OWASP's advice is a leading apostrophe. Numbers (negative ones too) are left alone.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col]
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
            if risky.any():
                out[col] = text.where(~risky, "'" + text.astype(str))
    return out


def write_ranked(ranked: pd.DataFrame, out_dir: str | Path, *, name: str = "ranked_prospects"):
    """Write the ranked list as ``<name>.csv`` and ``<name>.parquet``; return both paths.

    The CSV is made safe to open in a spreadsheet (:func:`spreadsheet_safe`); the Parquet file
    keeps every value as it is.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"csv": folder / f"{name}.csv", "parquet": folder / f"{name}.parquet"}
    spreadsheet_safe(ranked).to_csv(paths["csv"], index=False)
    ranked.to_parquet(paths["parquet"], index=False)
    return paths


def score_open(
    model,
    src: Source,
    *,
    out_dir: str | Path,
    settings: dict,
    as_of: str | pd.Timestamp | None = None,
    n_reasons: int = 3,
    explain_top: int | None = 500,
) -> tuple[pd.DataFrame, dict[str, Path]]:
    """Rank every prospect open at ``as_of`` (default: the data cut) and save the list.

    Parameters
    ----------
    settings
        The training run's snapshot settings (``Study.settings`` or a saved model's
        ``metadata["settings"]``): horizon_days, target, windows and activity kinds.
    out_dir
        Folder for ``ranked_prospects.csv`` and ``ranked_prospects.parquet``.

    Returns
    -------
    tuple
        The ranked list and the paths written.
    """
    when = pd.Timestamp(as_of) if as_of is not None else data_cutoff(src)
    kwargs = {k: settings[k] for k in SNAPSHOT_SETTINGS if k in settings}
    snapshot = build_snapshots(src, [when], **kwargs)
    ranked = rank_prospects(model, snapshot, n_reasons=n_reasons, explain_top=explain_top)
    ranked.insert(1, "scored_at", when)
    return ranked, write_ranked(ranked, out_dir)
