"""The demo company's tables: contract, determinism, censoring, and the story they tell."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from demo_helpers import END, seed_of
from scipy import stats

from revlab import demo
from revlab.schema import CLOSED_STAGES, OPPORTUNITY_STAGES, TABLES, validate

BUYING = ["pricing_page_view", "demo_request", "sales_call"]


def fingerprint(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    return {
        name: hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy()).hexdigest()
        for name, frame in tables.items()
    }


def test_same_seed_gives_identical_tables(small):
    again = demo.simulate(seed=seed_of("demo small"), n_leads=4_000)
    for name, frame in small.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name], check_exact=True)
    assert fingerprint(small.tables) == fingerprint(again.tables)


def test_different_seed_gives_different_data(small):
    other = demo.simulate(seed=seed_of("demo other"), n_leads=4_000)
    a, b = fingerprint(small.tables), fingerprint(other.tables)
    assert all(a[name] != b[name] for name in ("leads", "activities", "opportunities"))


def test_tables_pass_the_schema_without_warnings(company, recwarn):
    checked = validate(company.tables, as_of=company.as_of)
    assert set(checked.tables) == set(TABLES) - {"fx_rates"}  # one currency: no rates
    assert checked.warnings == [] and checked.notes == []


def test_columns_are_the_contract(tables):
    for name, frame in tables.items():
        assert set(frame.columns) <= set(TABLES[name].columns), name
        assert {c.name for c in TABLES[name].required} <= set(frame.columns), name
    assert tables["leads"]["created_at"].dtype == "datetime64[us]"
    assert tables["opportunities"]["is_won"].dtype == bool


def test_default_size_and_calendar(company, tables):
    leads = tables["leads"]
    assert 38_000 < len(leads) < 42_000
    assert leads["created_at"].min() >= pd.Timestamp("2023-10-01")
    assert leads["created_at"].max() < END == company.as_of
    assert 7 < len(tables["activities"]) / len(leads) < 13


def test_vocabularies(tables):
    opp_stages = set(OPPORTUNITY_STAGES) | set(CLOSED_STAGES)
    assert set(tables["opportunities"]["stage"]) <= opp_stages
    assert set(tables["stage_history"]["stage"]) == opp_stages
    assert set(tables["leads"]["channel"]) == set(demo.CHANNELS)
    assert set(tables["leads"]["segment"]) == set(demo.SEGMENTS)
    assert set(tables["activities"]["activity"]) == set(demo.ACTIVITIES)
    assert set(tables["targets"]["quarter"]) >= {"2026Q3", "2026Q4"}


def test_conversion_links_leads_and_deals(tables):
    leads, opps = tables["leads"], tables["opportunities"]
    converted = leads["converted_at"].notna()
    assert (converted == leads["opportunity_id"].notna()).all()
    joined = opps.merge(leads, on="lead_id", suffixes=("", "_lead"))
    assert len(joined) == len(opps) == converted.sum()
    assert (joined["created_at"] == joined["converted_at"]).all()
    assert (joined["opportunity_id"] == joined["opportunity_id_lead"]).all()
    order = leads[["created_at", "mql_at", "sql_at", "converted_at"]].dropna()
    assert (order.diff(axis=1).iloc[:, 1:] >= pd.Timedelta(0)).all().all()


def test_censored_records_exist(tables):
    leads, opps = tables["leads"], tables["opportunities"]
    open_leads = leads["converted_at"].isna() & leads["disqualified_at"].isna()
    assert open_leads.sum() > 500
    assert leads.loc[open_leads, "created_at"].min() > END - pd.Timedelta(days=400)
    open_opps = ~opps["is_closed"]
    assert open_opps.sum() > 30
    assert opps.loc[open_opps, "closed_at"].isna().all()
    assert set(opps.loc[open_opps, "stage"]) <= set(OPPORTUNITY_STAGES)
    assert (opps.loc[open_opps, "close_date"] >= END - pd.Timedelta(days=3)).all()


def test_seasonality_is_visible_in_weekly_volumes(tables):
    weekly = tables["leads"].set_index("created_at").resample("W-MON").size().iloc[1:-1]
    resid = np.log(weekly) - np.polyval(
        np.polyfit(np.arange(len(weekly)), np.log(weekly), 1), np.arange(len(weekly))
    )
    month = weekly.index.month
    peak, trough = resid[np.isin(month, [1, 10])], resid[np.isin(month, [7, 8, 12])]
    assert peak.mean() - trough.mean() > 0.2
    assert stats.ttest_ind(peak, trough, equal_var=False).pvalue < 1e-4


def test_buyers_show_more_buying_signals(tables, truth):
    acts = tables["activities"].merge(truth.leads[["lead_id", "is_buyer"]], on="lead_id")
    share = acts.assign(buying=acts["activity"].isin(BUYING)).groupby("is_buyer")["buying"].mean()
    assert share[True] > 1.5 * share[False]
    per_lead = acts.assign(buying=acts["activity"].isin(BUYING)).groupby("lead_id")["buying"].sum()
    scores = truth.leads.set_index("lead_id")["is_buyer"].to_frame().join(per_lead).fillna(0)
    auc = stats.mannwhitneyu(
        scores.loc[scores.is_buyer, "buying"], scores.loc[~scores.is_buyer, "buying"]
    ).statistic / (scores.is_buyer.sum() * (~scores.is_buyer).sum())
    assert 0.6 < auc < 0.95  # a real signal, far from perfect
    naive = scores["buying"] > 0  # "touched a buying signal"
    assert scores.loc[naive, "is_buyer"].mean() < 0.6  # many lookie-loos trip the naive rule


def test_buying_signals_come_closer_to_conversion(tables, truth):
    leads = tables["leads"].merge(truth.leads[["lead_id", "is_buyer"]], on="lead_id")
    won = leads[leads["is_buyer"] & leads["converted_at"].notna()]
    acts = tables["activities"].merge(won[["lead_id", "created_at", "converted_at"]], on="lead_id")
    acts = acts[acts["occurred_at"] <= acts["converted_at"]]
    days_left = (acts["converted_at"] - acts["occurred_at"]).dt.days
    late = acts[days_left <= 7]["activity"].isin(BUYING).mean()
    early = acts[days_left > 21]["activity"].isin(BUYING).mean()
    assert late > early + 0.05


def test_closes_bunch_at_quarter_end(tables):
    won = tables["opportunities"].query("is_won")
    closed = won["closed_at"]
    to_end = (closed.dt.to_period("Q").dt.end_time - closed).dt.days
    assert (to_end < 14).mean() > 1.5 * 14 / 91


def test_deals_slip_and_change_amount(tables):
    hist = tables["stage_history"].sort_values(["opportunity_id", "entered_at"], kind="stable")
    same = hist["opportunity_id"].eq(hist["opportunity_id"].shift())
    push = (
        same
        & hist["stage"].eq(hist["stage"].shift())
        & hist["close_date"].gt(hist["close_date"].shift())
    )
    assert push.sum() > 150
    per_deal = push.groupby(hist["opportunity_id"]).sum()
    assert (per_deal >= 2).sum() > 10  # some deals slip repeatedly
    pushed_on = hist.loc[push, "entered_at"]
    old_date = hist["close_date"].shift().loc[push]
    lead = (old_date - pushed_on).dt.total_seconds() / 86400
    # pushed in the two weeks before the expected date, or the day(s) just after it
    assert ((lead > -3.5) & (lead < 14.5)).mean() > 0.95
    assert 0.4 < (lead > 0).mean() < 0.8  # most pushes come before the date passes
    at_quarter_end = old_date.dt.to_period("Q").dt.end_time.dt.normalize() == old_date
    assert at_quarter_end.mean() > 0.42  # more than the 1/3 of month ends that end a quarter
    # deals slip out of a quarter while it is still running
    out = (lead > 0) & (old_date.dt.to_period("Q") == pushed_on.dt.to_period("Q"))
    new_date = hist.loc[push, "close_date"]
    assert (out & (new_date.dt.to_period("Q") > old_date.dt.to_period("Q"))).sum() > 50
    changed = same & hist["amount"].ne(hist["amount"].shift())
    assert changed.sum() > 300


def test_cycles_and_amounts_grow_with_segment(tables):
    won = tables["opportunities"].query("is_won")
    cycle = (won["closed_at"] - won["created_at"]).dt.days.groupby(won["segment"]).median()
    assert cycle["smb"] < cycle["mid_market"] < cycle["enterprise"]
    assert 15 < cycle["smb"] < 50 and 70 < cycle["enterprise"] < 200
    amount = won.groupby("segment")["amount"].median()
    assert amount["smb"] < amount["mid_market"] < amount["enterprise"]


def test_spend_matches_acquisition_costs(tables):
    leads, spend = tables["leads"], tables["marketing_spend"]
    assert (spend["period_start"].dt.day_of_week == 0).all()
    assert leads["acquisition_cost"].sum() == pytest.approx(spend["spend"].sum(), rel=0.01)
    cpn = leads.groupby("channel")["acquisition_cost"].mean()
    assert cpn["organic"] < cpn["paid_search"] < cpn["events"]


def test_targets_are_ambitious_but_plausible(company, tables):
    targets = tables["targets"].set_index("quarter")["bookings_target"]
    plan = pd.Series(company.truth.params["plan"])
    ratio = targets / plan[targets.index]
    assert ratio.between(0.95, 1.25).all()
    won = tables["opportunities"].query("is_won")
    realised = won.groupby(won["closed_at"].dt.to_period("Q").astype(str))["amount"].sum()
    recent = [q for q in realised.index if q >= "2024Q3"]
    attainment = realised[recent] / targets[recent]
    assert 0.7 < attainment.median() < 1.1
    assert 1e6 < realised["2026Q3"] < 1e7 and targets["2026Q4"] > 0


def test_subscriptions_renew_and_churn_by_segment(tables, truth):
    subs = tables["subscriptions"]
    opps = tables["opportunities"].query("is_won")
    assert len(subs.query("renewed_from.isna()")) == len(opps)
    seg = subs["account_id"].map(opps.set_index("account_id")["segment"])
    due = subs["end_date"] < END - pd.Timedelta(days=2)
    renewed = subs["subscription_id"].isin(subs["renewed_from"])
    churn = truth.churn_rate().set_index("segment")["rate"]
    for s, rate in churn.items():
        m = due & (seg == s)
        lost = (~renewed[m]).sum()
        assert abs(lost - m.sum() * rate) < 3.5 * np.sqrt(m.sum() * rate * (1 - rate)), s
    prev = subs.set_index("subscription_id")["amount"]
    ren = subs.dropna(subset=["renewed_from"])
    assert (ren["amount"].to_numpy() / prev[ren["renewed_from"]].to_numpy()).mean() > 1.0
