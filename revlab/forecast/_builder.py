"""A small base class for revlab's PyMC models, with compiled models reused across fits.

The idea of pymc-marketing's ``ModelBuilder`` without its size: ``model_config`` (priors) and
``sampler_config`` are merged over class defaults at fit time; ``fit(...)`` returns ``self``
and stores ``idata_`` and ``diagnostics_``; ``predict(...)`` is the subclass's; ``save`` and
``load`` round-trip a fit through NetCDF with both configs (and whatever state prediction
needs) in the file.

Compiling a PyMC model costs seconds; sampling a small one, less. A subclass builds its model
on ``pm.Data`` containers, so the compiled model and its NUTS step are kept in a small cache
keyed by the model's structure (class, merged model config, coordinates) and reused by any
later fit with the same structure: a backtest over eight quarters compiles once.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from revlab.forecast import _cflags, _chains
from revlab.forecast import diagnostics as _diag
from revlab.forecast._errors import ForecastError

#: Compiled (model, NUTS step, start-point function, empty trace) kept for reuse, newest last.
_CACHE: OrderedDict[tuple, tuple[Any, Any, Any, Any]] = OrderedDict()
_CACHE_SIZE = 12
#: Prefix of the prediction state stored in ``constant_data`` by :meth:`BayesianModel.save`.
_STATE = "state__"

DEFAULT_SAMPLER_CONFIG: dict[str, Any] = {
    "draws": 1000,
    "tune": 1000,
    "chains": 2,
    "cores": 1,
    "target_accept": 0.9,
    "random_seed": None,
    "progressbar": False,
    "rhat_max": _diag.RHAT_MAX,
    "ess_min": _diag.ESS_MIN,
}


class BayesianModel:
    """Base class: configs merged over defaults, cached compilation, fit / diagnose / save.

    Subclasses set ``model_type``, ``default_model_config`` and ``key_vars``, and implement
    ``_structure(inputs)`` (a hashable description of what fixes the compiled graph),
    ``_build(inputs, block)`` (a ``pm.Model`` on ``pm.Data`` containers named as in
    ``_data(inputs, block)``) and ``_data(inputs, block)``. A model whose likelihood splits
    into independent blocks lists them in ``_blocks``: each block is sampled as its own small
    model (its own step size and tree depth), and the posteriors are joined draw by draw,
    which is exact for independent blocks.
    """

    model_type: ClassVar[str] = "base"
    default_model_config: ClassVar[dict[str, Any]] = {}
    #: Overrides of :data:`DEFAULT_SAMPLER_CONFIG` for this model.
    default_sampler_config: ClassVar[dict[str, Any]] = {}
    key_vars: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        model_config: dict[str, Any] | None = None,
        sampler_config: dict[str, Any] | None = None,
    ):
        self.model_config = model_config
        self.sampler_config = sampler_config

    # --- configs ----------------------------------------------------------------------

    def _resolve_configs(self) -> None:
        unknown = set(self.model_config or {}) - set(self.default_model_config)
        if unknown:
            raise ForecastError(
                f"model_config: unknown key(s) {', '.join(sorted(unknown))}; "
                f"{self.model_type} knows {', '.join(sorted(self.default_model_config))}."
            )
        unknown = set(self.sampler_config or {}) - set(DEFAULT_SAMPLER_CONFIG)
        if unknown:
            raise ForecastError(
                f"sampler_config: unknown key(s) {', '.join(sorted(unknown))}; "
                f"use {', '.join(DEFAULT_SAMPLER_CONFIG)}."
            )
        self.model_config_ = {**self.default_model_config, **(self.model_config or {})}
        self.sampler_config_ = {
            **DEFAULT_SAMPLER_CONFIG,
            **self.default_sampler_config,
            **(self.sampler_config or {}),
        }

    # --- to implement -----------------------------------------------------------------

    def _blocks(self, inputs: Any) -> tuple[str, ...]:
        return ("model",)

    def _structure(self, inputs: Any) -> tuple:
        raise NotImplementedError

    def _build(self, inputs: Any, block: str):
        raise NotImplementedError

    def _data(self, inputs: Any, block: str) -> dict[str, np.ndarray]:
        raise NotImplementedError

    # --- fitting ----------------------------------------------------------------------

    def _sample(self, inputs: Any, *, random_seed: int | None = None) -> None:
        """Sample the posterior for ``inputs``; store ``idata_`` and ``diagnostics_``.

        Every chain of every block is one job, at most ``cores`` at a time (see
        :mod:`revlab.forecast._chains`), the blocks in the order ``_blocks`` gives them,
        which should put the costly ones first; each block's compiled model is loaded as
        its chains are about to start.
        """
        import logging

        cfg = self.sampler_config_
        seed = cfg["random_seed"] if random_seed is None else random_seed
        blocks = self._blocks(inputs)
        seqs = np.random.SeedSequence(seed).spawn(len(blocks))
        # loaded one block at a time, as the workers ask: later blocks load while earlier ones
        # sample
        jobs = (self._chain_jobs(inputs, b, s) for b, s in zip(blocks, seqs, strict=True))
        quiet = logging.getLogger("pymc")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", ".*BLAS.*")
                done = _chains.run(jobs, cores=cfg["cores"])
                parts = [_chains.to_idata(block_jobs, results) for block_jobs, results in done]
        finally:
            quiet.setLevel(level)
        idata = parts[0] if len(parts) == 1 else _join(blocks, parts)
        idata.attrs.update(self._attrs())
        self.idata_ = idata
        self.diagnostics_ = self.diagnostics()

    def _chain_jobs(self, inputs: Any, block: str, seq: np.random.SeedSequence):
        """The block's chains as jobs: its compiled model, set to ``inputs``, and a seed each."""
        import pymc as pm

        cfg = self.sampler_config_
        model, step, start_fn, trace = self._compiled(inputs, block)
        with model:
            pm.set_data(self._data(inputs, block))
        tune, draws = int(cfg["tune"]), int(cfg["draws"])
        seeds = [int(c.generate_state(1)[0]) for c in seq.spawn(cfg["chains"])]
        return [
            _chains.Chain(model, step, start_fn, trace, i, seed, tune, draws)
            for i, seed in enumerate(seeds)
        ]

    def _compiled(self, inputs: Any, block: str) -> tuple[Any, Any, Any, Any]:
        """The compiled model, NUTS step, start-point function and trace, built once and reused.

        The empty trace carries the compiled function that records each draw; every chain
        copies it instead of compiling its own (about 0.7 s a block).

        Kept in memory for the process, and on disk (see :func:`compiled_cache_dir`) for the
        next one: loading a compiled model takes a fraction of rewriting and compiling it.
        """
        key = (
            type(self).__qualname__,
            block,
            json.dumps(self.model_config_, sort_keys=True, default=str),
            repr(self._structure(inputs)),
            float(self.sampler_config_["target_accept"]),
            int(self.sampler_config_["tune"]),
        )
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        with _cflags.compile_flags():  # the flags are in PyTensor's module keys: load as built
            compiled = _disk_load(self, key)
            if compiled is None:
                model = self._build(inputs, block)
                compiled = (
                    model,
                    _nuts(model, self.sampler_config_),
                    _start_fn(model),
                    _trace(model),
                )
                _disk_save(self, key, compiled)
        _CACHE[key] = compiled
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return compiled

    def diagnostics(self, *, warn: bool = True) -> _diag.Diagnostics:
        """R-hat, bulk/tail ESS and divergences of the fit, with a verdict (see diagnostics)."""
        self._require_fit()
        cfg = getattr(self, "sampler_config_", DEFAULT_SAMPLER_CONFIG)
        return _diag.check(
            self.idata_,
            key_vars=list(self.key_vars) or None,
            rhat_max=cfg["rhat_max"],
            ess_min=cfg["ess_min"],
            warn=warn,
        )

    def _require_fit(self) -> None:
        if not hasattr(self, "idata_"):
            raise ForecastError(f"{self.model_type} is not fitted yet: call fit(...) first.")

    # --- persistence ------------------------------------------------------------------

    def _attrs(self) -> dict[str, str]:
        return {
            "revlab_model_type": self.model_type,
            "revlab_model_config": json.dumps(self.model_config_, default=str),
            "revlab_sampler_config": json.dumps(self.sampler_config_, default=str),
        }

    def _state(self) -> dict[str, pd.DataFrame]:
        """Frames that prediction needs besides the posterior (subclasses override)."""
        return {}

    def _restore(self, state: dict[str, pd.DataFrame]) -> None:
        """Inverse of :meth:`_state` (subclasses override)."""

    def save(self, path: str | Path) -> Path:
        """Write the fit (posterior, configs, prediction state) to a NetCDF file."""
        import xarray as xr

        self._require_fit()
        idata = self.idata_.copy()
        state = _frames_to_dataset(self._state())
        if state.data_vars:
            if "constant_data" in idata.groups():
                idata.constant_data = xr.merge([idata.constant_data, state])
            else:
                idata.add_groups(constant_data=state)
        idata.attrs.update(self._attrs())
        path = Path(path)
        idata.to_netcdf(str(path))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a fit written by :meth:`save`; refuse a file of another model type."""
        import arviz as az

        idata = az.from_netcdf(str(path))
        kind = idata.attrs.get("revlab_model_type")
        if kind != cls.model_type:
            raise ForecastError(
                f"{path}: holds a {kind or 'non-revlab'} fit, not a {cls.model_type}; "
                "load it with the class that saved it."
            )
        obj = cls(
            model_config=json.loads(idata.attrs["revlab_model_config"]),
            sampler_config=json.loads(idata.attrs["revlab_sampler_config"]),
        )
        obj._resolve_configs()
        obj.idata_ = idata
        if "constant_data" in idata.groups():
            obj._restore(_dataset_to_frames(idata.constant_data))
        obj.diagnostics_ = obj.diagnostics(warn=False)
        return obj


def _nuts(model, cfg: dict):
    """The NUTS step: gradient-adapted mass matrix, kept buffers, unchecked inputs.

    NUTS always passes the gradient function one contiguous float64 vector, so the per-call
    input check is skipped (6 of the 120 us of a deal-outcome gradient).
    """
    import pymc as pm

    compile_kwargs = {"mode": _keep_buffers_mode()}
    with model:
        if int(cfg["tune"]) < 300:  # too short for the exponential estimator: PyMC's default
            step = pm.NUTS(target_accept=cfg["target_accept"], compile_kwargs=compile_kwargs)
        else:
            step = _adapt_grad_nuts(model, cfg, compile_kwargs)
    step._logp_dlogp_func._pytensor_function.trust_input = True
    return step


def _adapt_grad_nuts(model, cfg: dict, compile_kwargs: dict):
    """A NUTS step whose mass matrix adapts from gradients as well as draws.

    This is PyMC's ``jitter+adapt_diag_grad`` initialisation: on these models it reaches a
    good step size in fewer tuning iterations than the default, cutting sampling time by a
    third at the same diagnostics. Below 300 tuning steps it adapts worse than PyMC's windowed
    default, which short test runs then use.

    Trees in the first 200 tuning iterations stop at depth 5 (PyMC's default is 8): while
    the mass matrix is still far off they would otherwise run to hundreds of steps. On the
    default demo fit this halved the tuning's gradient evaluations (15.7k to 8.2k per chain
    in the volume block) at the same R-hat and ESS (measured 2026-11-24).
    """
    import pymc as pm
    from pymc.blocking import DictToArrayBijection
    from pymc.step_methods.hmc import quadpotential

    start = DictToArrayBijection.map(model.initial_point()).data
    potential = quadpotential.QuadPotentialDiagAdaptExp(
        start.size,
        start,
        alpha=0.02,
        use_grads=True,
        stop_adaptation=int(cfg["tune"]) - 50,
    )
    return pm.NUTS(
        potential=potential,
        target_accept=cfg["target_accept"],
        early_max_treedepth=5,
        compile_kwargs=compile_kwargs,
    )


def _keep_buffers_mode():
    """PyTensor's default mode with its intermediate buffers kept between calls.

    The gradients here are a few hundred tiny operations, so freeing and reallocating their
    outputs on every call is a sixth of the cost: without it a deal-outcome gradient took
    118 us instead of 143, a lead-volume one 73 instead of 84 (measured 2026-11-25).
    """
    from pytensor.compile.mode import Mode, get_default_mode

    return Mode(linker="cvm_nogc", optimizer=get_default_mode().provided_optimizer)


def compiled_cache_dir() -> Path | None:
    """Where compiled models are kept between processes.

    ``$REVLAB_CACHE_DIR``, else ``~/.cache/revlab/compiled``; ``REVLAB_CACHE_DIR=off`` turns
    the disk cache off. Entries are keyed by the model's code and the library versions, so a
    changed model is compiled afresh.
    """
    value = os.environ.get("REVLAB_CACHE_DIR", "")
    if value.lower() in ("off", "0", "none"):
        return None
    return Path(value) if value else Path.home() / ".cache" / "revlab" / "compiled"


def _disk_key(obj: BayesianModel, key: tuple) -> str:
    """Digest of the cache key, the model's source code and the library versions."""
    import pymc
    import pytensor

    source = inspect.getsource(sys.modules[type(obj).__module__]) + inspect.getsource(
        sys.modules[__name__]
    )
    text = json.dumps([key, source, pymc.__version__, pytensor.__version__, sys.version])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _disk_load(obj: BayesianModel, key: tuple):
    folder = compiled_cache_dir()
    if folder is None:
        return None
    path = folder / f"{_disk_key(obj, key)}.pkl"
    if not path.exists():
        return None
    try:
        import cloudpickle

        return cloudpickle.loads(path.read_bytes())
    except Exception:  # noqa: BLE001 - a stale or broken entry is rebuilt, never fatal
        path.unlink(missing_ok=True)
        return None


def _disk_save(obj: BayesianModel, key: tuple, pair) -> None:
    folder = compiled_cache_dir()
    if folder is None:
        return
    try:
        import cloudpickle

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_disk_key(obj, key)}.pkl"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(cloudpickle.dumps(pair))
        tmp.replace(path)
    except Exception:  # noqa: BLE001 - caching is an optimisation; failing to write is fine
        return


def _join(blocks: tuple[str, ...], parts: list) -> Any:
    """One InferenceData from independently sampled blocks.

    Posteriors are merged draw by draw; sampler statistics are kept per block
    (``<block>__<stat>``), with ``diverging`` true when any block diverged.
    """
    import arviz as az
    import xarray as xr

    posterior = xr.merge([p.posterior for p in parts], compat="override", combine_attrs="drop")
    stats = {}
    for block, part in zip(blocks, parts, strict=True):
        for name, var in part.sample_stats.data_vars.items():
            stats[f"{block}__{name}"] = var
    stats["diverging"] = sum(p.sample_stats["diverging"].astype(int) for p in parts) > 0
    stats["tree_depth"] = xr.concat([p.sample_stats["tree_depth"] for p in parts], "block").max(
        "block"
    )
    return az.InferenceData(posterior=posterior, sample_stats=xr.Dataset(stats))


def _trace(model):
    """An empty in-memory trace of the model's variables, its recording function compiled."""
    from pymc.backends.ndarray import NDArray

    class _ReusableTrace(NDArray):
        """A trace whose copies are new empty traces sharing only the recording function.

        Every chain copies the trace it is given; a shallow copy would share one dict of draws
        between the chains and every later fit.
        """

        def __copy__(self):
            return _ReusableTrace(
                model=self.model,
                vars=self.vars,
                fn=self.fn,
                var_shapes=self.var_shapes,
                var_dtypes=self.var_dtypes,
            )

    return _ReusableTrace(model=model)


def _start_fn(model):
    """``seed -> start``: the model's initial point jittered as ``pm.sample`` does, transformed.

    Compiled once with the model (compiling it per fit cost about a second a block).
    """
    from pymc.initial_point import make_initial_point_fn

    return make_initial_point_fn(
        model=model, jitter_rvs=set(model.free_RVs), return_transformed=True
    )


def _frames_to_dataset(frames: dict[str, pd.DataFrame]):
    import xarray as xr

    data = {}
    for name, frame in frames.items():
        dim = f"{_STATE}{name}__row"
        for col in frame.columns:
            values = frame[col].to_numpy()
            if values.dtype == object or pd.api.types.is_string_dtype(frame[col]):
                values = frame[col].astype(str).to_numpy(dtype=str)
            data[f"{_STATE}{name}__{col}"] = xr.DataArray(values, dims=[dim])
        if frame.empty and not len(frame.columns):
            continue
    return xr.Dataset(data)


def _dataset_to_frames(ds) -> dict[str, pd.DataFrame]:
    columns: dict[str, dict[str, np.ndarray]] = {}
    for var in ds.data_vars:
        if not str(var).startswith(_STATE):
            continue
        name, col = str(var)[len(_STATE) :].split("__", 1)
        columns.setdefault(name, {})[col] = ds[var].values
    return {name: pd.DataFrame(cols) for name, cols in columns.items()}
