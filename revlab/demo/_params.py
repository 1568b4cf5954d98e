"""The true parameters of the demo company, and the benchmarks they were taken from.

Every rate below sits inside the range that public B2B SaaS benchmarks report; the figures
the simulator is tuned to reproduce (population averages under its own lead mix) are:

============================  ==========  ====================================================
quantity                      simulated   published range (source)
============================  ==========  ====================================================
lead → MQL                    ~36%        20–40% (b2blead.io "B2B conversion rate", 2026;
                                          HubSpot / First Page Sage compilations)
MQL → SQL                     ~28%        13–27% / 13–22% (intentbench MQL-to-SQL 2026;
                                          getfairview funnel template citing HubSpot,
                                          First Page Sage, Gradient Works)
SQL → opportunity             ~55%        30–50% / 40–80% (same two compilations)
opportunity win rate          ~27%        20–35% overall; 20–30% mid-market, 10–20% enterprise
                                          (getfairview; b2blead.io; Salesforce *State of
                                          Sales* reports win rates in the 20s)
sales cycle SMB / MM / ENT    ~30/60/125  about 1 / 2 / 4+ months, the usual segment rule of
                              days        thumb in SaaS benchmark surveys
cost per lead                 $35–$420    B2B cost per lead around $200 on average, organic
                                          cheapest, events and outbound dearest (HubSpot and
                                          Demand Gen Report cost-per-lead surveys)
annual gross churn            30/18/10%   ~13% median gross dollar churn for private SaaS
SMB / MM / ENT                            (KeyBanc Capital Markets SaaS survey), far higher
                                          for SMB-focused companies
NPS (promoters − detractors)  ~+19        B2B software NPS typically +20 to +40 (Retently,
                                          CustomerGauge NPS benchmark compilations)
============================  ==========  ====================================================

Satisfaction: each subscription term carries one survey score on the NPS scale (0–10). Its
latent value is ``u = fit_weight * fit + sqrt(1 - fit_weight**2) * noise`` (standard normal),
where ``fit`` is the account's hidden fit with the product, drawn once per account, and the
noise is new each term. The score is ``round(score_mean + score_sd * u)`` clipped to 0–10, and
is missing for terms not surveyed (``response_rate``) or not surveyed yet. At the end of the
term, churn has log-odds ``intercept[segment] + churn_log_odds_per_sd * (-u)``, the intercept
chosen so that a new customer's churn probability averaged over ``u`` is the segment's
``annual_churn``; the renewal uplift's log rises by ``expansion_log_per_sd * u``.

The parameters are kept as one JSON-serialisable dict (``truth.params``); :class:`Model`
holds the same numbers as numpy arrays indexed by channel, segment, region and stage.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

CHANNELS = ("paid_search", "organic", "events", "referral", "outbound", "partners")
SEGMENTS = ("smb", "mid_market", "enterprise")
REGIONS = ("na", "emea", "apac")
LEAD_STAGES = ("new", "mql", "sql")
DEAL_STAGES = ("discovery", "demo", "proposal", "negotiation")
ACTIVITIES = (
    "web_visit",
    "pricing_page_view",
    "content_download",
    "email_open",
    "email_click",
    "webinar_attended",
    "demo_request",
    "sales_call",
    "meeting",
)
INTENTS = ("lookie_loo", "buyer")

DEFAULT_SEED = 20260930
DEFAULT_N_LEADS = 40_000
DEFAULT_START = "2023-10-01"
DEFAULT_END = "2026-09-30"

_CH = {  # share, log-growth/yr, seasonality power, cost/name, cost growth/yr, seg mix, reg mix
    "paid_search": (0.28, 0.15, 1.0, 140.0, 0.08, (0.65, 0.27, 0.08), (0.55, 0.30, 0.15)),
    "organic": (0.25, 0.30, 1.0, 35.0, 0.02, (0.62, 0.28, 0.10), (0.50, 0.30, 0.20)),
    "events": (0.12, 0.05, 2.0, 420.0, 0.05, (0.35, 0.40, 0.25), (0.55, 0.35, 0.10)),
    "referral": (0.08, 0.20, 1.0, 90.0, 0.00, (0.45, 0.35, 0.20), (0.55, 0.30, 0.15)),
    "outbound": (0.17, 0.35, 0.5, 300.0, 0.04, (0.30, 0.40, 0.30), (0.60, 0.30, 0.10)),
    "partners": (0.10, 0.50, 1.0, 190.0, 0.03, (0.40, 0.38, 0.22), (0.40, 0.40, 0.20)),
}
_CH_LOGIT = {  # buyer-share shift, win-rate shift
    "paid_search": (0.0, 0.0),
    "organic": (-0.3, 0.1),
    "events": (-0.2, 0.0),
    "referral": (0.9, 0.4),
    "outbound": (-0.5, -0.3),
    "partners": (0.5, 0.25),
}
_SEG = {  # buyer shift, lead-stage medians, deal-stage medians, win, amount median, sigma, churn
    "smb": (0.0, (3, 7, 5), (5, 6, 7, 5), 0.33, 14_000, 0.55, 0.30, 0.02),
    "mid_market": (0.1, (5, 10, 8), (9, 12, 14, 12), 0.28, 42_000, 0.60, 0.18, 0.05),
    "enterprise": (0.2, (7, 14, 12), (18, 25, 30, 27), 0.22, 130_000, 0.70, 0.10, 0.08),
}


def default_params() -> dict:
    """The demo company's true parameters, as a JSON-serialisable dict (without seed/size)."""
    return copy.deepcopy(_DEFAULTS)


_DEFAULTS: dict = {
    "channels": {
        name: {
            "volume_share": share,
            "log_growth_per_year": growth,
            "seasonality_power": power,
            "cost_per_name": cpn,
            "cost_log_growth_per_year": cgrowth,
            "segment_mix": list(seg),
            "region_mix": list(reg),
            "buyer_logit_shift": _CH_LOGIT[name][0],
            "win_logit_shift": _CH_LOGIT[name][1],
        }
        for name, (share, growth, power, cpn, cgrowth, seg, reg) in _CH.items()
    },
    "segments": {
        name: {
            "buyer_logit_shift": b,
            "lead_stage_median_days": list(lead),
            "deal_stage_median_days": list(deal),
            "buyer_win_rate": win,
            "amount_median": amt,
            "amount_log_sigma": sig,
            "annual_churn": churn,
            "renewal_uplift": up,
        }
        for name, (b, lead, deal, win, amt, sig, churn, up) in _SEG.items()
    },
    "regions": {
        "na": {"buyer_logit_shift": 0.0},
        "emea": {"buyer_logit_shift": -0.1},
        "apac": {"buyer_logit_shift": -0.25},
    },
    "buyer_base_rate": 0.18,
    "leads": {
        "advance_prob": {"buyer": [0.85, 0.60, 0.60], "lookie_loo": [0.25, 0.06, 0.25]},
        "speed": {"buyer": 0.8, "lookie_loo": 1.3},
        "stage_log_sigma": 0.8,
        "stale_median_days": [60.0, 45.0, 30.0],
        "stale_log_sigma": 0.5,
    },
    "deals": {
        "stage_log_sigma": 0.7,
        "speed": {"buyer": 0.9, "lookie_loo": 1.1},
        "lost_slowdown": 2.2,
        "lost_stage_probs": [0.35, 0.30, 0.20, 0.15],
        "lookie_loo_win_logit_shift": -1.5,
        "estimate_log_sigma": 0.25,
        "estimate_log_bias": 0.05,
        "revision_prob": 0.3,
        "revision_log_sigma": 0.12,
        "quarter_end_days": 14,
        "quarter_end_rate": 2.5,
        "quarter_start_days": 10,
        "quarter_start_rate": 0.6,
        "ae_capacity_per_28_days": 8.0,
        "overload_power": 0.8,
        "slip_extra_months_probs": [0.6, 0.3, 0.1],
        # A rep who sees a deal will miss its date pushes it ahead of time, within the last
        # two weeks before the date, in this share of pushes; the rest come just after.
        "early_push_prob": 0.6,
        "early_push_days": 14.0,
        "quarter_end_close_date_prob": [0.3, 0.5, 1.0],
    },
    "volume": {
        "month_multiplier": [1.15, 1.10, 1.10, 1.0, 1.0, 0.90, 0.80, 0.80, 1.05, 1.15, 1.05, 0.75],
        "weekday_weight": [1.0, 1.05, 1.05, 1.0, 0.9, 0.3, 0.25],
        "weekly_log_sigma": 0.15,
        "cost_log_sigma": 0.08,
    },
    "activities": {
        # Buyers are in market: while still new leads they touch about one and a half times a
        # day, fewer once qualified; lookie-loos drop by about once in ten days at any stage.
        "rate_per_day": {"buyer": [1.5, 0.3, 0.25], "lookie_loo": [0.09, 0.10, 0.13]},
        "engagement_log_sigma": 0.6,
        "demo_request_first_touch": {"buyer": 0.35, "lookie_loo": 0.02},
        "kind_probs": {
            "buyer": [
                [0.30, 0.15, 0.12, 0.20, 0.08, 0.05, 0.06, 0.02, 0.02],
                [0.22, 0.18, 0.08, 0.16, 0.08, 0.05, 0.10, 0.08, 0.05],
                [0.12, 0.15, 0.04, 0.10, 0.06, 0.03, 0.10, 0.25, 0.15],
            ],
            "lookie_loo": [
                [0.35, 0.06, 0.20, 0.25, 0.06, 0.06, 0.01, 0.005, 0.005],
                [0.30, 0.08, 0.18, 0.22, 0.08, 0.10, 0.02, 0.01, 0.01],
                [0.20, 0.10, 0.10, 0.15, 0.07, 0.05, 0.05, 0.18, 0.10],
            ],
        },
    },
    "targets": {"uplift_low": 1.05, "uplift_high": 1.15, "round_to": 50_000.0},
    "satisfaction": {  # one NPS-style survey (0 to 10) per subscription term
        "fit_weight": 0.6,  # correlation of a term's satisfaction with the account's hidden fit
        "churn_log_odds_per_sd": 1.0,  # churn log-odds fall this much per SD of satisfaction
        "expansion_log_per_sd": 0.05,  # log renewal uplift rises this much per SD
        "score_mean": 8.0,
        "score_sd": 1.8,
        "score_max": 10,
        "response_rate": 0.85,
        "survey_day": 182,  # day of the term the survey is taken; later scores are not yet known
    },
}


@dataclass(frozen=True)
class Model:
    """The parameters as arrays: axis order channel, segment, region, intent, stage."""

    seg_mix: np.ndarray  # (channel, segment)
    reg_mix: np.ndarray  # (channel, region)
    buyer_prob: np.ndarray  # (channel, segment, region)
    lead_adv: np.ndarray  # (intent, stage)
    lead_mu: np.ndarray  # (intent, segment, stage): log median days of advancing
    lead_sigma: float
    stale_mu: np.ndarray  # (stage,)
    stale_sigma: float
    deal_mu: np.ndarray  # (intent, segment, stage)
    deal_sigma: float
    lost_shift: float  # log of the lost-deal slowdown
    lost_stage: np.ndarray  # (stage,)
    win_prob: np.ndarray  # (intent, segment, channel)
    amount_mu: np.ndarray  # (segment,)
    amount_sigma: np.ndarray  # (segment,)
    params: dict

    @classmethod
    def from_params(cls, p: dict) -> Model:
        """Build the arrays from a parameter dict."""
        ch, seg = p["channels"], p["segments"]
        cshift = np.array([ch[c]["buyer_logit_shift"] for c in CHANNELS])
        sshift = np.array([seg[s]["buyer_logit_shift"] for s in SEGMENTS])
        rshift = np.array([p["regions"][r]["buyer_logit_shift"] for r in REGIONS])
        base = _logit(p["buyer_base_rate"])
        logit = base + cshift[:, None, None] + sshift[None, :, None] + rshift[None, None, :]
        lp, dp = p["leads"], p["deals"]
        speed = {i: np.log(lp["speed"][i]) for i in INTENTS}
        lead_med = np.log([seg[s]["lead_stage_median_days"] for s in SEGMENTS])
        deal_med = np.log([seg[s]["deal_stage_median_days"] for s in SEGMENTS])
        return cls(
            seg_mix=np.array([ch[c]["segment_mix"] for c in CHANNELS]),
            reg_mix=np.array([ch[c]["region_mix"] for c in CHANNELS]),
            buyer_prob=_expit(logit),
            lead_adv=np.array([lp["advance_prob"][i] for i in INTENTS]),
            lead_mu=np.stack([lead_med + speed[i] for i in INTENTS]),
            lead_sigma=lp["stage_log_sigma"],
            stale_mu=np.log(lp["stale_median_days"]),
            stale_sigma=lp["stale_log_sigma"],
            deal_mu=np.stack([deal_med + np.log(dp["speed"][i]) for i in INTENTS]),
            deal_sigma=dp["stage_log_sigma"],
            lost_shift=float(np.log(dp["lost_slowdown"])),
            lost_stage=np.array(dp["lost_stage_probs"]),
            win_prob=_win_prob(p),
            amount_mu=np.log([seg[s]["amount_median"] for s in SEGMENTS]),
            amount_sigma=np.array([seg[s]["amount_log_sigma"] for s in SEGMENTS]),
            params=p,
        )


def _win_prob(p: dict) -> np.ndarray:
    seg = np.array([_logit(p["segments"][s]["buyer_win_rate"]) for s in SEGMENTS])
    ch = np.array([p["channels"][c]["win_logit_shift"] for c in CHANNELS])
    buyer = seg[:, None] + ch[None, :]
    lookie = buyer + p["deals"]["lookie_loo_win_logit_shift"]
    return _expit(np.stack([lookie, buyer]))


def _logit(x: float) -> float:
    return float(np.log(x / (1 - x)))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
