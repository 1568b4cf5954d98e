"""Retention: how many customers stay renewal after renewal, and how much revenue they keep.

:func:`retention_curves` is logo retention by renewal: the Kaplan-Meier share of customers
still on contract after 1, 2, ... renewal decisions, by start cohort, segment or channel, with
customers whose next decision is not due yet censored rather than counted as lost (the
estimator and its Greenwood log-log interval are :func:`revlab.rates.cumulative_incidence`).
:func:`revenue_retention` is dollar retention by quarter: net (NRR) and gross (GRR) revenue
retention of the customers who were paying a year before each quarter's last day.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from revlab import rates
from revlab.lifecycle import _terms
from revlab.lifecycle._errors import LifecycleError
from revlab.needs import requires
from revlab.periods import Quarter, quarters_between
from revlab.sources import Source

__all__ = ["quarter_summary", "retention_curves", "revenue_retention"]

NO_RENEWAL_DUE = "no renewal due yet"


def retention_curves(
    data: Source | pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "segment",
    grace_days: float = _terms.GRACE_DAYS,
    cohort: str = "year",
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of customers still on contract after each renewal decision (Kaplan-Meier).

    A customer who churned at its k-th renewal decision is an event at ``renewal = k``; one
    still on contract, whose next decision is not due yet, is censored after the decisions it
    has passed. ``months`` is ``renewal`` times the typical term length. A group none of whose
    customers has reached a renewal yet gets NaN retention and ``note = "no renewal due yet"``.

    Parameters
    ----------
    data
        A source, or a frame from :func:`revlab.lifecycle.terms`.
    by
        ``cohort`` (year or quarter of the first start, see ``cohort``), ``segment``,
        ``channel``, a list of them, or None.

    Returns
    -------
    DataFrame
        ``by...``, ``renewal`` (0, 1, ...), ``months``, ``n`` (customers), ``at_risk``,
        ``retention``, ``lower``, ``upper``, ``note``.
    """
    groups = [] if by is None else [by] if isinstance(by, str) else list(by)
    c = _terms.customers(data, grace_days=grace_days, cohort=cohort)
    counts = (
        c.assign(events=c["churned"].astype(int), censored=(~c["churned"]).astype(int))
        .groupby([*groups, "decisions"], sort=True)[["events", "censored"]]
        .sum()
        .reset_index()
    )
    curve = rates.cumulative_incidence(counts, time="decisions", by=groups, level=level).rename(
        columns={"decisions": "renewal"}
    )
    last = max(int(c["decisions"].max()), 1)
    table = rates.incidence_at(curve, range(1, last + 1), time="renewal", by=groups, level=level)
    start = table.drop_duplicates(groups or ["n"]).assign(renewal=0, at_risk=lambda d: d["n"])
    start = start.assign(rate=0.0, lower=0.0, upper=0.0)
    table = pd.concat([start, table], ignore_index=True)
    table = table.sort_values([*groups, "renewal"], ignore_index=True)
    out = table.assign(
        months=table["renewal"] * float(c["months"].median()),
        retention=1 - table["rate"],
        lower=1 - table["upper"],
        upper=1 - table["lower"],
    )
    if groups:
        most = c.groupby(groups)["decisions"].max().rename("_most").reset_index()
        out = out.merge(most, on=groups, how="left")
    else:
        out["_most"] = c["decisions"].max()
    out["note"] = np.where((out["_most"] == 0) & (out["renewal"] > 0), NO_RENEWAL_DUE, "")
    cols = [*groups, "renewal", "months", "n", "at_risk", "retention", "lower", "upper", "note"]
    return out[cols].astype({"n": "int64", "at_risk": "int64", "renewal": "int64"})


def _arr_at(t: pd.DataFrame, when: pd.Timestamp) -> pd.Series:
    """Annual recurring revenue per account on a day (terms running that day)."""
    on = (t["start_date"] <= when) & (t["end_date"] >= when)
    return t.loc[on].groupby("account_id")["arr"].sum()


def revenue_retention(
    src: Source,
    *,
    first: Quarter | str | None = None,
    last: Quarter | str | None = None,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Net and gross revenue retention by quarter, from the subscriptions table.

    For a quarter whose last day is D, the base is every account paying on D minus one year
    (its ARR then: term amounts per 12 months). ``nrr`` = their ARR on D / their ARR then;
    ``grr`` caps each account at its ARR then (no expansion counts). ``logo_retention`` is
    the share of base accounts still paying on D. Intervals resample base accounts
    (``n_boot`` bootstrap draws from ``seed``). Quarters run from the first with a full year
    behind it to the last complete one at the as-of date.

    Returns
    -------
    DataFrame
        ``quarter``, ``accounts``, ``base_arr``, ``arr``, ``expansion``, ``contraction``,
        ``churned_arr``, ``new_arr`` (ARR on D of accounts outside the base), ``nrr``,
        ``nrr_lower``, ``nrr_upper``, ``grr``, ``grr_lower``, ``grr_upper``, ``logo_retention``.
    """
    t = _terms.terms(src)
    at = _terms.as_of(src, t)
    cal = src.calendar
    q0 = Quarter.containing(t["start_date"].min() + pd.DateOffset(years=1), cal)
    q1 = Quarter.latest_complete(at, cal)
    q0, q1 = Quarter.parse(first, cal) if first else q0, Quarter.parse(last, cal) if last else q1
    if q1 < q0:
        raise LifecycleError(
            f"revenue retention needs a year of subscriptions before a complete quarter; the "
            f"first term starts {t['start_date'].min():%Y-%m-%d} and the data end {at:%Y-%m-%d}."
        )
    rng = np.random.default_rng(seed)
    rows = [_quarter_retention(t, q, rng, n_boot, level) for q in quarters_between(q0, q1)]
    return pd.DataFrame(rows)


def _quarter_retention(t, q: Quarter, rng, n_boot: int, level: float) -> dict:
    day = q.last_day
    then, now = _arr_at(t, day - pd.DateOffset(years=1)), _arr_at(t, day)
    base = then.to_numpy()
    kept = now.reindex(then.index).fillna(0.0).to_numpy()
    capped = np.minimum(kept, base)
    row = {
        "quarter": str(q),
        "accounts": len(base),
        "base_arr": base.sum(),
        "arr": kept.sum(),
        "expansion": np.clip(kept - base, 0, None).sum(),
        "contraction": (base - capped)[kept > 0].sum(),
        "churned_arr": base[kept == 0].sum(),
        "new_arr": now.drop(then.index, errors="ignore").sum(),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        row["nrr"], row["grr"] = kept.sum() / base.sum(), capped.sum() / base.sum()
        row["logo_retention"] = float((kept > 0).mean()) if len(base) else np.nan
    tail = (1 - level) / 2
    if len(base) > 1 and n_boot > 0:
        w = rng.multinomial(len(base), np.full(len(base), 1 / len(base)), size=n_boot)
        for name, num in (("nrr", kept), ("grr", capped)):
            draws = (w @ num) / (w @ base)
            row[f"{name}_lower"], row[f"{name}_upper"] = np.quantile(draws, [tail, 1 - tail])
    else:
        for name in ("nrr", "grr"):
            row[f"{name}_lower"] = row[f"{name}_upper"] = np.nan
    order = ["quarter", "accounts", "base_arr", "arr", "expansion", "contraction"]
    order += ["churned_arr", "new_arr", "nrr", "nrr_lower", "nrr_upper", "grr", "grr_lower"]
    return {k: row[k] for k in [*order, "grr_upper", "logo_retention"]}


@requires("subscriptions", analysis="Retention in brief")
def quarter_summary(
    src: Source,
    *,
    quarter: Quarter | str,
    grace_days: float = _terms.GRACE_DAYS,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """The headline retention figures of a quarter and of the quarter before, side by side.

    NRR, GRR and logo retention as :func:`revenue_retention` (NaN where no account was paying
    a year before); the renewal rate of the terms ending in the quarter as
    :func:`revlab.lifecycle.renewal_rates`, with ``pending`` terms still inside their grace
    period (their outcome unknown at the as-of date).

    Returns
    -------
    DataFrame
        One row per quarter (previous first): ``quarter``, ``nrr``, ``nrr_lower``,
        ``nrr_upper``, ``grr``, ``grr_lower``, ``grr_upper``, ``logo_retention``,
        ``base_arr``, ``arr``, ``ending``, ``pending``, ``n``, ``k``, ``churned``,
        ``renewal_rate``, ``lower``, ``upper``.
    """
    from revlab.lifecycle.contractual import renewal_rates

    q = Quarter.parse(quarter, src.calendar)
    money = revenue_retention(src, first=q.previous, last=q, level=level, seed=seed)
    rows = []
    for one in (q.previous, q):
        r = renewal_rates(src, by=None, quarter=one, grace_days=grace_days, level=level)
        rows.append(r.iloc[0].rename({"rate": "renewal_rate"}).to_dict() | {"quarter": str(one)})
    renewals = pd.DataFrame(rows)
    keep = ["quarter", "nrr", "nrr_lower", "nrr_upper", "grr", "grr_lower", "grr_upper"]
    keep += ["logo_retention", "base_arr", "arr"]
    out = money[keep].merge(renewals, on="quarter", how="left")
    return out.astype({c: "int64" for c in ("ending", "pending", "n", "k", "churned")})
