"""Funnel figures: assertions on what is drawn (bars, lines, labels, legends)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from revlab import funnel, plots


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_plots_are_reachable_from_the_package():
    assert plots.plot_funnel is not None and plots.plot_inventory_aging is not None


def test_funnel_bars_are_the_stage_counts_with_step_rates(hand):
    frame = funnel.funnel_stages(hand, quarter="2024Q1", within_days=100)
    ax = plots.plot_funnel(frame)
    widths = [p.get_width() for p in ax.patches]
    assert widths == [6, 4, 3, 3, 1]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "created", "mql", "sql", "opportunity", "won"
    ]  # fmt: skip
    labels = [t.get_text() for t in ax.texts]
    assert labels[0] == "6" and labels[1].startswith("4  ·  66.7% (")
    assert "2024Q1" in ax.get_title()
    assert ax.get_xscale() == "linear"  # a reader compares bar lengths: no log scale


def test_funnel_of_a_young_cohort_says_so(hand):
    ax = plots.plot_funnel(funnel.funnel_stages(hand, quarter="2024Q2", within_days=100))
    assert all("not yet matured" in t.get_text() for t in ax.texts[1:])


def test_conversion_curves_one_step_line_and_band_per_channel(hand):
    frame = funnel.conversion_curve(hand, to="opportunity", by="channel")
    ax = plots.plot_conversion_curves(frame, by="channel")
    assert len(ax.get_lines()) == 3
    assert _legend(ax) == ["events", "organic", "paid"]
    assert len(ax.collections) == 3  # one interval band each
    organic = ax.get_lines()[1]
    assert list(organic.get_xdata()) == [30, 96, 180]
    assert organic.get_ydata()[1] == pytest.approx(0.5)


def test_inventory_lines_per_stage(hand):
    frame = funnel.inventory_flow(hand, period="month")
    ax = plots.plot_inventory(frame)
    assert _legend(ax) == ["new", "mql", "sql", "discovery", "demo", "proposal"]
    new = ax.get_lines()[0]
    assert list(new.get_ydata()) == [3, 2, 2, 1, 2, 2, 2]


def test_aging_stacks_shares_to_one_per_stage(hand, day):
    frame = funnel.inventory_aging(hand, at=day(60), bins=(0, 30, 60))
    ax = plots.plot_inventory_aging(frame)
    assert _legend(ax) == ["0-29", "30-59", "60+"]
    assert len(ax.patches) == 2 * 3  # two stages x three buckets
    per_stage = {}
    for p in ax.patches:
        per_stage.setdefault(round(p.get_y(), 3), []).append(p.get_width())
    assert all(sum(w) == pytest.approx(1) for w in per_stage.values())


def test_cost_per_name_bars_and_missing_values(hand):
    frame = funnel.cost_per_name(hand, quarter="2024Q1")
    ax = plots.plot_cost_per_name(frame)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    heights = {t: p.get_height() for t, p in zip(ticks, ax.patches, strict=True)}
    assert heights == {"organic": 0, "events": 300, "paid": 500}
    assert ax.get_lines()[0].get_ydata()[0] == 300  # all channels
    empty = funnel.cost_per_name(hand, quarter="2023Q4")
    ax2 = plots.plot_cost_per_name(empty)
    assert [t.get_text() for t in ax2.texts] == ["n/a", "n/a", "n/a"]
    assert not ax2.get_lines()


def test_velocity_line(demo_source):
    frame = funnel.closing_by_quarter(demo_source, first="2025Q1", last="2025Q4")
    ax = plots.plot_velocity(frame)
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    np.testing.assert_allclose(line.get_ydata(), frame["pipeline_velocity"])
    assert ax.texts[0].get_text().endswith("/day")


def test_drivers_bars_add_to_contributions(hand):
    frame = funnel.drivers(hand, quarter="2024Q2", metric="new_names")
    ax = plots.plot_drivers(frame)
    n = len(frame)
    rate, mix = ax.patches[:n], ax.patches[n:]
    totals = [r.get_width() + m.get_width() for r, m in zip(rate, mix, strict=True)]
    assert totals == list(frame["contribution"].iloc[::-1])
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "paid"


def test_plots_draw_on_the_given_axes(hand):
    fig, ax = plt.subplots()
    out = plots.plot_new_names(funnel.new_names(hand, period="quarter"), ax=ax)
    assert out is ax and len(fig.axes) == 1
    assert len(ax.get_lines()) == 3


def test_a_channel_has_one_colour_in_every_figure(hand):
    import matplotlib.colors as mcolors

    names = plots.plot_new_names(funnel.new_names(hand, period="month", by="channel"))
    line_colour = {ln.get_label(): mcolors.to_hex(ln.get_color()) for ln in names.lines}
    cost = funnel.cost_per_name(hand, quarter="2024Q1")
    bars = plots.plot_cost_per_name(cost)
    shown = [t.get_text() for t in bars.get_xticklabels()]
    bar_colour = dict(
        zip(shown, (mcolors.to_hex(b.get_facecolor()) for b in bars.patches), strict=True)
    )
    assert len(set(line_colour.values())) == len(line_colour)  # distinct per channel
    for channel, colour in bar_colour.items():
        assert line_colour[channel] == colour, channel


def test_weekly_new_names_are_a_moving_average_with_the_legend_off_the_data(demo_source):
    frame = funnel.new_names(demo_source, period="week", by="channel", since="2026-01-01")
    ax = plots.plot_new_names(frame)
    assert "4-week average" in ax.get_title()
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "organic")
    raw = frame[frame["channel"] == "organic"].sort_values("period_start")["n"]
    expected = raw.rolling(4, min_periods=1).mean().to_numpy()
    np.testing.assert_allclose(line.get_ydata(), expected)
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1  # outside
    colours = [ln.get_color() for ln in ax.get_lines()]
    assert len(set(colours)) == len(colours) == frame["channel"].nunique()


def test_the_log_scale_labels_plain_counts_with_mathtext_off(hand):
    plots.use_style()  # reports draw with mathtext off: raw 10^k TeX would show as text
    ax = plots.plot_inventory(funnel.inventory_flow(hand, period="month"))
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all("$" not in t and "math" not in t for t in labels), labels
    assert all(float(t.replace(",", "")) >= 0 and not t.startswith("-") for t in labels), labels
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1  # off the data
    plt.close(ax.figure)
