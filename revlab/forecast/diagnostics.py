"""Sampler diagnostics of a fit: R-hat, effective sample size, divergences, and a verdict.

Every fit returns a :class:`Diagnostics`; a fit that fails the bars says so with a
:class:`~revlab.forecast.ConvergenceWarning` and ``ok = False``, which the notebook shows,
instead of presenting its numbers as fine.

References
----------
Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization, folding, and
localization: an improved R-hat for assessing convergence of MCMC", *Bayesian Analysis* 16(2).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from revlab.forecast._errors import ConvergenceWarning

#: Bars a fit must pass (Vehtari et al. 2021 recommend R-hat below 1.01 and bulk ESS above 400).
RHAT_MAX = 1.01
ESS_MIN = 400


@dataclass
class Diagnostics:
    """The verdict on one fit.

    ``table`` has one row per parameter checked: ``param``, ``rhat``, ``ess_bulk``,
    ``ess_tail``, ``key`` (whether it is a key parameter held to the ESS bar).
    """

    table: pd.DataFrame
    divergences: int
    draws: int
    chains: int
    rhat_max: float = RHAT_MAX
    ess_min: float = ESS_MIN
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the fit passed every bar."""
        return not self.problems

    @property
    def worst_rhat(self) -> float:
        """The largest R-hat over the key parameters."""
        key = self.table[self.table["key"]]
        return float(key["rhat"].max()) if len(key) else float("nan")

    @property
    def worst_rhat_all(self) -> float:
        """The largest R-hat over every parameter, nuisance ones included (shown, not judged)."""
        return float(self.table["rhat"].max()) if len(self.table) else float("nan")

    @property
    def min_ess_bulk(self) -> float:
        """The smallest bulk ESS over the key parameters."""
        key = self.table[self.table["key"]]
        return float(key["ess_bulk"].min()) if len(key) else float("nan")

    def summary(self) -> pd.DataFrame:
        """One row: the figures a report shows beside the forecast."""
        return pd.DataFrame(
            [
                {
                    "chains": self.chains,
                    "draws": self.draws,
                    "max_rhat": self.worst_rhat,
                    "max_rhat_all": self.worst_rhat_all,
                    "min_ess_bulk": self.min_ess_bulk,
                    "divergences": self.divergences,
                    "ok": self.ok,
                }
            ]
        )

    def message(self) -> str:
        """A sentence for the reader: fine, or what failed."""
        if self.ok:
            return (
                f"Sampler diagnostics pass: max R-hat {self.worst_rhat:.3f}, "
                f"min bulk ESS {self.min_ess_bulk:.0f}, no divergences."
            )
        return "Sampler diagnostics FAIL: " + "; ".join(self.problems) + "."

    def plain(self) -> str:
        """The verdict for a reader who has never heard of R-hat, in one sentence."""
        if self.ok:
            return (
                f"The fit can be trusted: its {self.chains} independent chains agree (largest "
                f"R-hat {self.worst_rhat:.3f}, at most {self.rhat_max} wanted), explored the "
                f"model well (at least {self.min_ess_bulk:,.0f} effective draws for every key "
                f"parameter, {self.ess_min:,.0f} wanted) and none went astray (no divergent "
                "transitions). The diagnostics are in the appendix."
            )
        return (
            f"The fit cannot be trusted: {'; '.join(self.problems)}. Its numbers are not shown; "
            "the appendix lists the parameters that failed."
        )


def check(
    idata,
    *,
    key_vars: list[str] | None = None,
    rhat_max: float = RHAT_MAX,
    ess_min: float = ESS_MIN,
    warn: bool = True,
) -> Diagnostics:
    """Diagnose a posterior: R-hat and bulk ESS of the key parameters, and divergences.

    Key parameters are those a forecast is built from (rates, times, sizes, volume); the
    others (pooling scales, raw offsets) are reported in the table but not judged, since their
    R-hat fluctuates around the bar at the draw counts a quick fit uses.

    Parameters
    ----------
    idata
        ``arviz.InferenceData`` with ``posterior`` and ``sample_stats``.
    key_vars
        Variables held to the bars (default: every variable).
    rhat_max, ess_min
        The bars. With fewer total draws than ``2 * ess_min`` the ESS bar becomes half the
        draws, so quick runs are judged on mixing rather than on their size.
    warn
        Issue a :class:`ConvergenceWarning` when a bar is missed.
    """
    import arviz as az

    post = idata.posterior
    names = [v for v in post.data_vars if not v.endswith("__")]
    # a variable that never moves (an effect fixed at zero for a single channel) has no R-hat
    names = [v for v in names if np.ptp(np.asarray(post[v].values, dtype=float)) > 0]
    table = _table(az, post, names, set(key_vars or names))
    chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    div = int(np.asarray(idata.sample_stats["diverging"]).sum())
    bar = min(ess_min, 0.5 * chains * draws)
    diag = Diagnostics(table, div, draws, chains, rhat_max, bar)
    diag.problems = _problems(diag)
    if warn and diag.problems:
        warnings.warn(diag.message(), ConvergenceWarning, stacklevel=3)
    return diag


def _table(az, post, names: list[str], keys: set[str]) -> pd.DataFrame:
    rhat = az.rhat(post, var_names=names)
    ess_b = az.ess(post, var_names=names, method="bulk")
    ess_t = az.ess(post, var_names=names, method="tail")
    rows = []
    for name in names:
        values = [np.ravel(d[name].values) for d in (rhat, ess_b, ess_t)]
        for i in range(values[0].size):
            label = name if values[0].size == 1 else f"{name}[{i}]"
            r, eb, et = (float(v[i]) for v in values)
            rows.append([label, r, eb, et, name in keys])
    return pd.DataFrame(rows, columns=["param", "rhat", "ess_bulk", "ess_tail", "key"])


def _problems(d: Diagnostics) -> list[str]:
    out = []
    t = d.table
    key = t[t["key"]]
    bad_r = key[key["rhat"] > d.rhat_max]
    if len(bad_r):
        worst = bad_r.sort_values("rhat").iloc[-1]
        out.append(
            f"{len(bad_r)} key parameter(s) with R-hat above {d.rhat_max} "
            f"(worst {worst['param']}: {worst['rhat']:.3f}); run more tuning and draws"
        )
    low = key[key["ess_bulk"] < d.ess_min]
    if len(low):
        worst = low.sort_values("ess_bulk").iloc[0]
        out.append(
            f"{len(low)} key parameter(s) with bulk ESS below {d.ess_min:.0f} "
            f"(lowest {worst['param']}: {worst['ess_bulk']:.0f}); draw more"
        )
    if d.divergences:
        out.append(
            f"{d.divergences} divergent transition(s); raise target_accept or simplify the model"
        )
    return out
