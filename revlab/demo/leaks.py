"""Leaks planted in the demo company's leads: lead attributes recorded after the outcome.

Real CRM exports carry fields that are filled or changed once a lead has converted or gone
cold. :func:`plant_leaks` adds four such columns to the leads table, each built from the lead's
eventual outcome, so the propensity leakage screen can be checked against columns known to leak:

``lead_status``
    Today's status (Converted, Disqualified, Working): the classic sales-entered status.
``handoff_notes_words``
    Word count of hand-off notes, written only for converted leads (empty otherwise).
``intent_score``
    A near-deterministic score computed from the outcome, with a little noise.
``account_tier``
    A weaker post-outcome field (about 0.8 AUC on its own in weekly snapshots), with a
    neutral name, so only its evidence can catch it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The planted columns, strongest first.
PLANTED = ("lead_status", "handoff_notes_words", "intent_score", "account_tier")


def plant_leaks(tables: dict[str, pd.DataFrame], *, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The tables with :data:`PLANTED` columns added to ``leads`` (the input is not changed)."""
    rng = np.random.default_rng(seed)
    leads = tables["leads"].copy()
    converted = leads["converted_at"].notna().to_numpy()
    n = len(leads)
    status = np.where(
        converted,
        "Converted",
        np.where(leads["disqualified_at"].notna().to_numpy(), "Disqualified", "Working"),
    )
    leads["lead_status"] = status
    leads["handoff_notes_words"] = np.where(converted, rng.integers(20, 400, n), np.nan)
    leads["intent_score"] = np.round(60 * converted + rng.normal(20, 8, n), 1)
    tier = converted + rng.normal(0, 0.8, n)
    leads["account_tier"] = pd.cut(tier, [-np.inf, -0.3, 0.5, 1.2, np.inf], labels=list("DCBA"))
    leads["account_tier"] = leads["account_tier"].astype("str")
    return {**tables, "leads": leads}
