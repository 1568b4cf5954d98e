"""The revenue scorecard: headline figures each notebook recorded, on one page per quarter.

Figures are read from the executed notebooks (``present.record`` outputs), never re-computed,
so the scorecard shows exactly what the sections show.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from revlab.present import METRIC_MIME, SKIP_MIME, change, fmt
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


def _skipped_html(skips: list[dict]) -> str:
    """One plain line per section the data could not support; dependent ones counted."""
    shown = [s for s in skips if not s.get("optional")]
    roots = [s for s in shown if not s.get("because") and not s.get("same_as")]
    lines = [
        f'<p class="skip">Skipped: {html.escape(s["analysis"])}: '
        f"{html.escape(s.get('reason', ''))}</p>"
        for s in roots
    ]
    if len(shown) > len(roots):
        n = len(shown) - len(roots)
        more = f"{n} more section{'s' if n > 1 else ''}"
        lines.append(f'<p class="skip">… and {more} for the same reasons or built on them.</p>')
    return "".join(lines)


def quarter_page(sections: list[Section], info: PageInfo) -> str:
    """The quarter's scorecard: every section's headline figures against last quarter."""
    body = "".join(_section_html(s) for s in sections)
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
            if re.fullmatch(r"\d{4}Q[1-4]", p.parent.name)
        ),
        reverse=True,
    )
    items = "".join(
        f'<li><a href="{q}/index.html">{q}</a></li>' for q in map(html.escape, quarters)
    )
    body = f"<h2>Quarterly revenue reports</h2><ul>{items or '<li>none yet</li>'}</ul>"
    return _PAGE.format(title="revlab reports", banner="", body=body)
