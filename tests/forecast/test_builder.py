"""The model base (revlab.forecast._sampling): seeded fits repeat, compiled models are reused.

A two-parameter normal model stands in for the funnel model: it compiles in seconds and
exercises the same path (cache in memory, cache on disk, tuned NUTS step, cached trace,
chains of several blocks on forked workers).
"""

from __future__ import annotations

import numpy as np
import pytest

from revlab.forecast._sampling import compile_cache
from revlab.forecast._sampling.model import BayesianModel
from tests.conftest import named_seed

#: Short chains judge machinery, not convergence.
pytestmark = pytest.mark.filterwarnings("ignore:Sampler diagnostics")

#: Long enough tuning for the gradient-adapted step (the default path), short draws.
SAMPLER = {"draws": 100, "tune": 300, "chains": 2, "cores": 1}


class NormalModel(BayesianModel):
    """y ~ Normal(mu, sigma): just enough model to sample."""

    model_type = "test_normal"
    key_vars = ("mu", "sigma")
    builds = 0

    def _structure(self, y):
        return (len(y),)

    def _data(self, y, block):
        return {"y": np.asarray(y, dtype=float)}

    def _build(self, y, block):
        import pymc as pm

        type(self).builds += 1
        with pm.Model() as model:
            data = pm.Data("y", self._data(y, block)["y"])
            mu = pm.Normal("mu", 0.0, 10.0)
            sigma = pm.HalfNormal("sigma", 5.0)
            pm.Normal("obs", mu, sigma, observed=data)
        return model

    def fit(self, y, *, random_seed):
        self._resolve_configs()
        self._sample(y, random_seed=random_seed)
        return self


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty compiled-model cache, in memory and on disk."""
    monkeypatch.setenv("REVLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compile_cache, "_CACHE", type(compile_cache._CACHE)())
    NormalModel.builds = 0
    return tmp_path


def _draws(model) -> np.ndarray:
    return model.idata_.posterior["mu"].to_numpy()


def _fit(y, seed):
    return NormalModel(sampler_config=SAMPLER).fit(y, random_seed=seed)


def test_a_seeded_fit_repeats_exactly_and_compiles_once(fresh_cache):
    y = np.random.default_rng(named_seed("builder data")).normal(3.0, 2.0, 50)
    first, again = _fit(y, 7), _fit(y, 7)
    assert NormalModel.builds == 1
    np.testing.assert_array_equal(_draws(first), _draws(again))
    assert not np.array_equal(_draws(first), _draws(_fit(y, 8)))
    assert abs(_draws(first).mean() - y.mean()) < 4 * y.std() / np.sqrt(len(y))


def test_new_data_of_the_same_shape_reuse_the_compiled_model(fresh_cache):
    rng = np.random.default_rng(named_seed("builder new data"))
    low, high = rng.normal(0.0, 1.0, 40), rng.normal(10.0, 1.0, 40)
    means = [_draws(_fit(y, 1)).mean() for y in (low, high)]
    assert NormalModel.builds == 1
    assert means[0] < 1.0 < 9.0 < means[1]


def test_a_new_process_loads_the_compiled_model_from_disk(fresh_cache, monkeypatch):
    y = np.random.default_rng(named_seed("builder disk")).normal(-1.0, 1.0, 30)
    built = _fit(y, 3)
    assert len(list(fresh_cache.glob("*.pkl"))) == 1
    monkeypatch.setattr(compile_cache, "_CACHE", type(compile_cache._CACHE)())  # as a new process
    loaded = _fit(y, 3)
    assert NormalModel.builds == 1
    np.testing.assert_array_equal(_draws(built), _draws(loaded))


def test_early_tuning_trees_are_kept_shallow(fresh_cache):
    y = np.random.default_rng(named_seed("builder depth")).normal(0.0, 1.0, 20)
    model = _fit(y, 1)
    _, step, _, _ = compile_cache._CACHE[next(iter(compile_cache._CACHE))]
    assert step.early_max_treedepth == 5
    assert model.diagnostics_.divergences == 0


class TwoBlockModel(NormalModel):
    """Two independent normal models, ``y`` and ``y + 10``, sampled as blocks and joined."""

    model_type = "test_two_blocks"

    def _blocks(self, y):
        return ("low", "high")

    def _data(self, y, block):
        return {"y": np.asarray(y, dtype=float) + (10.0 if block == "high" else 0.0)}

    def _build(self, y, block):
        import pymc as pm

        type(self).builds += 1
        with pm.Model() as model:
            data = pm.Data("y", self._data(y, block)["y"])
            mu = pm.Normal(f"mu_{block}", 0.0, 100.0)
            pm.Normal("obs", mu, 1.0, observed=data)
        return model


def test_chains_give_the_same_draws_on_one_core_or_two_and_again(fresh_cache):
    y = np.random.default_rng(named_seed("builder trace")).normal(2.0, 1.0, 30)
    fits = [
        TwoBlockModel(sampler_config={**SAMPLER, "cores": cores}).fit(y, random_seed=5)
        for cores in (1, 2, 2)
    ]
    draws = [{b: f.idata_.posterior[f"mu_{b}"].to_numpy() for b in ("low", "high")} for f in fits]
    for other in draws[1:]:
        for block in ("low", "high"):
            np.testing.assert_array_equal(draws[0][block], other[block])
    low, high = draws[0]["low"], draws[0]["high"]
    assert low.shape == high.shape == (2, 100)  # tuning draws dropped
    assert not np.array_equal(low[0], low[1])  # each chain its own
    # each block's posterior is its own conjugate one: mean(y) (+10), sd 1/sqrt(n)
    se = 1.0 / np.sqrt(len(y))
    assert abs(low.mean() - y.mean()) < 4 * se and abs(high.mean() - y.mean() - 10) < 4 * se
    assert 0.7 * se < low.std() < 1.3 * se
    stats = fits[0].idata_.sample_stats
    assert stats["low__diverging"].shape == (2, 100) and "high__step_size" in stats


def test_a_chain_that_fails_in_its_worker_raises_with_its_traceback(monkeypatch):
    import multiprocessing

    from revlab.forecast._sampling import chains

    def broken(job):
        if job == 7:
            raise ValueError(f"chain {job} broke")
        return job

    monkeypatch.setattr(chains, "_run_one", broken)  # the forked workers inherit it
    with pytest.raises(RuntimeError, match=r"(?s)chain 0 of block 1 failed.*ValueError: chain 7"):
        chains.run(iter([[1, 2], [7, 8]]), cores=2)
    assert not multiprocessing.active_children()  # nothing left running
    assert chains.run([[1, 2], [3]], cores=2) == [([1, 2], [1, 2]), ([3], [3])]
