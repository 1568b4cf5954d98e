"""Population expectations under the simulator's lead mix, computed exactly from the parameters.

A *cell* is a (channel, segment, region, intent) combination. Its weight is the share of
leads that fall in it: the channel's share of expected volume over a window, times the
channel's segment and region mix, times the buyer share of that channel, segment and region.
Rates by channel or segment are weighted averages of the cells' exact probabilities, which
is what an empirical rate on fully matured cohorts of many leads estimates.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from revlab.demo._params import CHANNELS, REGIONS, SEGMENTS, Model

AXES = {"channel": 0, "segment": 1, "region": 2}
LABELS = {"channel": CHANNELS, "segment": SEGMENTS, "region": REGIONS}


def cell_weights(model: Model, channel_weights: np.ndarray) -> np.ndarray:
    """Share of leads per (channel, segment, region, intent); sums to one."""
    cw = np.asarray(channel_weights, dtype=float)
    cw = cw / cw.sum()
    base = cw[:, None, None] * model.seg_mix[:, :, None] * model.reg_mix[:, None, :]
    b = model.buyer_prob
    return np.stack([base * (1 - b), base * b], axis=-1)


def p_opportunity(model: Model) -> np.ndarray:
    """P(lead becomes an opportunity | intent), by intent (lookie-loo, buyer)."""
    return np.prod(model.lead_adv, axis=1)


def p_outcome(model: Model, to: str) -> np.ndarray:
    """P(lead reaches ``to`` | cell), broadcastable to (channel, segment, region, intent)."""
    opp = p_opportunity(model)[None, None, None, :]
    if to == "opportunity":
        return np.broadcast_to(opp, (len(CHANNELS), len(SEGMENTS), len(REGIONS), 2))
    if to == "won":
        win = model.win_prob.transpose(2, 1, 0)[:, :, None, :]  # (channel, segment, 1, intent)
        return opp * win
    raise ValueError(f"to={to!r}: use 'opportunity' or 'won'.")


def group_mean(weights: np.ndarray, values: np.ndarray, by: str) -> np.ndarray:
    """Weighted mean of ``values`` over cells, one value per level of ``by``."""
    if by not in AXES:
        raise ValueError(f"by={by!r}: use one of {', '.join(AXES)}.")
    keep = AXES[by]
    axes = tuple(a for a in range(weights.ndim) if a != keep)
    return (weights * values).sum(axis=axes) / weights.sum(axis=axes)


def conversion(model: Model, channel_weights, *, by: str, to: str) -> np.ndarray:
    """True lead → ``to`` probability per level of ``by``."""
    return group_mean(cell_weights(model, channel_weights), p_outcome(model, to), by)


def win_rate(model: Model, channel_weights, *, by: str) -> np.ndarray:
    """True P(won | opportunity) per level of ``by`` (weighted by opportunity mix)."""
    w = cell_weights(model, channel_weights) * p_outcome(model, "opportunity")
    win = model.win_prob.transpose(2, 1, 0)[:, :, None, :]
    return group_mean(w, np.broadcast_to(win, w.shape), by)


def stage_advance(model: Model, channel_weights) -> tuple[np.ndarray, np.ndarray]:
    """True P(a deal leaves stage s forward | it entered s), and the share of entries.

    A deal's outcome is drawn at creation: won, or lost at stage j with ``lost_stage[j]``; so
    it reaches stage s with probability ``w + (1 - w) * sum(lost_stage[s:])``, and leaves s
    forward (to the next stage, or won from the last) with the ratio of reaching s + 1 to
    reaching s, averaged over the intents of the deals that enter s.

    Returns
    -------
    rate, share : ndarray
        Both (stage, segment, channel); ``share`` sums to one over each stage's cells.
    """
    w_opp = cell_weights(model, channel_weights).sum(axis=2) * p_opportunity(model)  # (c, g, i)
    win = model.win_prob.transpose(2, 1, 0)
    tail = np.cumsum(model.lost_stage[::-1])[::-1]  # P(lost at s or later | lost)
    reach = [win + (1 - win) * t for t in tail] + [win]
    entered = np.stack([(w_opp * reach[s]).sum(-1) for s in range(len(tail))])  # (s, c, g)
    left = np.stack([(w_opp * reach[s + 1]).sum(-1) for s in range(len(tail))])
    share = entered / entered.sum(axis=(1, 2), keepdims=True)
    return (left / entered).transpose(0, 2, 1), share.transpose(0, 2, 1)


def won_amount_median(model: Model, channel_weights, *, by: str) -> np.ndarray:
    """True median amount of won deals per level of ``by`` (a lognormal mixture's median)."""
    if by not in AXES:
        raise ValueError(f"by={by!r}: use one of {', '.join(AXES)}.")
    w = cell_weights(model, channel_weights) * p_outcome(model, "won")
    keep = AXES[by]
    out = []
    for level in range(w.shape[keep]):
        out.append(_mixture_median(model, _segment_weights(w, keep, level)))
    return np.array(out)


def _segment_weights(w: np.ndarray, keep: int, level: int) -> np.ndarray:
    """Weights of the segments among cells whose ``keep`` axis equals ``level``."""
    mask = np.zeros(w.shape[keep])
    mask[level] = 1.0
    shape = [1] * w.ndim
    shape[keep] = -1
    return (w * mask.reshape(shape)).sum(axis=(0, 2, 3))


def _mixture_median(model: Model, seg_w: np.ndarray) -> float:
    seg_w = seg_w / seg_w.sum()
    mu, sig = model.amount_mu, model.amount_sigma

    def cdf(x: float) -> float:
        return float((seg_w * ndtr((np.log(x) - mu) / sig)).sum()) - 0.5

    return brentq(cdf, 1.0, 1e9, xtol=1e-6)


def channel_opportunity_rate(model: Model) -> np.ndarray:
    """P(lead becomes an opportunity) per channel."""
    w = cell_weights(model, np.ones(len(CHANNELS)))
    return group_mean(w, p_outcome(model, "opportunity"), "channel")
