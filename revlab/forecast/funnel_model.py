"""The funnel model of a quarter's bookings: four parts fitted jointly on aggregates (PyMC).

1. **Lead volume** — weekly new leads per channel: negative binomial with a log-linear trend
   per channel (growth rates partially pooled) and a month-of-year season shared by the
   channels, each channel with its own amplitude.
2. **Lead conversion** — a mixture cure model per channel x segment cell: a lead converts to
   an opportunity eventually with probability ``q`` (logit = channel + segment + their
   interaction, the last two pooled) after a lognormal time; non-converters are disqualified
   after another lognormal time (when the data records it). Open leads are censored: they
   contribute P(not converted and not disqualified by their age), never a loss.
3. **Deal outcome** — for each open stage, deals entering it are won eventually with
   probability ``p`` (logit = stage + segment + channel + stage x segment), after a
   lognormal time, or lost after another; open deals are censored at their time in stage.
   The win probability of an open deal therefore falls with its age in the stage, as the
   mixture's posterior odds shift towards the slower lost deals.
4. **Deal size** — lognormal amount of won deals per segment, location and scale pooled
   across segments, fitted on sufficient statistics (count, sum and sum of squares of logs).

Every likelihood is a sum over (cell, day) rows of counts, so cost does not grow with leads.

References
----------
Farewell (1982), "The use of mixture models for the analysis of survival data with long-term
survivors", *Biometrics* 38; Gelman & Hill (2007), *Data Analysis Using Regression and
Multilevel/Hierarchical Models*, ch. 12-13 (partial pooling).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from revlab.forecast._sampling.model import BayesianModel
from revlab.forecast.funnel_data import FunnelData, Rows, collect

#: Fewest groups (channels, say) for which the pooling scale is learned rather than fixed.
MIN_POOLED_GROUPS = 5
#: Independent parts of the likelihood, each sampled as its own small model; costliest first,
#: so their chains start first (a chain of deal outcomes takes about twice as long
#: as one of volume or conversion, one of deal size a twentieth).
BLOCKS = ("outcome", "volume", "conversion", "size")


class FunnelModel(BayesianModel):
    """Bayesian funnel model of bookings: volume, conversion, deal outcome and deal size.

    Examples
    --------
    >>> model = FunnelModel().fit(src.at("2026-07-01"), quarter="2026Q3")   # doctest: +SKIP
    >>> forecast = model.predict(random_seed=1)                              # doctest: +SKIP
    """

    model_type: ClassVar[str] = "funnel"
    default_model_config: ClassVar[dict[str, Any]] = {
        "max_weeks": 156,  # weeks of lead volume the trend and season are learned from
        "growth_sigma": 0.5,  # prior sd of yearly log growth of lead volume
        "season_sigma": 0.3,  # prior scale of month-of-year effects on volume
        "pool_sigma": 0.5,  # prior scale of segment effects on logits
        # prior scale of channel effects on conversion and winning logits, fixed and wide: a
        # scale learned from six channels (or a fixed 0.5) pulled the channels with the lowest
        # and highest rates towards the mean, company after company (docs/decisions.md)
        "channel_sigma": 1.0,
        "interaction_sigma": 0.25,  # prior scale of channel x segment, stage x segment terms
        "dispersion_sigma": 0.2,  # prior scale of weekly overdispersion of lead volume
        "time_sigma": 1.0,  # prior scale of log median times between cells
    }
    #: Two chains of 1500 draws, run side by side. R-hat's noise shrinks with the draws per
    #: chain: with about a hundred key parameters, two chains of 1000 draws left the largest
    #: R-hat at 1.011-1.012 by chance on the report's own fits (bulk ESS near 2000), and four
    #: chains of 500 failed 13 of 40 validation fits; 1500 draws passed them at 1.003-1.005.
    #: 500 tuning steps suffice with gradient-based adaptation.
    default_sampler_config: ClassVar[dict[str, Any]] = {"draws": 1500, "tune": 500, "cores": 2}
    key_vars: ClassVar[tuple[str, ...]] = (
        "vol_intercept",
        "vol_growth",
        "season",
        "conv_mu",
        "conv_channel",
        "conv_segment",
        "t1_mu",
        "adv_stage",
        "adv_segment",
        "adv_channel",
        "adv_time_mu",
        "lost_time_mu",
        "amount_mu",
        "amount_sigma",
    )

    def fit(
        self, src, *, quarter, random_seed: int | None = None, deals_only: bool | None = None
    ) -> FunnelModel:
        """Fit on a source cut at its as-of date, for forecasting ``quarter`` from there.

        ``deals_only`` (default: when the source has no leads) fits the deals-only model: new
        deals arrive at the weekly volume of deal creation and there is no conversion step.
        """
        self._resolve_configs()
        data = collect(
            src, quarter, max_weeks=self.model_config_["max_weeks"], deals_only=deals_only
        )
        return self.fit_data(data, random_seed=random_seed)

    def fit_data(self, data: FunnelData, *, random_seed: int | None = None) -> FunnelModel:
        """Fit on already collected inputs (see :func:`revlab.forecast.funnel_data.collect`)."""
        if not hasattr(self, "model_config_"):
            self._resolve_configs()
        self._sample(data, random_seed=random_seed)
        self.data_ = data
        return self

    # --- the model --------------------------------------------------------------------

    def _structure(self, data: FunnelData) -> tuple:
        return data.structure()

    def _blocks(self, data: FunnelData) -> tuple[str, ...]:
        if data.leads_are_deals:  # deals arrive directly: nothing converts
            return tuple(b for b in BLOCKS if b != "conversion")
        return BLOCKS

    def _data(self, data: FunnelData, block: str) -> dict[str, np.ndarray]:
        if block == "volume":
            vol = data.volume
            return {
                "vol_y": vol,
                "vol_t": data.week_t,
                "vol_months": data.week_months,
                "vol_center": np.log(vol.mean(axis=0) + 0.5),
            }
        if block == "size":
            center = float(data.won_sum_log.sum() / max(data.won_n.sum(), 1.0))
            return {
                "won_n": data.won_n,
                "won_s1": data.won_sum_log,
                "won_s2": data.won_sum_log2,
                "amount_center": center,
            }
        if block == "conversion":
            out = {"lead_conv_total": data.lead_conv_n, "lead_dq_total": data.lead_dq_n}
            events, still_open = ("lead_conv", "lead_dq"), "lead_open"
        else:
            out = {"deal_adv_total": data.deal_adv_n, "deal_lost_total": data.deal_lost_n}
            events, still_open = ("deal_adv", "deal_lost"), "deal_open"
        for name in events:
            rows: Rows = getattr(data, name)
            out |= {f"{name}_cell": rows.cell, f"{name}_n": rows.n}
            out |= {f"{name}_{k}": v for k, v in _shared_edges(rows).items()}
        rows = getattr(data, still_open)
        out |= {f"{still_open}_{k}": getattr(rows, k) for k in ("cell", "n", "key", "key_cell")}
        out[f"{still_open}_key_age"] = rows.key_age
        return out

    def _build(self, data: FunnelData, block: str):
        import pymc as pm

        coords = {
            "channel": list(data.channels),
            "segment": list(data.segments),
            "stage": list(data.stages),
            "month": [f"{m:02d}" for m in range(1, 13)],
        }
        # no parameter checks in the log density: every scale is positive by construction
        # (half-normal or exp), and the checks cost a quarter of an outcome gradient
        with pm.Model(coords=coords, check_bounds=False) as model:
            d = {k: pm.Data(k, v) for k, v in self._data(data, block).items()}
            if block == "conversion":
                self._conversion(d, data.has_dq)
            elif block == "volume":
                self._volume(d, data.seasonal)
            elif block == "size":
                self._size(d, learn_scale=data.learns_size_scale)
            else:
                getattr(self, f"_{block}")(d)
        return model

    def _effect(self, name: str, sigma: float, dims, *, learn: bool = True, centred=False):
        """Zero-sum effects over ``dims`` (identified against the intercept).

        With ``learn`` and at least ``MIN_POOLED_GROUPS`` groups, effects are partially pooled
        through a learned scale, non-centred so a small scale does not trap the sampler in a
        funnel (used for rates, whose differences between groups are small next to their
        noise). Otherwise the scale is fixed, so effects shrink towards the common value by a
        set amount: with three segments a scale cannot be learned, only guessed, and for log
        median times, which the data pin down well, a learned scale would only add a funnel.
        Channel effects on rates get a fixed wide scale (``channel_sigma``): thousands of leads
        per channel pin them down, and any pooling pulled the extreme channels to the mean.
        """
        import pymc as pm
        import pytensor.tensor as pt

        dims = (dims,) if isinstance(dims, str) else tuple(dims)
        if any(_n(dim) < 2 for dim in dims):
            return pm.Deterministic(name, pt.zeros([_n(dim) for dim in dims]), dims=dims)
        if not learn or len(dims) > 1 or _n(dims[0]) < MIN_POOLED_GROUPS:
            return pm.ZeroSumNormal(name, sigma=sigma, dims=dims, n_zerosum_axes=len(dims))
        scale = pm.HalfNormal(f"{name}_sd", sigma)
        if centred:  # for effects the data pin down well
            return pm.ZeroSumNormal(name, sigma=scale, dims=dims)
        raw = pm.ZeroSumNormal(f"{name}_z", sigma=1.0, dims=dims, n_zerosum_axes=len(dims))
        return pm.Deterministic(name, scale * raw, dims=dims)

    def _volume(self, d: dict, seasonal: bool = True) -> None:
        import pymc as pm
        import pytensor.tensor as pt

        cfg = self.model_config_
        # level at the middle of the window (t centred), so level and growth do not trade off
        t = d["vol_t"] - d["vol_t"].mean()
        raw = pm.Normal("vol_level_raw", 0.0, 1.0, dims="channel")
        level = d["vol_center"] + raw
        growth_mu = pm.Normal("vol_growth_mu", 0.0, cfg["growth_sigma"])
        if _n("channel") == 1:  # one growth rate: a pooling scale would be unidentified
            growth = pm.Deterministic("vol_growth", growth_mu[None], dims="channel")
        elif _n("channel") < MIN_POOLED_GROUPS:  # non-centred: centred, a funnel (divergences)
            growth_sd = pm.HalfNormal("vol_growth_sd", 0.3)
            z = pm.Normal("vol_growth_z", 0.0, 1.0, dims="channel")
            growth = pm.Deterministic("vol_growth", growth_mu + growth_sd * z, dims="channel")
        else:
            growth_sd = pm.HalfNormal("vol_growth_sd", 0.3)
            growth = pm.Normal("vol_growth", growth_mu, growth_sd, dims="channel")
        # log weekly leads at the as-of date (t = 0), where the forecast starts
        pm.Deterministic("vol_intercept", level - growth * d["vol_t"].mean(), dims="channel")
        disp = pm.HalfNormal("vol_dispersion", cfg["dispersion_sigma"], dims="channel")
        log_mu = level + growth * t[:, None]
        if seasonal:  # under two years of volume, no season (see MIN_SEASON_WEEKS)
            season_sd = pm.HalfNormal("season_sd", cfg["season_sigma"])
            season = pm.ZeroSumNormal("season", sigma=season_sd, dims="month")
            log_amp = self._effect("season_log_amp", 0.5, "channel", centred=True)
            amp = pm.Deterministic("season_amp", pm.math.exp(log_amp), dims="channel")
            month_effect = (d["vol_months"] * season[None, :]).sum(axis=1)
            log_mu = log_mu + month_effect[:, None] * amp
        # negative binomial log-likelihood without its data-only constant, log(y!)
        y, alpha = d["vol_y"], 1.0 / (disp**2 + 1e-4)
        log_mu_alpha = pm.math.logaddexp(log_mu, pm.math.log(alpha))
        pm.Potential(
            "volume",
            (
                pt.gammaln(y + alpha) - pt.gammaln(alpha) + alpha * pm.math.log(alpha)
                + y * log_mu - (alpha + y) * log_mu_alpha
            ).sum(),
        )  # fmt: skip

    def _conversion(self, d: dict, has_dq: bool) -> None:
        import pymc as pm
        import pytensor.tensor as pt

        cfg = self.model_config_
        mu = pm.Normal("conv_mu", -2.5, 1.5)
        ch = self._effect("conv_channel", cfg["channel_sigma"], "channel", learn=False)
        seg = self._effect("conv_segment", cfg["pool_sigma"], "segment")
        inter = self._effect(
            "conv_inter", cfg["interaction_sigma"], ("channel", "segment"), learn=False
        )
        logit_q = (mu + ch[:, None] + seg[None, :] + inter).flatten()
        t1_mu0 = pm.Normal("t1_mu0", np.log(30.0), 1.0)
        t1_seg = self._effect("t1_segment", cfg["time_sigma"], "segment", learn=False)
        t1_mu = pm.Deterministic("t1_mu", t1_mu0 + t1_seg, dims="segment")
        t1_sigma = pm.HalfNormal("t1_sigma", 1.0, dims="segment")
        log_q, log_1mq = -pm.math.log1pexp(-logit_q), -pm.math.log1pexp(logit_q)
        pm.Potential("conv_counts", (d["lead_conv_total"] * log_q).sum())
        conv_times = _log_interval(d, "lead_conv", t1_mu, t1_sigma)
        pm.Potential("conv_times", (d["lead_conv_n"] * conv_times).sum())
        o, key = d["lead_open_cell"], d["lead_open_key"]
        kc, age = d["lead_open_key_cell"], d["lead_open_key_age"]
        conv_open = log_q[o] + _log_sf(age, t1_mu[kc], t1_sigma[kc])[key]
        if not has_dq:
            open_leads = pm.math.logaddexp(conv_open, log_1mq[o])
            pm.Potential("open_leads", (d["lead_open_n"] * open_leads).sum())
            return
        dq_logit = pm.Normal("dq_logit", 1.5, 1.5)
        dq_mu0 = pm.Normal("dq_mu0", np.log(60.0), 1.0)
        dq_mu = pm.Deterministic(
            "dq_mu",
            dq_mu0 + self._effect("dq_segment", cfg["time_sigma"], "segment", learn=False),
            dims="segment",
        )
        dq_sigma = pm.HalfNormal("dq_sigma", 1.0)
        log_pd = -pm.math.log1pexp(-dq_logit)
        pm.Potential("dq_counts", (d["lead_dq_total"] * (log_1mq + log_pd)).sum())
        dq_sigmas = dq_sigma * pt.ones(_n("segment"))
        dq_times = _log_interval(d, "lead_dq", dq_mu, dq_sigmas)
        pm.Potential("dq_times", (d["lead_dq_n"] * dq_times).sum())
        not_dq = log_1mq[o] + pm.math.log1mexp(log_pd + _log_cdf(age, dq_mu[kc], dq_sigma))[key]
        pm.Potential("open_leads", (d["lead_open_n"] * pm.math.logaddexp(conv_open, not_dq)).sum())

    def _outcome(self, d: dict) -> None:
        """Leaving each open stage: forward (to the next stage, or won) or lost.

        A deal leaves forward with probability ``a`` after a lognormal time, or is lost after
        another; deals still in the stage are censored at their time in it. The probability of
        winning from stage s is the product of ``a`` over s and the stages after it.
        """
        import pymc as pm
        import pytensor.tensor as pt

        cfg = self.model_config_
        n_sg = _n("segment")
        stage = pm.Normal("adv_stage", 1.0, 1.5, dims="stage")
        seg = self._effect("adv_segment", cfg["pool_sigma"], "segment")
        ch = self._effect("adv_channel", cfg["channel_sigma"], "channel", learn=False)
        inter = self._effect(
            "adv_inter", cfg["interaction_sigma"], ("stage", "segment"), learn=False
        )
        logit_a = (stage[:, None, None] + seg[None, :, None] + ch[None, None, :]
                   + inter[:, :, None]).flatten()  # fmt: skip
        log_a, log_1ma = -pm.math.log1pexp(-logit_a), -pm.math.log1pexp(logit_a)
        pm.Potential("adv_counts", (d["deal_adv_total"] * log_a).sum())
        pm.Potential("lost_counts", (d["deal_lost_total"] * log_1ma).sum())
        o, key = d["deal_open_cell"], d["deal_open_key"]
        kc, age = d["deal_open_key_cell"], d["deal_open_key_age"]  # (stage, segment), days
        mix = [log_a[o], log_1ma[o]]
        for i, (kind, median) in enumerate((("adv", 10.0), ("lost", 20.0))):
            base = pm.Normal(f"{kind}_time_stage", np.log(median), 1.5, dims="stage")
            tseg = self._effect(f"{kind}_time_segment", cfg["time_sigma"], "segment", learn=False)
            tint = self._effect(f"{kind}_time_inter", 0.3, ("stage", "segment"), learn=False)
            mu = pm.Deterministic(
                f"{kind}_time_mu", base[:, None] + tseg[None, :] + tint, dims=("stage", "segment")
            ).flatten()
            sigma = pt.repeat(pm.HalfNormal(f"{kind}_time_sigma", 1.0, dims="stage"), n_sg)
            times = _log_interval(d, f"deal_{kind}", mu, sigma)
            pm.Potential(f"{kind}_times", (d[f"deal_{kind}_n"] * times).sum())
            mix[i] = mix[i] + _log_sf(age, mu[kc], sigma[kc])[key]
        pm.Potential("open_deals", (d["deal_open_n"] * pm.math.logaddexp(*mix)).sum())

    def _size(self, d: dict, learn_scale: bool = True) -> None:
        import pymc as pm

        mu0 = pm.Normal("amount_mu0", d["amount_center"], 2.0)
        # with one segment, or few won deals in one, the learned scale's funnel made the
        # sampler diverge and the non-centred form mixed worse still: the scale is fixed, as
        # for other effects of a handful of groups (see MIN_CENTRED_WON and _effect)
        tau = pm.HalfNormal("amount_tau", 1.0) if learn_scale else 1.0
        mu = pm.Normal("amount_mu", mu0, tau, dims="segment")
        log_sigma = pm.Normal("amount_log_sigma", np.log(0.7), 0.5, dims="segment")
        sigma = pm.Deterministic("amount_sigma", pm.math.exp(log_sigma), dims="segment")
        n, s1, s2 = d["won_n"], d["won_s1"], d["won_s2"]
        sq = s2 - 2 * mu * s1 + n * mu**2
        pm.Potential("amounts", (-n * log_sigma - sq / (2 * sigma**2)).sum())

    # --- results ----------------------------------------------------------------------

    def predict(self, *, n_sims: int | None = None, random_seed: int | None = None, **kwargs):
        """Posterior predictive bookings of the quarter (see :func:`simulate.simulate`)."""
        from revlab.forecast import simulate

        self._require_fit()
        return simulate.simulate(self, n_sims=n_sims, random_seed=random_seed, **kwargs)

    def conversion_rates(self, *, level: float = 0.99) -> pd.DataFrame:
        """Lead → won probability per channel: posterior mean and central interval."""
        return _interval_frame(self.conversion_rate_draws(), "channel", self.data_.channels, level)

    def conversion_rate_draws(self) -> np.ndarray:
        """Posterior draws of each channel's lead → won probability, (draw, channel).

        The rate of a channel averages its segments by the channel's lead mix:
        ``sum_g mix[c, g] * q[c, g] * p_win(first stage, g, c)``, where the win probability
        of a new deal is the product of its chances to move forward from every stage.
        """
        from revlab.forecast import simulate

        draws = simulate.posterior_arrays(self)
        data = self.data_
        mix = data.mix / np.maximum(data.mix.sum(axis=1, keepdims=True), 1.0)
        return (mix[None] * draws["q"] * draws["p"][:, 0].transpose(0, 2, 1)).sum(axis=2)

    def deal_size_medians(self, *, level: float = 0.99) -> pd.DataFrame:
        """Median amount of a won deal per segment: posterior mean and central interval."""
        draws = self.deal_size_median_draws()
        return _interval_frame(draws, "segment", self.data_.segments, level)

    def deal_size_median_draws(self) -> np.ndarray:
        """Posterior draws of each segment's median won-deal amount, (draw, segment)."""
        from revlab.forecast import simulate

        return np.exp(simulate.posterior_arrays(self)["amount_mu"])

    def _state(self) -> dict[str, pd.DataFrame]:
        from revlab.forecast._funnel_state import to_frames

        return to_frames(self.data_)

    def _restore(self, state: dict[str, pd.DataFrame]) -> None:
        from revlab.forecast._funnel_state import from_frames

        self.data_ = from_frames(state)


def _n(name: str) -> int:
    """Length of a dimension of the model being built."""
    import pymc as pm

    return len(pm.modelcontext(None).coords[name])


def _shared_edges(rows: Rows) -> dict[str, np.ndarray]:
    """Rows' intervals as indices into their distinct (time cell, day) edges.

    Neighbouring bins of a cell share an edge, so the likelihood evaluates each edge's normal
    tail once instead of twice (``edge_cell``, ``edge_t``; rows' ``lo_i``, ``hi_i``).
    """
    n = len(rows)
    pairs = np.concatenate([np.c_[rows.cell, rows.lo], np.c_[rows.cell, rows.hi]])
    edges, inverse = np.unique(pairs, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return {
        "edge_cell": edges[:, 0].astype(np.int64),
        "edge_t": edges[:, 1],
        "lo_i": inverse[:n],
        "hi_i": inverse[n:],
    }


def _small_tail(z):
    """Log of the standard normal's smaller tail at ``z``, log Phi(-|z|), stable for any z.

    One scaled complementary error function: Phi(-|z|) = erfcx(|z| / sqrt 2) exp(-z^2 / 2) / 2.
    PyMC's normal log-CDF evaluates two branches (erfcx and erfc) per value; this one. At
    z = 0 the gradient is the left tail's (not the zero of d|z|/dz), which is what the
    callers' ``z <= 0`` branches need.
    """
    import pytensor.tensor as pt

    w = pt.switch(z > 0, -z, z)  # -|z|
    return pt.log(pt.erfcx(-w / np.sqrt(2.0)) / 2.0) - w**2 / 2.0


def _z(x, mu, sigma):
    import pytensor.tensor as pt

    return (pt.log(x) - mu) / sigma


def _log_phi(z):
    """Log Phi(z), stable in both tails: the small tail itself, or one minus it."""
    import pytensor.tensor as pt

    tail = _small_tail(z)
    return pt.switch(z <= 0, tail, pt.log1mexp(tail))


def _log_cdf(x, mu, sigma):
    """Log P(T <= x) for T ~ LogNormal(mu, sigma), stable in both tails."""
    return _log_phi(_z(x, mu, sigma))


def _log_sf(x, mu, sigma):
    """Log P(T > x) for T ~ LogNormal(mu, sigma)."""
    return _log_phi(-_z(x, mu, sigma))


def _log_interval(d: dict, name: str, mu, sigma):
    """Log P(lo < T <= hi) of each row of ``name``, T lognormal with its time cell's mu, sigma.

    Tails are evaluated once per distinct edge (see :func:`_shared_edges`). An interval on one
    side of the median is a difference of that side's tails; one that straddles the median is
    one minus both tails. Each branch gets harmless inputs where it is not taken, so no NaN
    reaches the gradient through the switch.
    """
    import pytensor.tensor as pt

    cell = d[f"{name}_edge_cell"]
    z = _z(d[f"{name}_edge_t"], mu[cell], sigma[cell])
    tail = _small_tail(z)
    lo, hi = d[f"{name}_lo_i"], d[f"{name}_hi_i"]
    z_lo, z_hi, t_lo, t_hi = z[lo], z[hi], tail[lo], tail[hi]
    left, straddle = z_hi <= 0, (z_lo <= 0) & (z_hi > 0)
    big, small = pt.switch(left, t_hi, t_lo), pt.switch(left, t_lo, t_hi)
    one_side = big + pt.log1mexp(pt.switch(straddle, -1.0, small - big))
    both_sides = pt.log1p(pt.switch(straddle, -pt.exp(t_lo) - pt.exp(t_hi), 0.0))
    return pt.switch(straddle, both_sides, one_side)


def _interval_frame(values: np.ndarray, by: str, labels, level: float) -> pd.DataFrame:
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    return pd.DataFrame(
        {
            by: list(labels),
            "mean": values.mean(axis=0),
            "lower": np.quantile(values, lo, axis=0),
            "upper": np.quantile(values, hi, axis=0),
        }
    )
