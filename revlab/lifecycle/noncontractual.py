"""Non-contractual customers: repeat purchases with no contract, so churn is never seen.

From a transactions table (customer, date, amount), :func:`rfm` summarises each customer's
recency, frequency and monetary value; :class:`PurchaseModel` fits pymc-marketing's BG/NBD
model of purchase frequency and drop-out and its Gamma-Gamma model of spend per purchase, and
predicts purchases and value over a horizon. :func:`holdout_comparison` checks the purchase
forecast against a holdout period. :func:`read_cdnow` reads the CDNOW data set used in the
original papers.

References
----------
Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2) -- BG/NBD, fitted on CDNOW: r = 0.243,
alpha = 4.414, a = 0.793, b = 2.426 (weeks). Fader & Hardie (2013), "The Gamma-Gamma model of
monetary value".
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from revlab.errors import NotRequested
from revlab.lifecycle._errors import LifecycleError

__all__ = [
    "PurchaseModel",
    "calibration_holdout",
    "holdout_comparison",
    "read_cdnow",
    "rfm",
    "simulate_transactions",
]

#: Days per unit of ``recency`` and ``T``.
TIME_UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def read_cdnow(path: str | os.PathLike, *, parameter: str | None = None) -> pd.DataFrame:
    """CDNOW transactions (``CDNOW_sample.txt`` or ``CDNOW_master.txt``) as a tidy frame.

    An empty path means the run was given no file: a :class:`~revlab.errors.NotRequested` so the
    optional section says, for a reader, that it was not asked for and is skipped.

    Returns
    -------
    DataFrame
        ``customer_id`` (text), ``date`` (``datetime64[us]``), ``cds``, ``amount`` (dollars).
    """
    if not str(path).strip():
        raise NotRequested(
            "CDNOW",
            "this optional check on the public CDNOW sample was not asked for in this run",
            enable="An analyst can add it by running the report again with the sample.",
        )
    if not os.path.exists(path):
        raise LifecycleError(
            f"{path}: no CDNOW file here; it is CDNOW_sample.txt or CDNOW_master.txt from the "
            "Lifetimes package (whitespace-separated, no header)."
        )
    raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)
    raw = raw[raw[raw.columns[-3]].str.fullmatch(r"\d{8}")]  # drop a header line if any
    date, cds, amount = raw.columns[-3:]
    return pd.DataFrame({
        "customer_id": raw[raw.columns[0]].astype("str"),
        "date": pd.to_datetime(raw[date], format="%Y%m%d").astype("datetime64[us]"),
        "cds": raw[cds].astype("int64"),
        "amount": raw[amount].astype("float64"),
    }).reset_index(drop=True)  # fmt: skip


def _check(transactions: pd.DataFrame, cols: dict[str, str | None]) -> None:
    missing = [c for c in cols.values() if c and c not in transactions.columns]
    if missing:
        raise LifecycleError(
            f"transactions: no column(s) {', '.join(missing)}; the frame has "
            f"{', '.join(map(str, transactions.columns))}. Name them with customer_id=, date=, "
            "amount=."
        )
    if transactions.empty:
        raise LifecycleError("transactions: the frame is empty; there is nothing to summarise.")
    if transactions[cols["date"]].isna().any():
        n = int(transactions[cols["date"]].isna().sum())
        raise LifecycleError(f"transactions.{cols['date']}: {n} rows have no date; fix or drop.")
    if cols["amount"] and (transactions[cols["amount"]] < 0).any():
        n = int((transactions[cols["amount"]] < 0).sum())
        raise LifecycleError(
            f"transactions.{cols['amount']}: {n} rows are negative; spend models need purchases "
            "of zero or more (net refunds out before summarising)."
        )


def rfm(
    transactions: pd.DataFrame,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    observation_end: str | pd.Timestamp | None = None,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Recency, frequency, tenure and mean spend per customer (pymc-marketing's RFM summary).

    Purchases on the same day count once. ``frequency`` = repeat purchase days; ``recency`` =
    time from the first to the last purchase; ``T`` = time from the first purchase to
    ``observation_end`` (default: the last date), in ``time_unit`` (``D``, ``W`` or ``M``);
    ``monetary_value`` = mean spend of the repeat purchases (0 for one-time buyers).
    """
    from pymc_marketing.clv import rfm_summary

    _check(transactions, {"customer_id": customer_id, "date": date, "amount": amount})
    return rfm_summary(
        transactions,
        customer_id,
        date,
        monetary_value_col=amount,
        observation_period_end=observation_end,
        time_unit="D",
        time_scaler=TIME_UNITS[time_unit],
    )


def calibration_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp,
    holdout_end: str | pd.Timestamp,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    time_unit: str = "W",
) -> pd.DataFrame:
    """The RFM summary up to ``calibration_end`` and the purchases after it, per customer.

    Customers whose first purchase falls in the holdout are left out (the model has not seen
    them). Columns as :func:`rfm` plus ``test_frequency`` (purchase days in the holdout) and
    ``test_T`` (holdout length).
    """
    from pymc_marketing.clv import rfm_train_test_split

    _check(transactions, {"customer_id": customer_id, "date": date, "amount": amount})
    return rfm_train_test_split(
        transactions,
        customer_id,
        date,
        train_period_end=calibration_end,
        test_period_end=holdout_end,
        time_unit="D",
        time_scaler=TIME_UNITS[time_unit],
        monetary_value_col=amount,
    )


def _flat(names: tuple[str, ...]) -> dict:
    from pymc_extras.prior import Prior

    return {name: Prior("HalfFlat") for name in names}


class PurchaseModel:
    """BG/NBD purchase frequency and drop-out, and Gamma-Gamma spend, from pymc-marketing.

    Parameters
    ----------
    method
        ``"map"`` (default; with the flat priors below it is maximum likelihood) or ``"mcmc"``.
    model_config, spend_config
        Priors of the BG/NBD (``r``, ``alpha``, ``a``, ``b``) and Gamma-Gamma (``p``, ``q``,
        ``v``) models; flat by default, as in the original papers.
    sampler_config
        Passed to ``pymc.sample`` when ``method="mcmc"``.
    """

    def __init__(
        self,
        *,
        method: str = "map",
        model_config: dict | None = None,
        spend_config: dict | None = None,
        sampler_config: dict | None = None,
    ):
        self.method = method
        self.model_config = model_config
        self.spend_config = spend_config
        self.sampler_config = sampler_config

    def fit(self, rfm: pd.DataFrame, *, random_seed: Any = None) -> PurchaseModel:
        """Fit BG/NBD on every customer and Gamma-Gamma on those with a repeat purchase.

        One-time buyers inform the BG/NBD (that they have not come back is data) but say
        nothing about spend per repeat purchase; ``notes_`` says how many there were.
        """
        from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

        repeat = rfm["frequency"] > 0
        if not repeat.any():
            raise LifecycleError(
                f"every one of the {len(rfm):,} customers bought only once, so purchase "
                "frequency and drop-out cannot be told apart; a BG/NBD fit needs some repeat "
                "buyers (a longer observation window, or a contractual model for subscriptions)."
            )
        kwargs = _fit_kwargs(self.method, random_seed)
        config = {**_flat(("r", "alpha", "a", "b")), **(self.model_config or {})}
        self.purchases_ = BetaGeoModel(model_config=config, sampler_config=self.sampler_config)
        self.purchases_.fit(rfm[["customer_id", "frequency", "recency", "T"]], **kwargs)
        spenders = rfm[repeat & (rfm["monetary_value"] > 0)]
        self.spend_ = None
        if len(spenders) >= 2:
            spend = {**_flat(("p", "q", "v")), **(self.spend_config or {})}
            self.spend_ = GammaGammaModel(model_config=spend, sampler_config=self.sampler_config)
            self.spend_.fit(spenders[["customer_id", "frequency", "monetary_value"]], **kwargs)
        single = int((~repeat).sum())
        self.notes_ = [
            f"{single:,} of {len(rfm):,} customers bought once: the BG/NBD counts them; the "
            f"spend model is fitted on the {len(spenders):,} repeat buyers and gives one-time "
            "buyers the population mean spend."
        ]
        return self

    @property
    def params_(self) -> dict[str, float]:
        """Posterior means (MAP values) of r, alpha, a, b and, if fitted, p, q, v."""
        out = self.purchases_.fit_result[["r", "alpha", "a", "b"]].mean(("chain", "draw"))
        params = {k: float(v) for k, v in out.items()}
        if self.spend_ is not None:
            spend = self.spend_.fit_result[["p", "q", "v"]].mean(("chain", "draw"))
            params.update({k: float(v) for k, v in spend.items()})
        return params

    def expected_purchases(self, rfm: pd.DataFrame, *, horizon: float) -> pd.Series:
        """Expected purchases of each customer in the next ``horizon`` time units."""
        draws = self.purchases_.expected_purchases(rfm, future_t=horizon)
        return pd.Series(
            draws.mean(("chain", "draw")).to_numpy(), index=rfm["customer_id"].to_numpy()
        )

    def expected_spend(self, rfm: pd.DataFrame) -> pd.Series:
        """Expected spend per future purchase of each customer (shrunk to the population)."""
        if self.spend_ is None:
            raise LifecycleError("no spend model: fewer than two customers bought twice.")
        data = rfm[["customer_id", "frequency", "monetary_value"]]
        draws = self.spend_.expected_customer_spend(data)
        return pd.Series(
            draws.mean(("chain", "draw")).to_numpy(), index=rfm["customer_id"].to_numpy()
        )

    def predict(self, rfm: pd.DataFrame, *, horizon: float) -> pd.DataFrame:
        """Expected purchases, probability alive, spend per purchase and value over a horizon.

        ``value`` = expected purchases × expected spend (undiscounted; time units as ``rfm``).
        """
        alive = self.purchases_.expected_probability_alive(rfm)
        out = pd.DataFrame({
            "customer_id": rfm["customer_id"].to_numpy(),
            "purchases": self.expected_purchases(rfm, horizon=horizon).to_numpy(),
            "p_alive": alive.mean(("chain", "draw")).to_numpy(),
        })  # fmt: skip
        if self.spend_ is not None and "monetary_value" in rfm.columns:
            out["spend"] = self.expected_spend(rfm).to_numpy()
            out["value"] = out["purchases"] * out["spend"]
        return out


def _fit_kwargs(method: str, random_seed: Any) -> dict:
    if method == "map":
        return {"method": "map", "progressbar": False}
    return {"method": method, "random_seed": random_seed}


def holdout_comparison(model: PurchaseModel, split: pd.DataFrame, *, top: int = 7) -> pd.DataFrame:
    """Predicted and actual holdout purchases, by calibration-period repeat purchases.

    Customers are grouped by their calibration ``frequency`` (``top`` and more together), as in
    Fader, Hardie & Lee's conditional-expectation check; a last row ``all`` sums every
    customer. ``split`` is :func:`calibration_holdout`'s frame.

    Returns
    -------
    DataFrame
        ``frequency`` (text: 0, 1, ..., "7+", "all"), ``customers``, ``actual``,
        ``predicted`` (total holdout purchase days), ``actual_mean``, ``predicted_mean``,
        ``error`` (predicted / actual - 1).
    """
    horizon = float(split["test_T"].iloc[0])
    pred = model.expected_purchases(split, horizon=horizon).to_numpy()
    freq = split["frequency"].to_numpy()
    label = np.where(freq >= top, f"{top}+", freq.astype(int).astype(str))
    frame = pd.DataFrame(
        {"frequency": label, "actual": split["test_frequency"].to_numpy(), "predicted": pred}
    )
    order = [str(i) for i in range(top)] + [f"{top}+"]
    g = frame.groupby("frequency").agg(
        customers=("actual", "size"), actual=("actual", "sum"), predicted=("predicted", "sum")
    )
    g = g.reindex([o for o in order if o in g.index]).reset_index()
    total = {"frequency": "all", **g[["customers", "actual", "predicted"]].sum().to_dict()}
    out = pd.concat([g, pd.DataFrame([total])], ignore_index=True)
    out["actual_mean"] = out["actual"] / out["customers"]
    out["predicted_mean"] = out["predicted"] / out["customers"]
    out["error"] = out["predicted"] / out["actual"] - 1
    return out.astype({"customers": "int64"})


def simulate_transactions(
    n_customers: int,
    *,
    r: float = 0.243,
    alpha: float = 4.414,
    a: float = 0.793,
    b: float = 2.426,
    spend: tuple[float, float, float] = (6.25, 3.74, 15.44),
    weeks: float = 78.0,
    first_weeks: float = 12.0,
    start: str = "2024-01-01",
    seed: int = 0,
) -> pd.DataFrame:
    """Transactions drawn from the BG/NBD and Gamma-Gamma processes (CDNOW-like defaults).

    Each customer first buys at a uniform time in the first ``first_weeks`` weeks, then buys
    at Poisson rate ``lambda ~ Gamma(r, alpha)`` per week and, after each repeat purchase,
    leaves for good with probability ``p ~ Beta(a, b)``, until ``weeks`` after ``start``. Each
    purchase spends ``Gamma(p_s, nu)`` with ``nu ~ Gamma(q, v)`` per customer (``spend`` is
    ``(p_s, q, v)``). For benchmarks and tests of :class:`PurchaseModel`.
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, n_customers)
    drop = rng.beta(a, b, n_customers)
    nu = rng.gamma(spend[1], 1 / spend[2], n_customers)
    t = rng.uniform(0, first_weeks, n_customers)
    who, when = [np.arange(n_customers)], [t]
    alive = np.arange(n_customers)
    while alive.size:
        t = t + rng.exponential(1.0, alive.size) / np.maximum(rate[alive], 1e-12)
        keep = t < weeks
        alive, t = alive[keep], t[keep]
        who.append(alive)
        when.append(t)
        stay = rng.random(alive.size) >= drop[alive]
        alive, t = alive[stay], t[stay]
    cust, week = np.concatenate(who), np.concatenate(when)
    amount = rng.gamma(spend[0], 1 / nu[cust])
    days = np.floor(week * 7).astype("int64")
    return pd.DataFrame({
        "customer_id": pd.Series(cust).map("C{:07d}".format).astype("str"),
        "date": (pd.Timestamp(start) + pd.to_timedelta(days, unit="D")).astype("datetime64[us]"),
        "amount": np.round(amount, 2),
    }).sort_values(["customer_id", "date"], ignore_index=True)  # fmt: skip
