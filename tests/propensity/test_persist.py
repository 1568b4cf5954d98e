import json

import numpy as np
import pytest
import skops.io as sio

from revlab import propensity
from revlab.propensity import FeatureMismatchError, PropensityError


@pytest.mark.parametrize("kind", ["boosted", "logistic"])
def test_save_and_load_round_trip(synth_study, tmp_path, kind):
    model = synth_study.models[kind]
    path = propensity.save_model(
        model,
        tmp_path / f"{kind}.skops",
        metrics={"roc_auc": 0.9},
        settings=synth_study.settings,
    )
    loaded, meta = propensity.load_model(path, data=synth_study.test_features())
    X = synth_study.test_features()
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert meta["kind"] == kind and meta["metrics"] == {"roc_auc": 0.9}
    assert meta["training_window"]["last"] == f"{synth_study.split.train_end:%Y-%m-%d}"
    assert set(meta["features"]) == set(model.feature_names_in_)
    assert {"scikit-learn", "numpy", "skops", "revlab"} <= set(meta["versions"])
    assert meta["settings"]["horizon_days"] == 60


def test_mismatched_data_is_refused(synth_study, tmp_path):
    path = propensity.save_model(synth_study.model, tmp_path / "m.skops")
    data = synth_study.test_features().drop(columns=["age_days", "channel"])
    with pytest.raises(FeatureMismatchError, match="missing column.*age_days, channel"):
        propensity.load_model(path, data=data)


class Payload:
    """A type the loader has never been told to trust."""


def test_untrusted_content_is_refused(tmp_path):
    path = tmp_path / "evil.skops"
    sio.dump({"model": Payload(), "metadata": "{}"}, path)
    with pytest.raises(PropensityError, match="refusing to load .*test_persist.Payload"):
        propensity.load_model(path)
    (tmp_path / "junk.skops").write_bytes(b"not a zip")
    with pytest.raises(PropensityError, match="not a readable skops model file"):
        propensity.load_model(tmp_path / "junk.skops")
    with pytest.raises(PropensityError, match="does not exist"):
        propensity.load_model(tmp_path / "absent.skops")


def test_a_skops_file_that_is_not_a_revlab_bundle_is_refused(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    from revlab.propensity.persist import FORMAT

    bare = tmp_path / "svc.skops"
    sio.dump(SVC(), bare)
    with pytest.raises(PropensityError, match="was not written by revlab.propensity.save_model"):
        propensity.load_model(bare)
    untagged = tmp_path / "untagged.skops"
    sio.dump({"model": LogisticRegression(), "metadata": "{}"}, untagged)
    with pytest.raises(PropensityError, match=r"no revlab model format tag"):
        propensity.load_model(untagged)
    other = tmp_path / "other.skops"
    sio.dump({"model": LogisticRegression(), "metadata": json.dumps({"format": FORMAT})}, other)
    with pytest.raises(PropensityError, match=r"holds a LogisticRegression, not a revlab"):
        propensity.load_model(other)
