"""PyMC traces of the chains: a reusable empty trace per model; sampled blocks joined into one."""

from __future__ import annotations

from typing import Any


def empty_trace(model):
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


def join(blocks: tuple[str, ...], parts: list) -> Any:
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
