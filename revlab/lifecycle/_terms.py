"""Contract terms as renewal chains: each term's outcome, and each customer's life so far.

The subscriptions table holds one row per contract term (small: one row per contract), so it
is read into pandas once; the account attributes (segment, acquisition channel) come from the
engine through Ibis. A term *renews* when a later term continues it (``renewed_from`` names it,
or, without that column, the account's next term starts within ``grace_days`` of its end). A
term's renewal decision is *due* once ``end_date + grace_days`` has passed the as-of date;
until then its outcome is unknown (censored), never a loss. A *customer* is one unbroken
chain of renewals: an account that churns and comes back later starts a second chain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revlab._rules import examples, overlapping_terms
from revlab.lifecycle._errors import LifecycleError
from revlab.needs import requires
from revlab.periods import CALENDAR, FiscalCalendar, quarter_label
from revlab.schema import TABLES, SchemaError
from revlab.sources import Source

DAYS_PER_MONTH = 365.25 / 12
UNKNOWN = "unknown"
GRACE_DAYS = 30


def load(src: Source) -> pd.DataFrame:
    """The subscriptions table at the source's as-of date, checked (see :func:`check`)."""
    src.require("subscriptions", analysis="retention and renewals")
    subs = src.to_pandas("subscriptions")
    if subs.empty:
        raise LifecycleError(
            f"subscriptions: {src.label} holds no contract terms (at its as-of date); "
            "retention needs at least one term per customer."
        )
    check(subs)
    return subs


def check(subs: pd.DataFrame) -> None:
    """Refuse terms that end before they start or overlap an earlier term of the account."""
    spec = TABLES["subscriptions"]
    problems = []
    empty = subs["start_date"].isna() | subs["end_date"].isna()
    if empty.any():
        problems.append(
            f"subscriptions.start_date/end_date: terms without a date: {int(empty.sum())} "
            f"({examples(subs, empty, spec)}); every term needs its start and end."
        )
    backwards = subs["end_date"] < subs["start_date"]
    if backwards.any():
        problems.append(
            f"subscriptions.end_date: terms ending before they start: {int(backwards.sum())} "
            f"({examples(subs, backwards, spec)}); fix the dates at the source."
        )
    problems += overlapping_terms(subs)
    if problems:
        raise SchemaError(problems)


def as_of(src: Source, subs: pd.DataFrame) -> pd.Timestamp:
    """The moment the data is known to: the source's cut, else the latest term start."""
    return pd.Timestamp(src.as_of) if src.as_of is not None else subs["start_date"].max()


def attributes(src: Source) -> pd.DataFrame:
    """Per account, ``segment`` and acquisition ``channel`` of its first won deal.

    The channel follows opportunities.account_id → lead_id → leads.channel; the segment is the
    deal's, else the lead's. Missing links give ``unknown`` rather than dropping the account.
    """
    cols = ["account_id", "segment", "channel"]
    if not src.has("opportunities") or "account_id" not in src.table("opportunities").columns:
        return pd.DataFrame(columns=cols)
    opps = src.table("opportunities")
    opps = opps.filter(opps.is_won & opps.account_id.notnull())
    keep = [c for c in ("account_id", "lead_id", "segment", "created_at") if c in opps.columns]
    won = opps.select(*keep).to_pandas().sort_values(["account_id", "created_at"], kind="stable")
    won = won.drop_duplicates("account_id")
    if "lead_id" in won.columns and src.has("leads"):
        leads = src.table("leads")
        lcols = [c for c in ("lead_id", "channel", "segment") if c in leads.columns]
        lead = leads.select(*lcols).to_pandas().rename(columns={"segment": "lead_segment"})
        won = won.merge(lead, on="lead_id", how="left")
        if "lead_segment" in won.columns:
            own = won["segment"] if "segment" in won.columns else np.nan
            won["segment"] = won["lead_segment"].where(pd.isna(own), own)
    for c in ("segment", "channel"):
        won[c] = won[c].astype("str").where(won[c].notna(), UNKNOWN) if c in won else UNKNOWN
    return won[cols].reset_index(drop=True)


def _predecessors(subs: pd.DataFrame, grace_days: float) -> np.ndarray:
    """Row position of the term each term renews (-1 for a first term)."""
    pred = np.full(len(subs), -1)
    if "renewed_from" in subs.columns and subs["renewed_from"].notna().any():
        if "subscription_id" not in subs.columns:
            raise LifecycleError(
                "subscriptions.renewed_from names earlier terms, but the table has no "
                "subscription_id to find them by; add subscription_id or drop renewed_from."
            )
        pos = pd.Series(np.arange(len(subs)), index=subs["subscription_id"].to_numpy())
        found = subs["renewed_from"].map(pos)
        pred[found.notna().to_numpy()] = found.dropna().astype(int).to_numpy()
        return pred
    order = np.lexsort((subs["start_date"].to_numpy(), subs["account_id"].to_numpy()))
    s = subs.iloc[order]
    same = s["account_id"].to_numpy()[1:] == s["account_id"].to_numpy()[:-1]
    gap = s["start_date"].to_numpy()[1:] - s["end_date"].to_numpy()[:-1]
    near = gap <= np.timedelta64(int(grace_days * 86_400), "s")
    follow = np.flatnonzero(same & near)
    pred[order[follow + 1]] = order[follow]
    return pred


@requires("subscriptions", analysis="Contract terms")
def terms(src: Source, *, grace_days: float = GRACE_DAYS, cohort: str = "year") -> pd.DataFrame:
    """Every contract term with its place in its customer's chain and its renewal outcome.

    Returns
    -------
    DataFrame
        One row per term: ``subscription_id``, ``account_id``, ``customer_id`` (the chain),
        ``term_number`` (1 for the first term), ``start_date``, ``end_date``, ``months``
        (term length, whole months), ``amount``, ``arr`` (amount per 12 months),
        ``satisfaction`` (NaN when absent), ``segment``, ``channel``, ``cohort`` (year or
        quarter of the chain's first start), ``due`` (its renewal decision is known),
        ``renewed`` (True/False where due or already renewed, else NA), ``next_amount`` and
        ``uplift`` (next amount / amount, renewed terms only).
    """
    subs = load(src).reset_index(drop=True)
    at = as_of(src, subs)
    subs = subs.sort_values(["start_date", "account_id"], kind="stable", ignore_index=True)
    pred = _predecessors(subs, grace_days)
    later = pred > np.arange(len(subs))
    if later.any():
        raise LifecycleError(
            "subscriptions.renewed_from: terms renewing a term that starts after them: "
            f"{int(later.sum())} ({examples(subs, later, TABLES['subscriptions'])}); a renewal "
            "names the term it follows: fix the links at the source."
        )
    number, chain = np.ones(len(subs), dtype=int), np.arange(len(subs))
    for row in np.flatnonzero(pred >= 0):  # rows are in start order: predecessors come first
        number[row], chain[row] = number[pred[row]] + 1, chain[pred[row]]
    out = subs.assign(term_number=number, _chain=chain)
    out = _outcomes(out, pred, at, grace_days)
    out = _customer_ids(out)
    first_start = out.groupby("customer_id")["start_date"].transform("min")
    out["cohort"] = _cohort(first_start, cohort, getattr(src, "calendar", CALENDAR))
    out = out.merge(attributes(src), on="account_id", how="left")
    out[["segment", "channel"]] = out[["segment", "channel"]].fillna(UNKNOWN)
    if "satisfaction" not in out.columns:
        out["satisfaction"] = np.nan
    cols = [
        "subscription_id", "account_id", "customer_id", "term_number", "start_date",
        "end_date", "months", "amount", "arr", "satisfaction", "segment", "channel", "cohort",
        "due", "renewed", "next_amount", "uplift",
    ]  # fmt: skip
    return out.reindex(columns=cols)


def _outcomes(t: pd.DataFrame, pred: np.ndarray, at: pd.Timestamp, grace: float):
    days = (t["end_date"] - t["start_date"]).dt.total_seconds() / 86_400 + 1
    t["months"] = np.maximum(np.round(days / DAYS_PER_MONTH), 1).astype(int)
    t["arr"] = t["amount"] * 12 / t["months"]
    nxt = np.full(len(t), -1)
    nxt[pred[pred >= 0]] = np.flatnonzero(pred >= 0)
    has_next = nxt >= 0
    t["due"] = (t["end_date"] + pd.Timedelta(days=grace)) <= at
    t["renewed"] = pd.array(np.where(has_next, True, False), dtype="boolean")
    t.loc[~has_next & ~t["due"], "renewed"] = pd.NA
    amounts = t["amount"].to_numpy()
    t["next_amount"] = np.where(has_next, amounts[np.maximum(nxt, 0)], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["uplift"] = np.where(has_next & (amounts > 0), t["next_amount"] / amounts, np.nan)
    if "subscription_id" not in t.columns:
        t["subscription_id"] = [f"row-{i}" for i in range(len(t))]
    return t


def _customer_ids(t: pd.DataFrame) -> pd.DataFrame:
    first = t.groupby("_chain")["start_date"].transform("min")
    rank = t.assign(_first=first).groupby("account_id")["_first"].rank(method="dense").astype(int)
    t["customer_id"] = (
        t["account_id"]
        .astype("str")
        .where(rank == 1, t["account_id"].astype("str") + "#" + rank.astype("str"))
    )
    return t.drop(columns="_chain")


def _cohort(first_start: pd.Series, freq: str, cal: FiscalCalendar) -> pd.Series:
    if freq == "year":
        return first_start.dt.year.astype("str")
    if freq == "quarter":
        return quarter_label(first_start, cal)
    raise ValueError(f"cohort must be 'year' or 'quarter', got {freq!r}.")


def customers(
    data: Source | pd.DataFrame, *, grace_days: float = GRACE_DAYS, cohort: str = "year"
) -> pd.DataFrame:
    """One row per customer (renewal chain) with what the churn and value models need.

    ``data`` is a source, or a frame from :func:`terms` (then ``grace_days`` and ``cohort``
    are those it was made with).

    Returns
    -------
    DataFrame
        ``customer_id``, ``account_id``, ``segment``, ``channel``, ``cohort``,
        ``first_start``, ``terms`` (terms so far), ``decisions`` (renewal decisions known),
        ``churned``, ``recency`` and ``T`` (periods as pymc-marketing's shifted-beta-geometric
        model reads them: a churned customer has ``recency = terms`` and ``T = terms + 1``, an
        active one ``recency = T = terms``), ``first_amount`` and ``first_arr`` (first
        term), ``current_amount`` and ``current_arr`` (latest term), ``months`` (typical term
        length), ``growth`` (mean renewal uplift - 1 of its renewed terms; NaN if none).
    """
    if isinstance(data, pd.DataFrame):
        return summarise(data)
    return summarise(terms(data, grace_days=grace_days, cohort=cohort))


def summarise(t: pd.DataFrame) -> pd.DataFrame:
    """Per-customer rows (see :func:`customers`) from a terms frame."""
    t = t.sort_values(["customer_id", "term_number"], kind="stable")
    g = t.groupby("customer_id", sort=True)
    last = g.tail(1).set_index("customer_id")
    first = g.head(1).set_index("customer_id")
    churned = last["due"] & ~last["renewed"].fillna(False).astype(bool)
    n = g.size()
    out = pd.DataFrame({
        "account_id": first["account_id"],
        "segment": first["segment"],
        "channel": first["channel"],
        "cohort": first["cohort"],
        "first_start": first["start_date"],
        "terms": n,
        "decisions": n - 1 + churned.astype(int),
        "churned": churned,
        "recency": n,
        "T": n + churned.astype(int),
        "first_amount": first["amount"],
        "first_arr": first["arr"],
        "current_amount": last["amount"],
        "current_arr": last["arr"],
        "months": g["months"].median(),
        "growth": g["uplift"].mean() - 1,
    })  # fmt: skip
    return out.rename_axis("customer_id").reset_index()
