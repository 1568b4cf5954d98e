"""What a customer is worth, what it costs to win one, and how long it takes to earn that back.

:func:`lifetime_value` is a new customer's expected (discounted) revenue per group: the mean
first-term amount times the expected number of paid terms under the fitted
:class:`~revlab.lifecycle.contractual.ChurnModel`, growing by the group's observed expansion.
:func:`acquisition_cost` is the marketing spend per won deal over a window of quarters: by
channel from the funnel's :func:`revlab.funnel.cost_per_name`, by segment from the leads'
``acquisition_cost``. :func:`ltv_to_cac` sets the two side by side, with the months it takes a
new customer's margin to repay its cost. Intervals propagate the churn posterior, the sampling
error of the mean amount and of the expansion, and Poisson error in the number of deals won.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from revlab.errors import Shortfall
from revlab.lifecycle import _terms
from revlab.lifecycle.contractual import ChurnModel, _discounted_terms
from revlab.needs import Needs, requires
from revlab.periods import Quarter
from revlab.sources import Source

__all__ = ["acquisition_cost", "lifetime_value", "ltv_to_cac", "ranked_ratios"]

ALL = "all"
MAX_PAYBACK_MONTHS = 120


def _ltv_draws(model, terms, horizon, discount_rate, margin, seed) -> tuple[pd.DataFrame, dict]:
    """Per group: the summary inputs, and draws of (ltv, acv, growth, a, b)."""
    key = model.by or "group"
    c = _terms.summarise(terms)
    c = c.assign(**{key: c[model.by] if model.by else ALL})
    a, b, labels = model.parameter_draws()
    if ALL in labels:
        raise Shortfall(
            f"Lifetime value by {key}",
            f"one {key} is named {ALL!r}, the name revlab gives the row for all {key}s together",
            enable=f"Rename that {key} in the data (e.g. to 'all {key}s') to see it separately.",
        )
    rng = np.random.default_rng(seed)
    pooled = _mean_sd(c["growth"].dropna())
    rows, draws = [], {}
    for j, name in enumerate(labels):
        g = c[c[key] == name]
        acv_m, acv_se = _mean_sd(g["first_amount"])
        grow = g["growth"].dropna()
        gr_m, gr_se = _mean_sd(grow) if len(grow) >= 2 else pooled
        acv = acv_m + acv_se * rng.standard_normal(len(a))
        growth = gr_m + gr_se * rng.standard_normal(len(a))
        months = float(g["months"].median())
        n_terms = None if horizon is None else max(int(np.ceil(horizon / months)), 1)
        terms_ = _discounted_terms(a[:, j], b[:, j], discount_rate, growth, n_terms)
        draws[name] = {
            "ltv": margin * acv * terms_,
            "acv": acv,
            "growth": growth,
            "a": a[:, j],
            "b": b[:, j],
            "months": months,
        }
        rows.append({key: name, "customers": len(g), "acv": acv_m, "growth": gr_m,
                     "churn": float(np.mean(a[:, j] / (a[:, j] + b[:, j]))),
                     "expected_terms": float(np.mean(terms_))})  # fmt: skip
    out = pd.DataFrame(rows)
    weights = out["customers"].to_numpy() / out["customers"].sum()
    mix = sum(w * draws[n]["ltv"] for w, n in zip(weights, labels, strict=True))
    draws[ALL] = {"ltv": mix, "weights": weights}
    return out, draws


def ranked_ratios(ratio: pd.DataFrame, *, by: str = "channel") -> pd.DataFrame:
    """The groups of :func:`ltv_to_cac` that have a ratio, lowest first (the ``all`` row out).

    Raises
    ------
    Shortfall
        When no group has one: none had both won deals and spend in the window.
    """
    ranked = ratio[ratio[by] != ALL].dropna(subset=["ltv_to_cac"]).sort_values("ltv_to_cac")
    if ranked.empty:
        raise Shortfall(
            f"LTV / CAC by {by}",
            f"no {by} had both won deals and marketing spend in the window "
            f"({len(ratio[ratio[by] != ALL])} {by}s in the data)",
            enable="A longer cost window (the cac_quarters parameter) or more history enables it.",
        )
    return ranked


def _mean_sd(x: pd.Series) -> tuple[float, float]:
    """Mean and its standard error (0 with fewer than two values)."""
    n = len(x)
    if n == 0:
        return 0.0, 0.0
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0


def lifetime_value(
    model: ChurnModel,
    terms: pd.DataFrame,
    *,
    horizon_months: float | None = 60,
    discount_rate: float = 0.1,
    margin: float = 1.0,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """A new customer's lifetime value per group of the model, and for all customers.

    ``ltv = margin * acv * sum_t S(t) * ((1 + growth) / (1 + discount_rate)) ** t`` over the
    terms that start within ``horizon_months`` (None: for ever, which needs the discount rate
    above the growth): the mean
    first-term amount (``acv``), the group's churn posterior (``S(t)``, survival to the t-th
    renewal) and its mean renewal uplift (``growth``; the pooled one where a group has fewer
    than two renewals). ``discount_rate`` is per term (per year for annual contracts); ``margin``
    the gross margin (1 counts revenue). The ``all`` row mixes groups by their customer counts.

    Returns
    -------
    DataFrame
        ``<by>``, ``customers``, ``acv``, ``growth``, ``churn`` (first renewal),
        ``expected_terms`` (discounted), ``ltv``, ``lower``, ``upper``.
    """
    out, draws = _ltv_draws(model, terms, horizon_months, discount_rate, margin, seed)
    key = model.by or "group"
    total = {key: ALL, "customers": out["customers"].sum()}
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    tail = (1 - level) / 2
    ltv = [draws[name]["ltv"] for name in out[key]]
    out["ltv"] = [float(np.mean(x)) for x in ltv]
    out["lower"] = [float(np.quantile(x, tail)) for x in ltv]
    out["upper"] = [float(np.quantile(x, 1 - tail)) for x in ltv]
    return out


#: What acquisition cost needs beyond leads and deals, by grouping: spend is recorded by channel;
#: by segment it is the leads' own acquisition_cost.
_COST_NEEDS = {
    "channel": Needs("Acquisition cost", tables=("marketing_spend",)),
    "segment": Needs(
        "Acquisition cost by segment", columns=("leads.acquisition_cost", "leads.segment")
    ),
}


@requires("leads", "opportunities", analysis="Acquisition cost")
def acquisition_cost(
    src: Source,
    *,
    quarters: Sequence[Quarter | str],
    by: str = "channel",
    level: float = 0.95,
) -> pd.DataFrame:
    """Marketing spend per won deal over ``quarters``, by channel or segment, with intervals.

    By ``channel``: the funnel's spend and deals won per quarter (:func:`revlab.funnel.
    cost_per_name`: spend in the quarter, leads first won in it), summed over the window. By
    ``segment``: the ``acquisition_cost`` of leads created in the window and the deals won in
    it, per segment (marketing spend is recorded by channel only). The interval treats the
    number won as Poisson (Jeffreys' Gamma posterior); spend is known.

    Returns
    -------
    DataFrame
        ``<by>``, ``spend``, ``won``, ``cac`` (NaN when nothing was won), ``lower``, ``upper``;
        a last row ``all``.
    """
    if by not in _COST_NEEDS:
        raise ValueError(f"acquisition cost is by 'channel' or 'segment', got {by!r}.")
    _COST_NEEDS[by].check(src)
    if by == "channel":
        from revlab.funnel import cost_per_name

        parts = [cost_per_name(src, quarter=q)[["channel", "spend", "won"]] for q in quarters]
        out = pd.concat(parts).groupby("channel", sort=False)[["spend", "won"]].sum()
        out = out.reset_index()
    else:
        out = _segment_cost(src, [Quarter.parse(q, src.calendar) for q in quarters])
    out = out[out[by] != ALL]
    total = pd.DataFrame([{by: ALL, "spend": out["spend"].sum(), "won": out["won"].sum()}])
    out = pd.concat([out, total], ignore_index=True).astype({"won": "int64"})
    tail = (1 - level) / 2
    won = out["won"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cac"] = np.where(won > 0, out["spend"] / won, np.nan)
        lo = stats.gamma.ppf(1 - tail, won + 0.5)
        hi = stats.gamma.ppf(tail, won + 0.5)
        out["lower"] = np.where(won > 0, out["spend"] / lo, np.nan)
        out["upper"] = np.where(won > 0, out["spend"] / hi, np.nan)
    return out


def _segment_cost(src: Source, quarters: list[Quarter]) -> pd.DataFrame:
    leads = src.table("leads")
    lo, hi = min(quarters).start, max(quarters).end
    made = leads.filter((leads.created_at >= lo) & (leads.created_at < hi))
    spend = made.group_by("segment").aggregate(spend=made.acquisition_cost.sum()).to_pandas()
    opps = src.table("opportunities")
    won = opps.filter(opps.is_won & (opps.closed_at >= lo) & (opps.closed_at < hi))
    won = won.join(leads.select("lead_id", lead_segment=leads.segment), "lead_id")
    won = won.group_by(segment=won.lead_segment).aggregate(won=won.count()).to_pandas()
    out = spend.merge(won, on="segment", how="outer").fillna({"spend": 0.0, "won": 0})
    return out.sort_values("segment", ignore_index=True)


def _monthly(d: dict, margin: float) -> np.ndarray:
    """Expected margin per month since the start for each draw (draws × months)."""
    months = max(int(round(d["months"])), 1)
    renewals = np.arange(MAX_PAYBACK_MONTHS // months + 1)
    a, b = d["a"][:, None], d["b"][:, None]
    survival = np.exp(special.betaln(a, b + renewals) - special.betaln(a, b))
    per_term = survival * (1 + d["growth"][:, None]) ** renewals
    monthly = np.repeat(margin * d["acv"][:, None] / months * per_term, months, axis=1)
    return monthly[:, :MAX_PAYBACK_MONTHS]


def _payback(monthly: np.ndarray, cac: np.ndarray) -> np.ndarray:
    """Months until the cumulative margin repays ``cac`` (interpolated; inf beyond 10 years)."""
    cum = np.cumsum(monthly, axis=1)
    reached = cum >= cac[:, None]
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), -1)
    rows = np.arange(len(cac))
    before = np.where(first > 0, cum[rows, np.maximum(first - 1, 0)], 0.0)
    step = monthly[rows, np.maximum(first, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        months = first + (cac - before) / step
    return np.where(first >= 0, months, np.inf)


def ltv_to_cac(
    model: ChurnModel,
    terms: pd.DataFrame,
    cac: pd.DataFrame,
    *,
    horizon_months: float | None = 60,
    discount_rate: float = 0.1,
    margin: float = 1.0,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Lifetime value over acquisition cost, and months to pay the cost back, per group.

    ``cac`` comes from :func:`acquisition_cost` grouped like the model (``channel`` or
    ``segment``); the lifetime value is :func:`lifetime_value`'s. ``payback_months`` is when
    a new customer's cumulative expected margin (undiscounted, allowing for churn at each
    renewal and for expansion) first reaches the cost; ``inf`` when it does not within ten
    years. Intervals are equal-tailed over joint draws of the lifetime value and the cost.

    Returns
    -------
    DataFrame
        ``<by>``, ``ltv``, ``cac``, ``ltv_to_cac``, ``lower``, ``upper``, ``payback_months``,
        ``payback_lower``, ``payback_upper``; groups in both frames, then ``all``.
    """
    key = model.by or "group"
    if key not in cac.columns:
        raise ValueError(f"cac is grouped by {list(cac.columns)[0]!r}; the model by {key!r}.")
    _, draws = _ltv_draws(model, terms, horizon_months, discount_rate, margin, seed)
    labels = [k for k in draws if k != ALL]
    monthly = {k: _monthly(draws[k], margin) for k in labels}
    monthly[ALL] = sum(w * monthly[k] for w, k in zip(draws[ALL]["weights"], labels, strict=True))
    rng = np.random.default_rng([seed, 1])
    tail, rows = (1 - level) / 2, []
    for _, row in cac[cac[key].isin(list(draws))].iterrows():
        d = draws[row[key]]
        cost = row["spend"] / rng.gamma(row["won"] + 0.5, size=len(d["ltv"]))
        ratio = d["ltv"] / cost if row["won"] > 0 else np.full(len(d["ltv"]), np.nan)
        pay = _payback(monthly[row[key]], cost if row["won"] > 0 else np.full(len(cost), np.nan))
        rows.append({
            key: row[key],
            "ltv": float(np.mean(d["ltv"])),
            "cac": row["cac"],
            "ltv_to_cac": float(np.mean(d["ltv"]) / row["cac"]) if row["won"] > 0 else np.nan,
            "lower": _q(ratio, tail),
            "upper": _q(ratio, 1 - tail),
            "payback_months": _q(pay, 0.5),
            "payback_lower": _q(pay, tail),
            "payback_upper": _q(pay, 1 - tail),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _q(x: np.ndarray, p: float) -> float:
    """A quantile that is NaN for all-NaN draws and inf where the draws there are inf."""
    x = x[~np.isnan(x)]
    if not len(x):
        return np.nan
    big = np.finfo(float).max
    value = float(np.quantile(np.where(np.isinf(x), big, x), p, method="inverted_cdf"))
    return np.inf if value == big else value
