"""Base class of revlab's PyMC models: configs, fit, diagnose, save, load; models add a graph."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from revlab.forecast import diagnostics as _diag
from revlab.forecast._errors import ForecastError
from revlab.forecast._sampling import chains, compile_cache, traces

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

    The idea of pymc-marketing's ``ModelBuilder`` without its size: ``model_config`` (priors)
    and ``sampler_config`` are merged over class defaults at fit time; ``fit(...)`` returns
    ``self`` and stores ``idata_`` and ``diagnostics_``; ``predict(...)`` is the subclass's;
    ``save`` and ``load`` round-trip a fit through NetCDF with both configs (and whatever state
    prediction needs) in the file. The compiled model is reused by later fits of the same
    structure (see :mod:`revlab.forecast._sampling.compile_cache`).

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
        :mod:`revlab.forecast._sampling.chains`), the blocks in the order ``_blocks`` gives them,
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
                done = chains.run(jobs, cores=cfg["cores"])
                parts = [chains.to_idata(block_jobs, results) for block_jobs, results in done]
        finally:
            quiet.setLevel(level)
        idata = parts[0] if len(parts) == 1 else traces.join(blocks, parts)
        idata.attrs.update(self._attrs())
        self.idata_ = idata
        self.diagnostics_ = self.diagnostics()

    def _chain_jobs(self, inputs: Any, block: str, seq: np.random.SeedSequence):
        """The block's chains as jobs: its compiled model, set to ``inputs``, and a seed each."""
        import pymc as pm

        cfg = self.sampler_config_
        model, step, start_fn, trace = compile_cache.compiled(self, inputs, block)
        with model:
            pm.set_data(self._data(inputs, block))
        tune, draws = int(cfg["tune"]), int(cfg["draws"])
        seeds = [int(c.generate_state(1)[0]) for c in seq.spawn(cfg["chains"])]
        return [
            chains.Chain(model, step, start_fn, trace, i, seed, tune, draws)
            for i, seed in enumerate(seeds)
        ]

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
