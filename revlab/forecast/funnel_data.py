"""Everything the funnel model needs from a source at an as-of date, as arrays.

:func:`collect` runs the aggregations of :mod:`revlab.forecast.aggregates` once and lays them out
by channel, segment and stage; the model fits on these arrays and the posterior predictive
simulation starts from the same state (open deals, open leads, the quarter still to run).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revlab.forecast import aggregates as agg
from revlab.forecast._errors import ForecastError, ForecastWarning
from revlab.periods import Quarter

#: Minimum history the funnel model accepts (weeks of leads before the as-of date).
MIN_WEEKS = 8
#: Weeks of volume from which a month-of-year season is learned: two years, the least that
#: tells a season from a trend (with one, the season and growth trade off and the sampler
#: diverges).
MIN_SEASON_WEEKS = 104
#: Won deals per segment below which the pooling scale of segment deal sizes is fixed, not
#: learned: with a year of deals (16 won in a segment) the learned scale's funnel made the
#: sampler diverge; the demo company (53 and more) samples well with it learned.
MIN_CENTRED_WON = 50
#: Lower edge used for a day-0 interval, so log-CDFs stay finite (days).
EPS_DAYS = 1e-3


#: Edges (days) of the time bins the likelihood sums over: daily for two weeks, then weekly for
#: half a year, then four-weekly. Coarser bins where hazards change slowly keep the number of
#: rows (and the cost of a gradient) small without losing what the timing data say.
BIN_EDGES = np.concatenate([np.arange(0, 15), np.arange(21, 183, 7), np.arange(210, 20_000, 28)])
#: Coarser bins for disqualification times, which only weigh open leads' chances.
COARSE_EDGES = np.concatenate([np.arange(0, 183, 7), np.arange(210, 20_000, 28)])


@dataclass
class Rows:
    """Aggregated rows: a cell index, an interval of days (or an age), a count."""

    cell: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    n: np.ndarray
    key: np.ndarray | None = None
    key_cell: np.ndarray | None = None
    key_age: np.ndarray | None = None

    @classmethod
    def events(cls, frame: pd.DataFrame, cell: np.ndarray, edges=BIN_EDGES) -> Rows:
        """Events binned into intervals ``[lo, hi)`` of days between ``edges``, per cell."""
        b = np.searchsorted(edges, frame["days"].to_numpy(float), side="right") - 1
        g = pd.DataFrame({"cell": cell, "b": b, "n": frame["n"].to_numpy(float)})
        g = g.groupby(["cell", "b"], as_index=False)["n"].sum()
        lo = np.maximum(edges[g["b"]].astype(float), EPS_DAYS)
        return cls(g["cell"].to_numpy(np.int64), lo, edges[g["b"] + 1].astype(float),
                   g["n"].to_numpy(float))  # fmt: skip

    @classmethod
    def censored(
        cls, frame: pd.DataFrame, cell: np.ndarray, tcell: np.ndarray, edges=COARSE_EDGES
    ) -> Rows:
        """Open records by cell and age bin, censored at their age.

        Each bin sits at the mean age (days + 0.5) of its time cell ``tcell`` (the cell whose
        time distribution applies), so survival functions are evaluated once per (time cell,
        bin) in ``key_cell``/``key_age``, which ``key`` indexes.
        """
        age = frame["days"].to_numpy(float) + 0.5
        n = frame["n"].to_numpy(float)
        b = np.searchsorted(edges, age, side="right") - 1
        g = pd.DataFrame({"cell": cell, "tcell": tcell, "b": b, "n": n, "w": n * age})
        ages = g.groupby(["tcell", "b"], as_index=False)[["n", "w"]].sum()
        ages["age"] = ages["w"] / ages["n"]
        ages["key"] = np.arange(len(ages))
        g = g.groupby(["cell", "tcell", "b"], as_index=False)["n"].sum()
        g = g.merge(ages[["tcell", "b", "age", "key"]], on=["tcell", "b"])
        age = g["age"].to_numpy(float)
        return cls(
            g["cell"].to_numpy(np.int64), age, age, g["n"].to_numpy(float),
            key=g["key"].to_numpy(np.int64), key_cell=ages["tcell"].to_numpy(np.int64),
            key_age=ages["age"].to_numpy(float),
        )  # fmt: skip

    def totals(self, size: int) -> np.ndarray:
        """Count per cell, for cells ``0 .. size - 1``."""
        return np.bincount(self.cell, weights=self.n, minlength=size).astype(float)

    def __len__(self) -> int:
        return len(self.cell)


@dataclass
class FunnelData:
    """The state at ``as_of`` and the history behind it, indexed by channel/segment/stage."""

    as_of: pd.Timestamp
    quarter: Quarter
    channels: tuple[str, ...]
    segments: tuple[str, ...]
    stages: tuple[str, ...]
    booked: float
    volume: np.ndarray  # (weeks, channel) leads per week, oldest first
    week_t: np.ndarray  # (weeks,) years from the as-of date to the week's middle (< 0)
    week_months: np.ndarray  # (weeks, 12) share of the week's days in each calendar month
    lead_conv: Rows  # times: cell = segment
    lead_dq: Rows
    lead_open: Rows  # cell = channel * n_seg + segment
    lead_conv_n: np.ndarray  # (channel * segment,) leads converted, per cell
    lead_dq_n: np.ndarray
    deal_adv: Rows  # time in stage until advancing: cell = stage * n_seg + segment
    deal_lost: Rows  # time in stage until lost
    deal_open: Rows  # still in the stage: cell = (stage * n_seg + segment) * n_ch + channel
    deal_adv_n: np.ndarray  # (stage * segment * channel,) deals that advanced, per cell
    deal_lost_n: np.ndarray
    won_n: np.ndarray  # (segment,)
    won_sum_log: np.ndarray
    won_sum_log2: np.ndarray
    drift_mean: np.ndarray  # (stage,) mean log(final amount / amount at stage entry)
    drift_sd: np.ndarray
    mix: np.ndarray  # (channel, segment) leads in the last year
    open_deals: pd.DataFrame  # one row per open deal, with stage/segment/channel codes
    has_dq: bool = True
    notes: list[str] = field(default_factory=list)
    #: The deals-only model: no leads table, so new deals arrive directly (``volume`` counts
    #: deals per week), there are no open leads and no conversion step.
    leads_are_deals: bool = False

    @property
    def horizon(self) -> float:
        """Days from the as-of date to the end of the quarter."""
        return (self.quarter.end - self.as_of) / pd.Timedelta(days=1)

    @property
    def start_offset(self) -> float:
        """Days from the as-of date to the start of the quarter (0 when it has begun)."""
        return max((self.quarter.start - self.as_of) / pd.Timedelta(days=1), 0.0)

    @property
    def seasonal(self) -> bool:
        """Whether the volume history is long enough to learn a month-of-year season."""
        return self.volume.shape[0] >= MIN_SEASON_WEEKS

    @property
    def learns_size_scale(self) -> bool:
        """Whether segment deal sizes get a learned pooling scale (see MIN_CENTRED_WON).

        Two or more segments, each with ``MIN_CENTRED_WON`` won deals or more.
        """
        return len(self.segments) >= 2 and bool(self.won_n.min() >= MIN_CENTRED_WON)

    def structure(self) -> tuple:
        """What fixes the compiled model's shapes."""
        return (
            self.channels, self.segments, self.stages, self.has_dq, self.leads_are_deals,
            self.seasonal, self.learns_size_scale,
        )  # fmt: skip


def collect(
    src, quarter: Quarter | str, *, max_weeks: int = 156, deals_only: bool | None = None
) -> FunnelData:
    """Aggregate a source (cut at its as-of date) into the funnel model's inputs for a quarter.

    ``deals_only`` (default: when the source has no leads table) builds the deals-only model's
    inputs: the weekly volume counts new deals, and there are no leads to convert.

    Raises
    ------
    ForecastError
        When the source lacks opportunities (or leads, unless deals only), the quarter is over
        by the as-of date, there is too little history, or no deal was ever won.
    """
    q = Quarter.parse(quarter, src.calendar)
    deals_only = not src.has("leads") if deals_only is None else deals_only
    if deals_only:
        src.require("opportunities", analysis="the deals-only forecast")
    else:
        src.require("leads", "opportunities", analysis="the funnel forecast")
    at = agg._at(src)
    if at >= q.end:
        raise ForecastError(
            f"quarter {q} ended on {q.last_day:%Y-%m-%d}, before the as-of date {at:%Y-%m-%d}: "
            "its bookings are known, not forecast. Pick a later quarter or an earlier as_of."
        )
    first, _ = agg.history_span(src)
    if first is None or (at - first) < pd.Timedelta(weeks=MIN_WEEKS):
        have = "no leads or deals" if first is None else f"data from {first:%Y-%m-%d} only"
        raise ForecastError(
            f"quarter {q} as of {at:%Y-%m-%d}: {have}; the funnel forecast needs at least "
            f"{MIN_WEEKS} weeks of history before the as-of date. Use a later as_of."
        )
    arrivals = "opportunities" if deals_only else "leads"
    vol = agg.lead_volume(src, max_weeks=max_weeks, table=arrivals)
    leads = NO_LEADS if deals_only else agg.lead_cohorts(src)
    deals = agg.stage_exits(src)
    won = agg.won_amounts(src)
    if won.empty or won["n"].sum() == 0:
        raise ForecastError(
            f"opportunities: no deal was won by {at:%Y-%m-%d}; deal sizes cannot be learned. "
            "The forecast needs some won deals with amounts."
        )
    channels = tuple(sorted(set(vol["channel"]) | set(leads["channel"]) | set(deals["channel"])))
    segments = tuple(sorted(set(leads["segment"]) | set(deals["segment"]) | set(won["segment"])))
    stages = tuple(agg.stage_order(src))
    data = _layout(src, q, at, channels, segments, stages, vol, leads, deals, won, arrivals)
    _check_segments(data)
    if not data.seasonal:
        data.notes.append(
            f"{data.volume.shape[0]} weeks of {arrivals}, too few for a yearly season (two "
            "years are needed): their arrivals follow a trend only."
        )
    if deals_only:
        data.notes.append(
            "deals-only model (no leads table): open deals close by their stage and age as "
            "closed deals did, and new deals arrive at the recent weekly rate of deal creation."
        )
        if "segment" not in src.table("opportunities").columns:
            data.notes.append(
                "no segment column: deals are grouped by amount into thirds ("
                + ", ".join(s for s in segments if s != "amount unknown")
                + "), so large deals keep their own win rate and cycle."
            )
    return data


#: Lead cohorts of a source without leads (the deals-only model).
NO_LEADS = pd.DataFrame(
    {"channel": pd.Series(dtype=str), "segment": pd.Series(dtype=str),
     "status": pd.Series(dtype=str), "days": pd.Series(dtype="int64"),
     "n": pd.Series(dtype="int64")}
)  # fmt: skip


def _layout(src, q, at, channels, segments, stages, vol, leads, deals, won, arrivals):
    ci = {c: i for i, c in enumerate(channels)}
    gi = {g: i for i, g in enumerate(segments)}
    si = {s: i for i, s in enumerate(stages)}
    n_g, n_c = len(segments), len(channels)
    lcell = leads["channel"].map(ci).to_numpy() * n_g + leads["segment"].map(gi).to_numpy()
    deals = deals[deals["stage"].isin(si)]
    tcell = deals["stage"].map(si).to_numpy() * n_g + deals["segment"].map(gi).to_numpy()
    dcell = tcell * n_c + deals["channel"].map(ci).to_numpy()
    n_cells = len(stages) * n_g * n_c

    def rows(frame, cell, status, edges=BIN_EDGES):
        m = (frame["status"] == status).to_numpy()
        return Rows.events(frame[m], cell[m], edges)

    def still_open(frame, cell, tcell, edges):
        m = (frame["status"] == "open").to_numpy()
        return Rows.censored(frame[m], cell[m], tcell[m], edges)

    lseg = leads["segment"].map(gi).to_numpy()

    weeks = int(vol["week"].max()) + 1
    y = np.zeros((weeks, n_c))
    y[weeks - 1 - vol["week"].to_numpy(), vol["channel"].map(ci).to_numpy()] = vol["leads"]
    starts = at - pd.to_timedelta(7 * np.arange(weeks, 0, -1), unit="D")
    won = won.set_index("segment").reindex(list(segments), fill_value=0)
    drift = agg.amount_drift(src).set_index("stage").reindex(list(stages))
    mix = agg.lead_mix(src, table=arrivals).pivot_table(
        index="channel", columns="segment", values="n", aggfunc="sum", fill_value=0
    )
    mix = mix.reindex(index=list(channels), columns=list(segments), fill_value=0)
    od = _coded(agg.open_deals(src), si, gi, ci)
    return FunnelData(
        as_of=at,
        quarter=q,
        channels=channels,
        segments=segments,
        stages=stages,
        booked=agg.booked(src, q),
        volume=y,
        week_t=((starts - at) / pd.Timedelta(days=365.25)).to_numpy(float) + 3.5 / 365.25,
        week_months=month_shares(starts, 7),
        lead_conv=rows(leads, lseg, "converted"),
        lead_dq=rows(leads, lseg, "disqualified", edges=COARSE_EDGES),
        lead_open=still_open(leads, lcell, lseg, COARSE_EDGES),
        lead_conv_n=rows(leads, lcell, "converted").totals(n_c * n_g),
        lead_dq_n=rows(leads, lcell, "disqualified").totals(n_c * n_g),
        deal_adv=rows(deals, tcell, "advanced"),
        deal_lost=rows(deals, tcell, "lost", edges=COARSE_EDGES),
        deal_open=still_open(deals, dcell, tcell, BIN_EDGES),
        deal_adv_n=rows(deals, dcell, "advanced").totals(n_cells),
        deal_lost_n=rows(deals, dcell, "lost").totals(n_cells),
        won_n=won["n"].to_numpy(float),
        won_sum_log=won["sum_log"].to_numpy(float),
        won_sum_log2=won["sum_log2"].to_numpy(float),
        drift_mean=drift["mean"].fillna(0.0).to_numpy(float),
        drift_sd=drift["sd"].fillna(0.0).to_numpy(float),
        mix=mix.to_numpy(float),
        open_deals=od,
        has_dq=bool((leads["status"] == "disqualified").any()),
        leads_are_deals=arrivals == "opportunities",
    )


def _coded(od: pd.DataFrame, si: dict, gi: dict, ci: dict) -> pd.DataFrame:
    """Open deals with their stage, segment and channel codes (an unknown stage is the first)."""
    return od.assign(
        stage_i=od["stage"].map(si).fillna(0).astype(int),
        segment_i=od["segment"].map(gi).astype(int),
        channel_i=od["channel"].map(ci).astype(int),
    )


def state_at(data: FunnelData, src) -> FunnelData:
    """``data`` with the bookings, open deals and open leads of a later cut ``src``.

    What a fit learned (rates, times, sizes, the mix, the history) stays; only the state the
    simulation starts from moves to ``src``'s as-of date, so a fitted posterior can forecast
    the same quarter from any later date of it without refitting.

    Raises
    ------
    ForecastError
        When the cut is not after the fit's as-of date or not inside the quarter, or an open
        deal or lead has a segment or channel the fit never saw.
    """
    at, q = agg._at(src), data.quarter
    if not data.as_of <= at < q.end:
        raise ForecastError(
            f"state as of {at:%Y-%m-%d}: a fit as of {data.as_of:%Y-%m-%d} forecasts {q} from "
            f"dates between then and the quarter's end ({q.last_day:%Y-%m-%d})."
        )
    gi = {g: i for i, g in enumerate(data.segments)}
    ci = {c: i for i, c in enumerate(data.channels)}
    si = {s: i for i, s in enumerate(data.stages)}
    od = agg.open_deals(src)
    leads = NO_LEADS if data.leads_are_deals else agg.lead_cohorts(src)
    leads = leads[(leads["status"] == "open").to_numpy()]
    for what, frame in (("open deals", od), ("open leads", leads)):
        for col, known in (("segment", gi), ("channel", ci)):
            new = sorted(set(frame[col]) - set(known))
            if new:
                raise ForecastError(
                    f"{what} as of {at:%Y-%m-%d} have {col} {', '.join(map(repr, new))}, which "
                    f"the fit as of {data.as_of:%Y-%m-%d} never saw; fit again from a later "
                    "date to forecast them."
                )
    n_g = len(data.segments)
    lseg = leads["segment"].map(gi).to_numpy()
    lcell = leads["channel"].map(ci).to_numpy() * n_g + lseg
    return dataclasses.replace(
        data,
        as_of=at,
        booked=agg.booked(src, q),
        lead_open=Rows.censored(leads, lcell, lseg, COARSE_EDGES),
        open_deals=_coded(od, si, gi, ci),
        notes=list(data.notes),
    )


def month_shares(starts: pd.DatetimeIndex, days: int) -> np.ndarray:
    """Share of each period's ``days`` days that fall in each calendar month, (n, 12)."""
    starts = pd.DatetimeIndex(starts).normalize()
    out = np.zeros((len(starts), 12))
    for k in range(days):
        month = (starts + pd.Timedelta(days=k)).month.to_numpy() - 1
        out[np.arange(len(starts)), month] += 1.0 / days
    return out


def _check_segments(data: FunnelData) -> None:
    """Warn about segments whose deal size rests on almost no won deals."""
    for seg, n in zip(data.segments, data.won_n, strict=True):
        if n <= 1:
            what = "no won deal" if n == 0 else "a single won deal"
            msg = (
                f"segment {seg!r} has {what} by {data.as_of:%Y-%m-%d}: its deal size is "
                "borrowed from the other segments (partial pooling) and is very uncertain."
            )
            data.notes.append(msg)
            warnings.warn(msg, ForecastWarning, stacklevel=3)
