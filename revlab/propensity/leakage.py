"""Leakage guards: features that know the outcome, and timestamps from after the snapshot.

A feature recorded after the outcome (the length of the call that closed the sale, a status
field updated on conversion, a grade sales fills in after the first meeting) makes a model look
excellent in evaluation and useless in practice. Real leaks are rarely perfect, so
:func:`screen_features` weighs several signals, each kept as evidence in its table:

1. ``auc_alone``: the feature's ROC AUC on its own (direction ignored; missingness counts as a
   value; categories scored out of fold, so an identifier is not flagged for being unique);
2. ``share_of_model``: how much of a quick model's skill (AUC above 0.5) the feature reaches
   alone;
3. ``fill_gap``: how much more often the column is filled for one outcome than the other, the
   usual trace of a field entered after the sale;
4. ``auc_drop``: how far the quick model's AUC falls without the feature (the strongest
   :data:`DROP_TOP` features only);
5. ``name_hint``: a word in the column's name that usually means post-outcome data
   (duration, status, stage, reason, …), for columns that did not come from revlab's own
   point-in-time features.

A feature is flagged (``verdict == "leak"``) when any rule of :data:`RULES` holds; the
fitting paths leave flagged columns out unless the user keeps them by name. A suspicious name
without strong signal is marked ``"review"`` and kept. The thresholds were chosen by
measurement (``benchmarks/leakage_screen.py``; docs/propensity.md, "Leakage screen"): honest
features of the demo company and of UCI Bank Marketing stay below every one of them, while the
bank's ``duration`` and four kinds of leak planted in the demo company cross at least one.

:func:`check_point_in_time` refuses timestamp columns holding moments after the snapshot.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from revlab.propensity._checks import PropensityError, feature_kinds
from revlab.propensity._ranks import auc_roc, tie_groups
from revlab.propensity.evaluate import metrics as score_metrics
from revlab.propensity.models import PropensityModel

#: A feature this good alone is a leak whatever else holds (real buying signals never are).
THRESHOLD = 0.95
#: Alone above this on lead data is suspect (honest features measured: at most 0.78).
SUSPECT_AUC = 0.85
#: Alone reaching this share of the quick model's skill, with at least :data:`SHARE_MIN_AUC`.
SHARE_OF_MODEL, SHARE_MIN_AUC = 0.85, 0.75
#: Filled for one outcome this much more often than for the other (share of rows, 0–1).
FILL_GAP = 0.5
#: The quick model loses this much AUC without the feature, which has this much signal alone,
#: among at least this many features (with few, every good feature carries signal of its own).
#: Measured over 8 seeds: honest demo attributes lose at most 0.0043, the planted 0.8-alone
#: leak 0.013–0.025; UCI bank columns lose up to 0.03 but none reaches 0.70 alone.
AUC_DROP, DROP_MIN_AUC, DROP_MIN_FEATURES = 0.008, 0.70, 8
#: A suspicious name with this much signal alone is flagged rather than only marked.
NAMED_AUC = 0.70
#: A model this good on lead data is too good to be true: the likeliest columns are named. The
#: demo company's true probabilities reach 0.971 and its honest model 0.954; real lead models
#: rarely pass 0.9 (UCI Bank Marketing: about 0.80 without ``duration``).
TOO_GOOD = 0.975
#: Strongest features (by ``auc_alone``) given the drop-column check.
DROP_TOP = 6
#: Words in a column name that usually mean data recorded after the outcome.
SUSPICIOUS_WORDS = (
    "duration",
    "status",
    "stage",
    "reason",
    "tag",
    "tags",
    "quality",
    "score",
    "grade",
    "rating",
    "closed",
    "close",
    "won",
    "lost",
    "win",
    "loss",
    "outcome",
    "result",
    "converted",
    "conversion",
    "disposition",
    "last_activity",
    "last_contact",
    "revenue",
    "value",
)
#: Columns of the screen's table.
COLUMNS = (
    "feature",
    "auc_alone",
    "share_of_model",
    "fill_gap",
    "auc_drop",
    "name_hint",
    "trusted",
    "verdict",
    "flagged",
    "evidence",
)
#: One line per rule, as shown in the screen's ``evidence`` column.
RULES = {
    "alone": f"alone AUC ≥ {SUSPECT_AUC}",
    "share": f"alone reaches ≥ {SHARE_OF_MODEL:.0%} of the model's skill",
    "fill": f"filled for one outcome ≥ {FILL_GAP:.0%} more often",
    "drop": f"model AUC falls ≥ {AUC_DROP} without it (alone AUC ≥ {DROP_MIN_AUC})",
    "name": f"post-outcome name with alone AUC ≥ {NAMED_AUC}",
}


class LeakageWarning(UserWarning):
    """A feature looks recorded after the outcome (probable leakage), or a model is too good."""


@dataclass
class LeakageScreen:
    """The screen's verdict on every feature, with its evidence, and the quick model's AUC.

    ``table`` has one row per feature, strongest first: ``feature``, ``auc_alone``,
    ``share_of_model``, ``fill_gap``, ``auc_drop`` (NaN where not checked), ``name_hint``,
    ``verdict`` (``"leak"``, ``"review"`` or ``""``), ``flagged`` and ``evidence``.
    """

    table: pd.DataFrame
    model_auc: float
    kept: tuple[str, ...] = ()
    test_auc: float | None = None  # the fitted model's, set by the fitting paths

    @property
    def flagged(self) -> list[str]:
        """Features judged leaks, strongest first (including any the user kept)."""
        return self.table.loc[self.table["flagged"], "feature"].tolist()

    @property
    def excluded(self) -> list[str]:
        """Flagged features the model leaves out: all flagged but those kept by name."""
        return [f for f in self.flagged if f not in self.kept]

    @property
    def review(self) -> list[str]:
        """Features kept but named like post-outcome data: worth a look."""
        return self.table.loc[self.table["verdict"] == "review", "feature"].tolist()

    @property
    def too_good(self) -> bool:
        """Whether the fitted model's test AUC (or, unflagged, the quick model's) is too good."""
        if self.test_auc is not None and self.test_auc >= TOO_GOOD:
            return True
        return bool(self.model_auc >= TOO_GOOD and not self.flagged)

    def shown(self, *, strongest: int = 3) -> pd.DataFrame:
        """The table for a reader: flagged, to-review and exported columns, the strongest own.

        Every column of the leads table (or the user's) is listed, plus the ``strongest`` of
        revlab's point-in-time features; a clean verdict reads "ok".
        """
        table = self.table
        pick = (table["verdict"] != "") | ~table["trusted"]
        pick |= table.index.isin(table[table["trusted"]].index[:strongest])
        out = table[pick].assign(
            kind=np.where(table.loc[pick, "trusted"], "built point in time", "as exported"),
            verdict=table.loc[pick, "verdict"].replace("", "ok"),
        )
        return out[["feature", "kind", "auc_alone", "fill_gap", "auc_drop", "verdict", "evidence"]]

    def message(self) -> str:
        """One paragraph for a reader: what was flagged, why, and how to keep a column."""
        parts = []
        rows = self.table.set_index("feature")
        if self.flagged:
            listed = "; ".join(f"{f} ({rows.loc[f, 'evidence']})" for f in self.flagged)
            parts.append(f"Probable leakage: {listed}.")
            if self.excluded:
                parts.append(
                    f"Left out of the model: {', '.join(self.excluded)}. If a column is truly "
                    "known before the outcome, keep it by name (keep=[...])."
                )
            kept = [f for f in self.flagged if f in self.kept]
            if kept:
                parts.append(f"Kept at the user's request: {', '.join(kept)}.")
        if self.too_good:
            used = rows.drop(index=self.excluded).sort_values("auc_alone", ascending=False)
            auc, which = (
                (self.test_auc, "The model's test")
                if self.test_auc is not None and self.test_auc >= TOO_GOOD
                else (self.model_auc, "A quick model's")
            )
            parts.append(
                f"{which} ROC AUC is {auc:.3f}, too good for lead data (≥ {TOO_GOOD}): some "
                f"feature probably knows the outcome; the likeliest are "
                f"{', '.join(used.index[:3])}."
            )
        if self.review:
            parts.append(
                f"Named like post-outcome data, check when they are filled: "
                f"{', '.join(self.review)}."
            )
        return " ".join(parts)


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    order, gid = tie_groups(score)
    auc = auc_roc(y[order], gid)
    return max(auc, 1 - auc)


def _numeric_auc(values: pd.Series, y: np.ndarray) -> float:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(x)
    if missing.all():
        return 0.5
    lo, hi = np.nanmin(x) - 1, np.nanmax(x) + 1
    return max(_auc(y, np.where(missing, lo, x)), _auc(y, np.where(missing, hi, x)))


def _categorical_auc(values: pd.Series, y: np.ndarray, rng) -> float:
    """Out-of-fold target rate per category (two halves), scored on the other half."""
    codes = pd.factorize(values.astype("object").where(values.notna(), "(missing)"))[0]
    half = rng.random(len(y)) < 0.5
    score = np.empty(len(y))
    for train in (half, ~half):
        test = ~train
        n = np.bincount(codes[train], minlength=codes.max() + 1)
        k = np.bincount(codes[train], weights=y[train], minlength=codes.max() + 1)
        prior = y[train].mean() if train.any() else 0.5
        rate = (k + prior) / (n + 1)  # one pseudo-observation at the overall rate
        score[test] = rate[codes[test]]
    return _auc(y, score)


def _alone(values: pd.Series, y: np.ndarray, rng) -> float:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return _numeric_auc(values, y)
    if pd.api.types.is_datetime64_any_dtype(values):
        return _numeric_auc(values.astype("int64").where(values.notna()), y)
    return _categorical_auc(values, y, rng)


def _fill_gap(values: pd.Series, y: np.ndarray) -> float:
    """Difference between the buyers' and the others' share of filled rows (absolute)."""
    filled = values.notna().to_numpy()
    if filled.all() or not filled.any():
        return 0.0
    return float(abs(filled[y == 1].mean() - filled[y == 0].mean()))


def name_hint(column: str) -> str:
    """The suspicious word in a column name (``""`` if none), matched on word boundaries."""
    words = [w for w in re.split(r"[^a-z0-9]+", _snake(column)) if w]
    joined = "_".join(words)
    for word in SUSPICIOUS_WORDS:
        if "_" in word and word in joined:
            return word
        if word in words:
            return word
    return ""


def _snake(name: str) -> str:
    """``LeadStatus`` and ``lead-status`` both become ``lead_status``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name)).lower()


def _quick_auc(X: pd.DataFrame, y: np.ndarray, seed: int) -> float:
    """AUC of a small boosted model fitted on the first 75% of rows, scored on the rest."""
    cut = int(len(y) * 0.75)
    if min(np.bincount(y[:cut], minlength=2).min(), np.bincount(y[cut:], minlength=2).min()) < 5:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = PropensityModel("boosted", calibration=None, max_iter=60, random_state=seed)
        model.fit(X.iloc[:cut], y[:cut])
        return _auc(y[cut:], model.raw_proba(X.iloc[cut:]))


def screen_features(
    X: pd.DataFrame,
    y,
    *,
    trusted: Sequence[str] = (),
    keep: Sequence[str] = (),
    threshold: float = THRESHOLD,
    max_rows: int = 20_000,
    drop_check: bool = True,
    seed: int = 0,
    warn: bool = True,
) -> LeakageScreen:
    """Screen every feature for leakage and return the verdicts with their evidence.

    Parameters
    ----------
    X, y
        Training features and 0/1 outcomes, in time order where there is one (the quick model
        trains on the first 75% of rows and is scored on the rest).
    trusted
        Columns revlab built point in time (snapshot features): their names are not judged.
    keep
        Columns the user keeps even if flagged; they stay flagged in the table.
    threshold
        Alone AUC that flags a feature whatever else holds.
    max_rows
        Screen a seeded, order-preserving sample of this many rows.
    drop_check
        Refit the quick model without each of the strongest features (a few seconds).
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=float)
    if len(X) > max_rows:
        rows = np.sort(rng.choice(len(X), max_rows, replace=False))
        X, y = X.iloc[rows], y[rows]
    table = pd.DataFrame(
        {
            "feature": list(X.columns),
            "auc_alone": [_alone(X[c], y, rng) for c in X.columns],
            "fill_gap": [_fill_gap(X[c], y) for c in X.columns],
            "name_hint": ["" if c in trusted else name_hint(c) for c in X.columns],
        }
    )
    table = table.sort_values("auc_alone", ascending=False, kind="stable").reset_index(drop=True)
    table["trusted"] = table["feature"].isin(list(trusted))
    table["share_of_model"] = np.nan
    table["auc_drop"] = np.nan
    usable = [
        c
        for c in X.columns
        if X[c].notna().any() and not pd.api.types.is_datetime64_any_dtype(X[c])
    ]
    cache: dict[frozenset, float] = {}

    def quick(columns: list[str]) -> float:
        key = frozenset(columns)
        if key not in cache:
            cache[key] = _model_auc(X, columns, y, seed)
        return cache[key]

    model_auc = quick(usable) if drop_check else float("nan")
    table["share_of_model"] = (table["auc_alone"] - 0.5) / max(model_auc - 0.5, 1e-9)
    table = _verdicts(table, threshold)
    # Redundant leaks hide each other from the drop-column check, so it runs again without
    # the columns already flagged until no new one is found.
    for _ in range(3 if drop_check and np.isfinite(model_auc) else 0):
        flagged = set(table.loc[table["flagged"], "feature"])
        rest = [c for c in usable if c not in flagged]
        base = quick(rest)
        if len(rest) < 2 or not np.isfinite(base):
            break
        order = table[table["feature"].isin(rest) & ~table["trusted"] & table["auc_drop"].isna()]
        for feature in order["feature"][:DROP_TOP]:
            without = quick([c for c in rest if c != feature])
            table.loc[table["feature"] == feature, "auc_drop"] = base - without
        before = len(flagged)
        table = _verdicts(table, threshold)
        if int(table["flagged"].sum()) == before:
            break
    table = table[list(COLUMNS)]
    screen = LeakageScreen(table, model_auc, tuple(keep))
    unknown = [c for c in keep if c not in set(table["feature"])]
    if unknown:
        raise PropensityError(
            f"keep names column(s) that are not features: {', '.join(unknown)}; give names from "
            f"{', '.join(table['feature'][:8])}."
        )
    if warn and (screen.flagged or screen.too_good):
        warnings.warn(screen.message(), LeakageWarning, stacklevel=2)
    return screen


def _model_auc(X: pd.DataFrame, columns: list[str], y: np.ndarray, seed: int) -> float:
    frame = X[columns]
    feature_kinds(frame)  # timestamps are refused with the usual message
    return _quick_auc(frame, y.astype(np.int64), seed)


def _verdicts(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    user = ~table["trusted"]  # revlab's point-in-time features face only the perfect-alone rule
    alone = table["auc_alone"]
    hits = {
        "alone": (alone >= threshold) | (user & (alone >= min(SUSPECT_AUC, threshold))),
        "share": user & (alone >= SHARE_MIN_AUC) & (table["share_of_model"] >= SHARE_OF_MODEL),
        "fill": user & (table["fill_gap"] >= FILL_GAP),
        "drop": user
        & (alone >= DROP_MIN_AUC)
        & (table["auc_drop"].fillna(0) >= AUC_DROP)
        & (len(table) >= DROP_MIN_FEATURES),
        "name": user & (table["name_hint"] != "") & (alone >= NAMED_AUC),
    }
    flagged = np.logical_or.reduce([h.to_numpy() for h in hits.values()])
    evidence = []
    for i, row in enumerate(table.itertuples()):
        found = [_evidence(rule, row) for rule, hit in hits.items() if hit.iloc[i]]
        if not found and row.name_hint:
            found = [f"name contains '{row.name_hint}'"]
        evidence.append("; ".join(found))
    table["verdict"] = np.where(flagged, "leak", np.where(table["name_hint"] != "", "review", ""))
    table["flagged"] = flagged
    table["evidence"] = evidence
    return table


def _evidence(rule: str, row) -> str:
    return {
        "alone": f"alone AUC {row.auc_alone:.3f}",
        "share": "alone as good as the quick model"
        if row.share_of_model >= 1
        else f"alone {row.share_of_model:.0%} of the model's skill",
        "fill": f"filled {row.fill_gap:.0%} more often for one outcome",
        "drop": f"model AUC −{row.auc_drop:.3f} without it",
        "name": f"name contains '{row.name_hint}', alone AUC {row.auc_alone:.3f}",
    }[rule]


def leakage_effect(label, honest, leaky) -> pd.DataFrame:
    """Test ROC and PR AUC without the flagged columns (the model used) and with them."""
    rows = []
    for name, p in (("without flagged columns (used)", honest), ("with flagged columns", leaky)):
        m = score_metrics(label, p, n_boot=0).set_index("metric")["value"]
        rows.append({"model": name, "roc_auc": m["roc_auc"], "pr_auc": m["pr_auc"]})
    return pd.DataFrame(rows)


def record_test_auc(screen: LeakageScreen, test_auc: float, *, warn: bool = True) -> None:
    """Keep the fitted model's test AUC on the screen; warn if it is too good to be true."""
    screen.test_auc = float(test_auc)
    if warn and screen.test_auc >= TOO_GOOD:
        warnings.warn(screen.message(), LeakageWarning, stacklevel=3)


def check_point_in_time(frame: pd.DataFrame, *, time_col: str = "snapshot_at") -> None:
    """Refuse timestamp features with moments after each row's snapshot date."""
    for col in frame.columns:
        if col == time_col or not pd.api.types.is_datetime64_any_dtype(frame[col]):
            continue
        late = frame[col] > frame[time_col]
        if late.any():
            raise PropensityError(
                f"{col}: {int(late.sum())} rows hold a time after their snapshot date; such a "
                "feature is built from the future. Use only events on or before the snapshot."
            )
