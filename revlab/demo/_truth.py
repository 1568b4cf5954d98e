"""The ground truth behind the demo company, which the analyses never read.

Definitions (all "true" values are exact consequences of the simulator's parameters):

- ``conversion_rate(by, to)``: probability that a new lead converts to ``to`` ("opportunity"
  or "won") eventually (or within ``within_days`` of its creation), averaged over the lead mix
  of the window (``cohort``, default the whole calendar). This is what an empirical rate on
  fully matured cohorts estimates.
- ``win_rate(by)``: P(won | opportunity), averaged over the mix of opportunities.
- ``deal_size_median(by)``: median amount of won deals (amount does not depend on winning).
- ``stage_advance_rate()``: P(a deal that enters a stage leaves it forward, to the next stage
  or won) per stage, segment and channel, with each cell's share of the stage's entries.
- ``buy_probability(as_of, horizon_days)``: for each lead open at ``as_of`` (created on or
  before it, not converted, not disqualified by then), P(it converts to an opportunity, i.e.
  gets ``converted_at``, in ``(as_of, as_of + horizon_days]`` | its stage, time in stage and
  hidden intent). The funnel is semi-Markov, so nothing else (channel, touches, history)
  changes this probability; it is the best any model of the leads can do.
- ``resimulate_bookings(as_of, quarter)``: draws of the quarter's bookings (won amount with
  ``closed_at`` in the quarter) given everything the simulator knew at ``as_of``: deals already
  won, open deals (stage, time in stage, intent, capacity factor, final amount), open leads
  (stage, time in stage, intent) and leads still to arrive.
- ``bookings(quarter)``: realised bookings, equal to the tables' sum.
- ``churn_rate()``: a new customer's probability of not renewing at its first renewal, per
  segment, averaged over satisfaction; ``satisfaction_effect()``: that probability, and the
  renewals' expansion, per segment and NPS band of the term's survey score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revlab.demo import _funnel, _history, _rates
from revlab.demo._arrivals import intensity
from revlab.demo._calendar import Calendar
from revlab.demo._params import CHANNELS, DEAL_STAGES, REGIONS, SEGMENTS, Model
from revlab.demo._tables import STAGE_NAMES, text

_CODES = {"channel": CHANNELS, "segment": SEGMENTS, "region": REGIONS}


class DemoTruth:
    """True parameters, each lead's intent, each deal's hidden path, and what follows from them.

    Attributes
    ----------
    params : dict
        The true parameters (JSON-serialisable), including the run's seed and size.
    leads : DataFrame
        lead_id, is_buyer, channel, segment, region, engagement, p_opportunity, p_won, and the
        simulated times created_at, mql_at, sql_at, converted_at, disqualified_at, which
        continue past the data end (the tables blank those).
    deals : DataFrame
        opportunity_id, lead_id, created_at, is_buyer, channel, segment, capacity_factor,
        win_probability, will_win, lost_stage, amount (final), demo_at, proposal_at,
        negotiation_at and closed_at (the hidden path, past the data end too).
    pipeline_snapshots : DataFrame
        snapshot_date (each Monday 00:00 in the window), opportunity_id, stage, amount,
        close_date: every deal open at that moment with its values as last recorded.
    """

    def __init__(self, params: dict, leads, deals, pipeline_snapshots):
        self.params = params
        self.leads = leads
        self.deals = deals
        self.pipeline_snapshots = pipeline_snapshots
        self.model = Model.from_params(params)
        self.calendar = Calendar.from_params(params)
        self._arrays: dict | None = None

    @property
    def as_of(self) -> pd.Timestamp:
        """The moment the data ends."""
        return self.calendar.as_of

    @classmethod
    def from_simulation(cls, params, cal, model, L, D, events, lead_ids, opp_ids) -> DemoTruth:
        """Collect the truth of one simulation run."""
        p_opp = _rates.p_opportunity(model)[L["intent"]]
        win = model.win_prob[L["intent"], L["segment"], L["channel"]]
        leads = pd.DataFrame({
            "lead_id": text(np.arange(lead_ids.size), lead_ids),
            "is_buyer": L["intent"] == 1,
            **{k: text(L[k], v) for k, v in _CODES.items()},
            "engagement": L["engagement"],
            "p_opportunity": p_opp,
            "p_won": p_opp * win,
            "created_at": cal.to_datetime(L["created"]),
            **{f"{s}_at": cal.to_datetime(L["times"][:, i])
               for i, s in enumerate(("mql", "sql", "converted"))},
            "disqualified_at": cal.to_datetime(L["disqualified"]),
        })  # fmt: skip
        deals = pd.DataFrame({
            "opportunity_id": text(np.arange(opp_ids.size), opp_ids),
            "lead_id": text(D["lead"], lead_ids),
            "created_at": cal.to_datetime(D["created"]),
            "is_buyer": D["intent"] == 1,
            "channel": text(D["channel"], CHANNELS),
            "segment": text(D["segment"], SEGMENTS),
            "capacity_factor": D["factor"],
            "win_probability": D["win_p"],
            "will_win": D["won"],
            "lost_stage": text(D["lost_stage"], DEAL_STAGES),
            "amount": D["amount"],
            **{f"{s}_at": cal.to_datetime(D["entered"][:, j])
               for j, s in enumerate(DEAL_STAGES) if j},
            "closed_at": cal.to_datetime(D["closed"]),
        })  # fmt: skip
        mondays = cal.mondays()
        snap = _history.snapshot(events, D["created"], D["closed"], mondays[mondays >= 0])
        snapshots = pd.DataFrame({
            "snapshot_date": cal.to_datetime(snap["day"]),
            "opportunity_id": text(snap["deal"], opp_ids),
            "stage": text(snap["stage"].astype(np.int64), STAGE_NAMES),
            "amount": snap["amount"],
            "close_date": cal.to_datetime(snap["close_date"]),
        })  # fmt: skip
        return cls(params, leads, deals, snapshots)

    # -- arrays for the computations ------------------------------------------------------

    def arrays(self) -> dict:
        """Leads and deals as float days and integer codes (cached)."""
        if self._arrays is None:
            cal, le, de = self.calendar, self.leads, self.deals
            days = cal.days_of
            self._arrays = {
                "lead": {
                    "created": days(le["created_at"]),
                    "times": np.column_stack(
                        [days(le[c]) for c in ("mql_at", "sql_at", "converted_at")]
                    ),
                    "disqualified": days(le["disqualified_at"]),
                    "intent": le["is_buyer"].to_numpy().astype(np.int64),
                    **{k: _codes(le[k], v) for k, v in _CODES.items()},
                },
                "deal": {
                    "created": days(de["created_at"]),
                    "entered": np.column_stack(
                        [days(de["created_at"])] + [days(de[f"{s}_at"]) for s in DEAL_STAGES[1:]]
                    ),
                    "closed": days(de["closed_at"]),
                    "won": de["will_win"].to_numpy(dtype=bool),
                    "intent": de["is_buyer"].to_numpy().astype(np.int64),
                    "channel": _codes(de["channel"], CHANNELS),
                    "segment": _codes(de["segment"], SEGMENTS),
                    "factor": de["capacity_factor"].to_numpy(dtype=float),
                    "win_p": de["win_probability"].to_numpy(dtype=float),
                    "amount": de["amount"].to_numpy(dtype=float),
                },
            }
        return self._arrays

    def channel_weights(self, cohort=None) -> np.ndarray:
        """Expected share of new leads per channel over ``cohort`` (start, end) dates."""
        cal = self.calendar
        lo, hi = (0.0, cal.horizon) if cohort is None else map(cal.to_days, cohort)
        days = np.arange(np.floor(lo), np.ceil(hi), dtype=float)
        return intensity(cal, self.model, days).sum(axis=0)

    # -- true rates ---------------------------------------------------------------------------

    def conversion_rate(
        self,
        by: str = "channel",
        to: str = "won",
        within_days: float | None = None,
        *,
        cohort: tuple | None = None,
    ) -> pd.DataFrame:
        """True lead → ``to`` probability per ``by`` level (columns ``<by>``, ``rate``)."""
        cw = self.channel_weights(cohort)
        if within_days is None:
            rate = _rates.conversion(self.model, cw, by=by, to=to)
        elif to == "opportunity":
            rate = self._opportunity_within(cw, by, within_days)
        else:
            from revlab.demo._resim import won_within

            rate = won_within(self, cw, by=by, within_days=within_days, cohort=cohort)
        return pd.DataFrame({by: list(_rates.LABELS[by]), "rate": rate})

    def _opportunity_within(self, cw, by: str, within_days: float) -> np.ndarray:
        seg, intent = np.meshgrid(np.arange(len(SEGMENTS)), np.arange(2), indexing="ij")
        zero = np.zeros(seg.size, dtype=np.int64)
        p = _funnel.convert_within(
            self.model, zero, zero.astype(float), seg.ravel(), intent.ravel(), within_days
        ).reshape(seg.shape)
        values = np.broadcast_to(
            p[None, :, None, :], (len(CHANNELS), len(SEGMENTS), len(REGIONS), 2)
        )
        return _rates.group_mean(_rates.cell_weights(self.model, cw), values, by)

    def win_rate(self, by: str = "segment") -> pd.DataFrame:
        """True P(won | opportunity) per ``by`` level (columns ``<by>``, ``rate``)."""
        rate = _rates.win_rate(self.model, self.channel_weights(), by=by)
        return pd.DataFrame({by: list(_rates.LABELS[by]), "rate": rate})

    def deal_size_median(self, by: str = "segment") -> pd.DataFrame:
        """True median amount of won deals per ``by`` level (columns ``<by>``, ``median``)."""
        med = _rates.won_amount_median(self.model, self.channel_weights(), by=by)
        return pd.DataFrame({by: list(_rates.LABELS[by]), "median": med})

    def stage_advance_rate(self) -> pd.DataFrame:
        """True P(leave the stage forward | entered it), per stage, segment and channel.

        Columns ``stage``, ``segment``, ``channel``, ``rate`` and ``share`` (the cell's share of
        the deals entering that stage).
        """
        rate, share = _rates.stage_advance(self.model, self.channel_weights())
        cells = pd.MultiIndex.from_product(
            [DEAL_STAGES, SEGMENTS, CHANNELS], names=["stage", "segment", "channel"]
        )
        frame = pd.DataFrame({"rate": rate.ravel(), "share": share.ravel()}, index=cells)
        return frame.reset_index()

    def churn_rate(self) -> pd.DataFrame:
        """True annual churn probability at renewal, per segment (``segment``, ``rate``).

        The probability that a new customer does not renew at the end of its first term,
        averaged over satisfaction; later renewals churn less, because the accounts that stay
        are the better-fitting ones (a shifted-beta-geometric model's mean churn
        ``a / (a + b)`` estimates this first-renewal rate).
        """
        seg = self.params["segments"]
        return pd.DataFrame(
            {"segment": list(SEGMENTS), "rate": [seg[s]["annual_churn"] for s in SEGMENTS]}
        )

    def satisfaction_effect(self) -> pd.DataFrame:
        """How the survey score moves churn and expansion, per segment and NPS band.

        For a new customer's first term: ``share`` = P(score in the band); ``churn_rate`` =
        P(churn at the first renewal | band); among those who renew, ``expansion_rate`` =
        P(the renewal amount is higher | band) and ``mean_uplift`` = E[new / old amount | band].
        Bands: detractor 0–6, passive 7–8, promoter 9–10; the ``all`` row averages over bands.
        ``params["satisfaction"]`` holds the effect sizes (log-odds and log-uplift per SD).
        """
        from revlab.demo._subscriptions import satisfaction_truth

        return satisfaction_truth(self.params)

    # -- leads at a date --------------------------------------------------------------------------

    def open_leads(self, as_of) -> dict:
        """Leads open at ``as_of``: index, stage (0 new, 1 MQL, 2 SQL) and days in it."""
        return self.open_leads_at(self._day(as_of))

    def open_leads_at(self, a: float) -> dict:
        """:meth:`open_leads` at day ``a`` (float days since the start)."""
        L = self.arrays()["lead"]
        conv, dq = L["times"][:, 2], L["disqualified"]
        is_open = (L["created"] <= a) & ~(conv <= a) & ~(dq <= a)
        idx = np.flatnonzero(is_open)
        mql, sql = L["times"][idx, 0] <= a, L["times"][idx, 1] <= a
        stage = np.where(sql, 2, np.where(mql, 1, 0))
        entered = np.where(
            sql, L["times"][idx, 1], np.where(mql, L["times"][idx, 0], L["created"][idx])
        )
        return {"index": idx, "stage": stage, "elapsed": a - entered, "entered": entered}

    def buy_probability(self, as_of, horizon_days: float = 90) -> pd.DataFrame:
        """True P(converted_at in (as_of, as_of + horizon]) for every lead open at ``as_of``."""
        state = self.open_leads(as_of)
        L = self.arrays()["lead"]
        idx = state["index"]
        p = _funnel.convert_within(
            self.model,
            state["stage"],
            state["elapsed"],
            L["segment"][idx],
            L["intent"][idx],
            float(horizon_days),
        )
        return pd.DataFrame(
            {"lead_id": self.leads["lead_id"].iloc[idx].reset_index(drop=True), "p": p}
        )

    # -- bookings -------------------------------------------------------------------------------

    def bookings(self, quarter) -> float:
        """Realised bookings of a quarter inside the data window."""
        lo, hi = self.calendar.quarter_bounds(quarter)
        if lo < 0 or hi > self.calendar.horizon:
            raise ValueError(
                f"quarter {quarter} is not inside the data ({self.params['run']['start']} to "
                f"{self.params['run']['end']}); use resimulate_bookings for its distribution."
            )
        D = self.arrays()["deal"]
        won = D["won"] & (D["closed"] >= lo) & (D["closed"] < hi)
        return float(D["amount"][won].sum())

    def resimulate_bookings(self, as_of, quarter="2026Q4", n_sims: int = 1000, seed: int = 0):
        """``n_sims`` draws of the quarter's bookings given the state at ``as_of``."""
        from revlab.demo._resim import resimulate

        return resimulate(self, self._day(as_of), quarter, n_sims=n_sims, seed=seed)

    def _day(self, as_of) -> float:
        a = self.calendar.to_days(as_of)
        if not 0 <= a <= self.calendar.horizon:
            raise ValueError(
                f"as_of {as_of} is outside the data window "
                f"({self.params['run']['start']} to {self.as_of:%Y-%m-%d})."
            )
        return a


def _codes(series: pd.Series, labels) -> np.ndarray:
    return pd.Categorical(series, categories=list(labels)).codes.astype(np.int64)
