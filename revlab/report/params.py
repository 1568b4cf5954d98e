"""Notebook parameters: read them from each notebook, and refuse unknown names or wrong types.

papermill only warns about a parameter a notebook does not declare; a scheduled report must
instead stop before any notebook runs, and say which parameters exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class ParameterError(ValueError):
    """A report parameter that no notebook declares, or a value of the wrong type or range."""


#: Parameters the report sets from its own validated flags; ``-p`` may not override them.
RESERVED = {
    "source": "--source",
    "quarter": "--quarter",
    "as_of": "--as-of",
    "output_dir": "--out",
    "journal_dir": "--out",
    "fiscal_year_start": "--fiscal-year-start",
    "fiscal_year_named_by": "--fiscal-year-named-by",
    "reporting_currency": "--currency",
}
#: Smallest value of numeric parameters (every other number must be 0 or more).
MINIMUM = {
    "lookback_quarters": 1, "stale_after_days": 1, "within_days": 1, "horizon_days": 1,
    "every_days": 1, "capacity_per_week": 1, "draws": 1, "chains": 1, "cac_quarters": 1,
    "slip_quarters": 1, "horizon_months": 1, "gross_margin": 0.01,
}  # fmt: skip
#: Largest value, where there is one.
MAXIMUM = {"gross_margin": 1.0}


def declared(notebook: Path) -> dict[str, dict[str, Any]]:
    """Parameters a notebook declares: name -> {type, default, help} (papermill's inspection)."""
    import papermill

    found = papermill.inspect_notebook(str(notebook))
    return {
        name: {
            "type": (info.get("inferred_type_name") or "str").replace("None", "str"),
            "default": info.get("default"),
            "help": info.get("help", ""),
        }
        for name, info in found.items()
    }


def describe(specs: Mapping[Path, Mapping[str, Mapping[str, Any]]]) -> str:
    """Every notebook's parameters with type, default and help, for an error message."""
    lines = []
    for notebook, params in specs.items():
        lines.append(f"  {notebook.name}:")
        for name, info in params.items():
            lines.append(
                f"    {name}: {info['type']} = {info['default']}  {info['help']}".rstrip()
            )
    return "\n".join(lines)


def coerce(name: str, text: Any, kind: str) -> Any:
    """Read a command-line value as the type the notebook declares, or refuse it."""
    if not isinstance(text, str):
        return text
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "bool":
            lowered = text.strip().lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError(text)
            return lowered in {"true", "1", "yes"}
    except ValueError:
        raise ParameterError(f"parameter {name!r} must be {kind}, got {text!r}.") from None
    return text


def resolve(
    specs: Mapping[Path, Mapping[str, Mapping[str, Any]]], given: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """Check ``-p name value`` pairs against the notebooks and convert each value's type."""
    kinds: dict[str, str] = {}
    for params in specs.values():
        for name, info in params.items():
            kinds.setdefault(name, info["type"])
    reserved = [name for name, _ in given if name in RESERVED]
    if reserved:
        flags = ", ".join(f"{RESERVED[n]} instead of -p {n}" for n in dict.fromkeys(reserved))
        raise ParameterError(
            f"parameter(s) {', '.join(map(repr, dict.fromkeys(reserved)))} are set by the "
            f"report from its checked flags; use {flags}."
        )
    out: dict[str, Any] = {}
    unknown = [name for name, _ in given if name not in kinds]
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}; the notebooks take:\n"
            + describe(specs)
        )
    for name, value in given:
        out[name] = check_range(name, coerce(name, value, kinds[name]))
    return out


def check_range(name: str, value: Any) -> Any:
    """Refuse a number outside what the notebooks can use (a negative quarter count, say)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    low, high = MINIMUM.get(name, 0), MAXIMUM.get(name)
    if value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ParameterError(f"parameter {name!r} must be {allowed}, got {value}.")
    return value


def for_notebook(params: Mapping[str, Any], declared_here: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of parameters this notebook declares (others would only draw warnings)."""
    return {k: v for k, v in params.items() if k in declared_here}
