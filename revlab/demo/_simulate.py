"""Run the demo company once: arrivals, funnel, deals, history, touches, renewals, plan.

Each step draws from its own child of ``np.random.SeedSequence(seed)``, so a change in one
step (say, more touches) leaves every other step's draws unchanged, and the same seed always
gives byte-identical tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revlab.demo import (
    _activities,
    _arrivals,
    _calls,
    _capacity,
    _deals,
    _funnel,
    _history,
    _plan,
    _subscriptions,
    _tables,
)
from revlab.demo._calendar import Calendar
from revlab.demo._params import (
    DEFAULT_END,
    DEFAULT_N_LEADS,
    DEFAULT_SEED,
    DEFAULT_START,
    Model,
    default_params,
)
from revlab.demo._truth import DemoTruth
from revlab.periods import FiscalCalendar

STREAMS = ("arrivals", "attributes", "funnel", "deals", "history", "touches", "renewals", "plan")


@dataclass
class Company:
    """A simulated company: the seven canonical tables and the hidden truth behind them."""

    tables: dict[str, pd.DataFrame]
    truth: DemoTruth

    @property
    def as_of(self) -> pd.Timestamp:
        """The moment the data ends (midnight after the last day)."""
        return self.truth.as_of

    def __repr__(self) -> str:
        rows = ", ".join(f"{name}={len(frame):,}" for name, frame in self.tables.items())
        seed = self.truth.params["run"]["seed"]
        return f"Company(seed={seed}, as_of={self.as_of:%Y-%m-%d}, {rows})"


def derived(truth: DemoTruth) -> dict:
    """Headline true rates, for readers of ``params.json`` (recomputed by the methods)."""

    def table(frame: pd.DataFrame, key: str, value: str) -> dict:
        return {str(k): float(v) for k, v in zip(frame[key], frame[value], strict=True)}

    out = {}
    for by in ("channel", "segment"):
        for to in ("opportunity", "won"):
            out[f"lead_to_{to}_by_{by}"] = table(truth.conversion_rate(by, to), by, "rate")
        out[f"win_rate_by_{by}"] = table(truth.win_rate(by), by, "rate")
        out[f"won_amount_median_by_{by}"] = table(truth.deal_size_median(by), by, "median")
    out["first_renewal_churn_by_segment"] = table(truth.churn_rate(), "segment", "rate")
    effect = truth.satisfaction_effect()
    out["first_renewal_churn_by_satisfaction_band"] = {
        seg: table(group, "band", "churn_rate") for seg, group in effect.groupby("segment")
    }
    return out


def make_params(
    seed: int, n_leads: int | None, start: str, end: str, fiscal_year_start: int = 1
) -> dict:
    """Default parameters with the run's seed, size and calendar."""
    p = default_params()
    p["run"] = {
        "seed": int(seed),
        "n_leads": int(DEFAULT_N_LEADS if n_leads is None else n_leads),
        "start": str(pd.Timestamp(start).date()),
        "end": str(pd.Timestamp(end).date()),
    }
    if fiscal_year_start != 1:  # a calendar company's parameters stay as they were
        p["run"]["fiscal_year_start"] = int(FiscalCalendar(int(fiscal_year_start)).start_month)
    return p


def simulate(
    seed: int = DEFAULT_SEED,
    n_leads: int | None = None,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    fiscal_year_start: int = 1,
    *,
    forecast_calls: bool = False,
) -> Company:
    """Simulate the demo company; see :mod:`revlab.demo` for the story and the truth kept.

    ``fiscal_year_start`` (month 1-12) sets the company's fiscal year: its plan and targets
    are for fiscal quarters (``FY2027Q1``), drawn from their own seeded stream; every other
    table is the same as the calendar company's. With ``forecast_calls``, deals and their
    history carry the reps' forecast categories (:mod:`~revlab.demo._calls`, from a stream of
    their own: every other value is unchanged).
    """
    params = make_params(seed, n_leads, start, end, fiscal_year_start)
    model, cal = Model.from_params(params), Calendar.from_params(params)
    rng = dict(
        zip(
            STREAMS, map(np.random.default_rng, np.random.SeedSequence(seed).spawn(8)), strict=True
        )
    )
    k = _arrivals.scale(cal, model, params["run"]["n_leads"])
    L, arr = _leads(cal, model, k, rng)
    D, paths = _new_deals(cal, model, k, L, rng["deals"])
    events = _history.build(D, paths, cal, model, cal.horizon, rng["history"])
    touches, L["engagement"] = _activities.draw(L, params, cal.horizon, rng["touches"])
    mondays, spend = _arrivals.weekly_spend(cal, model, arr, rng["arrivals"])
    L["cost"] = _arrivals.acquisition_cost(cal, L["created"], L["channel"], spend)
    quarters = cal.quarters(extra=1)
    if not cal.fiscal.is_calendar:  # the fiscal plan's own stream; the tables' stay as they are
        rng["plan"] = np.random.default_rng([seed, FISCAL_PLAN_STREAM])
    expected = _plan.expected_bookings(cal, model, k, quarters, rng["plan"])
    params["plan"] = {str(q): float(v) for q, v in zip(quarters, expected, strict=True)}
    tables, truth = _assemble(cal, model, params, L, D, events, touches, rng["renewals"])
    params["derived"] = derived(truth)
    tables["marketing_spend"] = _tables.marketing_spend(cal, mondays, spend)
    tables["targets"] = _tables.targets(quarters, _plan.targets(expected, params, rng["plan"]))
    if forecast_calls:
        codes, params["forecast_calls"] = _calls.draw(events, D, model, cal, seed)
        _tables.add_forecast_calls(tables, codes, _calls.latest(events, codes, D["lead"].size))
    return Company({name: tables[name] for name in TABLE_ORDER}, truth)


#: Seeds the plan of a company with a fiscal year (with the run's seed), apart from the others.
FISCAL_PLAN_STREAM = 2401

TABLE_ORDER = (
    "leads",
    "activities",
    "opportunities",
    "stage_history",
    "marketing_spend",
    "targets",
    "subscriptions",
)


def _leads(cal: Calendar, model: Model, k: float, rng: dict) -> tuple[dict, object]:
    arr = _arrivals.draw(cal, model, k, 0.0, cal.horizon, rng["arrivals"])
    segment, region, buyer = _arrivals.draw_attributes(arr.channel, model, rng["attributes"])
    intent = buyer.astype(np.int64)
    zero = np.zeros(arr.t.size, dtype=np.int64)
    times, dq = _funnel.run(model, zero, arr.t, zero.astype(float), segment, intent, rng["funnel"])
    L = {
        "created": arr.t,
        "channel": arr.channel,
        "segment": segment,
        "region": region,
        "intent": intent,
        "times": times,
        "disqualified": dq,
    }
    return L, arr


def _new_deals(cal: Calendar, model: Model, k: float, L: dict, rng) -> tuple[dict, object]:
    """Deals from leads converted before the data end, in order of creation."""
    conv = L["times"][:, 2]
    made = np.flatnonzero(conv < cal.horizon)
    lead = made[np.argsort(conv[made], kind="stable")]
    created = conv[lead]
    seg, ch, intent = L["segment"][lead], L["channel"][lead], L["intent"][lead]
    day = np.floor(created).astype(np.int64)
    sim = np.zeros(lead.size, dtype=np.int64)
    counts = _capacity.daily_counts(day, sim, 1, 0, int(cal.horizon))
    factor = _capacity.factors(cal, model, k, counts, 0, day, sim)
    staff = _capacity.headcount(cal, model, k, created)
    win_p = model.win_prob[intent, seg, ch]
    amount = np.exp(model.amount_mu[seg] + model.amount_sigma[seg] * rng.standard_normal(seg.size))
    dp = model.params["deals"]
    bias = dp["estimate_log_bias"] + dp["estimate_log_sigma"] * rng.standard_normal(seg.size)
    D = {
        "lead": lead,
        "created": created,
        "segment": seg,
        "channel": ch,
        "intent": intent,
        "factor": factor,
        "win_p": win_p,
        "amount": amount,
        "estimate": amount * np.exp(bias),
        "owner": 1 + (rng.random(seg.size) * staff).astype(np.int64),
    }
    zero = np.zeros(lead.size, dtype=np.int64)
    paths = _deals.run(
        model, cal, zero, created, zero.astype(float), factor, seg, intent, win_p, rng
    )
    D.update(
        closed=paths.closed, won=paths.won, lost_stage=paths.lost_stage, entered=paths.entered
    )
    return D, paths


def _assemble(cal, model, params, L, D, events, touches, rng) -> tuple[dict, DemoTruth]:
    n = L["created"].size
    lead_ids = _tables.ids("L-", n)
    opp_ids = _tables.ids("O-", D["lead"].size)
    opp_of_lead = np.full(n, -1)
    opp_of_lead[D["lead"]] = np.arange(D["lead"].size)
    now = _history.snapshot(
        events, D["created"], np.full(D["created"].size, np.inf), np.array([cal.horizon])
    )
    current = {key: np.empty(D["created"].size) for key in ("stage", "amount", "close_date")}
    for key in current:
        current[key][now["deal"]] = now[key]
    won_idx = np.flatnonzero(D["won"] & (D["closed"] < cal.horizon))
    won = {
        "closed": D["closed"][won_idx],
        "amount": D["amount"][won_idx],
        "segment": D["segment"][won_idx],
    }
    S = _subscriptions.draw(won, params, cal.horizon, rng)
    tables = {
        "leads": _tables.leads(cal, L, lead_ids, opp_of_lead, opp_ids),
        "activities": _tables.activities(cal, touches, lead_ids),
        "opportunities": _tables.opportunities(cal, D, current, opp_ids, lead_ids),
        "stage_history": _tables.stage_history(cal, events, opp_ids),
        "subscriptions": _tables.subscriptions(cal, S, D, won_idx, lead_ids),
    }
    truth = DemoTruth.from_simulation(params, cal, model, L, D, events, lead_ids, opp_ids)
    return tables, truth
