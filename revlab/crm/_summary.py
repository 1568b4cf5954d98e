"""What an import did, export by export: mapped, derived, filled, left out, pseudonymised.

``revlab import`` prints it; :func:`revlab.crm.read_export` and the ``read_*`` functions of the
ready maps return it with the tables (:class:`Imported`), so a notebook can show it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class ExportSummary:
    """One export read into one canonical table (plus its stage history, if any)."""

    name: str
    table: str
    rows: int = 0
    mapped: dict[str, str] = field(default_factory=dict)  # canonical column <- source column
    derived: list[str] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # attribute columns carried
    personal: list[str] = field(default_factory=list)  # left out: personal or free text
    left_out: list[str] = field(default_factory=list)  # left out: not asked for
    pseudonymised: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # rows left out, by reason

    def lines(self) -> list[str]:
        """The summary as indented text lines."""
        out = [f"{self.name} → {self.table}: {self.rows:,} rows"]
        if self.mapped:
            pairs = ", ".join(f"{src} → {dst}" for dst, src in self.mapped.items())
            out.append(f"  mapped: {pairs}")
        out += [f"  derived: {d}" for d in self.derived]
        if self.filled:
            out.append("  filled: " + ", ".join(f"{c} ({n:,} empty cell{'s' if n != 1 else ''})"
                                               for c, n in self.filled.items()))  # fmt: skip
        if self.kept:
            out.append(f"  attributes kept: {', '.join(self.kept)}")
        out += [f"  pseudonymised: {p}" for p in self.pseudonymised]
        if self.skipped:
            out += [f"  rows left out: {n:,} ({why})" for why, n in self.skipped.items()]
        if self.personal:
            out.append(f"  left out, personal or free text ({len(self.personal)}): "
                       f"{', '.join(self.personal)}")  # fmt: skip
        if self.left_out:
            out.append(f"  left out, not in the mapping ({len(self.left_out)}): "
                       f"{', '.join(self.left_out)}")  # fmt: skip
        return out


@dataclass
class Imported:
    """Canonical tables read from CRM exports, and what was done to each export."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    exports: list[ExportSummary] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def merged(self, other: Imported) -> Imported:
        """Both imports together; two exports of one table are refused."""
        from revlab.schema import SchemaError

        both = sorted(set(self.tables) & set(other.tables))
        if both:
            raise SchemaError(
                [f"{', '.join(both)}: given by more than one export; give each table once."]
            )
        return Imported({**self.tables, **other.tables}, [*self.exports, *other.exports])

    def text(self) -> str:
        """Every export's summary, then the tables and their row counts."""
        lines = [line for e in self.exports for line in e.lines()]
        counts = ", ".join(f"{t} {len(f):,}" for t, f in self.tables.items())
        return "\n".join([*lines, f"tables: {counts}"])
