"""Reader pages: what an executed notebook shows a reviewer, and what only the code page keeps."""

import nbformat

from revlab.report.html import PageInfo, render


def test_the_check_cells_printout_is_on_the_code_page_only(tmp_path):
    nb = nbformat.v4.new_notebook()
    prose = nbformat.v4.new_code_cell("say()")
    prose.outputs = [nbformat.v4.new_output("display_data", {"text/markdown": "Bookings rose."})]
    check = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(figures)")
    check.outputs = [nbformat.v4.new_output("stream", name="stdout", text="target 4.15467e+06\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# A page"), prose, check]
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    info = PageInfo("A page", "2026Q3", "2026-09-30", "demo", "2026-12-07 12:00 UTC")
    reader, code = render(path, info, with_code=False), render(path, info, with_code=True)
    assert "Bookings rose." in reader and "Bookings rose." in code
    assert "4.15467e+06" not in reader
    assert "4.15467e+06" in code


# --- the scorecard's headline: did we hit the number? --------------------------------------


def _m(key, value, previous=None, unit="money", better="higher", label=None, quarter=None):
    metric = {"key": key, "label": label or key, "unit": unit, "value": value,
              "previous": previous, "better": better}  # fmt: skip
    if quarter:
        metric["quarter"] = quarter
    return metric


def _sections():
    from revlab.report.scorecard import Section

    funnel = Section("01_funnel", "Funnel", "01_funnel.html", "01_funnel.code.html")
    funnel.metrics = [
        _m("win_rate", 0.30, 0.25, unit="pct", label="Win rate"),
        _m("bookings", 4_100_000.0, 3_900_000.0, label="Bookings"),
        _m("bookings_target", 4_000_000.0, 4_000_000.0, better=None, label="Bookings target"),
        _m("attainment", 1.025, 0.975, unit="pct", label="Attainment"),
    ]
    forecast = Section("03_forecast", "Forecast", "03_forecast.html", "03_forecast.code.html")
    forecast.metrics = [
        _m("bookings_target", 4_500_000.0, 4_000_000.0, better=None, quarter="2026Q4"),
        _m("forecast_median", 4_200_000.0, quarter="2026Q4"),
        _m("forecast_p10", 3_600_000.0, better=None, quarter="2026Q4"),
        _m("forecast_p90", 4_900_000.0, better=None, quarter="2026Q4"),
        _m("prob_hit_target", 0.31, unit="pct", quarter="2026Q4"),
    ]
    model = Section("02_propensity", "Propensity", "02.html", "02.code.html")
    model.metrics = [_m("ece", 0.002, 0.001, unit="number", better="lower", label="ECE")]
    return [funnel, model, forecast]


def test_the_headline_says_whether_the_quarter_hit_its_number():
    from revlab.report.scorecard import headline

    text = headline(_sections(), "2026Q3")
    assert "In <b>2026Q3</b> we booked <b>$4.1M</b> against a target of $4.0M" in text
    assert "<b>102.5% attainment</b>, so we hit the number by $100.0k" in text
    assert "<b>2026Q4</b> is forecast at <b>$4.2M</b> (80% chance between $3.6M and $4.9M)" in text
    assert "<b>31.0% chance</b> of reaching its $4.5M target" in text
    # the biggest mover is the win rate (+20% relative), shown in points; ECE is not ranked
    assert "Biggest mover: <b>Win rate</b>, 25.0% to 30.0% (+5.0 pts, better)" in text


def test_the_headline_without_a_target_says_attainment_is_unknown():
    from revlab.report.scorecard import headline

    sections = _sections()
    sections[0].metrics = [m for m in sections[0].metrics if m["key"] == "bookings"]
    sections[2].metrics = []
    text = headline(sections, "2026Q3")
    assert "we booked <b>$4.1M</b>; the data hold no bookings target for 2026Q3" in text
    assert "attainment is unknown" in text and "forecast" not in text


def test_the_scorecard_opens_with_the_number_and_shows_changes_that_mean_something():
    from revlab.report.scorecard import quarter_page

    info = PageInfo("Revenue scorecard 2026Q3", "2026Q3", "2026-09-30", "demo.duckdb", "now")
    page = quarter_page(_sections(), info)
    assert page.index('class="headline"') < page.index('class="number"') < page.index("<h2")
    assert "<td>2026Q4</td><td>forecast (median)</td><td>$4.2M</td><td>$4.5M</td>" in page
    assert "<td>31.0% chance of reaching it</td>" in page
    assert "<td>2026Q2</td><td>booked</td><td>$3.9M</td><td>$4.0M</td><td>97.5%</td>" in page
    assert (
        "<th>What</th>" in page
        and "+100.0%" not in page
        and '<span class="bad">+0.001</span>' in page
    )  # ECE: a gap


def test_a_trend_line_takes_this_runs_history_then_earlier_reports_then_previous():
    from revlab.report.scorecard import Section, trend

    metric = _m("bookings", 4.1e6, 3.9e6, label="Bookings")
    metric["history"] = {f"{y}Q{q}": float(y * 10 + q) for y in (2024, 2025) for q in (1, 2, 3, 4)}
    old = Section("01_funnel", "Funnel", "", "")
    old.metrics = [_m("bookings", 1.0), _m("win_rate", 0.5, unit="pct")]
    other = Section("02_propensity", "Propensity", "", "")
    other.metrics = [_m("bookings", 99.0)]  # the same key in another section is not this figure
    earlier = {"2023Q4": [old, other], "2025Q4": [old]}
    points = trend(metric, "01_funnel", "2026Q3", earlier)
    # the eight quarters 2024Q4..2026Q3; 2026Q1 is known to no one, so it is a gap
    assert list(points) == ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q2", "2026Q3"]
    assert points["2026Q3"] == 4.1e6 and points["2026Q2"] == 3.9e6  # value and previous
    assert points["2025Q4"] == 20254.0  # this run's history wins over what a report showed
    alone = trend(_m("win_rate", 0.3, unit="pct"), "01_funnel", "2026Q3", earlier)
    assert alone == {"2025Q4": 0.5, "2026Q3": 0.3}  # 2023Q4 is more than 8 quarters back


def test_the_sparkline_is_inline_svg_with_every_value_in_its_tooltip():
    from revlab.report.scorecard import sparkline

    svg = sparkline({"2026Q1": 0.2, "2026Q2": 0.25, "2026Q3": 0.3}, "pct")
    assert svg.startswith("<svg") and "http" not in svg and "<img" not in svg
    assert svg.count(",") - svg.count(", ") == 3  # three points on the line
    assert "2026Q1 20.0%, 2026Q2 25.0%, 2026Q3 30.0%" in svg
    assert sparkline({"2026Q3": 1.0}, "count") == ""  # one point is no trend


def test_the_scorecard_draws_a_trend_line_for_figures_with_a_history():
    from revlab.report.scorecard import quarter_page

    sections = _sections()
    sections[0].metrics[1]["history"] = {"2026Q1": 3.5e6, "2026Q2": 3.9e6}
    info = PageInfo("Revenue scorecard 2026Q3", "2026Q3", "2026-09-30", "demo.duckdb", "now")
    page = quarter_page(sections, info)
    assert "<th>Last 8 quarters</th>" in page
    assert "2026Q1 $3.5M, 2026Q2 $3.9M, 2026Q3 $4.1M" in page
    # the win rate has only its previous quarter: two points, still a line
    assert "2026Q2 25.0%, 2026Q3 30.0%" in page


def test_the_all_quarters_index_shows_each_reports_headline_figures(tmp_path):
    from revlab.present import METRIC_MIME
    from revlab.report.scorecard import reports_page

    def report(quarter, booked, odds):
        folder = tmp_path / quarter
        folder.mkdir()
        (folder / "index.html").write_text("<html></html>")
        for stem, metrics in (
            ("01_funnel", [_m("bookings", booked), _m("attainment", booked / 4e6, unit="pct")]),
            ("03_forecast", [_m("prob_hit_target", odds, unit="pct", quarter="next")]),
        ):
            cell = nbformat.v4.new_code_cell("record()")
            cell.outputs = [
                nbformat.v4.new_output("display_data", {METRIC_MIME: m}) for m in metrics
            ]
            nb = nbformat.v4.new_notebook()
            nb.cells = [cell]
            nbformat.write(nb, folder / f"{stem}.ipynb")

    report("2026Q2", 3.9e6, 0.4)
    report("2026Q3", 4.1e6, 0.31)
    (tmp_path / "notes").mkdir()  # not a quarter: not listed
    page = reports_page(tmp_path)
    assert page.index("2026Q3/index.html") < page.index("2026Q2/index.html")  # newest first
    assert "<th>Bookings</th><th>Attainment</th><th>Chance of its target</th>" in page
    assert "<td>$4.1M</td><td>102.5%</td><td>31.0% (next)</td>" in page
    assert "Target" not in page and "notes" not in page  # no report recorded a target


def test_changes_of_small_scores_are_differences_not_ratios():
    from revlab.present import change

    assert change(0.002, 0.001, unit="number") == "+0.001"
    assert change(0.8123, 0.8, unit="number") == "+0.012"
    assert change(0.30, 0.25, unit="pct") == "+5.0 pts"
    assert change(120.0, 100.0, unit="money") == "+20.0%"
    assert change(12.0, 10.0, unit="number") == "+20.0%"
    # a change that rounds to zero has no sign (the lift 8.27× against 8.27× read "-0.0%")
    assert change(8.2699, 8.2701, unit="ratio") == "0.0%"
    assert change(0.30001, 0.3, unit="pct") == "0.0 pts"


def test_every_skipped_section_gets_its_own_plain_line():
    from revlab.report.scorecard import _skipped_html

    html = _skipped_html([
        {"analysis": "Renewals", "reason": "the data have no subscriptions table."},
        {"analysis": "Churn by segment", "reason": "x", "because": "Renewals"},
        {"analysis": "Expansion", "reason": "the data have no subscriptions table",
         "same_as": "Renewals"},
        {"analysis": "CDNOW check", "reason": "not asked for", "optional": True},
    ])  # fmt: skip
    assert html.count('<p class="skip">') == 3 and "CDNOW" not in html
    assert "Skipped: Renewals: the data have no subscriptions table.</p>" in html
    assert "Skipped: Churn by segment: it builds on Renewals, which was skipped.</p>" in html
    assert "Skipped: Expansion: for the same reason as Renewals.</p>" in html  # said once


# --- reviewer pages: no stderr, sources by name, banners that name the subject -------------


def test_the_reviewer_page_has_no_stderr_and_the_banner_says_what_it_is_about(tmp_path):
    from revlab.present import PAGE_MIME

    nb = nbformat.v4.new_notebook()
    warn = nbformat.v4.new_code_cell("import pymc")
    warn.outputs = [
        nbformat.v4.new_output(
            "stream", name="stderr", text="/x/tqdm/auto.py:21: TqdmWarning: IProgress not found\n"
        ),
        nbformat.v4.new_output("display_data", {PAGE_MIME: {"about": "Forecast of 2026Q4"}}),
        nbformat.v4.new_output("display_data", {"text/markdown": "The forecast."}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Forecast"), warn]
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    info = PageInfo("Forecast", "2026Q3", "2026-09-30", "demo.duckdb", "2026-12-07 12:00 UTC")
    reader, code = render(path, info, with_code=False), render(path, info, with_code=True)
    assert "TqdmWarning" not in reader
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in reader
    assert "TqdmWarning" in code  # the analyst still sees it
    assert "Forecast of 2026Q4 · data as of 2026-09-30" in reader
    assert "Quarter 2026Q3" not in reader and "vnd.revlab" not in reader


def test_a_source_is_shown_by_its_name():
    from revlab.present import source_name

    assert source_name("/tmp/pytest-1/reports/demo.duckdb") == "demo.duckdb"
    assert source_name("/work/data/exports/") == "exports"
    assert source_name("postgresql://sales:***@db.internal:5432/crm") == "crm (postgresql)"
    assert source_name("in-memory tables") == "in-memory tables"


def test_table_headers_are_written_for_a_reader():
    import pandas as pd

    from revlab.present import table

    frame = pd.DataFrame({"channel": ["paid"], "cost_per_opportunity": [12.0], "n": [3], "k": [1]})
    html = table(frame, money=["cost_per_opportunity"], labels={"n": "Decided"}).to_html()
    assert ">Cost per opportunity<" in html and ">Decided<" in html and ">Successes<" in html
    assert ">Channel<" in html and "cost_per_opportunity" not in html
    assert "$12" in html  # formats still apply to the renamed column
    dated = pd.DataFrame({"as_of": pd.to_datetime(["2026-07-06", "2026-07-13"]), "x": [1, 2]})
    shown = table(dated).to_html()
    assert ">2026-07-06<" in shown and "00:00:00" not in shown  # dates read as dates
    timed = pd.DataFrame({"at": pd.to_datetime(["2026-07-06 09:30"])})
    assert ">2026-07-06 09:30<" in table(timed).to_html()
    # names read left-aligned (the channel column), figures stay right-aligned
    style = html.split("</style>")[0]
    assert "th.col_heading.col0 {\n  text-align: left;" in style
    assert "_row0_col0 {\n  text-align: left;" in style
    assert style.count("text-align: left") == 2  # nothing else is left-aligned
    from revlab.present import fmt, heading

    assert heading("churned_arr") == "Churned ARR" and heading("lead_id") == "Lead ID"
    assert heading("this quarter") == "This quarter" and heading(30) == "30"
    assert fmt(0.002, "number") == "0.002" and fmt(12.345, "number") == "12.35"
    # a value that rounds to zero reads as zero, not as a loss ("-0.000" in the leakage table)
    assert fmt(-0.0002, "number") == "0.000" and fmt(-0.0004, "pct") == "0.0%"
    assert fmt(-0.002, "number") == "-0.002" and fmt(-10.5, "number") == "-10.50"


FUNNEL_BODY = [
    "from revlab import funnel, present\n"
    "run = present.setup(source=source, quarter=quarter, as_of=as_of, seed=seed)",
    "import warnings\nwarnings.warn('IProgress not found, as tqdm says')",
    "for key, value in funnel.headline(run.src, quarter=run.quarter).items():\n"
    "    h = funnel.HEADLINES[key]\n"
    "    present.record(key, value, label=h.label, unit=h.unit, better=h.better)",
    "from revlab import plots\nimport matplotlib.pyplot as plt\nplots.use_style()",
    "with run.section('Deal sizes'):\n    plt.bar(['a', 'b'], [1, 2])",
    "present.footer(run)",
]


def test_a_rendered_report_answers_the_number_with_clean_pages(report_env):
    """What a reviewer sees, end to end: attainment on the scorecard, no stderr, no paths."""
    from revlab.report import build

    test_nb = report_env["notebooks"] / "01_test.ipynb"
    nb = nbformat.read(test_nb, as_version=4)  # its title and parameters cells, a new body
    nb.cells = nb.cells[:2] + [nbformat.v4.new_code_cell(src) for src in FUNNEL_BODY]
    nbformat.write(nb, report_env["notebooks"] / "01_funnel.ipynb")
    test_nb.unlink()
    said = []
    result = build(
        quarter="2024Q1",
        source=report_env["source"],
        out=report_env["out"],
        notebooks_dir=report_env["notebooks"],
        progress=False,
        log=said.append,
    )
    index = result.index.read_text(encoding="utf-8")
    # tiny data: one deal won in 2024Q1, $12,000, against a $50,000 target
    assert (
        "In <b>2024Q1</b> we booked <b>$12.0k</b> against a target of $50.0k: "
        "<b>24.0% attainment</b>, so we missed the number by $38.0k." in index
    )
    reader = (result.folder / "01_funnel.html").read_text(encoding="utf-8")
    code = (result.folder / "01_funnel.code.html").read_text(encoding="utf-8")
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in reader
    assert "IProgress not found" not in reader and "IProgress not found" in code
    assert any("01_funnel stderr:" in line and "IProgress not found" in line for line in said)
    tmp = str(report_env["tmp"])
    for page in (index, reader):
        assert tmp not in page and "/tmp" not in page and ".partial" not in page
        assert "source tiny.duckdb" in page
    assert str(report_env["source"]) in code  # the analyst's page keeps the full path
    assert ".partial" not in code and str(result.folder) in code  # output_dir as it ends up
    # the figure is exported beside the pages, named by its section, and linked under it
    figures = result.folder / "figures"
    assert {p.name for p in figures.iterdir()} == {"01_funnel-deal-sizes.png",
                                                  "01_funnel-deal-sizes.svg"}  # fmt: skip
    assert figures.joinpath("01_funnel-deal-sizes.svg").read_text().lstrip().startswith("<?xml")
    for page in (reader, code):
        assert '<a href="figures/01_funnel-deal-sizes.png">PNG</a>' in page
        assert '<a href="figures/01_funnel-deal-sizes.svg">SVG</a>' in page
        assert "<svg" not in page.split("</style>")[-1]  # the page shows the PNG


def test_bookings_and_target_that_round_alike_get_more_digits():
    from revlab.report.scorecard import headline

    sections = _sections()
    sections[0].metrics[1]["value"] = 4_164_700.0
    sections[0].metrics[3]["value"] = 4_164_700.0 / 4_160_000.0
    sections[0].metrics[2]["value"] = 4_160_000.0
    text = headline(sections, "2026Q3")
    assert "we booked <b>$4.165M</b> against a target of $4.160M: <b>100.1% attainment</b>" in text
    assert "so we hit the number by $4.7k" in text
    sections[0].metrics[1]["value"] = 4_190_000.0
    assert "we booked <b>$4.19M</b> against a target of $4.16M" in headline(sections, "2026Q3")


def test_figure_names_come_from_section_titles():
    from revlab.report.html import _slug

    assert _slug("The quarter's waterfall") == "the-quarters-waterfall"
    assert _slug("Bookings forecast for 2026Q4") == "bookings-forecast-for-2026q4"
    assert _slug("") == "figure"
