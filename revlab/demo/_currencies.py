"""The demo company in several currencies: ``revlab demo --currencies USD,EUR,GBP``.

Each account (its deals, their history and its subscriptions) and each marketing channel is
billed in one currency, drawn from its own seeded stream; amounts are written in that currency
through a deterministic weekly rate series stored as ``fx_rates``, so that converting back
(:mod:`revlab._fx`) gives the one-currency company's amounts: to within 0.01 per row, as
amounts are rounded to cents, for closed deals, history, subscriptions and spend. An open deal
converts at its creation date, so in a cut where a deal later won is still open its amount
differs from the one-currency company's by the rate's drift since creation, as a real one would.
The first code is the one rates are quoted in (the reporting currency); the default company,
without the option, never comes here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The stream's constant: the currencies draw from ``default_rng([seed, CURRENCY_STREAM])``.
CURRENCY_STREAM = 24
#: Rough units of the first currency (USD) per unit, the level each rate series wobbles around.
LEVELS = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0068, "CHF": 1.12, "CAD": 0.74}
#: How far a rate swings over a year (± share of its level), and how it drifts over the window.
SWING, DRIFT = 0.04, 0.03


def rate_series(codes: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Weekly rates of every code but the first, in units of the first, from before ``start``.

    Deterministic (no draws): a yearly swing with a phase per currency and a slow drift, rounded
    to six significant digits, the way rate feeds publish them.
    """
    base = codes[0]
    weeks = pd.date_range(pd.Timestamp(start).normalize() - pd.Timedelta(days=7), end, freq="7D")
    span = max((weeks[-1] - weeks[0]).days, 1)
    rows = []
    for i, code in enumerate(codes[1:], start=1):
        level = LEVELS.get(code, 1.0) / LEVELS.get(base, 1.0)
        t = np.asarray((weeks - weeks[0]).days, dtype=float)
        wave = 1 + SWING * np.sin(2 * np.pi * t / 365.25 + i) + DRIFT * (t / span - 0.5)
        rate = [float(f"{v:.6g}") for v in level * wave]
        rows.append(pd.DataFrame({"currency": code, "valid_from": weeks, "rate": rate}))
    frame = pd.concat(rows, ignore_index=True)
    frame["valid_from"] = frame["valid_from"].astype("datetime64[us]")
    return frame


def _rate_at(rates: pd.DataFrame, codes: pd.Series, dates: pd.Series) -> np.ndarray:
    """The rate of each row's currency valid at its date (1 for the base currency)."""
    out = np.ones(len(codes))
    for code, group in rates.groupby("currency"):
        mine = (codes == code).to_numpy()
        if mine.any():
            steps = group.sort_values("valid_from")
            at = np.searchsorted(steps["valid_from"].to_numpy(), dates[mine].to_numpy(), "right")
            out[mine] = steps["rate"].to_numpy()[at - 1]
    return out


def in_currencies(
    tables: dict[str, pd.DataFrame], codes: list[str], *, seed: int
) -> dict[str, pd.DataFrame]:
    """The company's tables with money in ``codes`` and an ``fx_rates`` table; inputs unchanged."""
    rng = np.random.default_rng([seed, CURRENCY_STREAM])
    share = np.linspace(2.0, 1.0, len(codes))  # the first currency the most common
    pick = dict(p=share / share.sum())
    opps, subs = tables["opportunities"], tables["subscriptions"]
    accounts = sorted(set(opps["account_id"].dropna()) | set(subs["account_id"].dropna()))
    account_code = dict(zip(accounts, rng.choice(codes, size=len(accounts), **pick), strict=True))
    channels = sorted(tables["marketing_spend"]["channel"].unique())
    channel_code = dict(zip(channels, rng.choice(codes, size=len(channels), **pick), strict=True))
    start = min(t[c].min() for t, c in ((opps, "created_at"), (subs, "start_date")))
    end = max(opps["created_at"].max(), opps["closed_at"].max(), subs["start_date"].max())
    end = max(end, tables["marketing_spend"]["period_start"].max())
    start = min(start, tables["marketing_spend"]["period_start"].min())
    rates = rate_series(codes, start, end)
    out = dict(tables)

    deal_code = opps["account_id"].map(account_code).fillna(codes[0])
    closed = opps["closed_at"].where(opps["is_closed"]).fillna(opps["close_date"])
    deal_date = closed.where(opps["is_closed"], opps["created_at"])
    deal_rate = pd.Series(_rate_at(rates, deal_code, deal_date), index=opps.index)
    out["opportunities"] = _local(opps, "amount", deal_code, deal_rate)

    hist = tables["stage_history"]
    by_deal = pd.DataFrame(
        {"code": deal_code.to_numpy(), "rate": deal_rate.to_numpy()},
        index=opps["opportunity_id"].to_numpy(),
    )
    h = by_deal.reindex(hist["opportunity_id"].to_numpy())
    out["stage_history"] = _local(hist, "amount", h["code"], h["rate"])

    sub_code = subs["account_id"].map(account_code).fillna(codes[0])
    sub_rate = _rate_at(rates, sub_code, subs["start_date"])
    out["subscriptions"] = _local(subs, "amount", sub_code, sub_rate)

    spend = tables["marketing_spend"]
    spend_code = spend["channel"].map(channel_code)
    spend_rate = _rate_at(rates, spend_code, spend["period_start"])
    out["marketing_spend"] = _local(spend, "spend", spend_code, spend_rate)
    out["fx_rates"] = rates
    return out


def _local(frame: pd.DataFrame, column: str, code, rate) -> pd.DataFrame:
    """``frame`` with ``column`` divided by ``rate`` (rounded to cents) and a ``currency``."""
    out = frame.copy()
    out[column] = (frame[column].to_numpy() / np.asarray(rate, dtype=float)).round(2)
    out["currency"] = np.asarray(code, dtype=object)
    return out
