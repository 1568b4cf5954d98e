"""revlab: a revenue research workbook.

Measure and tune the revenue machine: top of funnel, prospect inventory, propensity to buy,
closing, and a Bayesian forecast of the quarter. Heavy libraries load on first use, so
``import revlab`` stays fast, and it changes nothing in the environment (PyTensor's BLAS is set
up by the packages that use PyMC, :mod:`revlab.forecast` and :mod:`revlab.lifecycle`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "connect": ("revlab.sources", "connect"),
    "Source": ("revlab.sources", "Source"),
    "SourceError": ("revlab.sources", "SourceError"),
    "validate": ("revlab.schema", "validate"),
    "SchemaError": ("revlab.schema", "SchemaError"),
    "DataQualityWarning": ("revlab.schema", "DataQualityWarning"),
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'revlab' has no attribute {name!r}")
