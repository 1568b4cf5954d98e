"""Propensity models: scikit-learn pipelines with calibrated probabilities.

:class:`PropensityModel` wraps a stock ``Pipeline`` (``ColumnTransformer`` + estimator):

- ``kind="logistic"``: median-imputed, missing-flagged, log-scaled, standardised numbers and
  one-hot categories (unseen and rare ones pooled) into a logistic regression — the baseline;
- ``kind="boosted"``: ordinal-encoded categories (unseen ones become missing) and raw numbers
  into a ``HistGradientBoostingClassifier``, which handles missing values natively.

Probabilities are calibrated on a *later* slice of the training data: a model is fitted on
the earlier part and a calibrator is fitted on its scores for the last ``calibration_share``
of the training period, ``calibration_gap_days`` later (set it to the label horizon so the two
parts do not share outcomes). By default the model is then refit on all training rows and the
out-of-time calibrator applied to its scores (``refit=True``), so the most recent behaviour is
learned too. The default calibration is Platt scaling of the log-odds (``"sigmoid"``), which
keeps the ranking intact; isotonic calibration is available, but it maps ranges of scores to
one value, and ties make a ranked call list arbitrary within them.

Boosting stops early on a seeded random 10% of the rows it is fitted on (this only chooses the
number of trees), after at most 100 trees of 15 leaves at a learning rate of 0.1. On the demo
company that ranks as well as larger settings, fits a million prospect-snapshots in about a
minute and scores a million prospects in seconds (prediction runs in blocks of rows that stay
in the CPU cache while every tree visits them).

References
----------
Niculescu-Mizil & Caruana (2005), "Predicting good probabilities with supervised learning",
ICML — isotonic vs Platt calibration on a held-out set.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from revlab.propensity._checks import (
    FeatureWarning,
    PropensityError,
    as_model_frame,
    check_features,
    check_target,
    drop_empty,
    feature_kinds,
)

KINDS = ("boosted", "logistic")
#: Rows scored at a time: a block stays in the CPU cache while every tree visits it.
PREDICT_BLOCK = 4_096
CALIBRATIONS = ("isotonic", "sigmoid", None)
#: Fewest calibration rows, and of each class, before calibration is attempted.
MIN_CALIBRATION_ROWS, MIN_CALIBRATION_CLASS = 200, 20


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """``sign(x) * log(1 + |x|)``: tames counts and money for the linear model."""
    return np.sign(x) * np.log1p(np.abs(x))


def make_pipeline(
    kind: str,
    numeric: list[str],
    categorical: list[str],
    *,
    params: dict | None = None,
    random_state: int = 0,
) -> Pipeline:
    """The unfitted scikit-learn pipeline for one model kind and feature lists."""
    if kind == "logistic":
        return _logistic_pipeline(numeric, categorical, dict(params or {}))
    if kind == "boosted":
        return _boosted_pipeline(numeric, categorical, dict(params or {}), random_state)
    raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}.")


def _logistic_pipeline(numeric: list[str], categorical: list[str], p: dict) -> Pipeline:
    onehot = OneHotEncoder(
        handle_unknown="infrequent_if_exist",
        max_categories=p.get("max_categories", 50),
        min_frequency=5,
        sparse_output=False,
    )
    cat = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
            ("onehot", onehot),
        ]
    )
    num = Pipeline(
        [
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("log", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")),
            ("scale", StandardScaler()),
        ]
    )
    columns = ColumnTransformer([("cat", cat, categorical), ("num", num, numeric)])
    model = LogisticRegression(C=p.get("C", 1.0), max_iter=2000)
    return Pipeline([("columns", columns), ("model", model)])


def _boosted_pipeline(
    numeric: list[str], categorical: list[str], p: dict, random_state: int
) -> Pipeline:
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=p.get("max_categories", 50),
    )
    columns = ColumnTransformer(
        [("cat", encoder, categorical), ("num", "passthrough", numeric)],
        verbose_feature_names_out=False,
    )
    is_categorical = [i < len(categorical) for i in range(len(categorical) + len(numeric))]
    model = HistGradientBoostingClassifier(
        max_iter=p.get("max_iter", 100),
        learning_rate=p.get("learning_rate", 0.1),
        max_leaf_nodes=p.get("max_leaf_nodes", 15),
        min_samples_leaf=p.get("min_samples_leaf", 100),
        l2_regularization=p.get("l2_regularization", 1.0),
        categorical_features=is_categorical if categorical else None,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=p.get("n_iter_no_change", 10),
        random_state=random_state,
    )
    return Pipeline([("columns", columns), ("model", model)])


class PropensityModel(ClassifierMixin, BaseEstimator):
    """A calibrated propensity model on a frame of features (columns by name).

    Parameters
    ----------
    kind
        ``"boosted"`` (histogram gradient boosting) or ``"logistic"`` (the baseline).
    calibration
        ``"sigmoid"`` (Platt scaling of the log-odds, keeps the ranking), ``"isotonic"`` or
        None.
    calibration_share
        Share of the training period, at its end, used to fit the calibrator.
    calibration_gap_days
        Days left out between the fitting part and the calibration slice (dated data only).
    refit
        After calibrating, refit the model on every training row (the calibrator, learned out
        of time, is kept). The most recent rows matter most when buying behaviour drifts.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization
        Boosting settings (``HistGradientBoostingClassifier``).
    C
        Inverse regularisation strength of the logistic model.
    max_categories
        Categories kept per column; rarer and unseen ones are pooled or treated as missing.
    random_state
        Seed for the boosting's early-stopping split.
    n_threads
        OpenMP threads for boosting (None: all cores). One by default: on a shared machine
        several threads per process mostly wait for each other; raise it for large fits on a
        machine of your own.
    """

    def __init__(
        self,
        kind: str = "boosted",
        *,
        calibration: str | None = "sigmoid",
        calibration_share: float = 0.25,
        calibration_gap_days: float = 0.0,
        refit: bool = True,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 100,
        l2_regularization: float = 1.0,
        C: float = 1.0,
        max_categories: int = 50,
        random_state: int = 0,
        n_threads: int | None = 1,
    ):
        self.kind = kind
        self.calibration = calibration
        self.calibration_share = calibration_share
        self.calibration_gap_days = calibration_gap_days
        self.refit = refit
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.C = C
        self.max_categories = max_categories
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X: pd.DataFrame, y, *, time=None) -> PropensityModel:
        """Fit on rows ordered by ``time`` (snapshot dates; None: row order), then calibrate."""
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            return self._fit(X, y, time)

    def _fit(self, X: pd.DataFrame, y, time) -> PropensityModel:
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {', '.join(KINDS)}.")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration {self.calibration!r} is not one of {CALIBRATIONS}.")
        if not isinstance(X, pd.DataFrame):
            raise PropensityError("X must be a DataFrame with named feature columns.")
        y = check_target(y)
        if len(y) != len(X):
            raise PropensityError(f"X has {len(X)} rows but the outcome has {len(y)}.")
        kinds, self.dropped_features_ = drop_empty(X, feature_kinds(X))
        self.feature_kinds_ = kinds
        self.feature_names_in_ = np.array(list(kinds), dtype=object)
        self.n_features_in_ = len(kinds)
        frame = as_model_frame(X, kinds)
        fit_rows, cal_rows = self._slices(time, y)
        self.pipeline_ = self._pipeline(frame).fit(frame.iloc[fit_rows], y[fit_rows])
        self.calibrator_ = None
        if cal_rows is not None:
            raw = self._predict_blocks(frame.iloc[cal_rows])
            self.calibrator_ = _fit_calibrator(self.calibration, raw, y[cal_rows])
            if self.refit:  # the final model sees the most recent rows too
                self.pipeline_ = self._pipeline(frame).fit(frame, y)
        self.reference_ = _reference(frame, kinds)
        self.classes_ = np.array([0, 1])
        self.n_train_, self.base_rate_ = len(y), float(y.mean())
        self.training_window_ = _window(time, len(y))
        return self

    def _pipeline(self, frame: pd.DataFrame) -> Pipeline:
        numeric = [c for c, k in self.feature_kinds_.items() if k == "numeric"]
        categorical = [c for c, k in self.feature_kinds_.items() if k == "categorical"]
        params = {
            k: getattr(self, k)
            for k in (
                "max_iter",
                "learning_rate",
                "max_leaf_nodes",
                "min_samples_leaf",
                "l2_regularization",
                "C",
                "max_categories",
            )
        }
        if self.kind == "boosted" and all(
            frame[c].nunique() <= self.max_categories for c in categorical
        ):
            params["max_categories"] = None  # nothing to pool: skip counting every value
        return make_pipeline(
            self.kind, numeric, categorical, params=params, random_state=self.random_state
        )

    def _slices(self, time, y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Row positions to fit on, and the later calibration slice (None: no calibration)."""
        everything = np.arange(len(y))
        if self.calibration is None:
            return everything, None
        if time is None:
            cut = int(len(y) * (1 - self.calibration_share))
            fit_rows, cal_rows = everything[:cut], everything[cut:]
        else:
            t = pd.Series(pd.to_datetime(np.asarray(time))).to_numpy()
            start = t.min() + (t.max() - t.min()) * (1 - self.calibration_share)
            gap = np.timedelta64(int(self.calibration_gap_days * 86_400), "s")
            fit_rows, cal_rows = everything[t <= start - gap], everything[t > start]
        usable = (
            len(cal_rows) >= MIN_CALIBRATION_ROWS
            and np.bincount(y[cal_rows], minlength=2).min() >= MIN_CALIBRATION_CLASS
            and len(np.unique(y[fit_rows])) == 2
        )
        if not usable:
            warnings.warn(
                "too few rows (or buyers) in the calibration slice at the end of the training "
                "period; probabilities are not calibrated. Provide more history.",
                FeatureWarning,
                stacklevel=4,
            )
            return everything, None
        return fit_rows, cal_rows

    def raw_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Uncalibrated probability of the positive class."""
        check_is_fitted(self, "pipeline_")
        check_features(X, self.feature_kinds_, self.dropped_features_)
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            return self._predict_blocks(as_model_frame(X, self.feature_kinds_))

    def _predict_blocks(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw scores, block by block, two to three times faster than one pass.

        Each block stays in the CPU cache while every tree visits it.
        """
        if len(frame) == 0:
            return np.empty(0)
        encoded = self.pipeline_[:-1].transform(frame)
        estimator = self.pipeline_[-1]
        parts = [
            estimator.predict_proba(encoded[i : i + PREDICT_BLOCK])[:, 1]
            for i in range(0, encoded.shape[0], PREDICT_BLOCK)
        ]
        return np.concatenate(parts)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 2)``: column 1 is the chance to buy."""
        raw = self.raw_proba(X)
        p = raw if self.calibrator_ is None else _apply_calibrator(self.calibrator_, raw)
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the calibrated probability is at least one half."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p)).reshape(-1, 1)


def _fit_calibrator(method: str, raw: np.ndarray, y: np.ndarray):
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
    return LogisticRegression(C=1e6, max_iter=1000).fit(_logit(raw), y)


def _apply_calibrator(calibrator, raw: np.ndarray) -> np.ndarray:
    if isinstance(calibrator, IsotonicRegression):
        return np.clip(calibrator.predict(raw), 0.0, 1.0)
    return calibrator.predict_proba(_logit(raw))[:, 1]


def _reference(frame: pd.DataFrame, kinds: dict[str, str]) -> dict:
    """A typical prospect: the median of each number and the commonest category."""
    ref = {}
    for col, kind in kinds.items():
        values = frame[col].dropna()
        if values.empty:
            ref[col] = np.nan if kind == "numeric" else None
        elif kind == "numeric":
            ref[col] = float(values.median())
        else:
            ref[col] = str(values.value_counts().index[0])
    return ref


def _window(time, n: int) -> dict:
    if time is None:
        return {"first": "row 0", "last": f"row {n - 1}", "rows": n}
    t = pd.to_datetime(pd.Series(np.asarray(time)))
    return {"first": f"{t.min():%Y-%m-%d}", "last": f"{t.max():%Y-%m-%d}", "rows": n}
