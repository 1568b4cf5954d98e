"""The demo company: a seeded B2B SaaS revenue simulator, with the ground truth kept apart.

``simulate()`` returns a :class:`Company` whose ``tables`` are the seven canonical tables
(leads, activities, opportunities, stage_history, marketing_spend, targets, subscriptions)
and whose ``truth`` (:class:`DemoTruth`) knows what the analyses have to estimate: each lead's
hidden intent, the true conversion and win rates, deal-size medians, each open lead's true
probability of converting within a horizon, and the true predictive distribution of a
quarter's bookings from any as-of date (by re-simulating the future).

The story: leads arrive daily per channel with trend, yearly seasonality and weekly noise,
bought at a cost per name (:mod:`~revlab.demo._arrivals`); each has a hidden intent, real buyer
or lookie-loo, whose share depends on channel, segment and region; leads move new → MQL → SQL →
opportunity or go stale (:mod:`~revlab.demo._funnel`) while producing touches drawn from intent
and stage (:mod:`~revlab.demo._activities`); deals move through discovery, demo, proposal and
negotiation to won or lost, slowed when the sales team is overloaded
(:mod:`~revlab.demo._capacity`) and hurried at quarter end (:mod:`~revlab.demo._deals`), with
amount changes and close-date pushes recorded (:mod:`~revlab.demo._history`); won deals start
annual subscriptions that renew or churn (:mod:`~revlab.demo._subscriptions`); targets come
from the expected bookings plus 5–15% (:mod:`~revlab.demo._plan`). The benchmark figures behind
the parameters are listed in :mod:`revlab.demo._params`. The company starts selling on the
first day with an empty pipeline, so the first two quarters ramp up.
"""

from importlib import import_module
from typing import Any

from revlab.demo._cli import cli_main
from revlab.demo._params import (
    ACTIVITIES,
    CHANNELS,
    DEAL_STAGES,
    DEFAULT_END,
    DEFAULT_N_LEADS,
    DEFAULT_SEED,
    DEFAULT_START,
    REGIONS,
    SEGMENTS,
    default_params,
)

main = cli_main

# The simulator loads on first use (scipy and the simulation modules, about 0.6 s): the
# `revlab` command builds its `demo` options from revlab.demo._cli, so every command imports
# this package, and `revlab --help` should not wait for the simulator.
_LAZY = {
    "Company": "_simulate",
    "simulate": "_simulate",
    "load_truth": "_store",
    "write": "_store",
    "DemoTruth": "_truth",
}

__all__ = [
    "ACTIVITIES",
    "CHANNELS",
    "DEAL_STAGES",
    "DEFAULT_END",
    "DEFAULT_N_LEADS",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "REGIONS",
    "SEGMENTS",
    "Company",
    "DemoTruth",
    "cli_main",
    "default_params",
    "load_truth",
    "main",
    "simulate",
    "write",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"revlab.demo.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'revlab.demo' has no attribute {name!r}")
