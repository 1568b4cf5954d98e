"""Save and load a fitted propensity model with its metadata, without pickle.

The model is written with skops (``.skops``), whose loader rebuilds only the types it is told
to trust and never runs code from the file. :func:`load_model` trusts exactly the scikit-learn,
numpy and revlab types a :class:`~revlab.propensity.models.PropensityModel` is made of, and
refuses a file that holds anything else. The metadata (training window, features, metrics,
snapshot settings, package versions) travel inside the same file.
"""

from __future__ import annotations

import json
import platform
import warnings
from importlib import metadata as importlib_metadata
from pathlib import Path

import pandas as pd

from revlab.propensity._checks import FeatureMismatchError, PropensityError, check_features
from revlab.propensity.models import PropensityModel

FORMAT = "revlab.propensity/1"
#: Types outside skops' defaults that a PropensityModel file may hold; nothing else loads.
TRUSTED = frozenset(
    {
        "revlab.propensity.models.PropensityModel",
        "revlab.propensity.models.signed_log1p",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.utils._bunch.Bunch",
        "builtins.object",
        "numpy.dtype",
        "numpy.float64",
        "numpy.int64",
        "numpy.ndarray",
        "numpy.random.mtrand.RandomState",
        "collections.OrderedDict",
        "functools.partial",  # skops loads the wrapped function as its own, checked, node
        "sklearn.utils.validation.check_array",
    }
)
PACKAGES = ("revlab", "scikit-learn", "numpy", "pandas", "skops")


def versions() -> dict[str, str]:
    """Versions of Python and the packages a saved model depends on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def save_model(
    model,
    path: str | Path,
    *,
    metrics: dict[str, float] | None = None,
    settings: dict | None = None,
) -> Path:
    """Write a fitted model and its metadata to ``path`` (a ``.skops`` file).

    Parameters
    ----------
    metrics
        Test metrics to keep with the model (name → value).
    settings
        How its features were built (horizon, windows, activity kinds, target …), so that
        scoring can rebuild them the same way.
    """
    import skops.io as sio

    if not hasattr(model, "pipeline_"):
        raise PropensityError("the model is not fitted; call fit() before saving it.")
    meta = {
        "format": FORMAT,
        "saved_at": f"{pd.Timestamp.now('UTC'):%Y-%m-%dT%H:%M:%SZ}",
        "kind": model.kind,
        "calibration": model.calibration,
        "training_window": model.training_window_,
        "features": model.feature_kinds_,
        "dropped_features": list(model.dropped_features_),
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "settings": settings or {},
        "versions": versions(),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump({"model": model, "metadata": json.dumps(meta, default=str)}, path)
    return path


def load_model(path: str | Path, *, data: pd.DataFrame | None = None):
    """Read a model saved by :func:`save_model`; refuse untrusted content or mismatched data.

    Parameters
    ----------
    data
        Optional frame to be scored: its columns are checked against the model's features.

    Returns
    -------
    tuple
        ``(model, metadata)``; metadata is the dict written at save time.
    """
    import skops.io as sio

    path = Path(path)
    if not path.exists():
        raise PropensityError(f"model file {path} does not exist; save a model there first.")
    try:
        found = set(sio.get_untrusted_types(file=path))
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not our format"
        raise PropensityError(f"{path} is not a readable skops model file ({exc}).") from None
    unknown = sorted(found - TRUSTED)
    if unknown:
        raise PropensityError(
            f"refusing to load {path}: it holds types revlab does not trust "
            f"({', '.join(unknown)}). Only load models saved by revlab.propensity.save_model."
        )
    bundle = sio.load(path, trusted=sorted(found))
    if not isinstance(bundle, dict) or "model" not in bundle or "metadata" not in bundle:
        raise PropensityError(f"{path} was not written by revlab.propensity.save_model.")
    try:
        meta = json.loads(bundle["metadata"])
    except (TypeError, ValueError):
        meta = {}
    model = bundle["model"]
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise PropensityError(
            f"{path} has no revlab model format tag ({FORMAT!r}); it was not written by "
            "revlab.propensity.save_model."
        )
    if not isinstance(model, PropensityModel):
        raise PropensityError(
            f"{path} holds a {type(model).__name__}, not a revlab PropensityModel; save one "
            "with revlab.propensity.save_model."
        )
    _warn_versions(meta.get("versions", {}))
    if data is not None:
        check_model_matches(model, data)
    return model, meta


def check_model_matches(model, data: pd.DataFrame) -> None:
    """Raise :class:`FeatureMismatchError` if ``data`` lacks the model's features."""
    check_features(data, model.feature_kinds_, model.dropped_features_)


def _warn_versions(saved: dict[str, str]) -> None:
    now = versions()
    differ = [f"{k} {v} (now {now[k]})" for k, v in saved.items() if k in now and now[k] != v]
    if any(d.startswith("scikit-learn") for d in differ):
        warnings.warn(
            "the model was saved with other package versions: "
            + ", ".join(differ)
            + "; check its scores before relying on them.",
            UserWarning,
            stacklevel=3,
        )


__all__ = ["FeatureMismatchError", "check_model_matches", "load_model", "save_model", "versions"]
