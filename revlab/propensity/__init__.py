"""Real buyers vs lookie-loos: which open prospects will buy soon, and how sure we are.

The flow, one module per step:

- :mod:`~revlab.propensity.snapshots`: every prospect open at each snapshot date, with features
  known on that date only and the label "reaches the target stage within H days" (in Ibis);
- :mod:`~revlab.propensity.splits`: train on earlier snapshots, test on later ones, H days apart;
- :mod:`~revlab.propensity.models`: calibrated scikit-learn pipelines (boosted and logistic);
- :mod:`~revlab.propensity.evaluate`: ROC/PR AUC with bootstrap intervals, Brier, log loss,
  reliability and ECE, deciles, gains; :mod:`~revlab.propensity.capacity`: the capacity what-if;
- :mod:`~revlab.propensity.explain`: permutation importance and per-prospect reasons;
- :mod:`~revlab.propensity.leakage`: the leakage screen (several signals, with evidence) and
  the point-in-time check;
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
from revlab.propensity.explain import feature_groups, permutation_importance, top_reasons
from revlab.propensity.generic import (
    SplitWarning,
    TableFit,
    feature_frame,
    fit_table,
    order_candidates,
    outcome_values,
    read_table,
    split_gap,
)
from revlab.propensity.leakage import (
    LeakageScreen,
    LeakageWarning,
    check_point_in_time,
    screen_features,
)
from revlab.propensity.models import PropensityModel, make_pipeline
from revlab.propensity.persist import check_model_matches, load_model, save_model
from revlab.propensity.scoring import (
    rank_prospects,
    resolve_output_dir,
    score_open,
    write_ranked,
)
from revlab.propensity.snapshots import (
    activity_kinds,
    build_snapshots,
    data_cutoff,
    feature_columns,
    snapshot_dates,
    snapshot_query,
)
from revlab.propensity.splits import SplitError, TimeSplit, ordered_split, random_split, time_split
from revlab.propensity.workflow import (
    Study,
    headline_as_of,
    headline_figures,
    keep_headline,
    oracle_frame,
    quarter_whatif,
    study,
)

__all__ = [
    "FeatureMismatchError",
    "FeatureWarning",
    "LeakageScreen",
    "LeakageWarning",
    "PropensityError",
    "PropensityModel",
    "SplitError",
    "SplitWarning",
    "Study",
    "TableFit",
    "TimeSplit",
    "activity_kinds",
    "build_snapshots",
    "capacity_whatif",
    "check_model_matches",
    "check_point_in_time",
    "data_cutoff",
    "deciles",
    "expected_calibration_error",
    "feature_columns",
    "feature_frame",
    "feature_groups",
    "fit_table",
    "gains",
    "headline_as_of",
    "headline_figures",
    "keep_headline",
    "load_model",
    "make_pipeline",
    "metrics",
    "oracle_frame",
    "order_candidates",
    "ordered_split",
    "outcome_values",
    "permutation_importance",
    "quarter_whatif",
    "random_split",
    "rank_prospects",
    "read_table",
    "reliability",
    "resolve_output_dir",
    "save_model",
    "score_open",
    "screen_features",
    "snapshot_dates",
    "snapshot_query",
    "split_gap",
    "study",
    "summarize_capacity",
    "time_split",
    "top_reasons",
    "write_ranked",
]
