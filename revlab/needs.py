"""What each analysis needs from the data, declared next to its code and checked before it runs.

An analysis function taking a :class:`~revlab.sources.Source` first is declared with
:func:`requires`::

    @requires("leads", "marketing_spend", analysis="Cost per name")
    def cost_per_name(src, *, quarter): ...

Called on a source that lacks a table, a column or the minimum amount of data, it raises
:class:`~revlab.errors.Shortfall` before computing anything, with a sentence for the page
("the data have no marketing_spend table") and what would enable it. A notebook section turns
that into a short box and the report goes on (:mod:`revlab.sections`). :func:`catalog` lists
every declaration, so the docs and the tests can see what each analysis needs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from revlab.errors import Shortfall
from revlab.schema import TABLES
from revlab.sources import MissingTable

if TYPE_CHECKING:
    from revlab.sources import Source


@dataclass(frozen=True)
class Minimum:
    """A minimum the data must show: ``measure(src) >= at_least``, in words.

    ``what`` names the unit counted ("closed deals"); ``measure`` counts it on a source.
    """

    what: str
    measure: Callable[[Source], float]
    at_least: float
    why: str = ""  # why the analysis needs it, said after the shortfall

    def shortfall(self, src: Source) -> str | None:
        """The measured shortfall as a sentence, or None when the data meet the minimum."""
        have = self.measure(src)
        if have >= self.at_least:
            return None
        because = f": {self.why}" if self.why else ""
        return f"{have:,.0f} {self.what}; it needs at least {self.at_least:,.0f}{because}"


@dataclass(frozen=True)
class Needs:
    """Tables, columns (``table.column``) and minimums an analysis needs.

    ``one_of`` lists tables of which at least one must be present (the prospect inventory
    counts open leads and open deals alike).
    """

    analysis: str
    tables: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    minimums: tuple[Minimum, ...] = field(default=())

    def problems(self, src: Source) -> list[tuple[str, str]]:
        """Every shortfall of ``src`` as (reason, what would enable it); empty when none."""
        have = set(src.available())
        missing = [t for t in self.tables if t not in have]
        found = []
        if missing:
            plural = "s" if len(missing) > 1 else ""
            found.append((f"the data have no {' or '.join(missing)} table{plural}", _add(missing)))
        if self.one_of and not have & set(self.one_of):
            found.append(
                (
                    f"the data have neither {' nor '.join(self.one_of)}",
                    f"Add {' or '.join(self.one_of)} to enable it.",
                )
            )
        for spec in self.columns:
            table, column = spec.split(".", 1)
            if table in have and not src.has_column(table, column):
                found.append(
                    (
                        f"the {table} table has no {column} column",
                        f"Add {column} to {table} to enable it.",
                    )
                )
        if found:  # minimums are measured only on tables that exist
            return found
        for minimum in self.minimums:
            short = minimum.shortfall(src)
            if short:
                found.append((short, ""))
        return found

    def check(self, src: Source) -> None:
        """Raise :class:`~revlab.errors.Shortfall` naming every shortfall of ``src``.

        A missing table or column raises :class:`~revlab.sources.MissingTable`, which is also
        a :class:`~revlab.sources.SourceError`.
        """
        found = self.problems(src)
        if found:
            reasons = "; ".join(r for r, _ in found)
            enable = " ".join(dict.fromkeys(e for _, e in found if e))
            error = MissingTable if any(e for _, e in found) else Shortfall
            raise error(self.analysis, reasons, enable=enable)


def _add(tables: Sequence[str]) -> str:
    """What to add: each missing table with what one row is and its required columns."""
    parts = [
        f"{t} ({TABLES[t].doc}: {', '.join(c.name for c in TABLES[t].required)})" for t in tables
    ]
    return f"Add {' and '.join(parts)} to enable it."


#: Every declaration made with :func:`requires`: qualified function name → its needs.
REGISTRY: dict[str, Needs] = {}


def requires(
    *tables: str,
    analysis: str,
    columns: Sequence[str] = (),
    one_of: Sequence[str] = (),
    minimums: Sequence[Minimum] = (),
) -> Callable:
    """Declare what an analysis needs; the decorated function checks it before it computes.

    The function's first argument must be the :class:`~revlab.sources.Source`.
    """
    for name in (*tables, *one_of, *(c.split(".", 1)[0] for c in columns)):
        if name not in TABLES:
            raise ValueError(f"requires: unknown table {name!r}")
    needs = Needs(analysis, tuple(tables), tuple(columns), tuple(one_of), tuple(minimums))

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def checked(src: Any, *args: Any, **kwargs: Any) -> Any:
            needs.check(src)
            return fn(src, *args, **kwargs)

        checked.needs = needs  # type: ignore[attr-defined]
        REGISTRY[f"{fn.__module__}.{fn.__qualname__}"] = needs
        return checked

    return decorate


def catalog() -> pd.DataFrame:
    """Every declared analysis: ``function``, ``analysis``, ``tables``, ``columns``, ``minimums``.

    Only modules already imported have registered; import the analysis packages first
    (``import revlab.funnel, revlab.pipeline, ...``) for the full list.
    """
    rows = [
        {
            "function": name,
            "analysis": n.analysis,
            "tables": ", ".join((*n.tables, *([" or ".join(n.one_of)] if n.one_of else []))),
            "columns": ", ".join(n.columns),
            "minimums": ", ".join(f"{m.at_least:,.0f} {m.what}" for m in n.minimums),
        }
        for name, n in sorted(REGISTRY.items())
    ]
    return pd.DataFrame(rows, columns=["function", "analysis", "tables", "columns", "minimums"])
