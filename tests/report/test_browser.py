"""Open rendered pages in headless Chromium, as a reviewer would: images load, figures show.

A copy of each page gets a small script that, once the page has loaded, writes what it found
(images loaded, headline texts visible) into the DOM, which ``chromium --dump-dom`` prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import nbformat
import pytest

from revlab.report import build

PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const visible = (text) => Array.from(document.querySelectorAll('td, p, span, div, h1, h2'))
    .some(el => el.children.length === 0 && el.textContent.includes(text)
          && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
  const wanted = WANTED;
  const out = {images: imgs.length,
               loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
               visible: Object.fromEntries(wanted.map(t => [t, visible(t)]))};
  const pre = document.createElement('pre'); pre.id = 'revlab-probe';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Debian's chromium for the browser test ...")
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"], check=False, capture_output=True
        )
        found = shutil.which("chromium")
    if not found:
        pytest.skip(
            "headless Chromium is not installed (apt-get install chromium) and this "
            "user cannot install it"
        )
    return found


def probe(page, wanted, tmp_path):
    """Load a copy of ``page`` with the probe script in Chromium; return what it found."""
    html = page.read_text(encoding="utf-8")
    script = PROBE.replace("WANTED", json.dumps(wanted))
    copy = page.with_name(f"probe-{page.name}")
    copy.write_text(html.replace("</body>", script + "</body>", 1), encoding="utf-8")
    result = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chrome-profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    copy.unlink()
    found = re.search(r'<pre id="revlab-probe">(.*?)</pre>', result.stdout, re.S)
    assert found, f"the probe did not run; chromium said: {result.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&amp;", "&").replace("&quot;", '"'))


def test_pages_show_images_and_headline_figures_in_chromium(report_env, tmp_path):
    nb_path = report_env["notebooks"] / "01_test.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.insert(
        -1,
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nplt.bar(opps['opportunity_id'], opps['amount']);"
        ),
    )
    nbformat.write(nb, nb_path)
    result = build(
        quarter="2024Q1",
        source=report_env["source"],
        out=report_env["out"],
        notebooks_dir=report_env["notebooks"],
        progress=False,
        log=lambda _: None,
    )
    index = probe(result.index, ["Deals", "Pipeline", "$92.0k"], tmp_path)
    assert all(index["visible"].values()), index
    page = probe(result.folder / "01_test.html", ["Channels seen"], tmp_path)
    assert page["images"] >= 1 and page["loaded"] == page["images"], page
    assert all(page["visible"].values()), page


def screenshot(page, png, tmp_path) -> None:
    """A full-width screenshot of ``page`` as a reviewer's browser draws it (kept in tmp)."""
    subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", "--no-first-run",
         f"--user-data-dir={tmp_path / 'chrome-profile'}", "--window-size=1200,2400",
         f"--screenshot={png}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.notebooks
def test_every_page_of_the_demo_report_reads_clean_in_chromium(tmp_path, duckdb_file):
    """The demo report's pages as a reviewer opens them: figures load, no warnings, no paths."""
    import warnings

    from revlab import demo
    from revlab.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = demo.simulate(n_leads=6_000).tables
    source = duckdb_file(tables, tmp_path / "demo.duckdb")
    out = tmp_path / "reports"
    fast = ["-p", "draws", "200", "-p", "tune", "200", "-p", "backtest_quarters", "1"]
    code = main(["report", "--quarter", "2026Q3", "--source", str(source), "--out", str(out),
                 *fast])  # fmt: skip
    assert code == 0
    folder = out / "2026Q3"
    # leaf cells a reader sees: the attainment figure and the bookings row of the number table
    # (at these fast settings the forecast's fit fails its diagnostics, so it is not shown)
    scorecard = probe(
        folder / "index.html", ["Attainment (bookings / target)", "booked"], tmp_path
    )
    assert "Last 8 quarters" in (folder / "index.html").read_text(encoding="utf-8")
    assert all(scorecard["visible"].values()), scorecard
    pages = sorted(p for p in folder.glob("*.html") if not p.name.endswith(".code.html"))
    assert len(pages) == 6  # the scorecard and five notebooks
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in text, page.name
        assert "Warning:" not in text, page.name  # no warning text either
        assert str(tmp_path) not in text and ".partial" not in text, page.name  # no paths
        assert "Traceback" not in text and "http://" not in text.replace(
            "http://www.w3.org", ""
        ), page.name
        found = probe(page, [], tmp_path)
        assert found["loaded"] == found["images"], (page.name, found)
        png = tmp_path / "screenshots" / f"{page.stem}.png"
        png.parent.mkdir(exist_ok=True)
        screenshot(page, png, tmp_path)
        assert png.exists() and png.stat().st_size > 20_000, page.name  # drawn, not blank
    figures = list((folder / "figures").glob("*.png"))
    assert figures and len(list((folder / "figures").glob("*.svg"))) == len(figures)
