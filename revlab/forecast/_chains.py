"""Run the NUTS chains of several independently sampled blocks on a pool of forked workers.

``pm.sample`` samples one model at a time: each call re-derives the model's log density to
assign step methods, compiles start-point functions, forks its own chain processes and
passes every draw back through a pipe. For a model split into blocks that cost about 1.5 s a
block, and the cores idle while the slower chain of a block finishes. Here every (block,
chain) is one job of a single pool, started once per fit; a job runs PyMC's own chain loop
(``_iter_sample``) on the compiled step and returns the draws as arrays. Each job's draws
depend only on its seed, so results are the same on one core or many, in any order.
"""

from __future__ import annotations

import multiprocessing
import os
from copy import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Tries at a jittered start point with a finite log density, as ``pm.sample`` allows.
START_TRIES = 10


@dataclass
class Chain:
    """One job: a chain of one block, with what its worker needs in memory."""

    model: Any
    step: Any
    start_fn: Any
    trace: Any
    chain: int
    seed: int
    tune: int
    draws: int


#: The jobs of the fit in progress; forked workers read them from the parent's memory, so
#: compiled functions are never pickled.
_JOBS: list[Chain] = []


def run(jobs: list[Chain], *, cores: int) -> list[tuple[dict, list]]:
    """Draws (``samples``, ``stats`` as recorded by PyMC's trace) of every job, in job order.

    Jobs are handed out in the order given, so list the costly blocks first. Where processes
    cannot fork (Windows) or this is already a pool's worker, the jobs run here in turn.
    """
    global _JOBS
    workers = max(1, min(cores, os.cpu_count() or 1, len(jobs)))
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers == 1 or not forkable or multiprocessing.current_process().daemon:
        return [_run_one(job) for job in jobs]  # the same draws, one after another
    _JOBS = jobs
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_run_index, range(len(jobs)), chunksize=1)
    finally:
        _JOBS = []


def _run_index(i: int) -> tuple[dict, list]:
    return _run_one(_JOBS[i])


def _run_one(job: Chain) -> tuple[dict, list]:
    """Tune and sample one chain; the full trace, tuning draws included."""
    from pymc.sampling.mcmc import _iter_sample

    from revlab.forecast._builder import _fresh

    step = job.step
    _fresh(step)
    rng = np.random.default_rng(job.seed)
    trace = copy(job.trace)
    trace.setup(job.tune + job.draws, job.chain, step.stats_dtypes)
    for _ in _iter_sample(
        draws=job.tune + job.draws,
        step=step,
        start=_start(job),
        trace=trace,
        chain=job.chain,
        tune=job.tune,
        rng=rng,
        model=job.model,
    ):
        pass
    return trace.samples, trace._stats


def _start(job: Chain) -> dict:
    """A jittered start with a finite log density (the last try if none is finite)."""
    from pymc.blocking import DictToArrayBijection

    seeds = np.random.SeedSequence(job.seed).spawn(START_TRIES)
    for seq in seeds:
        point = job.start_fn(int(seq.generate_state(1)[0]))
        logp, _ = job.step._logp_dlogp_func(DictToArrayBijection.map(point).data, extra_vars={})
        if np.isfinite(logp):
            break
    return point


def to_idata(jobs: list[Chain], results: list[tuple[dict, list]]):
    """InferenceData of one block's chains, tuning draws dropped, as ``pm.sample`` returns it."""
    import pymc as pm
    from pymc.backends.base import MultiTrace
    from pymc.util import drop_warning_stat

    traces = []
    for job, (samples, stats) in zip(jobs, results, strict=True):
        trace = copy(job.trace)
        trace.setup(job.tune + job.draws, job.chain, job.step.stats_dtypes)
        trace.samples, trace._stats = samples, stats
        trace.draw_idx = job.tune + job.draws
        traces.append(trace)
    tune, draws = jobs[0].tune, jobs[0].draws
    mtrace = MultiTrace(traces)[tune:]
    mtrace.report._n_tune, mtrace.report._n_draws = tune, draws
    # wall time of the slowest chain, from the step's own timings (saved with the fit)
    mtrace.report._t_sampling = max(
        float(np.sum(stats[0].get("perf_counter_diff", 0.0))) for _, stats in results
    )
    return drop_warning_stat(pm.to_inference_data(mtrace, model=jobs[0].model, save_warmup=False))
