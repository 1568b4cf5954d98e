"""Contractual customers: renewal rates, a shifted-beta-geometric churn model, remaining value.

Customers on contracts renew or churn at known moments (the end of each term), so churn is
observed, not inferred. :func:`renewal_rates` counts renewals among terms whose decision is due
(Wilson intervals from :mod:`revlab.rates`); :class:`ChurnModel` fits pymc-marketing's
shifted-beta-geometric (sBG) model per group (segment, channel, ...), whose churn probability
varies across customers as a Beta distribution, so retention rises with tenure as the
less-committed customers leave; :func:`remaining_value` turns it into each active customer's
expected remaining renewals and revenue.

References
----------
Fader & Hardie (2007), "How to project customer retention", Journal of Interactive Marketing
21(1) -- the sBG model. Fader & Hardie (2010), "Customer-base valuation in a contractual
setting: the perils of ignoring heterogeneity", Marketing Science 29(1) -- discounted expected
(residual) lifetime.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from revlab import rates
from revlab.errors import Shortfall
from revlab.lifecycle import _terms
from revlab.lifecycle._errors import LifecycleError
from revlab.periods import CALENDAR, Quarter, quarter_label
from revlab.sources import Source

__all__ = ["ChurnModel", "remaining_value", "renewal_rates"]

#: Groupings a renewal rate can be broken down by (columns of :func:`revlab.lifecycle.terms`).
RENEWAL_GROUPS = ("term_number", "months", "segment", "channel", "cohort", "quarter_due")


def renewal_rates(
    data: Source | pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "term_number",
    quarter: Quarter | str | None = None,
    grace_days: float = _terms.GRACE_DAYS,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of contract terms renewed, among those whose renewal decision is known.

    A term counts once its decision is due (``end_date + grace_days`` on or before the as-of
    date). With ``quarter``, only terms ending in that quarter count, and ``pending`` says how
    many of them are still inside their grace period (left out, not counted as churn).
    ``term_number`` 1 is the first renewal decision; ``months`` is the contract length.
    ``data`` is a source or a frame from :func:`revlab.lifecycle.terms` (whose ``grace_days``
    then applies).

    Returns
    -------
    DataFrame
        ``by...``, ``ending`` (terms ending in the window), ``pending``, ``n`` (decided),
        ``k`` (renewed), ``churned``, ``rate`` (``k / n``; NaN when ``n == 0``), ``lower``,
        ``upper`` (Wilson).

    Over all quarters, a :class:`~revlab.errors.Shortfall` when no term has reached its
    renewal decision yet (a young book of subscriptions): there is no rate to show.
    """
    groups = _terms_groups(by)
    if isinstance(data, pd.DataFrame):
        t = data.copy()
    else:
        t = _terms.terms(data, grace_days=grace_days)
    cal = getattr(data, "calendar", CALENDAR)
    q = None if quarter is None else Quarter.parse(quarter, cal)
    t["quarter_due"] = quarter_label(t["end_date"], cal if q is None else q.cal)
    if q is not None:
        t = t[q.contains(t["end_date"])]
    t = t.assign(
        ending=1,
        pending=(~t["due"]).astype(int),
        n=t["due"].astype(int),
        k=(t["due"] & t["renewed"].fillna(False).astype(bool)).astype(int),
    )
    sums = ["ending", "pending", "n", "k"]
    if quarter is None and not t["n"].any():
        raise Shortfall(
            "Renewal rates",
            f"none of the {len(t):,} contract terms has reached its renewal decision yet (it "
            f"is due {grace_days:g} days after a term ends)",
            enable="Renewal rates appear once terms have ended; a longer subscription history "
            "enables them.",
        )
    if groups:
        out = t.groupby(groups, sort=True)[sums].sum().reset_index()
    else:
        out = t[sums].sum().to_frame().T
    out = out.astype(dict.fromkeys(sums, "int64"))
    out["churned"] = out["n"] - out["k"]
    return rates.add_rate(out, level=level)


def _terms_groups(by: str | Sequence[str] | None) -> list[str]:
    groups = [] if by is None else [by] if isinstance(by, str) else list(by)
    unknown = [g for g in groups if g not in RENEWAL_GROUPS]
    if unknown:
        raise ValueError(
            f"renewal rates can be grouped by {', '.join(RENEWAL_GROUPS)}; got {unknown}."
        )
    return groups


# --- the churn model -----------------------------------------------------------------------

#: Sampler settings for :class:`ChurnModel`: small, since only two parameters per group.
DEFAULT_SAMPLER = {"draws": 500, "tune": 500, "chains": 2, "cores": 1, "progressbar": False}


def _sbg_class():
    from pymc_marketing.clv import ShiftedBetaGeoModel

    class StaggeredShiftedBetaGeo(ShiftedBetaGeoModel):
        """pymc-marketing's sBG model for groups whose customers started at different times.

        pymc-marketing expects every customer of a cohort to share one ``T`` (they started
        together). Here a "cohort" is a group such as a segment, whose customers joined over
        time, so each has its own ``T``; the likelihood already censors each customer at its
        own ``T``, so only that one check is relaxed.
        """

        _model_type = "Shifted Beta-Geometric (staggered starts)"

        def _validate_cohorts(self, data, check_pred_data=False, check_param_dims=None):
            if check_pred_data:
                return super()._validate_cohorts(data, check_pred_data=True)
            return super()._validate_cohorts(data.assign(T=2), check_param_dims=check_param_dims)

    return StaggeredShiftedBetaGeo


class ChurnModel:
    """Churn at each renewal, per group, as pymc-marketing's shifted-beta-geometric model.

    Each customer has a fixed churn probability ``theta`` at every renewal, Beta(``alpha``,
    ``beta``)-distributed within its group; ``alpha / (alpha + beta)`` is a new customer's
    churn probability at its first renewal. Customers whose first renewal is not due yet carry
    no information and are left out of the fit (counted in ``churn_rate()['customers']``).

    Parameters
    ----------
    by
        Column of :func:`revlab.lifecycle.customers` to fit separate parameters for
        (``segment``, ``channel``, ``cohort``), or None for one group, ``all``.
    model_config, sampler_config
        Merged over pymc-marketing's priors and :data:`DEFAULT_SAMPLER`.
    """

    def __init__(
        self,
        *,
        by: str | None = "segment",
        model_config: dict | None = None,
        sampler_config: dict | None = None,
    ):
        self.by = by
        self.model_config = model_config
        self.sampler_config = sampler_config

    def fit(
        self,
        terms: pd.DataFrame,
        *,
        method: str = "mcmc",
        random_seed: Any = None,
        undue: str = "raise",
    ) -> ChurnModel:
        """Fit on :func:`revlab.lifecycle.terms` by NUTS (``"mcmc"``) or ``"map"``.

        A group none of whose customers has reached a renewal decision cannot be estimated:
        ``undue="raise"`` stops with a message naming it, ``"skip"`` leaves it out and lists
        it in ``skipped_`` (a frame of ``<by>`` and ``customers``).
        """
        data, self.groups_, self.skipped_ = _sbg_data(_terms.summarise(terms), self.by, undue)
        sampler = {**DEFAULT_SAMPLER, **(self.sampler_config or {})}
        self.model_ = _sbg_class()(model_config=self.model_config, sampler_config=sampler)
        kwargs = {"random_seed": random_seed} if method == "mcmc" else {"progressbar": False}
        with _quiet("pymc"):
            self.model_.fit(data, method=method, **kwargs)
        self.idata_ = self.model_.idata
        return self

    def parameter_draws(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Posterior draws of ``alpha`` and ``beta`` (draws × groups) and the group labels."""
        post = self.model_.fit_result
        labels = [str(c) for c in post["alpha"].coords["cohort"].values]
        a = post["alpha"].stack(sample=("chain", "draw")).transpose("sample", "cohort")
        b = post["beta"].stack(sample=("chain", "draw")).transpose("sample", "cohort")
        return a.to_numpy(), b.to_numpy(), labels

    def _summary(self, draws: np.ndarray, labels: list[str], level: float) -> pd.DataFrame:
        tail = (1 - level) / 2
        return pd.DataFrame({
            self.by or "group": labels,
            "mean": draws.mean(axis=0),
            "lower": np.quantile(draws, tail, axis=0),
            "upper": np.quantile(draws, 1 - tail, axis=0),
        })  # fmt: skip

    def churn_rate(self, *, level: float = 0.95) -> pd.DataFrame:
        """A new customer's churn probability at the first renewal, per group, with intervals.

        Returns
        -------
        DataFrame
            ``<by>``, ``mean``, ``lower``, ``upper`` (equal-tailed posterior interval),
            ``alpha``, ``beta`` (posterior means), ``customers``, ``fitted`` (customers with a
            renewal due), ``decisions``, ``churned``.
        """
        a, b, labels = self.parameter_draws()
        out = self._summary(a / (a + b), labels, level)
        out["alpha"], out["beta"] = a.mean(axis=0), b.mean(axis=0)
        return out.merge(self.groups_, on=self.by or "group", how="left")

    def retention(self, *, renewals: int = 5, level: float = 0.95) -> pd.DataFrame:
        """Share of a new group's customers still customers after each renewal (``S(t)``)."""
        a, b, labels = self.parameter_draws()
        parts = []
        for t in range(renewals + 1):
            s = np.exp(
                special.gammaln(b + t)
                - special.gammaln(b)
                + special.gammaln(a + b)
                - special.gammaln(a + b + t)
            )
            parts.append(self._summary(s, labels, level).assign(renewal=t))
        return pd.concat(parts, ignore_index=True)

    def expected_terms(
        self,
        *,
        horizon: int | None = None,
        discount_rate: float = 0.0,
        growth: float = 0.0,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """Expected number of paid terms of a new customer, discounted, with intervals.

        ``sum_{t < horizon} S(t) x**t`` with ``x = (1 + growth) / (1 + discount_rate)`` per
        term: the first term counts 1, each renewal its survival probability, weighted by
        expansion and discounting; no ``horizon`` sums for ever (then the discount rate must
        exceed the growth). Times the first term's amount, it is the lifetime value.
        """
        a, b, labels = self.parameter_draws()
        terms = _discounted_terms(a, b, discount_rate, growth, horizon)
        return self._summary(terms, labels, level)

    def diagnostics(self) -> dict[str, float]:
        """Sampler health: largest R-hat, smallest bulk ESS, number of divergences."""
        import arviz as az

        post = self.idata_.posterior
        if post.sizes.get("draw", 1) < 4:
            return {"r_hat_max": np.nan, "ess_bulk_min": np.nan, "divergences": 0}
        summary = az.summary(self.idata_, var_names=["alpha", "beta"], kind="diagnostics")
        div = self.idata_.sample_stats["diverging"].sum() if "sample_stats" in self.idata_ else 0
        return {
            "r_hat_max": float(summary["r_hat"].max()),
            "ess_bulk_min": float(summary["ess_bulk"].min()),
            "divergences": int(div),
        }

    def save(self, path) -> None:
        """Write the posterior, configs and fit data to NetCDF (pymc-marketing's format)."""
        self.idata_.attrs["revlab_by"] = self.by or ""
        for name, frame in (("revlab_groups", self.groups_), ("revlab_skipped", self.skipped_)):
            buf = io.StringIO()
            frame.to_csv(buf, index=False)
            self.idata_.attrs[name] = buf.getvalue()
        self.model_.save(str(path))

    @classmethod
    def load(cls, path) -> ChurnModel:
        """A fitted model written by :meth:`save`."""
        model = _sbg_class().load(str(path))
        out = cls(by=model.idata.attrs["revlab_by"] or None)
        out.model_, out.idata_ = model, model.idata
        out.model_config, out.sampler_config = model.model_config, model.sampler_config
        key = out.by or "group"
        for name in ("groups_", "skipped_"):
            text = model.idata.attrs[f"revlab_{name.rstrip('_')}"]
            frame = pd.read_csv(io.StringIO(text), dtype={key: str})
            setattr(out, name, frame.astype({c: "int64" for c in frame.columns if c != key}))
        return out


def remaining_value(
    model: ChurnModel,
    terms: pd.DataFrame,
    *,
    discount_rate: float = 0.1,
    growth: float = 0.0,
    level: float = 0.95,
    horizon_months: float | None = None,
) -> pd.DataFrame:
    """Expected remaining renewals and renewal revenue of today's active customers, per group.

    Each active customer's expected discounted residual lifetime given its tenure (pymc-
    marketing's ``expected_residual_lifetime``, Fader and Hardie 2010, eq. 6: each renewal
    still to come weighted by the chance of reaching it) times its current term's amount,
    growing by ``growth`` per renewal. The current term, already contracted, is not included.
    ``horizon_months`` counts only the renewals starting within that many months (the group's
    median term length apart), like the lifetime value's horizon; None sums for ever. Groups
    the model was not fitted on are skipped.

    Returns
    -------
    DataFrame
        ``<by>``, ``active`` (customers), ``arr`` (their current annual amount),
        ``renewals`` (mean expected remaining renewals per customer), ``value`` (expected
        remaining renewal revenue, summed), ``lower``, ``upper``.
    """
    key = model.by or "group"
    c = _terms.summarise(terms)
    c = c.assign(**{key: c[model.by] if model.by else "all"})
    active = c[~c["churned"] & c[key].isin(model.groups_[key])].reset_index(drop=True)
    if active.empty:
        raise LifecycleError(f"no active customers in the {key}s the model was fitted on.")
    pred = active[["customer_id", "T"]].assign(cohort=active[key])
    effective = (1 + discount_rate) / (1 + growth) - 1
    if effective <= 0:
        _discounted_terms(1.0, 1.0, discount_rate, growth)  # raises the explanation
    if horizon_months is None:
        life = model.model_.expected_residual_lifetime(pred, discount_rate=effective)
        life = life.stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()
    else:
        life = _residual_renewals(model, active, key, horizon_months, effective)
    amount = (active["current_amount"] * (1 + growth)).to_numpy()
    tail = (1 - level) / 2
    rows = []
    for name, idx in active.groupby(key, sort=True).indices.items():
        total = life[:, idx] @ amount[idx]
        rows.append({
            key: name,
            "active": len(idx),
            "arr": float(active["current_arr"].iloc[idx].sum()),
            "renewals": float(life[:, idx].mean()),
            "value": float(total.mean()),
            "lower": float(np.quantile(total, tail)),
            "upper": float(np.quantile(total, 1 - tail)),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _residual_renewals(model, active, key, horizon_months, effective) -> np.ndarray:
    """Discounted renewals to come within the horizon, per draw and active customer.

    ``sum_{k < n} P(reach renewal k | alive at T) / (1 + effective)**k`` with the sBG's
    ``P = B(alpha, beta + T + k) / B(alpha, beta + T - 1)``: the same terms as
    :meth:`expected_residual_lifetime`, cut after the ``n`` renewals that start within
    ``horizon_months``.
    """
    a, b, labels = model.parameter_draws()
    life = np.zeros((len(a), len(active)))
    for j, name in enumerate(labels):
        idx = np.flatnonzero(active[key].astype(str).to_numpy() == name)
        if not len(idx):
            continue
        months = float(active["months"].iloc[idx].median())
        n = max(int(np.ceil(horizon_months / months)), 1)
        tenure = active["T"].to_numpy(dtype=float)[idx][None, :, None]
        k = np.arange(n)[None, None, :]
        aj, bj = a[:, j][:, None, None], b[:, j][:, None, None]
        reach = np.exp(special.betaln(aj, bj + tenure + k) - special.betaln(aj, bj + tenure - 1))
        life[:, idx] = (reach / (1 + effective) ** k).sum(axis=-1)
    return life


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Hide a library's progress messages (INFO) during one call; warnings still show.

    Sampler health is reported by :meth:`ChurnModel.diagnostics` instead.
    """
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(max(before, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(before)


def _discounted_terms(a, b, discount_rate, growth, horizon: int | None = None) -> np.ndarray:
    """``sum_{t < horizon} S(t) x**t``, ``x = (1 + growth) / (1 + discount_rate)``, per draw."""
    x = (1 + np.asarray(growth, dtype=float)) / (1 + discount_rate)
    if horizon is not None:
        t = np.arange(int(horizon))
        a, b = np.asarray(a, dtype=float)[..., None], np.asarray(b, dtype=float)[..., None]
        survival = np.exp(special.betaln(a, b + t) - special.betaln(a, b))
        return (survival * np.asarray(x)[..., None] ** t).sum(axis=-1)
    if not np.all((x > 0) & (x < 1)):
        raise ValueError(
            f"with no horizon the discount rate ({discount_rate:.1%}) must exceed the expansion "
            f"rate ({float(np.max(growth)):.1%}) per term, or a customer's value has no finite "
            "sum; give a horizon."
        )
    return special.hyp2f1(1.0, b, a + b, x)


def _sbg_data(customers: pd.DataFrame, by: str | None, undue: str = "raise") -> tuple:
    """The sBG's input (customer_id, recency, T, cohort), counts per group, groups left out."""
    if undue not in ("raise", "skip"):
        raise ValueError(f"undue must be 'raise' or 'skip', got {undue!r}.")
    key = by or "group"
    c = customers.assign(**{key: customers[by] if by else "all"})
    c = c.assign(_due=c["T"] >= 2)
    groups = c.groupby(key, sort=True).agg(
        customers=("customer_id", "size"),
        fitted=("_due", "sum"),
        decisions=("decisions", "sum"),
        churned=("churned", "sum"),
    )
    groups = groups.astype("int64").reset_index()
    empty = groups[groups["fitted"] == 0]
    if len(empty) and (undue == "raise" or len(empty) == len(groups)):
        names = ", ".join(
            f"{v} ({n} customer{'' if n == 1 else 's'})"
            for v, n in zip(empty[key], empty["customers"], strict=True)
        )
        raise LifecycleError(
            f"{key} {names}: no customer has reached a renewal decision yet (first terms end "
            "after the as-of date or are inside the grace period), so churn cannot be estimated "
            f"there. Leave those customers out (filter on {key}) or wait for renewals to come due."
        )
    data = c.loc[c["_due"], ["customer_id", "recency", "T", key]].rename(columns={key: "cohort"})
    data = data.astype({"recency": "int64", "T": "int64"}).reset_index(drop=True)
    fitted = groups[groups["fitted"] > 0].reset_index(drop=True)
    return data, fitted, empty[[key, "customers"]].reset_index(drop=True)
