"""revlab: a revenue research workbook.

Measure and tune the revenue machine: top of funnel, prospect inventory, propensity to buy,
closing, and a Bayesian forecast of the quarter. Heavy libraries load on first use, so
``import revlab`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from revlab._blas import configure as _configure_blas

__version__ = "0.1.0"
_configure_blas()  # before PyTensor loads: link the system OpenBLAS, or say there is none

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
