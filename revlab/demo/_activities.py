"""Touches: the activity log drawn from each lead's hidden intent and funnel stage.

Every lead starts with the touch that created it (a webinar for events, a content download for
organic, ...; sometimes a demo request, far more often for real buyers). While it stays in a
stage it then produces touches at a Poisson rate set by intent and stage, times a per-lead
engagement multiplier (lognormal, mean one) that has nothing to do with buying. Real buyers are
in market: as new leads they touch over ten times as often as lookie-loos (more than one touch
a day against about one in ten days), and two to three times as often once qualified. The kinds
of touch depend on intent and stage too: real buyers view pricing, request demos and take sales
calls more, more so the further along they are; lookie-loos read, open emails and attend
webinars. So a lead's first days usually reveal its intent, though the engagement multiplier
blurs the rate (a keen lookie-loo can look like a quiet buyer). Touches depend on the intent
and stage only, never on the future, so they carry no information that the true buying
probability does not already use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revlab.demo._params import ACTIVITIES, CHANNELS

FIRST_TOUCH = {  # the touch that creates a lead, by channel
    "paid_search": "web_visit",
    "organic": "content_download",
    "events": "webinar_attended",
    "referral": "web_visit",
    "outbound": "email_click",
    "partners": "web_visit",
}
TOUCH_CHANNELS = ("organic", "paid_search", "email", "events", *CHANNELS[3:])
DETAILS = (
    "/", "/product", "/blog", "/customers", "/pricing",
    "ebook: revenue operations", "whitepaper: forecasting", "report: benchmark 2025",
    "webinar: product tour", "webinar: pipeline hygiene", "webinar: customer panel",
)  # fmt: skip
_PAGE, _ASSET, _WEBINAR = (0, 4), (5, 8), (8, 11)
_KIND = {name: i for i, name in enumerate(ACTIVITIES)}
_FIRST_CHANNEL = np.array([TOUCH_CHANNELS.index(c) for c in CHANNELS], dtype=np.int8)


@dataclass
class Touches:
    """Activity rows as integer codes (lead index, time, kind, touch channel, detail)."""

    lead: np.ndarray
    t: np.ndarray
    kind: np.ndarray
    channel: np.ndarray  # index into TOUCH_CHANNELS, -1 = none
    detail: np.ndarray  # index into DETAILS, -1 = none


def draw(leads: dict, params: dict, until: float, rng) -> tuple[Touches, np.ndarray]:
    """All touches of all leads up to ``until`` (days), sorted by time; and each engagement."""
    ap = params["activities"]
    n = leads["created"].size
    intent = leads["intent"]
    sigma = ap["engagement_log_sigma"]
    engagement = np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)
    rates = np.array([ap["rate_per_day"]["lookie_loo"], ap["rate_per_day"]["buyer"]])
    probs = np.array([ap["kind_probs"]["lookie_loo"], ap["kind_probs"]["buyer"]])
    parts = [_first_touches(leads, ap, rng)]
    for j in range(3):
        start, end = _stage_span(leads, j, until)
        ok = np.flatnonzero(start < end)
        mean = rates[intent[ok], j] * engagement[ok] * (end[ok] - start[ok])
        lead = np.repeat(ok, rng.poisson(mean))
        t = start[lead] + rng.random(lead.size) * (end[lead] - start[lead])
        kind = _kinds(probs[:, j], intent[lead], rng)
        parts.append((lead, t, kind, np.zeros(lead.size, dtype=bool)))
    lead, t, kind, first = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.argsort(t, kind="stable")
    lead, t, kind, first = lead[order], t[order], kind[order], first[order]
    channel, detail = _labels(kind, rng)
    channel[first] = _FIRST_CHANNEL[leads["channel"][lead[first]]]
    return Touches(lead, t, kind, channel, detail), engagement


def _first_touches(leads: dict, ap: dict, rng) -> tuple[np.ndarray, ...]:
    n = leads["created"].size
    default = np.array([_KIND[FIRST_TOUCH[c]] for c in CHANNELS])[leads["channel"]]
    p_demo = np.where(
        leads["intent"] == 1,
        ap["demo_request_first_touch"]["buyer"],
        ap["demo_request_first_touch"]["lookie_loo"],
    )
    kind = np.where(rng.random(n) < p_demo, _KIND["demo_request"], default)
    return np.arange(n), leads["created"].copy(), kind.astype(np.int8), np.ones(n, dtype=bool)


def _stage_span(leads: dict, j: int, until: float) -> tuple[np.ndarray, np.ndarray]:
    """When each lead entered stage j and when it left it (NaN start if never there)."""
    times, dq = leads["times"], leads["disqualified"]
    start = leads["created"] if j == 0 else times[:, j - 1]
    end = np.where(np.isnan(times[:, j]), dq, times[:, j])
    start = np.where(np.isnan(start), np.inf, start)
    return start, np.minimum(end, until)


def _kinds(probs: np.ndarray, intent: np.ndarray, rng) -> np.ndarray:
    """Kind of each touch; ``probs[i]`` are the kind probabilities for intent i."""
    u = rng.random(intent.size)
    kind = np.empty(intent.size, dtype=np.int8)
    for i in range(probs.shape[0]):
        m = intent == i
        cum = np.cumsum(probs[i]) / np.sum(probs[i])
        kind[m] = np.minimum(np.searchsorted(cum, u[m], side="right"), cum.size - 1)
    return kind


def _labels(kind: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Touch channel and detail of each touch, from its kind."""
    n = kind.size
    u = rng.random(n)
    web = np.where(u < 0.7, 0, 1)
    channel = np.full(n, -1, dtype=np.int8)
    is_web = np.isin(
        kind,
        [_KIND[k] for k in ("web_visit", "pricing_page_view", "content_download", "demo_request")],
    )
    channel[is_web] = web[is_web]
    channel[np.isin(kind, [_KIND["email_open"], _KIND["email_click"]])] = 2
    channel[kind == _KIND["webinar_attended"]] = 3
    detail = np.full(n, -1, dtype=np.int8)
    pick = rng.integers(0, 12, n)  # 12 splits evenly into 4 pages and 3 assets
    for name, (lo, hi) in (
        ("web_visit", _PAGE),
        ("content_download", _ASSET),
        ("webinar_attended", _WEBINAR),
    ):
        m = kind == _KIND[name]
        detail[m] = lo + pick[m] % (hi - lo)
    detail[kind == _KIND["pricing_page_view"]] = 4
    return channel, detail
