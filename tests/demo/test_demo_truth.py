"""The ground truth agrees with the data it generated, and its predictions are calibrated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from demo_helpers import END, binomial_z
from scipy import stats

from revlab.demo._params import DEAL_STAGES
from revlab.periods import Quarter

YEAR = pd.Timedelta(days=365)
MATURE = ("2023-10-01", str((END - YEAR).date()))  # leads with a full year to convert


@pytest.fixture(scope="module")
def mature_leads(tables):
    leads = tables["leads"]
    cohort = leads[leads["created_at"] < END - YEAR].copy()
    opps = tables["opportunities"].set_index("opportunity_id")
    closed = cohort["opportunity_id"].map(opps["closed_at"])
    won = cohort["opportunity_id"].map(opps["is_won"]).fillna(False).astype(bool)
    cohort["opp_in_year"] = cohort["converted_at"] - cohort["created_at"] <= YEAR
    cohort["won_in_year"] = won & (closed - cohort["created_at"] <= YEAR)
    return cohort


@pytest.mark.parametrize("by", ["channel", "segment"])
@pytest.mark.parametrize("to", ["opportunity", "won"])
def test_empirical_conversion_matches_truth(truth, mature_leads, by, to):
    true = truth.conversion_rate(by=by, to=to, within_days=365, cohort=MATURE)
    column = "opp_in_year" if to == "opportunity" else "won_in_year"
    observed = mature_leads.groupby(by)[column].agg(["sum", "size"])
    for level, p in true.set_index(by)["rate"].items():
        k, n = observed.loc[level]
        assert abs(binomial_z(k, n, p)) < 3, (level, k / n, p)


def test_channels_really_differ(truth):
    rate = truth.conversion_rate("channel", "won").set_index("channel")["rate"]
    assert rate["referral"] > 2 * rate["outbound"]
    assert (rate > 0.003).all() and (rate < 0.08).all()


def test_conversion_within_days_grows_to_the_eventual_rate(truth):
    for to in ("opportunity", "won"):
        rates = [truth.conversion_rate("segment", to, d).rate.to_numpy() for d in (30, 90, 365)]
        rates.append(truth.conversion_rate("segment", to).rate.to_numpy())
        assert (np.diff(np.stack(rates), axis=0) >= -1e-12).all()
        assert (rates[0] < rates[-1]).all()


def test_win_rate_matches_closed_deals(truth, tables):
    opps = tables["opportunities"]
    mature = opps[(opps["created_at"] < END - YEAR) & opps["is_closed"]]
    observed = mature.groupby("segment")["is_won"].agg(["sum", "size"])
    for seg, p in truth.win_rate().set_index("segment")["rate"].items():
        assert abs(binomial_z(*observed.loc[seg], p)) < 3, seg
    assert 0.2 < truth.win_rate().rate.mean() < 0.35


def test_stage_advance_rates_match_the_deals_hidden_paths(truth):
    """Each stage's true forward rate is the share of simulated deals entering it that go on."""
    true = truth.stage_advance_rate()
    assert np.allclose(true.groupby("stage")["share"].sum(), 1.0)
    deals = truth.deals
    died = deals["lost_stage"].map({s: i for i, s in enumerate(DEAL_STAGES)})
    died = died.where(~deals["will_win"], len(DEAL_STAGES)).to_numpy(float)
    for i, stage in enumerate(DEAL_STAGES):
        cells = true[true["stage"] == stage]
        for segment, part in cells.groupby("segment"):
            entered = (died >= i) & (deals["segment"] == segment).to_numpy()
            p = (part["rate"] * part["share"]).sum() / part["share"].sum()
            k, n = (died[entered] > i).sum(), entered.sum()
            assert abs(binomial_z(k, n, p)) < 3, (stage, segment, k / n, p)
    # winning is the product of leaving every stage forward
    win = true.pivot_table("rate", ["segment", "channel"], "stage").prod(axis=1)
    first = true[true["stage"] == DEAL_STAGES[0]].set_index(["segment", "channel"])["share"]
    by_segment = (win * first).groupby("segment").sum() / first.groupby("segment").sum()
    expected = truth.win_rate("segment").set_index("segment")["rate"]
    assert np.allclose(by_segment.reindex(expected.index), expected, rtol=1e-9)


def test_deal_size_median_splits_won_amounts_in_half(truth, tables):
    won = tables["opportunities"].query("is_won")
    for seg, median in truth.deal_size_median().set_index("segment")["median"].items():
        amounts = won.loc[won["segment"] == seg, "amount"]
        assert abs(binomial_z((amounts < median).sum(), len(amounts), 0.5)) < 3, seg
    by_channel = truth.deal_size_median("channel").set_index("channel")["median"]
    assert by_channel.between(10_000, 200_000).all()


def test_bookings_equal_the_tables(truth, tables):
    won = tables["opportunities"].query("is_won")
    for q in ["2023Q4", "2025Q1", "2026Q3"]:
        expected = won.loc[Quarter.parse(q).contains(won["closed_at"]), "amount"].sum()
        assert truth.bookings(q) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="2026Q4"):
        truth.bookings("2026Q4")


def test_buy_probability_covers_exactly_the_open_leads(truth, tables):
    as_of = pd.Timestamp("2025-06-01")
    p = truth.buy_probability(as_of, horizon_days=90)
    leads = tables["leads"]
    open_ = (leads["created_at"] <= as_of) & ~(leads["converted_at"] <= as_of)
    open_ &= ~(leads["disqualified_at"] <= as_of)
    assert set(p["lead_id"]) == set(leads.loc[open_, "lead_id"])
    assert p["p"].between(0, 1).all()


def test_buy_probability_is_calibrated_and_sharp(truth, tables):
    leads = tables["leads"].set_index("lead_id")
    frames = []
    for as_of in pd.date_range("2024-06-01", "2026-06-01", freq="4MS"):
        p = truth.buy_probability(as_of, horizon_days=90)
        conv = leads.loc[p["lead_id"], "converted_at"].to_numpy()
        p["y"] = (conv > as_of) & (conv <= as_of + pd.Timedelta(days=90))
        frames.append(p)
    scored = pd.concat(frames).merge(truth.leads[["lead_id", "is_buyer"]], on="lead_id")
    expected, observed = scored["p"].sum(), scored["y"].sum()
    assert abs(observed - expected) < 3 * np.sqrt((scored["p"] * (1 - scored["p"])).sum())
    top = scored["p"] > scored["p"].quantile(0.9)
    assert scored.loc[top, "y"].mean() > 5 * scored.loc[~top, "y"].mean()
    auc = stats.mannwhitneyu(scored.loc[scored.y, "p"], scored.loc[~scored.y, "p"]).statistic
    assert auc / (scored.y.sum() * (~scored.y).sum()) > 0.8
    by_intent = scored.groupby("is_buyer")["p"].mean()
    assert by_intent[True] > 10 * by_intent[False]


def test_resimulated_bookings_cover_the_realised_quarters(truth):
    quarters = [Quarter.parse("2024Q3").shift(i) for i in range(9)]
    pit = []
    for q in quarters:
        draws = truth.resimulate_bookings(q.start, str(q), n_sims=200, seed=3)
        assert draws.std() > 0
        pit.append((draws < truth.bookings(str(q))).mean())
    pit = np.array(pit)
    # calibrated: P(outside the central 99%) is 1% per quarter, so 2+ of 9 is a 0.3% event
    assert ((pit >= 0.005) & (pit <= 0.995)).sum() >= len(pit) - 1
    assert 0.2 < pit.mean() < 0.8


def test_resimulation_counts_known_wins_and_is_seeded(truth, tables):
    q = Quarter.parse("2026Q2")
    mid = q.start + pd.Timedelta(days=45)
    won = tables["opportunities"].query("is_won")
    known = won.loc[(won["closed_at"] >= q.start) & (won["closed_at"] <= mid), "amount"].sum()
    draws = truth.resimulate_bookings(mid, str(q), n_sims=100, seed=5)
    assert draws.min() >= known and draws.mean() > known
    np.testing.assert_array_equal(
        draws, truth.resimulate_bookings(mid, str(q), n_sims=100, seed=5)
    )
    assert not np.array_equal(draws, truth.resimulate_bookings(mid, str(q), n_sims=100, seed=6))
    after = truth.resimulate_bookings(q.end, str(q), n_sims=10)
    np.testing.assert_allclose(after, truth.bookings(str(q)))


def test_next_quarter_distribution_is_plausible(truth, tables):
    draws = truth.resimulate_bookings(truth.as_of, "2026Q4", n_sims=300, seed=1)
    target = tables["targets"].set_index("quarter").loc["2026Q4", "bookings_target"]
    hit = (draws >= target).mean()
    assert 0.05 < hit < 0.7  # ambitious but plausible
    assert 0.5 * truth.bookings("2026Q3") < np.median(draws) < 2 * truth.bookings("2026Q3")


def test_pipeline_snapshots_agree_with_stage_history(truth, tables):
    snaps = truth.pipeline_snapshots
    hist = tables["stage_history"].sort_values("entered_at", kind="stable")
    opps = tables["opportunities"].set_index("opportunity_id")
    assert (snaps["snapshot_date"].dt.day_of_week == 0).all()
    for day in pd.to_datetime(["2024-03-04", "2025-06-30", "2026-09-28"]):
        snap = snaps[snaps["snapshot_date"] == day].set_index("opportunity_id").sort_index()
        last = hist[hist["entered_at"] <= day].groupby("opportunity_id").last()
        open_ids = opps.index[(opps["created_at"] <= day) & ~(opps["closed_at"] <= day)]
        assert set(snap.index) == set(open_ids)
        rebuilt = last.loc[snap.index, ["stage", "amount", "close_date"]]
        pd.testing.assert_frame_equal(
            snap[["stage", "amount", "close_date"]], rebuilt, check_names=False
        )
