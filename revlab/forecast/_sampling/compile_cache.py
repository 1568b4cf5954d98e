"""Compiled models kept in memory by structure (compiling takes seconds): reused by later fits."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from revlab.forecast._sampling import cflags, disk_cache, nuts, traces

#: Compiled (model, NUTS step, start-point function, empty trace) kept for reuse, newest last.
_CACHE: OrderedDict[tuple, tuple[Any, Any, Any, Any]] = OrderedDict()
_CACHE_SIZE = 12


def compiled(obj: Any, inputs: Any, block: str) -> tuple[Any, Any, Any, Any]:
    """The compiled model, NUTS step, start-point function and trace, built once and reused.

    Compiling a PyMC model costs seconds; sampling a small one, less. A model builds its graph
    on ``pm.Data`` containers, so what is compiled is keyed by the model's structure (class,
    block, merged model config, ``_structure``, target acceptance, tuning length) and reused by
    any later fit of the same structure: a backtest over eight quarters compiles once.

    ``obj`` is a configured :class:`~revlab.forecast._sampling.model.BayesianModel`. The empty
    trace carries the compiled function that records each draw; every chain copies it instead
    of compiling its own (about 0.7 s a block).

    Kept in memory for the process, and on disk (see
    :func:`~revlab.forecast._sampling.disk_cache.compiled_cache_dir`) for the next one: loading
    a compiled model takes a fraction of rewriting and compiling it.
    """
    key = (
        type(obj).__qualname__,
        block,
        json.dumps(obj.model_config_, sort_keys=True, default=str),
        repr(obj._structure(inputs)),
        float(obj.sampler_config_["target_accept"]),
        int(obj.sampler_config_["tune"]),
    )
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    with cflags.compile_flags():  # the flags are in PyTensor's module keys: load as built
        found = disk_cache.load(obj, key)
        if found is None:
            model = obj._build(inputs, block)
            found = (
                model,
                nuts.step(model, obj.sampler_config_),
                nuts.start_fn(model),
                traces.empty_trace(model),
            )
            disk_cache.save(obj, key, found)
    _CACHE[key] = found
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return found
