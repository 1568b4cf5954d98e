"""Real buyers vs lookie-loos: which open prospects will buy soon, and how sure we are.

The flow, one module per step:

- :mod:`~revlab.propensity.snapshots`: every prospect open at each snapshot date, with features
  known on that date only and the label "reaches the target stage within H days" (in Ibis);
- :mod:`~revlab.propensity.splits`: train on earlier snapshots, test on later ones, H days apart;
- :mod:`~revlab.propensity.models`: calibrated scikit-learn pipelines (boosted and logistic);
- :mod:`~revlab.propensity.evaluate`: ROC/PR AUC with bootstrap intervals, Brier, log loss,
  reliability and ECE, deciles, gains; :mod:`~revlab.propensity.capacity`: the capacity what-if;
- :mod:`~revlab.propensity.explain`: permutation importance and per-prospect reasons;
- :mod:`~revlab.propensity.leakage`: single-feature leakage screen, point-in-time check;
- :mod:`~revlab.propensity.scoring`: today's ranked list (CSV and Parquet);
- :mod:`~revlab.propensity.persist`: safe save/load (skops) with metadata;
- :mod:`~revlab.propensity.generic`: the same for any table with an outcome column;
- :mod:`~revlab.propensity.workflow`: the whole study in one call, for the notebook.
"""

from revlab.propensity._checks import FeatureMismatchError, FeatureWarning, PropensityError
from revlab.propensity.capacity import capacity_whatif, summarize_capacity
from revlab.propensity.evaluate import (
    deciles,
    expected_calibration_error,
    gains,
    metrics,
    reliability,
)
from revlab.propensity.models import PropensityModel, make_pipeline
from revlab.propensity.snapshots import (
    activity_kinds,
    build_snapshots,
    data_cutoff,
    feature_columns,
    snapshot_dates,
)
from revlab.propensity.splits import SplitError, TimeSplit, ordered_split, random_split, time_split

__all__ = [
    "FeatureMismatchError",
    "FeatureWarning",
    "PropensityError",
    "PropensityModel",
    "SplitError",
    "TimeSplit",
    "activity_kinds",
    "build_snapshots",
    "capacity_whatif",
    "data_cutoff",
    "deciles",
    "expected_calibration_error",
    "feature_columns",
    "gains",
    "make_pipeline",
    "metrics",
    "ordered_split",
    "random_split",
    "reliability",
    "snapshot_dates",
    "summarize_capacity",
    "time_split",
]
