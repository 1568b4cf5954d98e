"""Helpers shared by the demo-company tests (imported by name; fixtures live in conftest.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

END = pd.Timestamp("2026-10-01")  # the default company's data end


def seed_of(name: str) -> int:
    """A reproducible seed from a test's purpose."""
    return sum(map(ord, name))


def binomial_z(successes: float, n: float, p: float) -> float:
    """How many standard errors an observed count lies from its binomial expectation."""
    return float((successes - n * p) / np.sqrt(n * p * (1 - p)))
