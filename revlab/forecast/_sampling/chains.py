"""Run the NUTS chains of several independently sampled blocks on forked workers.

``pm.sample`` samples one model at a time: each call re-derives the model's log density to
assign step methods, compiles start-point functions, forks its own chain processes and
passes every draw back through a pipe. For a model split into blocks that cost about 1.5 s a
block, and the cores idle while the slower chain of a block finishes. Here every (block,
chain) is one job, run in a process forked as soon as its block is loaded and a core is free;
a job runs PyMC's own chain loop (``_iter_sample``) on the compiled step and returns the draws
as arrays. Each job's draws depend only on its seed, so results are the same on one core or
many, in any order.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass
from multiprocessing.connection import wait
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


def run(
    blocks: Iterable[list[Chain]], *, cores: int
) -> list[tuple[list[Chain], list[tuple[dict, list]]]]:
    """Each block's jobs with their draws (``samples``, ``stats`` as PyMC's trace records them).

    ``blocks`` may be a generator that loads each block's compiled model as it is asked for:
    a chain starts in a forked process as soon as its block is loaded and a core is free, so
    the later blocks load while the first ones sample (the fork gives the worker the compiled
    functions in memory; nothing compiled is pickled). List the costly blocks first. Where
    processes cannot fork (Windows) or this is already a worker, the jobs run here in turn.
    """
    workers = max(1, min(cores, os.cpu_count() or 1))
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers == 1 or not forkable or multiprocessing.current_process().daemon:
        done = []
        for jobs in blocks:  # the same draws, one after another
            done.append((jobs, [_run_one(job) for job in jobs]))
        return done
    return _Workers(workers).run(blocks)


class _Workers:
    """At most ``n`` chains at a time, each in a process forked when it starts."""

    def __init__(self, n: int):
        self.n = n
        self.ctx = multiprocessing.get_context("fork")
        self.queue: deque[tuple[int, int, Chain]] = deque()
        self.running: dict[Any, tuple[int, int, Any]] = {}
        self.results: list[list] = []

    def run(self, blocks: Iterable[list[Chain]]) -> list[tuple[list[Chain], list]]:
        loaded = []
        try:
            for jobs in blocks:
                k = len(loaded)
                loaded.append(jobs)
                self.results.append([None] * len(jobs))
                self.queue.extend((k, i, job) for i, job in enumerate(jobs))
                self._collect(timeout=0)
                self._start()
            while self.running:
                self._collect(timeout=None)
                self._start()
        finally:
            for conn, (_, _, proc) in self.running.items():
                proc.terminate()
                proc.join()
                conn.close()
        return list(zip(loaded, self.results, strict=True))

    def _start(self) -> None:
        while self.queue and len(self.running) < self.n:
            k, i, job = self.queue.popleft()
            recv, send = self.ctx.Pipe(duplex=False)
            proc = self.ctx.Process(target=_child, args=(job, send), daemon=True)
            proc.start()
            send.close()
            self.running[recv] = (k, i, proc)

    def _collect(self, *, timeout: float | None) -> None:
        for conn in wait(list(self.running), timeout=timeout):
            k, i, proc = self.running.pop(conn)
            try:
                status, payload = conn.recv()
            except EOFError:
                status, payload = "failed", f"the chain's process died (exit code {proc.exitcode})"
            conn.close()
            proc.join()
            if status != "ok":
                raise RuntimeError(f"chain {i} of block {k} failed:\n{payload}")
            self.results[k][i] = payload


def _child(job: Chain, conn) -> None:
    """A forked worker: run one chain, send back its draws or the traceback."""
    try:
        conn.send(("ok", _run_one(job)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        conn.send(("failed", traceback.format_exc()))
    finally:
        conn.close()


def _run_one(job: Chain) -> tuple[dict, list]:
    """Tune and sample one chain; the full trace, tuning draws included."""
    from pymc.sampling.mcmc import _iter_sample

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


def _fresh(step) -> None:
    """Return a reused step to the state it was built in, before every chain.

    A chain run in this process leaves the step tuned (step size, mass matrix), and a forked
    chain starts from the step as the parent holds it; resetting it first makes every chain's
    draws depend on its seed alone. ``reset_tuning`` keeps the exponentially weighted
    mass-matrix estimators of a ``QuadPotentialDiagAdaptExp``, so they are dropped here;
    tuning rebuilds them from the chain's first draws.
    """
    potential = getattr(step, "potential", None)
    if hasattr(potential, "_variance_estimator"):
        potential._variance_estimator = None
        potential._variance_estimator_grad = None
    if hasattr(step, "reset_tuning"):
        step.reset_tuning()


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
