"""Intervals for rates and censoring-aware cumulative incidence, computed on aggregated counts.

Two kinds of rate appear across revlab:

* a **proportion** ``k / n`` of a fixed group (deals won of deals closed, leads of a matured
  cohort converted within 90 days). :func:`proportion_interval` gives Wilson, Jeffreys or
  Clopper-Pearson intervals; :func:`add_rate` adds ``rate``, ``lower``, ``upper`` to a frame of
  counts, with ``NaN`` (never a silent zero) where ``n == 0``.
* a **cumulative incidence** "converted by day d" when some subjects have not been followed that
  long (they are *censored*, not lost). :func:`cumulative_incidence` is the Kaplan-Meier
  estimator on grouped counts (events and censorings per day), with Greenwood variance and a
  log-log interval; :func:`incidence_at` reads the curve at chosen days.

Everything works on small frames of counts, so the engine aggregates and only counts come back.

References
----------
Brown, Cai & DasGupta (2001), "Interval estimation for a binomial proportion", Statistical
Science 16(2) -- Wilson and Jeffreys intervals. Kaplan & Meier (1958), JASA 53; Greenwood
(1926); Kalbfleisch & Prentice (2002), *The Statistical Analysis of Failure Time Data*, 2nd ed.,
sec. 1.4 -- the log-log interval for a survival curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

Method = Literal["wilson", "jeffreys", "clopper-pearson"]

__all__ = [
    "add_rate",
    "beta_interval",
    "clopper_pearson_interval",
    "cumulative_incidence",
    "incidence_at",
    "mean_interval",
    "proportion_interval",
    "wilson_interval",
]


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1 (like 0.95), got {level!r}.")
    return float(stats.norm.ppf(0.5 + level / 2))


def _counts(k, n) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    if np.any((k < 0) | (k > n)):
        raise ValueError("successes k must lie between 0 and the group size n.")
    return k, n


def wilson_interval(k, n, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes out of ``n``; NaN where ``n == 0``.

    Good coverage down to small ``n`` and rates near 0 or 1 (Brown, Cai & DasGupta 2001).
    """
    k, n = _counts(k, n)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    lower = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    upper = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lower, upper


def beta_interval(
    k, n, *, level: float = 0.95, prior: tuple[float, float] = (0.5, 0.5)
) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed Beta posterior interval; the default prior Beta(1/2, 1/2) is Jeffreys'.

    As Brown, Cai & DasGupta recommend, the lower bound is 0 when ``k == 0`` and the upper bound
    is 1 when ``k == n``. NaN where ``n == 0``.
    """
    k, n = _counts(k, n)
    a, b = prior
    tail = (1 - level) / 2
    lower = stats.beta.ppf(tail, k + a, n - k + b)
    upper = stats.beta.ppf(1 - tail, k + a, n - k + b)
    lower = np.where(k == 0, 0.0, lower)
    upper = np.where(k == n, 1.0, upper)
    return np.where(n > 0, lower, np.nan), np.where(n > 0, upper, np.nan)


def clopper_pearson_interval(k, n, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval: conservative, coverage at least ``level``."""
    k, n = _counts(k, n)
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        lower = np.where(k > 0, stats.beta.ppf(tail, k, n - k + 1), 0.0)
        upper = np.where(k < n, stats.beta.ppf(1 - tail, k + 1, n - k), 1.0)
    return np.where(n > 0, lower, np.nan), np.where(n > 0, upper, np.nan)


_METHODS = {
    "wilson": wilson_interval,
    "jeffreys": beta_interval,
    "clopper-pearson": clopper_pearson_interval,
}


def proportion_interval(
    k, n, *, level: float = 0.95, method: Method = "wilson"
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for a proportion ``k / n`` by ``method`` (wilson, jeffreys, clopper-pearson)."""
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, got {method!r}.")
    return _METHODS[method](k, n, level=level)


def add_rate(
    frame: pd.DataFrame,
    *,
    k: str = "k",
    n: str = "n",
    level: float = 0.95,
    method: Method = "wilson",
    name: str = "rate",
    lower: str = "lower",
    upper: str = "upper",
) -> pd.DataFrame:
    """A copy of ``frame`` with ``<name> = k / n`` and its interval ``<lower>``, ``<upper>``.

    Groups with ``n == 0`` get NaN in all three columns: an unknown rate, never a zero.
    Name the bound columns (``lower="win_lower"``) to add several rates to one frame.
    """
    out = frame.copy()
    kk = out[k].to_numpy(dtype="float64")
    nn = out[n].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out[name] = np.where(nn > 0, kk / nn, np.nan)
    out[lower], out[upper] = proportion_interval(kk, nn, level=level, method=method)
    return out


def mean_interval(mean, sd, n, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval for a mean from its summary (mean, sample sd, n); NaN where n < 2."""
    mean, sd, n = (np.asarray(x, dtype="float64") for x in (mean, sd, n))
    ok = n >= 2
    df = np.where(ok, n - 1, 1)
    half = stats.t.ppf(0.5 + level / 2, df) * sd / np.sqrt(np.where(ok, n, 1))
    return np.where(ok, mean - half, np.nan), np.where(ok, mean + half, np.nan)


def cumulative_incidence(
    frame: pd.DataFrame,
    *,
    time: str = "day",
    events: str = "events",
    censored: str = "censored",
    by: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """Kaplan-Meier cumulative incidence ``1 - S(t)`` from counts of events and censorings.

    Each input row holds, for a group and a time ``t``, how many subjects had the event at ``t``
    and how many were censored at ``t`` (last seen at ``t`` without the event); rows may repeat
    a time. Subjects censored at ``t`` count as at risk at ``t`` (events precede censorings).

    Definitions, per group and distinct time ``t``: ``at_risk`` = subjects whose time is
    ``>= t``; hazard ``h = events / at_risk``; ``S(t) = prod_{s <= t} (1 - h_s)``;
    ``rate = 1 - S(t)``. Greenwood: ``Var[log S] = sum d / (n (n - d))``. The interval is the
    log-log one, ``S ** exp(+-z sqrt(Var) / log S)``, which stays inside [0, 1]. While no event
    has happened (``S == 1``) the interval is Clopper-Pearson's for 0 events in ``at_risk``;
    once ``S == 0`` the upper bound is 1 and the lower one is carried from the last step
    before (Clopper-Pearson's for all events if there is none).

    Returns
    -------
    DataFrame
        ``by...``, ``time``, ``n`` (group size), ``at_risk``, ``events``, ``censored``, ``rate``,
        ``lower``, ``upper``; sorted by group and time.
    """
    by = list(by)
    counts = frame.groupby([*by, time], sort=True, dropna=False)[[events, censored]].sum()
    counts = counts.reset_index().rename(columns={events: "events", censored: "censored"})
    if by:
        parts = [_km(g, time, level) for _, g in counts.groupby(by, sort=True, dropna=False)]
    else:
        parts = [_km(counts, time, level)]
    cols = [*by, time, "n", "at_risk", "events", "censored", "rate", "lower", "upper"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def _km(group: pd.DataFrame, time: str, level: float) -> pd.DataFrame:
    out = group.sort_values(time).reset_index(drop=True)
    d = out["events"].to_numpy(dtype="float64")
    c = out["censored"].to_numpy(dtype="float64")
    total = d.sum() + c.sum()
    at_risk = total - np.concatenate([[0.0], np.cumsum(d + c)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1 - d / at_risk)
        greenwood = np.cumsum(np.where(d > 0, d / (at_risk * (at_risk - d)), 0.0))
        sigma = np.sqrt(greenwood) / np.abs(np.log(surv))
        z = _z(level)
        s_low, s_high = surv ** np.exp(z * sigma), surv ** np.exp(-z * sigma)
    lower, upper = 1 - s_high, 1 - s_low
    _, cp_upper = clopper_pearson_interval(0, at_risk, level=level)
    cp_lower, _ = clopper_pearson_interval(at_risk, at_risk, level=level)
    none_yet, all_done = surv >= 1, surv <= 0
    carried = np.fmax.accumulate(np.where(all_done | none_yet, np.nan, lower))
    floor = np.where(np.isnan(carried), cp_lower, carried)
    lower = np.where(none_yet, 0.0, np.where(all_done, floor, lower))
    upper = np.where(none_yet, cp_upper, np.where(all_done, 1.0, upper))
    return out.assign(
        n=total, at_risk=at_risk, rate=1 - surv, lower=np.clip(lower, 0, 1), upper=upper
    )


def incidence_at(
    curve: pd.DataFrame,
    days: Sequence[int] | int,
    *,
    time: str = "day",
    by: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """Read cumulative incidence curves (from :func:`cumulative_incidence`) at given times.

    The curve is a step function: its value at ``d`` is that of the last time ``<= d`` (0 before
    the first event). ``at_risk`` at ``d`` counts subjects followed at least to ``d``; where none
    are, the rate is unknown and reported as NaN rather than carried forward.

    Returns
    -------
    DataFrame
        ``by...``, ``<time>``, ``n``, ``at_risk``, ``rate``, ``lower``, ``upper``.
    """
    by = list(by)
    days = [days] if np.isscalar(days) else list(days)
    groups = curve.groupby(by, sort=True, dropna=False) if by else [((), curve)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        t = g[time].to_numpy()
        for d in days:
            rows.append({**dict(zip(by, key, strict=True)), time: d, **_read(g, t, d, level)})
    cols = [*by, time, "n", "at_risk", "rate", "lower", "upper"]
    return pd.DataFrame(rows, columns=cols)


def _read(g: pd.DataFrame, t: np.ndarray, d: int, level: float) -> dict:
    n = float(g["n"].iloc[0]) if len(g) else 0.0
    later = np.flatnonzero(t >= d)
    at_risk = float(g["at_risk"].iloc[later[0]]) if len(later) else 0.0
    if at_risk == 0:
        return {"n": n, "at_risk": 0.0, "rate": np.nan, "lower": np.nan, "upper": np.nan}
    upto = np.flatnonzero(t <= d)
    if len(upto) and g["rate"].iloc[upto[-1]] > 0:
        row = g.iloc[upto[-1]]
        return {
            "n": n,
            "at_risk": at_risk,
            "rate": row["rate"],
            "lower": row["lower"],
            "upper": row["upper"],
        }
    _, upper = clopper_pearson_interval(0, at_risk, level=level)
    return {"n": n, "at_risk": at_risk, "rate": 0.0, "lower": 0.0, "upper": float(upper)}
