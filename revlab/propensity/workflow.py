"""The whole propensity study in one call: snapshots, time split, models, scores and checks.

:func:`study` runs what the notebook reports, so the notebook stays thin and every number in it
can be reached by a test:

1. weekly snapshots of open prospects with point-in-time features and the H-day label;
2. a time split (the last ``test_days`` of label-complete snapshots are the test set; training
   ends H days before it);
3. a leakage screen of every feature on the training rows (flagged columns are left out
   unless kept by name, and the test AUC with them is shown beside the honest one);
4. the boosted model and the logistic baseline, calibrated on a later slice of training;
5. test scores and metrics (bootstrap intervals resample whole prospects).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from revlab import _recall
from revlab.needs import requires
from revlab.propensity._checks import PropensityError
from revlab.propensity.capacity import capacity_whatif, summarize_capacity
from revlab.propensity.evaluate import deciles
from revlab.propensity.evaluate import metrics as score_metrics
from revlab.propensity.leakage import (
    LeakageScreen,
    check_point_in_time,
    leakage_effect,
    record_test_auc,
    screen_features,
)
from revlab.propensity.models import PropensityModel
from revlab.propensity.snapshots import (
    LEAD_NON_FEATURES,
    activity_kinds,
    build_snapshots,
    feature_columns,
    snapshot_dates,
)
from revlab.propensity.splits import TimeSplit, time_split

if TYPE_CHECKING:
    from revlab.periods import Quarter
    from revlab.sources import Source

MODELS = ("boosted", "logistic")
#: Readable names of the test metrics.
METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "brier": "Brier score",
    "log_loss": "log loss",
    "ece": "expected calibration error",
    "base_rate": "buyer rate in the test period",
}
#: Columns kept beside the scores, for the capacity rules and the ranked list.
CARRY = ("lead_id", "snapshot_at", "label", "label_complete", "age_days", "act_30d", "stage")


@dataclass
class Study:
    """Everything a propensity run produced; ``scored`` holds the test snapshots' scores.

    ``leakage`` is the screen of the training features; ``leakage_effect`` (only when the
    screen left columns out) compares the test AUC without and with them.
    """

    settings: dict
    snapshots: pd.DataFrame
    split: TimeSplit
    models: dict[str, PropensityModel]
    scored: pd.DataFrame
    metrics: pd.DataFrame
    leakage: LeakageScreen | None = None
    leakage_effect: pd.DataFrame | None = None

    @property
    def model(self) -> PropensityModel:
        """The main model (boosted when fitted)."""
        return self.models.get("boosted") or next(iter(self.models.values()))

    @property
    def features(self) -> list[str]:
        """Feature columns the models were trained on."""
        return list(self.model.feature_names_in_)

    def metric(self, name: str, model: str = "boosted") -> float:
        """One test metric of one model, e.g. ``study.metric("roc_auc")``."""
        table = self.metrics.set_index(["model", "metric"])
        return float(table.loc[(model, name), "value"])

    def summary(self) -> pd.DataFrame:
        """Test metrics as a table: one row per metric, the main model with its interval first.

        Returns
        -------
        DataFrame
            ``metric`` (readable name), ``<model>``, ``low``, ``high`` for the main model and one
            column per other model.
        """
        main = "boosted" if "boosted" in self.models else next(iter(self.models))
        wide = self.metrics.pivot(index="metric", columns="model", values="value")
        first = self.metrics[self.metrics["model"] == main].set_index("metric")
        out = pd.DataFrame({"metric": [METRIC_LABELS.get(m, m) for m in METRIC_LABELS]})
        out[main] = wide.loc[list(METRIC_LABELS), main].to_numpy()
        out["low"] = first.loc[list(METRIC_LABELS), "low"].to_numpy()
        out["high"] = first.loc[list(METRIC_LABELS), "high"].to_numpy()
        for other in [m for m in self.models if m != main]:
            out[other] = wide.loc[list(METRIC_LABELS), other].to_numpy()
        return out

    def summary_text(self, *, digits: int = 3) -> pd.DataFrame:
        """:meth:`summary` as text for reading: ``0.922 (0.913 to 0.932)``."""
        table = self.summary()
        main = table.columns[1]
        out = pd.DataFrame({"metric": table["metric"]})
        out[main] = [
            f"{v:.{digits}f}" + (f" ({lo:.{digits}f} to {hi:.{digits}f})" if lo == lo else "")
            for v, lo, hi in zip(table[main], table["low"], table["high"], strict=True)
        ]
        for other in table.columns[4:]:
            out[other] = [f"{v:.{digits}f}" for v in table[other]]
        return out

    def test_features(self) -> pd.DataFrame:
        """Feature columns of the test snapshots (for importance and explanations)."""
        return self.split.test[feature_columns(self.split.test)]


@requires("leads", analysis="Propensity model")
def study(
    src: Source,
    *,
    horizon_days: int = 90,
    target: str = "opportunity",
    every_days: int = 7,
    test_days: int = 91,
    windows: Sequence[int] = (7, 30, 90),
    max_kinds: int = 12,
    models: Sequence[str] = MODELS,
    seed: int = 0,
    n_boot: int = 200,
    max_train_rows: int | None = 100_000,
    n_threads: int | None = 1,
    extra_features: pd.DataFrame | None = None,
    keep: Sequence[str] = (),
    warn: bool = True,
) -> Study:
    """Build snapshots, split by time, fit and evaluate the propensity models.

    Parameters
    ----------
    src
        The data, cut at the run's as-of date.
    horizon_days, target
        The label: reaching ``target`` within ``horizon_days`` after each snapshot.
    every_days
        Days between snapshots.
    test_days
        Length of the test period (the latest label-complete snapshots).
    max_train_rows
        Train on a seeded random sample of this many training snapshots (None: all). Weekly
        snapshots of the same prospects overlap heavily: on the demo company 100,000 rank as
        well as all 212,000, in half the time.
    n_threads
        OpenMP threads for the boosted model (see :class:`PropensityModel`).
    extra_features
        Optional extra columns keyed by ``lead_id`` and ``snapshot_at``, merged into the
        snapshots (and screened for leakage like every other feature).
    keep
        Features to keep although the leakage screen flags them: only for columns you know are
        filled before the outcome (the lead's attributes are exported as they stand today).
    warn
        Raise a :class:`~revlab.propensity.LeakageWarning` for what the screen finds (the
        notebook shows ``study.leakage.message()`` instead).
    """
    kinds = activity_kinds(src, max_kinds=max_kinds) if src.has("activities") else []
    settings = {
        "horizon_days": horizon_days,
        "target": target,
        "windows": list(windows),
        "kinds": kinds,
        "every_days": every_days,
        "test_days": test_days,
    }
    dates = snapshot_dates(src, every_days=every_days)
    frame = build_snapshots(
        src, dates, horizon_days=horizon_days, target=target, windows=windows, kinds=kinds
    )
    if extra_features is not None:
        frame = frame.merge(extra_features, on=["lead_id", "snapshot_at"], how="left")
    check_point_in_time(frame)
    frame, dropped = from_first_outcome(frame)
    if dropped:
        settings["outcomes_from"] = f"{frame['snapshot_at'].min():%Y-%m-%d}"
        settings["dropped_snapshots"] = dropped
    split = time_split(frame, horizon_days=horizon_days, test_days=test_days)
    candidates = informative_columns(split.train)
    attributes = _attribute_columns(src, extra_features)
    trusted = [c for c in candidates if c not in attributes]
    train = _sample(split.train, max_train_rows, seed)
    leakage = screen_features(  # on the sampled rows: a copy of every training row costs GBs
        train[candidates],
        train["label"],
        trusted=trusted,
        keep=keep,
        seed=seed,
        warn=warn,
    )
    features = [c for c in candidates if c not in leakage.excluded]
    if leakage.excluded:
        settings["leakage_excluded"] = leakage.excluded

    def fit(kind: str, columns: list[str]) -> PropensityModel:
        model = PropensityModel(
            kind, calibration_gap_days=horizon_days, random_state=seed, n_threads=n_threads
        )
        return model.fit(train[columns], train["label"], time=train["snapshot_at"])

    fitted = {kind: fit(kind, features) for kind in models}
    main = "boosted" if "boosted" in fitted else next(iter(fitted))
    scored = split.test[[c for c in CARRY if c in split.test.columns]].copy()
    tables = []
    for kind, model in fitted.items():
        p = model.predict_proba(split.test[features])[:, 1]
        scored["score" if kind == main else f"score_{kind}"] = p
        table = score_metrics(
            scored["label"], p, groups=scored["lead_id"], n_boot=n_boot, seed=seed
        )
        tables.append(table.assign(model=kind))
    metrics = pd.concat(tables, ignore_index=True)[["model", "metric", "value", "low", "high"]]
    effect = None
    if leakage.excluded:
        leaky = fit(main, candidates).predict_proba(split.test[candidates])[:, 1]
        effect = leakage_effect(scored["label"], scored["score"], leaky)
    auc = metrics.set_index(["model", "metric"]).loc[(main, "roc_auc"), "value"]
    record_test_auc(leakage, auc, warn=warn)
    settings["cutoff"] = f"{frame['snapshot_at'].max():%Y-%m-%d}"
    return Study(settings, frame, split, fitted, scored, metrics, leakage, effect)


def _attribute_columns(src: Source, extra: pd.DataFrame | None) -> set[str]:
    """Features taken as exported (lead attributes, extra columns), not built point in time."""
    leads = set(src.table("leads").columns) - set(LEAD_NON_FEATURES)
    return leads | (
        set(extra.columns) - {"lead_id", "snapshot_at"} if extra is not None else set()
    )


def from_first_outcome(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The snapshots from the first one whose label is positive, and how many came before.

    A CRM often records outcomes only from some date (deals entered from the day it went
    live, leads imported from years before): every snapshot before the first positive label
    is then a 0 that says nothing about the prospect, and training on them teaches the model
    the calendar. Healthy data lose nothing (their first snapshot already has positives).
    """
    positive = frame.loc[frame["label"] == 1, "snapshot_at"]
    if positive.empty:
        return frame, 0
    keep = frame["snapshot_at"] >= positive.min()
    if keep.all():  # healthy data: no copy of a frame that may hold millions of rows
        return frame, 0
    return frame[keep].reset_index(drop=True), int((~keep).sum())


def informative_columns(frame: pd.DataFrame) -> list[str]:
    """Feature columns that vary in ``frame``.

    Structurally empty or constant columns (say, touches of a kind nobody made) carry nothing to
    learn from; they are left out quietly, without the warning an unexpectedly empty user
    column gets.
    """
    return [c for c in feature_columns(frame) if frame[c].nunique(dropna=False) > 1]


def _sample(frame: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    if n is None or len(frame) <= n:
        return frame
    keep = np.sort(np.random.default_rng(seed).choice(len(frame), n, replace=False))
    return frame.iloc[keep]


def quarter_whatif(
    result: Study, quarter: Quarter, *, capacity_per_week: int, seed: int = 0
) -> tuple[pd.DataFrame, str]:
    """Capacity what-if over one quarter's weekly snapshots.

    Where the quarter's labels are all known it is a back-test on real outcomes; otherwise the
    outcome is the model's calibrated probability, so "buyers" are *expected* buyers.

    Returns
    -------
    tuple
        The weekly frame of :func:`~revlab.propensity.capacity.capacity_whatif` and the basis,
        ``"observed"`` or ``"expected"``.
    """
    snaps = result.snapshots
    rows = snaps[quarter.contains(snaps["snapshot_at"])]
    if rows.empty:
        raise PropensityError(
            f"no snapshots fall in {quarter}; snapshots run {snaps['snapshot_at'].min():%Y-%m-%d}"
            f" to {snaps['snapshot_at'].max():%Y-%m-%d}."
        )
    frame = rows[[c for c in CARRY if c in rows.columns]].copy()
    frame["score"] = result.model.predict_proba(rows[result.features])[:, 1]
    basis = "observed" if bool(rows["label_complete"].all()) else "expected"
    outcome = "label" if basis == "observed" else "score"
    weekly = capacity_whatif(
        frame, capacity_per_week=capacity_per_week, outcome=outcome, seed=seed
    )
    return weekly, basis


def oracle_frame(truth, scored: pd.DataFrame, *, horizon_days: int) -> pd.DataFrame:
    """The simulator's true probabilities for the scored snapshots (tests and benchmarks)."""
    parts = []
    for when in np.unique(scored["snapshot_at"]):
        p = truth.buy_probability(pd.Timestamp(when), horizon_days=horizon_days)
        parts.append(p.assign(snapshot_at=pd.Timestamp(when)))
    oracle = pd.concat(parts, ignore_index=True).rename(columns={"p": "oracle"})
    oracle["snapshot_at"] = oracle["snapshot_at"].astype("datetime64[us]")
    return scored.merge(oracle, on=["lead_id", "snapshot_at"], how="left")


#: Headline figures: key → (label, unit, better). ``{k}`` is the weekly capacity.
HEADLINES = {
    "test_roc_auc": ("Propensity ROC AUC (test)", "number", "higher"),
    "test_pr_auc": ("Propensity PR AUC (test)", "number", "higher"),
    "ece": ("Calibration error (ECE)", "number", "lower"),
    "top_decile_lift": ("Top-decile lift", "ratio", "higher"),
    "capacity_buyers_reached": ("Buyers reached by score ({k}/week)", "count", "higher"),
    "capacity_buyers_random": ("Buyers reached at random ({k}/week)", "count", None),
    "open_prospects": ("Open prospects scored", "count", None),
    "bank_auc_ordered": ("Bank marketing AUC, ordered split", "number", "higher"),
    "bank_auc_random": ("Bank marketing AUC, random split", "number", None),
}


def headline_figures(
    result: Study,
    *,
    capacity: pd.DataFrame,
    capacity_per_week: int,
    open_prospects: int | None = None,
    split_gap: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The figures a report's scorecard records, one row each (see :data:`HEADLINES`).

    Parameters
    ----------
    capacity
        :func:`~revlab.propensity.capacity.summarize_capacity` for the quarter.
    open_prospects
        Size of today's ranked list, if it was scored.
    split_gap
        :func:`~revlab.propensity.generic.split_gap` on public data, if it was run.

    Returns
    -------
    DataFrame
        ``key``, ``value``, ``label``, ``unit`` and ``better`` (``"higher"``, ``"lower"`` or
        None), ready for ``present.record``.
    """
    by = capacity.set_index("strategy")["buyers"]
    values = {
        "test_roc_auc": result.metric("roc_auc"),
        "test_pr_auc": result.metric("pr_auc"),
        "ece": result.metric("ece"),
        "top_decile_lift": deciles_lift(result.scored["label"], result.scored["score"]),
        "capacity_buyers_reached": by.get("score"),
        "capacity_buyers_random": by.get("random"),
        "open_prospects": open_prospects,
    }
    if split_gap is not None:
        gap = split_gap.set_index("split")["roc_auc"]
        values |= {"bank_auc_ordered": gap["ordered"], "bank_auc_random": gap["random"]}
    rows = [
        (key, value, HEADLINES[key][0].format(k=capacity_per_week), *HEADLINES[key][1:])
        for key, value in values.items()
        if value is not None
    ]
    out = pd.DataFrame(rows, columns=["key", "value", "label", "unit", "better"])
    out["better"] = pd.Series([r[4] for r in rows], dtype=object)  # keep None, not NaN
    return out


@requires("leads", analysis="Propensity figures of an earlier quarter")
def headline_as_of(
    src: Source,
    quarter: Quarter,
    *,
    horizon_days: int = 90,
    capacity_per_week: int = 50,
    seed: int = 0,
    whatif_seed: int = 0,
    keep: Sequence[str] = (),
    every_days: int = 7,
    results_dir: str | Path | None = None,
) -> pd.Series:
    """The headline figures of the study as it stood at the end of ``quarter``.

    The same study and capacity what-if as a report of that quarter would run (boosted model
    only, no bootstrap, the same ``keep``), cut at its end: what the scorecard compares this
    quarter's figures with. Returns the figures by key (see :data:`HEADLINES`). With a
    ``results_dir`` (the report's journal), figures that report kept (:func:`keep_headline`)
    for the same data and settings are read back instead of recomputed.
    """
    cut = src.at(quarter.end)
    settings = _headline_settings(
        horizon_days, capacity_per_week, seed, whatif_seed, keep, every_days
    )
    key = _recall.key_for("propensity.headline", cut, settings)
    kept = _recall.recall(results_dir, key)
    if kept is not None:
        return pd.Series(kept, name="value", dtype=float).rename_axis("key")
    earlier = study(
        cut, horizon_days=horizon_days, models=("boosted",), n_boot=0, seed=seed, keep=keep,
        every_days=every_days, warn=False,
    )  # fmt: skip
    weekly, _ = quarter_whatif(
        earlier, quarter, capacity_per_week=capacity_per_week, seed=whatif_seed
    )
    figures = headline_figures(
        earlier, capacity=summarize_capacity(weekly), capacity_per_week=capacity_per_week
    )
    values = figures.set_index("key")["value"].astype(float)
    _recall.keep(results_dir, key, values.to_dict())
    return values


def keep_headline(
    results_dir: str | Path | None,
    src: Source,
    quarter: Quarter,
    figures: pd.DataFrame,
    *,
    horizon_days: int = 90,
    capacity_per_week: int = 50,
    seed: int = 0,
    whatif_seed: int = 0,
    keep: Sequence[str] = (),
    every_days: int = 7,
) -> bool:
    """Keep a report's own headline figures, so next quarter's report reads them back.

    Only a study cut at ``quarter``'s end is what :func:`headline_as_of` computes (the same
    boosted model and what-if; the bootstrap changes intervals, not these values). Returns
    whether the figures were kept.
    """
    if not results_dir or src.as_of is None or pd.Timestamp(src.as_of) != quarter.end:
        return False
    settings = _headline_settings(
        horizon_days, capacity_per_week, seed, whatif_seed, keep, every_days
    )
    key = _recall.key_for("propensity.headline", src.at(quarter.end), settings)
    _recall.keep(results_dir, key, figures.set_index("key")["value"].astype(float).to_dict())
    return True


def _headline_settings(horizon_days, capacity_per_week, seed, whatif_seed, keep, every_days):
    return {
        "every_days": every_days,
        "horizon_days": horizon_days,
        "capacity_per_week": capacity_per_week,
        "seed": seed,
        "whatif_seed": whatif_seed,
        "keep": sorted(keep),
    }


def deciles_lift(y, p) -> float:
    """Lift of the top score decile: its buyer rate over the overall rate."""
    return float(deciles(y, p)["lift"].iloc[0])
