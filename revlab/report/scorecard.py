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

from revlab.periods import shift_label
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
        before = shift_label(quarter, -1)
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


def _change_cell(metric: dict) -> str:
    text = change(metric["value"], metric["previous"], unit=metric["unit"])
    if metric["value"] is None or metric["previous"] is None or not metric.get("better"):
        return html.escape(text)
    if metric["value"] == metric["previous"]:
        return html.escape(text)
    up = metric["value"] > metric["previous"]
    good = up if metric["better"] == "higher" else not up
    return f'<span class="{"good" if good else "bad"}">{html.escape(text)}</span>'


def _section_html(section: Section) -> str:
    rows = [
        f"<tr><td>{html.escape(m['label'])}</td><td>{html.escape(fmt(m['value'], m['unit']))}"
        f"</td><td>{html.escape(fmt(m['previous'], m['unit']))}</td>"
        f"<td>{_change_cell(m)}</td></tr>"
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
        "<th>Change</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    return head + table + skipped


def skip_reason(skip: dict) -> str:
    """Why a section was skipped, in a reader's words."""
    if skip.get("because"):
        return f"it builds on {skip['because']}, which was skipped"
    reason = skip.get("reason", "").strip().rstrip(".")
    if skip.get("same_as"):
        return f"as for {skip['same_as']}, {reason}" if reason else f"as {skip['same_as']}"
    return reason or "the data could not support it"


def _skipped_html(skips: list[dict]) -> str:
    """One plain "Skipped: section: why." line per section the data could not support."""
    return "".join(
        f'<p class="skip">Skipped: {html.escape(s["analysis"])}: '
        f"{html.escape(skip_reason(s))}.</p>"
        for s in skips
        if not s.get("optional")
    )


def quarter_page(sections: list[Section], info: PageInfo) -> str:
    """The quarter's scorecard: the headline, then every section's figures against last quarter."""
    opening = headline(sections, info.quarter) + number_table(sections, info.quarter)
    body = opening + "".join(_section_html(s) for s in sections)
    return _PAGE.format(
        title=html.escape(info.title),
        banner=banner(info, index_href="../index.html", index_label="all quarters"),
        body=body,
    )


def reports_page(out: Path) -> str:
    """The list of every quarter rendered under ``out``, newest first."""
    quarters = sorted(
        (
            p.parent.name
            for p in out.glob("*/index.html")
            if re.fullmatch(r"(FY)?\d{4}Q[1-4]", p.parent.name)
        ),
        reverse=True,
    )
    items = "".join(
        f'<li><a href="{q}/index.html">{q}</a></li>' for q in map(html.escape, quarters)
    )
    body = f"<h2>Quarterly revenue reports</h2><ul>{items or '<li>none yet</li>'}</ul>"
    return _PAGE.format(title="revlab reports", banner="", body=body)
