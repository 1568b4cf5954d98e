"""The revenue scorecard: headline figures each notebook recorded, on one page per quarter.

Figures are read from the executed notebooks (``present.record`` outputs), never re-computed,
so the scorecard shows exactly what the sections show. The page opens with the answer to "did
we hit the number": the quarter's bookings against its target, the forecast of the next
quarter and its chance of reaching its target, and the figure that moved most
(:func:`headline`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from revlab import _currency
from revlab.present import METRIC_MIME, SKIP_MIME, change, fmt, money, pct
from revlab.report.html import PageInfo, banner

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b}}
main{{padding:16px 24px;max-width:1100px}}
table{{border-collapse:collapse;margin:8px 0 24px 0;min-width:640px}}
th,td{{padding:6px 12px;border-bottom:1px solid #ddd;text-align:right}}
th:first-child,td:first-child{{text-align:left}}
.good{{color:#1a7f37}} .bad{{color:#b42318}} .skip{{color:#6b6b6b}}
h2 a{{font-size:.7em;font-weight:normal;margin-left:8px}}
.headline{{font-size:1.15em;line-height:1.5;max-width:900px;margin:12px 0}}
.number td,.number th{{font-size:1.05em}}
td.trend{{padding:2px 12px}} svg.spark{{vertical-align:middle}}
</style></head><body>{banner}<main>{body}</main></body></html>
"""


@dataclass
class Section:
    """One notebook's contribution to the scorecard."""

    name: str
    title: str
    page: str
    code_page: str
    metrics: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def read_section(notebook: Path, title: str) -> Section:
    """Collect the figures and skipped analyses a notebook recorded."""
    nb = nbformat.read(notebook, as_version=4)
    section = Section(notebook.stem, title, f"{notebook.stem}.html", f"{notebook.stem}.code.html")
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if METRIC_MIME in data:
                section.metrics.append(dict(data[METRIC_MIME]))
            if SKIP_MIME in data:
                section.skipped.append(dict(data[SKIP_MIME]))
    return section


def _metric(sections: list[Section], key: str, section: str | None = None) -> dict | None:
    """The first figure recorded under ``key`` (in the section named ``section``, if given)."""
    for s in sections:
        if section is not None and not s.name.endswith(section):
            continue
        for m in s.metrics:
            if m["key"] == key:
                return m
    return None


def _value(metric: dict | None, field: str = "value") -> float | None:
    return None if metric is None else metric.get(field)


def _relative_move(metric: dict) -> float | None:
    """How far a figure moved, for ranking movers: relative change; None when meaningless."""
    new, old = metric.get("value"), metric.get("previous")
    if new is None or old is None or not metric.get("better") or old == 0:
        return None
    if metric["unit"] == "number":  # scores (AUC, calibration error): differences, not ratios
        return None
    return abs(new / old - 1)


def biggest_mover(sections: list[Section]) -> dict | None:
    """The figure with a better direction that moved most against the previous quarter."""
    ranked = [
        (move, m)
        for s in sections
        for m in s.metrics
        if (move := _relative_move(m)) is not None and move > 0
    ]
    return max(ranked, key=lambda pair: pair[0])[1] if ranked else None


def _verdict(metric: dict) -> str:
    up = metric["value"] > metric["previous"]
    good = up if metric["better"] == "higher" else not up
    return "better" if good else "worse"


def _digits_apart(a: float, b: float) -> int:
    """Decimals (1 to 3) at which two different amounts stop reading alike as money."""
    return next((d for d in (1, 2) if money(a, digits=d) != money(b, digits=d)), 3)


def headline(sections: list[Section], quarter: str) -> str:
    """The scorecard's opening sentence, from recorded figures only (HTML).

    Bookings of ``quarter`` against its target and the attainment (the funnel notebook's
    ``bookings``, ``bookings_target``, ``attainment``); the forecast of the next quarter and
    its chance of reaching target (the forecast notebook's ``forecast_median``,
    ``bookings_target``, ``prob_hit_target``); the biggest mover. Clauses whose figures are
    missing are left out or say what is missing.
    """
    parts = []
    booked = _value(_metric(sections, "bookings", "funnel"))
    target = _value(_metric(sections, "bookings_target", "funnel"))
    attained = _value(_metric(sections, "attainment", "funnel"))
    if booked is not None and target is not None and target > 0 and attained is not None:
        hit = "hit" if booked >= target else "missed"
        gap = abs(booked - target)
        digits = _digits_apart(booked, target)  # "$4.2M against $4.2M" says little
        parts.append(
            f"In <b>{quarter}</b> we booked <b>{money(booked, digits=digits)}</b> against a "
            f"target of {money(target, digits=digits)}: <b>{pct(attained)} attainment</b>, so we "
            f"{hit} the number by {money(gap)}."
        )
    elif booked is not None:
        parts.append(
            f"In <b>{quarter}</b> we booked <b>{money(booked)}</b>; the data hold no bookings "
            f"target for {quarter} (a row in the targets table), so attainment is unknown."
        )
    median = _metric(sections, "forecast_median", "forecast")
    if median is not None and median.get("value") is not None:
        ahead = median.get("quarter") or "the next quarter"
        odds = _value(_metric(sections, "prob_hit_target", "forecast"))
        goal = _value(_metric(sections, "bookings_target", "forecast"))
        low = _value(_metric(sections, "forecast_p10", "forecast"))
        high = _value(_metric(sections, "forecast_p90", "forecast"))
        band = (
            f" (80% chance between {money(low)} and {money(high)})"
            if low is not None and high is not None
            else ""
        )
        chance = (
            f", with a <b>{pct(odds)} chance</b> of reaching its {money(goal)} target"
            if odds is not None and goal is not None
            else "; it has no target to be measured against"
        )
        parts.append(
            f"<b>{html.escape(ahead)}</b> is forecast at <b>{money(median['value'])}</b>"
            f"{band}{chance}."
        )
    mover = biggest_mover(sections)
    if mover is not None:
        parts.append(
            f"Biggest mover: <b>{html.escape(mover['label'])}</b>, "
            f"{fmt(mover['previous'], mover['unit'])} to {fmt(mover['value'], mover['unit'])} "
            f"({html.escape(change(mover['value'], mover['previous'], unit=mover['unit']))}, "
            f"{_verdict(mover)})."
        )
    if not parts:
        return ""
    return f'<p class="headline">{" ".join(parts)}</p>'


def number_table(sections: list[Section], quarter: str) -> str:
    """Bookings against target: the quarter, the one before it, and the forecast ahead."""
    rows = []
    booked = _metric(sections, "bookings", "funnel")
    target = _metric(sections, "bookings_target", "funnel")
    attained = _metric(sections, "attainment", "funnel")
    if booked is not None:
        before = _previous_label(quarter)
        for field, label in (("value", quarter), ("previous", before)):
            rows.append(
                (label, "booked", fmt(_value(booked, field), "money"),
                 fmt(_value(target, field), "money"), fmt(_value(attained, field), "pct"))
            )  # fmt: skip
    median = _metric(sections, "forecast_median", "forecast")
    if median is not None and median.get("value") is not None:
        goal = _value(_metric(sections, "bookings_target", "forecast"))
        odds = _value(_metric(sections, "prob_hit_target", "forecast"))
        rows.append(
            (median.get("quarter") or "next quarter", "forecast (median)",
             fmt(median["value"], "money"), fmt(goal, "money"),
             f"{pct(odds)} chance of reaching it" if odds is not None else "n/a")
        )  # fmt: skip
    if not rows:
        return ""
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return (
        '<table class="number"><thead><tr><th>Quarter</th><th>What</th><th>Bookings</th>'
        "<th>Target</th><th>Attainment</th></tr></thead><tbody>" + body + "</tbody></table>"
    )


#: A quarter's folder under ``--out``: ``2026Q3``, or ``FY2027Q1`` on a fiscal calendar.
QUARTER_FOLDER = re.compile(r"(?:FY)?(\d{4})Q([1-4])")
#: Quarters in a figure's trend line on the scorecard.
TREND_QUARTERS = 8


def _order(label: str) -> tuple[int, int]:
    """Sort key of a quarter label (calendar or fiscal: one calendar per ``--out``)."""
    found = QUARTER_FOLDER.fullmatch(label)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def earlier_reports(out: Path, before: str) -> dict[str, list[Section]]:
    """The sections of every report under ``out`` for a quarter before ``before``.

    Each quarter's folder keeps its executed notebooks, so figures that only a notebook's run
    knows (a forecast, an AUC) are read back as they were reported, never re-computed.
    """
    found = {}
    for folder in sorted(Path(out).glob("*/")):
        if not QUARTER_FOLDER.fullmatch(folder.name) or _order(folder.name) >= _order(before):
            continue
        notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
        if notebooks:
            found[folder.name] = [read_section(nb, nb.stem) for nb in notebooks]
    return found


def trend(
    metric: dict, section: str, quarter: str, earlier: dict[str, list[Section]] | None = None
) -> dict[str, float]:
    """A figure in the :data:`TREND_QUARTERS` quarters up to ``quarter``, oldest first.

    This run's own ``history`` (recomputed on today's data) comes first; quarters it lacks
    are filled from earlier reports under the same section and key, then the ``previous``
    quarter's figure; the quarter's own value is last.
    """
    points: dict[str, float] = {}
    for label, sections in (earlier or {}).items():
        for s in sections:
            if s.name != section:
                continue
            value = next((m.get("value") for m in s.metrics if m["key"] == metric["key"]), None)
            if value is not None:
                points[label] = value
    points |= metric.get("history") or {}
    if metric.get("previous") is not None and QUARTER_FOLDER.fullmatch(quarter):
        points.setdefault(_previous_label(quarter), metric["previous"])
    if metric.get("value") is not None:
        points[quarter] = metric["value"]
    last = _index(quarter)
    kept = sorted((k for k in points if 0 <= last - _index(k) < TREND_QUARTERS), key=_order)
    return {k: points[k] for k in kept}


def _index(label: str) -> int:
    """Quarters since year 0, so that quarter labels can be counted apart."""
    year, q = _order(label)
    return year * 4 + q - 1


def _previous_label(quarter: str) -> str:
    found = QUARTER_FOLDER.fullmatch(quarter)
    year, q = int(found.group(1)), int(found.group(2))
    year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return f"{'FY' if quarter.startswith('FY') else ''}{year}Q{q}"


def sparkline(points: dict[str, float], unit: str, width: int = 110, height: int = 26) -> str:
    """A figure's trend as a small inline SVG (drawn in the page, nothing fetched).

    Quarters are spaced by the calendar, so a quarter with no figure leaves a gap in the
    spacing; its tooltip lists every quarter's value; fewer than two points draw nothing.
    """
    if len(points) < 2:
        return ""
    values = list(points.values())
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    first = _index(next(iter(points)))
    step = (width - 6) / max(_index(list(points)[-1]) - first, 1)
    xy = [
        (3 + (_index(k) - first) * step, height - 3 - (v - low) / span * (height - 6))
        for k, v in points.items()
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    told = ", ".join(f"{k} {fmt(v, unit)}" for k, v in points.items())
    first, last = next(iter(points)), list(points)[-1]
    return (
        f'<svg class="spark" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(f"{first} to {last}: {told}")}">'
        f"<title>{html.escape(told)}</title>"
        f'<polyline points="{line}" fill="none" stroke="#4a6fa5" stroke-width="1.5"/>'
        f'<circle cx="{xy[-1][0]:.1f}" cy="{xy[-1][1]:.1f}" r="2.5" fill="#1b1b1b"/></svg>'
    )


def _change_cell(metric: dict) -> str:
    text = change(metric["value"], metric["previous"], unit=metric["unit"])
    if metric["value"] is None or metric["previous"] is None or not metric.get("better"):
        return html.escape(text)
    if metric["value"] == metric["previous"]:
        return html.escape(text)
    up = metric["value"] > metric["previous"]
    good = up if metric["better"] == "higher" else not up
    return f'<span class="{"good" if good else "bad"}">{html.escape(text)}</span>'


def _section_html(
    section: Section, quarter: str = "", earlier: dict[str, list[Section]] | None = None
) -> str:
    rows = [
        f"<tr><td>{html.escape(m['label'])}</td><td>{html.escape(fmt(m['value'], m['unit']))}"
        f"</td><td>{html.escape(fmt(m['previous'], m['unit']))}</td>"
        f"<td>{_change_cell(m)}</td>"
        f'<td class="trend">{sparkline(trend(m, section.name, quarter, earlier), m["unit"])}'
        "</td></tr>"
        for m in section.metrics
    ]
    skipped = _skipped_html(section.skipped)
    head = (
        f'<h2 id="{html.escape(section.name)}">{html.escape(section.title)}'
        f'<a href="{html.escape(section.page)}">read the section</a>'
        f'<a href="{html.escape(section.code_page)}">with code</a></h2>'
    )
    if not rows:
        return head + skipped + "<p>No headline figures recorded.</p>"
    table = (
        "<table><thead><tr><th>Figure</th><th>This quarter</th><th>Previous quarter</th>"
        f"<th>Change</th><th>Last {TREND_QUARTERS} quarters</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    return head + table + skipped


def skip_reason(skip: dict) -> str:
    """Why a section was skipped, in a reader's words."""
    if skip.get("because"):
        return f"it builds on {skip['because']}, which was skipped"
    reason = skip.get("reason", "").strip().rstrip(".")
    if skip.get("same_as"):
        return f"for the same reason as {skip['same_as']}"  # said once, on that line
    return reason or "the data could not support it"


def _skipped_html(skips: list[dict]) -> str:
    """One plain "Skipped: section: why." line per section the data could not support."""
    return "".join(
        f'<p class="skip">Skipped: {html.escape(s["analysis"])}: '
        f"{html.escape(skip_reason(s))}.</p>"
        for s in skips
        if not s.get("optional")
    )


def _currency_of(sections: list[Section]) -> str:
    """The currency the notebooks recorded money in (USD when they name none)."""
    codes = [m["currency"] for s in sections for m in s.metrics if m.get("currency")]
    return codes[0] if codes else _currency.DEFAULT


def quarter_page(
    sections: list[Section], info: PageInfo, earlier: dict[str, list[Section]] | None = None
) -> str:
    """The quarter's scorecard: the headline, then every section's figures against last quarter.

    Each figure carries its trend line over the last quarters (see :func:`trend`); ``earlier``
    holds earlier reports' sections by quarter (:func:`earlier_reports`). Money is written in
    the currency the notebooks recorded it in.
    """
    with _currency.showing(_currency_of(sections)):
        opening = headline(sections, info.quarter) + number_table(sections, info.quarter)
        body = opening + "".join(_section_html(s, info.quarter, earlier) for s in sections)
    return _PAGE.format(
        title=html.escape(info.title),
        banner=banner(info, index_href="../index.html", index_label="all quarters"),
        body=body,
    )


#: The figures of the all-quarters index: (notebook name ending, key, column heading).
INDEX_FIGURES = (
    ("funnel", "bookings", "Bookings"),
    ("funnel", "bookings_target", "Target"),
    ("funnel", "attainment", "Attainment"),
    ("forecast", "forecast_median", "Next quarter (forecast)"),
    ("forecast", "prob_hit_target", "Chance of its target"),
    ("funnel", "win_rate", "Win rate"),
    ("funnel", "new_names", "New names"),
    ("lifecycle", "nrr", "Net revenue retention"),
)


def reports_page(out: Path) -> str:
    """Every quarter rendered under ``out``, newest first, with its headline figures.

    The figures are read from each quarter's executed notebooks, as that report showed them; a
    column no report recorded is left out.
    """
    quarters = sorted(
        (p.parent.name for p in Path(out).glob("*/index.html")
         if QUARTER_FOLDER.fullmatch(p.parent.name)),
        key=_order,
        reverse=True,
    )  # fmt: skip
    figures, currencies = {}, {}
    for q in quarters:
        notebooks = sorted(
            p for p in (Path(out) / q).glob("*.ipynb") if not p.name.startswith(".")
        )
        sections = [read_section(nb, nb.stem) for nb in notebooks]
        figures[q] = {(part, key): _metric(sections, key, part) for part, key, _ in INDEX_FIGURES}
        currencies[q] = _currency_of(sections)
    shown = [f for f in INDEX_FIGURES if any(figures[q][f[:2]] is not None for q in quarters)]
    head = "".join(f"<th>{html.escape(title)}</th>" for _, _, title in shown)
    rows = []
    for q in quarters:
        cells = []
        for part, key, _ in shown:
            m = figures[q][(part, key)]
            with _currency.showing(currencies[q]):
                text = "n/a" if m is None else fmt(m.get("value"), m["unit"])
            if m is not None and m.get("quarter"):
                text += f" ({m['quarter']})"
            cells.append(f"<td>{html.escape(text)}</td>")
        label = html.escape(q)
        rows.append(f'<tr><td><a href="{label}/index.html">{label}</a></td>{"".join(cells)}</tr>')
    table = (
        f"<table><thead><tr><th>Quarter</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table>"
        if rows
        else "<p>No reports yet.</p>"
    )
    note = (
        "<p>Each quarter's headline figures as its report showed them; open a quarter for "
        "its scorecard and sections.</p>"
    )
    body = f"<h2>Quarterly revenue reports</h2>{note}{table}"
    return _PAGE.format(title="revlab reports", banner="", body=body)
