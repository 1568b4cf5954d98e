"""Time-to-win distributions on a grid: a deal's remaining path through the open stages.

A deal in stage ``s`` wins after the rest of its time in ``s`` and the full time of each
later stage; each piece is lognormal, so the sum is computed by convolving probability masses
on a grid of ``STEP`` days (FFT along the last axis). Index ``m`` of a grid stands for the time
``(m + 0.5) * STEP``; the half-step rounding per convolution is far below a day.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve
from scipy.special import log_ndtr, ndtr

#: Grid step in days.
STEP = 0.5


def lognorm_cdf(x, mu, sigma) -> np.ndarray:
    """P(T <= x) for T ~ LogNormal(mu, sigma); 0 for x <= 0."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.where(x > 0, x, 1.0)) - mu) / sigma
    return np.where(x > 0, ndtr(z), 0.0)


def lognorm_logsf(x, mu, sigma) -> np.ndarray:
    """Log P(T > x) for T ~ LogNormal(mu, sigma); 0 for x <= 0."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (mu - np.log(np.where(x > 0, x, 1.0))) / sigma
    return np.where(x > 0, log_ndtr(z), 0.0)


def grid_size(days: float) -> int:
    """Number of grid cells covering ``days``."""
    return int(np.ceil(days / STEP)) + 1


def pmf(mu, sigma, n: int, *, after=None) -> np.ndarray:
    """Mass of each grid cell for T ~ LogNormal(mu, sigma), shape ``(*mu.shape, n)``.

    With ``after`` (days already elapsed, same shape as ``mu``), the mass of the *remaining*
    time given T > after.
    """
    mu, sigma = np.asarray(mu, float)[..., None], np.asarray(sigma, float)[..., None]
    edges = np.arange(n + 1) * STEP
    if after is None:
        return np.diff(lognorm_cdf(edges, mu, sigma), axis=-1)
    a = np.asarray(after, float)[..., None]
    log_s = lognorm_logsf(a + edges, mu, sigma) - lognorm_logsf(a, mu, sigma)
    return -np.diff(np.exp(np.minimum(log_s, 0.0)), axis=-1)


def convolve(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Mass of the sum of two independent grid times, truncated to ``n`` cells."""
    return np.clip(fftconvolve(a, b, axes=-1)[..., :n], 0.0, None)


def later_stages(mu: np.ndarray, sigma: np.ndarray, n: int) -> np.ndarray:
    """Mass of the total time of the stages after each stage, shape (draws, stage, segment, n).

    ``mu`` is (draws, stage, segment) and ``sigma`` (draws, stage): lognormal times to leave
    each stage forward. After the last stage the remaining time is zero.
    """
    d, s, g = mu.shape
    out = np.zeros((d, s, g, n))
    out[:, s - 1, :, 0] = 1.0
    for k in range(s - 2, -1, -1):
        step = pmf(mu[:, k + 1], sigma[:, k + 1, None] * np.ones(g), n)
        out[:, k] = convolve(step, out[:, k + 1], n)
    return out


def cdf_at(mass: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(time <= x) from grid masses, at times ``x`` (days; broadcast against mass[..., 0])."""
    cum = np.concatenate([np.zeros((*mass.shape[:-1], 1)), np.cumsum(mass, axis=-1)], axis=-1)
    pos = np.clip(np.asarray(x, float) / STEP, 0.0, cum.shape[-1] - 1.0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, cum.shape[-1] - 1)
    w = pos - lo
    take = np.take_along_axis
    shape = np.broadcast_shapes(cum.shape[:-1] + (1,), np.shape(pos))
    cum = np.broadcast_to(cum, shape[:-1] + (cum.shape[-1],))
    lo, hi, w = (np.broadcast_to(v, shape) for v in (lo, hi, w))
    return (1 - w) * take(cum, lo, axis=-1) + w * take(cum, hi, axis=-1)
