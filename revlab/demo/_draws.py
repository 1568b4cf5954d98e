"""Random draws shared by the simulator's kernels: categorical rows and truncated lognormals.

Stage times are lognormal. A lead or deal that has already spent ``e`` days in a stage has a
remaining time drawn from the lognormal truncated to ``> e``, by inverting its survival
function; with ``e = 0`` this is the ordinary draw, so one code path simulates a fresh record
and re-simulates an open one from any as-of date.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri


def categorical(probs: np.ndarray, rng) -> np.ndarray:
    """One index per row of an (n, k) matrix of non-negative weights."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cum[:, -1]
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


def survival(e: np.ndarray, mu: np.ndarray, sigma) -> np.ndarray:
    """P(T > e) for T ~ LogNormal(mu, sigma); 1 where e <= 0."""
    e = np.asarray(e, dtype=float)
    mu, sigma = np.broadcast_arrays(mu, sigma, e)[:2]
    out = np.ones(np.broadcast_shapes(e.shape, mu.shape))
    pos = np.broadcast_to(e > 0, out.shape)
    if pos.any():
        e_b = np.broadcast_to(e, out.shape)
        out[pos] = ndtr((mu[pos] - np.log(e_b[pos])) / sigma[pos])
    return out


def truncated_lognormal(e: np.ndarray, mu: np.ndarray, sigma, rng) -> np.ndarray:
    """Draw T ~ LogNormal(mu, sigma) given T > e (e = 0: unconditional)."""
    u = 1.0 - rng.random(np.shape(mu))  # in (0, 1]
    s = survival(e, mu, sigma)
    t = np.exp(mu - sigma * ndtri(u * s))
    return np.maximum(t, e)
