"""After the sale: retention, renewals and customer lifetime value.

Contractual customers (the ``subscriptions`` table): :func:`terms` and :func:`customers` turn
contract terms into renewal chains; :func:`renewal_rates`, :func:`retention_curves`,
:func:`revenue_retention` (NRR, GRR) and :func:`quarter_summary` (a quarter's headline) measure
them; :class:`ChurnModel` (pymc-marketing's shifted-beta-geometric model) projects churn with
posterior intervals, and :func:`remaining_value` the revenue still to come. Value:
:func:`lifetime_value`, :func:`acquisition_cost` and :func:`ltv_to_cac` (with months to pay
back). Satisfaction: :func:`satisfaction_outcomes` and :func:`churn_explained`.
Non-contractual customers (repeat purchases): :func:`rfm`, :class:`PurchaseModel` (BG/NBD and
Gamma-Gamma) and :func:`holdout_comparison`.

Modules: :mod:`~revlab.lifecycle.contractual`, :mod:`~revlab.lifecycle.retention`,
:mod:`~revlab.lifecycle.value`, :mod:`~revlab.lifecycle.satisfaction`,
:mod:`~revlab.lifecycle.noncontractual`.
"""

from __future__ import annotations

from revlab import _blas, _notices
from revlab.lifecycle._errors import LifecycleError
from revlab.lifecycle._terms import customers, terms
from revlab.lifecycle.contractual import ChurnModel, remaining_value, renewal_rates
from revlab.lifecycle.noncontractual import (
    PurchaseModel,
    calibration_holdout,
    holdout_comparison,
    read_cdnow,
    rfm,
)
from revlab.lifecycle.retention import quarter_summary, retention_curves, revenue_retention
from revlab.lifecycle.satisfaction import bands, churn_explained, satisfaction_outcomes
from revlab.lifecycle.value import acquisition_cost, lifetime_value, ltv_to_cac, ranked_ratios

# Before PyTensor loads (nothing above imports it; tests/test_blas.py checks): link the system
# OpenBLAS, or say there is none. Here, in a package that uses PyMC, not on `import revlab`.
_blas.configure()
_notices.quiet()  # library notices unrelated to the run stay out of the pages

__all__ = [
    "ChurnModel",
    "LifecycleError",
    "PurchaseModel",
    "acquisition_cost",
    "bands",
    "calibration_holdout",
    "churn_explained",
    "customers",
    "holdout_comparison",
    "lifetime_value",
    "ltv_to_cac",
    "ranked_ratios",
    "quarter_summary",
    "read_cdnow",
    "remaining_value",
    "renewal_rates",
    "retention_curves",
    "revenue_retention",
    "rfm",
    "satisfaction_outcomes",
    "terms",
]
