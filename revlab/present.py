"""Presenting results inside notebooks: the run's context, prose from numbers, tables, records.

A notebook calls :func:`setup` once, then writes its narrative with :func:`say` (numbers
formatted by :func:`money`, :func:`pct`, ...), shows tables with :func:`table`, and records
headline figures with :func:`record` for the report's scorecard. Text that may come from the
data (channel names, stages) is HTML-escaped on the way out.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from revlab import _currency
from revlab._tables import CREATED
from revlab.periods import Quarter
from revlab.sections import SKIP_MIME, Section, Sections, Skip, Skipped

if TYPE_CHECKING:
    from revlab.sources import Source

#: MIME type of a recorded headline figure: invisible in HTML, read by revlab.report.
METRIC_MIME = "application/vnd.revlab.metric+json"
#: MIME type of the start of a section: invisible, names the figures the report exports.
SECTION_MIME = "application/vnd.revlab.section+json"
#: MIME type of what a page is about (its banner's subject): invisible, read by revlab.report.
PAGE_MIME = "application/vnd.revlab.page+json"
UNITS = ("count", "money", "pct", "days", "ratio", "number")


@dataclass
class Run:
    """What a notebook run is about: the data cut, the quarter, the seed and the parameters."""

    src: Source
    quarter: Quarter
    as_of: pd.Timestamp
    data_end: pd.Timestamp | None
    seed: int
    parameters: dict[str, Any] = field(default_factory=dict)
    sections: Sections = field(default_factory=lambda: Sections(show_skip, mark=mark_section))

    def section(self, title: str) -> Section:
        """One section of the notebook: skipped with its reason when the data fall short.

        See :mod:`revlab.sections`: ``with run.section("Cost per name"): ...``.
        """
        return self.sections.section(title)

    def checks(self) -> Section:
        """The notebook's check cell: silent when the data could not give its figures."""
        return self.sections.section("checks", quiet=True)

    def attempt(self, title: str, fn, /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, or a stand-in that skips every section using it."""
        return self.sections.attempt(title, fn, *args, **kwargs)

    @property
    def skipped(self) -> list[Skip]:
        """The sections skipped so far, in order."""
        return list(self.sections.skips)

    @property
    def previous(self) -> Quarter:
        """The quarter before the one reported."""
        return self.quarter.previous

    @property
    def year_ago(self) -> Quarter:
        """The same quarter a year earlier."""
        return self.quarter.year_ago

    def seeds(self, k: int) -> list[int]:
        """``k`` independent sub-seeds derived from the run's seed."""
        children = np.random.SeedSequence(self.seed).spawn(k)
        return [int(c.generate_state(1)[0]) for c in children]


def setup(
    *,
    source: str,
    quarter: str = "latest",
    fiscal_year_start: int = 1,
    fiscal_year_named_by: str = "end",
    as_of: str = "",
    seed: int = 0,
    show: bool = True,
    reporting_currency: str = "",
    **parameters: Any,
) -> Run:
    """Open the source, resolve the quarter and the as-of cut, and show what the run is about.

    ``quarter="latest"`` is the last quarter the data covers completely; an empty ``as_of``
    is the quarter's end, so the run sees exactly what was known when the quarter closed.
    ``fiscal_year_start`` (month 1-12) and ``fiscal_year_named_by`` choose the quarters.
    ``reporting_currency`` (ISO 4217) is the currency money is converted into and shown in;
    empty uses the data's (see :func:`revlab.sources.connect`).
    """
    from revlab.periods import FiscalCalendar
    from revlab.sources import connect

    cal = FiscalCalendar(int(fiscal_year_start), str(fiscal_year_named_by))
    full = connect(source or None, reporting_currency=reporting_currency or None)
    full = full.on_calendar(cal)
    full.check_calendar()
    _currency.show_in(full.reporting_currency)
    end = data_end(full)
    latest = quarter in ("", "latest")
    q = Quarter.latest_covered(end, cal) if latest else Quarter.parse(quarter, cal)
    cut = pd.Timestamp(as_of) if as_of else q.end
    name = source_name(full.label)
    params = {"source": name, "quarter": str(q), "as_of": f"{cut:%Y-%m-%d}", "seed": seed}
    if not cal.is_calendar:
        params.update(fiscal_year_start=cal.start_month, fiscal_year_named_by=cal.named_by)
    if full.reporting_currency != _currency.DEFAULT or reporting_currency:
        params["reporting_currency"] = full.reporting_currency
    run = Run(full.at(cut), q, cut, end, seed, {**params, **parameters})
    if show:
        through = f"{(cut - pd.Timedelta(microseconds=1)):%Y-%m-%d}"
        note = ""
        if end is not None and end < cut - pd.Timedelta(days=1):
            note = f" The data end on {end:%Y-%m-%d}, before the end of the quarter."
        say(f"**Quarter {q}** · data known through {through} · source {name}.{note}")
    return run


def source_name(label: str) -> str:
    """A source as a reader knows it: a file or folder by its name, a database without its host.

    ``/tmp/x/demo.duckdb`` is ``demo.duckdb``; ``postgresql://user:***@db:5432/crm`` is
    ``crm (postgresql)``. Labels that are not paths or URLs ("in-memory tables") stay as
    they are. The full path stays in the analyst's notebook (its parameters cell).
    """
    from pathlib import PurePosixPath
    from urllib.parse import urlsplit

    if "://" in label:
        parts = urlsplit(label)
        database = parts.path.strip("/").split("/")[-1] or parts.hostname or "database"
        return f"{database} ({parts.scheme})"
    if label.startswith(("/", "~", ".")) or "/" in label:
        return PurePosixPath(label).name or label
    return label


def about(text: str) -> None:
    """Say what the page is about, for its banner (invisible in the page itself).

    Without it the banner names the quarter under review; a page about another period (the
    forecast of the next quarter) says so: ``present.about(f"Forecast of {ahead} ...")``.
    """
    _display({PAGE_MIME: {"about": str(text)}}, raw=True)


def data_end(src: Source) -> pd.Timestamp | None:
    """The latest creation time of a lead or deal; of a subscription term when there are neither.

    Subscriptions come last because a renewal term can be booked to start in the future.
    """
    latest = []
    for names in (("leads", "opportunities"), ("subscriptions",)):
        for name in (n for n in names if src.has(n)):
            value = src.table(name)[CREATED[name]].max().execute()
            if value is not None and not pd.isna(value):
                latest.append(pd.Timestamp(value))
        if latest:
            break
    return max(latest) if latest else None


# --- numbers as words -------------------------------------------------------------------


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float | np.floating) and math.isnan(x)) or x is pd.NA


def known(x: Any) -> bool:
    """Whether a figure has a value (not None or NaN), to leave a clause out of prose."""
    return not _missing(x)


def money(x: float | None, *, digits: int = 1) -> str:
    """``$1.2M``, ``$45.6k``, ``$950`` in the run's reporting currency; ``n/a`` when missing.

    The symbol and digits follow the currency :func:`setup` chose (``€1.2M``, ``£45.6k``,
    ``¥120M`` without decimals, ``CHF 1.2M`` for currencies without a symbol of their own).
    """
    return "n/a" if _missing(x) else _currency.short(x, digits=digits)


def _usd() -> bool:
    return _currency.shown() == _currency.DEFAULT


def pct(x: float | None, *, digits: int = 1) -> str:
    """A share as a percentage: ``0.234`` → ``23.4%``."""
    return "n/a" if _missing(x) else _no_negative_zero(f"{100 * float(x):.{digits}f}%")


def count(x: float | None) -> str:
    """A count with thousands separators."""
    return "n/a" if _missing(x) else f"{float(x):,.0f}"


def days(x: float | None) -> str:
    """A duration in days."""
    return "n/a" if _missing(x) else f"{float(x):,.0f} days"


def number(x: float | None, *, digits: int = 2) -> str:
    """A plain number."""
    return "n/a" if _missing(x) else _no_negative_zero(f"{float(x):,.{digits}f}")


def _no_negative_zero(text: str) -> str:
    """``-0.000`` reads as a loss where there is none: a value that rounds to zero has no sign."""
    if text.startswith("-") and not re.search(r"[1-9]", text):
        return text[1:]
    return text


def fmt(x: float | None, unit: str) -> str:
    """Format a value by its unit name (count, money, pct, days, ratio, number).

    A plain number under 1 (a score such as a calibration error) keeps three decimals, so
    0.002 does not read as 0.00.
    """
    if unit == "ratio":
        return "n/a" if _missing(x) else f"{float(x):.2f}×"
    if unit == "number" and not _missing(x) and abs(float(x)) < 1:
        return number(x, digits=3)
    return {"count": count, "money": money, "pct": pct, "days": days, "number": number}[unit](x)


def change(new: float | None, old: float | None, *, unit: str = "count") -> str:
    """The change from ``old`` to ``new``: points for shares, per cent for everything else.

    Plain numbers under 1 (scores such as ROC AUC or a calibration error) change by their
    difference, never by a ratio: 0.002 against 0.001 is "+0.001", not "+100.0%".
    """
    if _missing(new) or _missing(old):
        return "n/a"
    if new == old:
        return "no change"
    if unit == "pct":
        return _no_sign_at_zero(f"{100 * (new - old):+.1f} pts")
    if unit == "number" and max(abs(new), abs(old)) < 1:
        diff = new - old
        digits = max(3, -math.floor(math.log10(abs(diff))))
        return f"{diff:+.{digits}f}"
    if old == 0:
        return "n/a (was 0)"
    return _no_sign_at_zero(f"{100 * (new / old - 1):+.1f}%")


def _no_sign_at_zero(text: str) -> str:
    """A change that rounds to zero reads "0.0%", neither a rise nor a fall ("-0.0%")."""
    return text[1:] if text[:1] in "+-" and not re.search(r"[1-9]", text) else text


# --- output ------------------------------------------------------------------------------


def _display(obj: Any, raw: bool = False) -> None:
    from IPython.display import display

    display(obj, raw=raw)


def safe_markdown(text: str) -> str:
    """Markdown whose data cannot become HTML, a link, an image or an autolinked URL.

    ``<``, ``>`` and ``&`` are escaped as HTML; ``[``, ``]`` and the ``:`` of ``://`` get
    Markdown's backslash, so a channel named ``![b](http://host/x.png)`` prints as written
    instead of loading a remote image, and ``javascript:`` links cannot form. revlab's own
    prose uses bold and italics only, which stay.
    """
    text = html.escape(text, quote=False)
    text = text.replace("[", "\\[").replace("]", "\\]")
    return text.replace("://", "\\://")


def say(text: str) -> None:
    """Show narrative Markdown, made safe by :func:`safe_markdown` (data cannot inject)."""
    from IPython.display import Markdown

    _display(Markdown(safe_markdown(text)))


def mark_section(title: str) -> None:
    """Mark where a section starts, so the report names the section's figures by its title."""
    _display({SECTION_MIME: {"title": str(title)}}, raw=True)


def show_skip(skip: Skip) -> None:
    """Show a skipped section as a short box for the reader, and record it for the report."""
    reason = skip.reason[:1].upper() + skip.reason[1:]
    reason += "" if reason.endswith((".", "!", "?", ":")) else "."
    if skip.optional:
        text = f"*Not run here: {skip.title}. {reason} {skip.enable}*"
    elif skip.because:
        text = f"*Skipped: {skip.title}. It needs {skip.because}, skipped above.*"
    elif skip.same_as:
        text = f"*Skipped: {skip.title}, for the same reason as {skip.same_as} above.*"
    else:
        text = f"**Skipped: {skip.title}.** {reason} {skip.enable}".rstrip()
    from IPython.display import Markdown

    quoted = "\n".join(f"> {safe_markdown(line)}" for line in text.splitlines())
    _display(Markdown(quoted))
    _display({SKIP_MIME: skip.record()}, raw=True)


def record(
    key: str,
    value: float | None,
    *,
    label: str,
    unit: str = "number",
    previous: float | None = None,
    better: str | None = "higher",
    quarter: str | None = None,
    history: dict[str, float] | None = None,
) -> None:
    """Record a headline figure for the report's scorecard (not visible in the page).

    ``better`` is "higher", "lower" or None and colours the change on the scorecard. A
    ``previous`` figure that could not be computed (a skipped result) is left out.
    ``quarter`` names the quarter the figure is about when it is not the one under review
    (a forecast of the next one). ``history`` (``{"2026Q1": value, ...}``) is the figure in
    earlier quarters, drawn as the scorecard's trend line; missing values are left out.
    """
    if unit not in UNITS:
        raise ValueError(f"unit {unit!r} is not one of {', '.join(UNITS)}")
    payload = {
        **({"currency": _currency.shown()} if unit == "money" and not _usd() else {}),
        "key": key,
        "label": label,
        "unit": unit,
        "value": None if _missing(value) else float(value),
        "previous": None
        if _missing(previous) or isinstance(previous, Skipped)
        else float(previous),
        "better": better,
    }
    if quarter:
        payload["quarter"] = str(quarter)
    if history:
        payload["history"] = {str(k): float(v) for k, v in history.items() if not _missing(v)}
    _display({METRIC_MIME: payload}, raw=True)


def table(
    frame: pd.DataFrame,
    *,
    money: tuple[str, ...] | list[str] = (),
    pct: tuple[str, ...] | list[str] = (),
    count: tuple[str, ...] | list[str] = (),
    days: tuple[str, ...] | list[str] = (),
    number: tuple[str, ...] | list[str] = (),
    caption: str | None = None,
    max_rows: int = 30,
    labels: dict[str, str] | None = None,
):
    """A readable table: formatted money and percentages, escaped text, no index.

    Column headers are written for a reader (``cost_per_name`` is "Cost per name", see
    :func:`heading`); ``labels`` names the columns whose meaning depends on the table
    (``{"n": "Decided", "k": "Renewed"}``).
    """
    shown = frame.head(max_rows)
    formats = {}
    for unit, cols in (
        ("money", money),
        ("pct", pct),
        ("count", count),
        ("days", days),
        ("number", number),
    ):
        for col in cols:
            formats[col] = lambda v, u=unit: fmt(v, u)
    for col in shown.columns:  # a date reads as a date, not as "2026-07-06 00:00:00"
        if col not in formats and pd.api.types.is_datetime64_any_dtype(shown[col]):
            stamps = pd.to_datetime(shown[col]).dropna()
            pattern = "%Y-%m-%d" if (stamps == stamps.dt.normalize()).all() else "%Y-%m-%d %H:%M"
            formats[col] = _date_writer(pattern)
    styler = shown.style.format(formats, escape="html", na_rep="n/a").hide(axis="index")
    names = {**(labels or {})}
    styler = styler.relabel_index(
        [html.escape(names.get(c, heading(c))) for c in shown.columns], axis="columns"
    )
    text = [c for c in shown.columns if c not in formats and not _numeric(shown[c])]
    if text:  # names read left-aligned; figures stay right-aligned for comparing digits
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
        where = [shown.columns.get_loc(c) for c in text]
        styler = styler.set_table_styles(
            [{"selector": f"th.col_heading.col{i}", "props": "text-align: left"} for i in where],
            overwrite=False,
        )
    if caption:
        styler = styler.set_caption(html.escape(caption))
    if len(frame) > max_rows:
        styler = styler.set_caption(
            html.escape(
                f"{caption + ' — ' if caption else ''}first {max_rows} of {len(frame)} rows"
            )
        )
    return styler


def _date_writer(pattern: str) -> Callable[[Any], str]:
    return lambda v: "n/a" if pd.isna(v) else pd.Timestamp(v).strftime(pattern)


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


#: Headers whose plain reading would mislead or that abbreviate.
HEADINGS = {
    "n": "Count",
    "k": "Successes",
    "p10": "10th percentile",
    "p90": "90th percentile",
    "lower": "Lower bound",
    "upper": "Upper bound",
    "ltv": "Lifetime value",
    "cac": "Acquisition cost",
    "ltv_to_cac": "LTV / CAC",
    "nrr": "Net revenue retention",
    "grr": "Gross revenue retention",
    "crps_ratio": "CRPS ratio",
    "mean_crps": "Mean CRPS",
    "mean_ape": "Mean abs. % error",
    "median_ape": "Median abs. % error",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "auc_alone": "AUC alone",
    "auc_drop": "AUC lost without it",
    "fill_gap": "Filled more for one outcome",
    "rhat": "R-hat",
    "max_rhat": "Max R-hat",
    "max_rhat_all": "Max R-hat (all)",
    "ess_bulk": "ESS (bulk)",
    "ess_tail": "ESS (tail)",
    "min_ess_bulk": "Min ESS (bulk)",
    "prob_hit_target": "Chance of reaching target",
    "ok": "Fit passed diagnostics",
    "coverage_50": "50% interval held",
    "coverage_80": "80% interval held",
    "coverage_95": "95% interval held",
    "p90_age_days": "90th percentile age",
    "cum_buyers_share": "Cumulative share of buyers",
    "vs_random": "Times random",
}


#: Words of column names written in capitals in a header.
ACRONYMS = {w: w.upper() for w in ("arr", "mrr", "ltv", "cac", "auc", "roc", "pr", "crps",
                                    "ece", "ess", "id", "nrr", "grr", "cdnow", "acv")}  # fmt: skip


def heading(column: Any) -> str:
    """A column name as a header: ``cost_per_name`` → "Cost per name"; text headers kept."""
    text = str(column)
    if text in HEADINGS:
        return HEADINGS[text]
    if "_" not in text and not text.islower():
        return text  # already written for a reader ("this quarter", "Renewals 2026Q3")
    words = [ACRONYMS.get(w, w) for w in text.replace("_", " ").split()]
    joined = " ".join(words)
    return joined[:1].upper() + joined[1:]


def footer(run: Run) -> None:
    """Versions, parameters and a data fingerprint, so a reader can reproduce the run."""
    from revlab._fingerprint import fingerprint, versions

    lines = ["**Reproducibility.**", ""]
    lines.append("Parameters: " + ", ".join(f"`{k}={v}`" for k, v in run.parameters.items()))
    lines.append("")
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    lines.append("")
    lines.append(f"Data fingerprint: `{fingerprint(run.src)}` (row counts and latest times).")
    say("\n".join(lines))
