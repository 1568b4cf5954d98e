"""Render executed notebooks to self-contained HTML: a reviewer page without code, and one with.

Images are embedded by nbconvert; the CDN scripts of its template (require.js, MathJax) are
removed so a page opens with no network. A banner gives what the page is about (the quarter,
or what the notebook said with ``present.about``), as-of date, source and run date.

Every figure is exported beside the pages as ``figures/<notebook>-<section>.png`` and ``.svg``
(:func:`export_figures`), and linked under the figure.

The reviewer page shows no stderr output (warnings, progress bars): :func:`stderr_of` gives
it to the run's log instead. The page with code keeps it for the analyst.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import html
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from revlab.present import METRIC_MIME, PAGE_MIME, SECTION_MIME, SKIP_MIME

_REMOTE_SCRIPT = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>\s*', re.I)
_HIDDEN = {METRIC_MIME, SKIP_MIME, PAGE_MIME, SECTION_MIME}
_REMOTE_LINK = re.compile(r'<link[^>]*\bhref="https?://[^"]*"[^>]*>\s*', re.I)
_BANNER_CSS = """
<style>
.revlab-banner{font-family:system-ui,sans-serif;background:#0b3954;color:#fff;padding:14px 24px}
.revlab-banner h1{margin:0 0 4px 0;font-size:1.4em;color:#fff}
.revlab-banner .meta{opacity:.9;font-size:.92em}
.revlab-banner a{color:#bfdbf7}
.revlab-figure{font-family:system-ui,sans-serif;font-size:.85em;color:#555;margin:2px 0 14px 0}
</style>
"""


@dataclass(frozen=True)
class PageInfo:
    """What the banner of every page says."""

    title: str
    quarter: str
    as_of: str
    source: str
    run_date: str
    #: What the page is about when it is not the quarter under review alone.
    about: str = ""


def notebook_title(nb) -> str:
    """The first Markdown heading of a notebook, without the hashes."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "revlab report"


def page_about(nb) -> str:
    """What the notebook said its page is about (``present.about``), or ""."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if PAGE_MIME in output.get("data", {}):
                return str(output["data"][PAGE_MIME].get("about", ""))
    return ""


def _is_stderr(output) -> bool:
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def stderr_of(nb) -> list[str]:
    """The stderr text of every cell (warnings, progress bars), for the run's log."""
    return [
        "".join(o.get("text", ""))
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if _is_stderr(o) and "".join(o.get("text", "")).strip()
    ]


def _slug(text: str) -> str:
    text = re.sub(r"['’]", "", text.lower())  # "quarter's" is "quarters", not "quarter-s"
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-") or "figure"


def export_figures(nb, folder: Path, stem: str) -> list[Path]:
    """Write every figure of ``nb`` to ``folder`` as PNG (and SVG when kept), linked in ``nb``.

    A figure is named by the notebook's ``stem`` and the section it was drawn in (the title
    ``run.section`` marked), ``01_funnel-cost-per-name.png``, numbered when a section draws
    several. ``nb`` is changed in place: its SVG copies are dropped (the page shows the PNG)
    and a line with links to the files follows each figure. Returns the files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    used: dict[str, int] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        title, outputs = "", []
        for output in cell.outputs:
            outputs.append(output)
            data = output.get("data", {})
            if SECTION_MIME in data:
                title = str(data[SECTION_MIME].get("title", ""))
            if "image/png" not in data:
                continue
            base = f"{stem}-{_slug(title)}"
            used[base] = used.get(base, 0) + 1
            name = base if used[base] == 1 else f"{base}-{used[base]}"
            png = folder / f"{name}.png"
            png.write_bytes(base64.b64decode(data["image/png"]))
            written.append(png)
            links = [f'<a href="{folder.name}/{name}.png">PNG</a>']
            svg = data.pop("image/svg+xml", None)
            if svg:
                path = folder / f"{name}.svg"
                path.write_text("".join(svg) if isinstance(svg, list) else svg, encoding="utf-8")
                written.append(path)
                links.append(f'<a href="{folder.name}/{name}.svg">SVG</a>')
            line = f'<p class="revlab-figure">This figure: {" · ".join(links)}</p>'
            outputs.append(nbformat.v4.new_output("display_data", {"text/html": line}))
        cell.outputs = outputs
    return written


def _without_records(nb, *, checks: bool = True):
    """A copy without the invisible scorecard outputs (nbconvert would warn about them).

    Without ``checks`` (the reviewer page), the check cell's printout (the figures nbval
    compares, for the test suite, not for a reader) and every stderr output (warnings and
    progress bars, which go to the run's log) are left out too.
    """
    from revlab.notebook_check import is_check_cell

    clean = copy.deepcopy(nb)
    for cell in clean.cells:
        if not checks and is_check_cell(cell):
            cell.outputs = []
        elif cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (_HIDDEN & set(o.get("data", {}))) and (checks or not _is_stderr(o))
            ]
            for o in cell.outputs:  # a figure kept as PNG and SVG shows as the PNG
                if "image/png" in o.get("data", {}):
                    o["data"].pop("image/svg+xml", None)
    return clean


def banner(
    info: PageInfo, *, index_href: str | None = "index.html", index_label: str = "scorecard"
) -> str:
    """The page header: title, quarter, as-of date, data source, run date."""
    back = (
        f' · <a href="{html.escape(index_href)}">{html.escape(index_label)}</a>'
        if index_href
        else ""
    )
    return (
        f'{_BANNER_CSS}<header class="revlab-banner"><h1>{html.escape(info.title)}</h1>'
        f'<div class="meta">{html.escape(info.about or f"Quarter {info.quarter}")} · data as of '
        f"{html.escape(info.as_of)} · source {html.escape(info.source)} · run "
        f"{html.escape(info.run_date)}{back}</div></header>"
    )


def offline(page: str) -> str:
    """Drop remote scripts and stylesheets so the page needs no network."""
    return _REMOTE_LINK.sub("", _REMOTE_SCRIPT.sub("", page))


def render(notebook: Path, info: PageInfo, *, with_code: bool, figures: Path | None = None) -> str:
    """One executed notebook as a self-contained HTML page; figures exported to ``figures``."""
    from nbconvert import HTMLExporter

    executed = nbformat.read(notebook, as_version=4)
    if figures is not None:
        export_figures(executed, figures, Path(notebook).stem)
    if not info.about and (about := page_about(executed)):
        info = dataclasses.replace(info, about=about)
    nb = _without_records(executed, checks=with_code)
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=not with_code,
        exclude_input_prompt=not with_code,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    title = f"<title>{html.escape(info.title)}</title>"
    body = re.sub(r"<title>.*?</title>", title, body, count=1, flags=re.S)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner(info), body, count=1)
    return offline(body)
