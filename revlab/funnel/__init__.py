"""The revenue funnel, measured where the data lives: volume, conversion, inventory, closing.

Each function takes a :class:`revlab.sources.Source` (cut at its as-of date) with keyword-only
options and returns a small tidy pandas frame whose columns its docstring defines. Queries
are portable Ibis expressions (DuckDB by default; Postgres, Spark or a warehouse unchanged).

Modules: :mod:`~revlab.funnel.volume` (new names, cost per name),
:mod:`~revlab.funnel.conversion` (censoring-aware conversion),
:mod:`~revlab.funnel.inventory` (prospects in process, aging, flows, Little's law),
:mod:`~revlab.funnel.closing` (win rate, deal size, cycle, velocity, coverage),
:mod:`~revlab.funnel.change` (headline figures, period-over-period change and its drivers).
"""

from __future__ import annotations

from revlab.funnel._memo import clear_cache
from revlab.funnel.change import (
    HEADLINES,
    cohort_for,
    compare,
    compare_text,
    drivers,
    headline,
)
from revlab.funnel.closing import closing, closing_by_quarter, pipeline_coverage
from revlab.funnel.conversion import (
    conversion_by_cohort,
    conversion_curve,
    conversion_rate,
    funnel_stages,
    matured_quarter,
)
from revlab.funnel.inventory import inventory_aging, inventory_at, inventory_flow, stage_times
from revlab.funnel.volume import cost_per_name, new_names

__all__ = [
    "HEADLINES",
    "clear_cache",
    "closing",
    "closing_by_quarter",
    "cohort_for",
    "compare",
    "compare_text",
    "conversion_by_cohort",
    "conversion_curve",
    "conversion_rate",
    "cost_per_name",
    "drivers",
    "funnel_stages",
    "headline",
    "inventory_aging",
    "inventory_at",
    "inventory_flow",
    "matured_quarter",
    "new_names",
    "pipeline_coverage",
    "stage_times",
]
