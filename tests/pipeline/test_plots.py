"""Pipeline figures, tested on their artists: bar heights, bottoms, labels, error bars."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.container import BarContainer
from matplotlib.patches import Rectangle

from revlab import pipeline, plots


def _bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_waterfall_bars_add_up_to_the_closing_bar(deal_source):
    wf = pipeline.waterfall(deal_source, quarter="2024Q2")
    ax = plots.plot_waterfall(wf)
    bars = _bars(ax)
    assert len(bars) == len(pipeline.MOVEMENTS)
    heights = [b.get_height() for b in bars]
    assert heights == wf["value"].tolist()
    opening, *moves, closing = heights
    assert opening + sum(moves) == closing == 350
    # each movement floats on the running total before it
    running = opening
    for bar, h in zip(bars[1:-1], moves, strict=True):
        assert bar.get_y() == running
        running += h
    assert bars[0].get_y() == bars[-1].get_y() == 0
    assert [t.get_text() for t in ax.get_xticklabels()] == list(pipeline.MOVEMENTS.values())
    assert "Pipeline of 2024Q2, 2024-04-01 to 2024-07-01" == ax.get_title()
    texts = [t.get_text() for t in ax.texts]
    assert "$350\n6 deals" in texts and "-$30\n1 deal" in texts


def test_waterfall_colours_won_green_and_lost_red(deal_source):
    wf = pipeline.waterfall(deal_source, quarter="2024Q2")
    ax = plots.plot_waterfall(wf)
    colours = dict(zip(wf["movement"], (b.get_facecolor()[:3] for b in _bars(ax)), strict=True))
    grey, green, red, blue, amber = (
        np.array(plt.matplotlib.colors.to_rgb(c))
        for c in ("#949494", "#029e73", "#b42318", "#0173b2", "#de8f05")
    )
    assert np.allclose(colours["opening"], grey) and np.allclose(colours["closing"], grey)
    assert np.allclose(colours["won"], green)  # out of the pipeline, but booked: good news
    assert np.allclose(colours["lost"], red)
    assert not np.allclose(colours["won"], colours["lost"])
    assert np.allclose(colours["new"], blue)
    assert np.allclose(colours["slipped_out"], amber)


def test_waterfall_refuses_several_groups(deal_source):
    wf = pipeline.waterfall(deal_source, quarter="2024Q2", by="segment")
    with pytest.raises(ValueError, match=r"several segment groups"):
        plots.plot_waterfall(wf)
    ax = plots.plot_waterfall(wf[wf["segment"] == "smb"], title="SMB")
    assert ax.get_title() == "SMB"


def test_slip_win_rates_bars_and_intervals(deal_source):
    frame = pipeline.slip_analysis(deal_source, by="owner")
    fig, ax = plt.subplots()
    assert plots.plot_slip_win_rates(frame, ax=ax) is ax
    bars = _bars(ax)
    assert len(bars) == 2 * len(frame)
    slipped, never = bars[: len(frame)], bars[len(frame) :]
    expect_slipped = np.nan_to_num(frame["win_rate_slipped"].to_numpy())
    assert [b.get_height() for b in slipped] == pytest.approx(expect_slipped)
    assert [b.get_height() for b in never] == pytest.approx(frame["win_rate_never"].to_numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["AE-1", "AE-2", "AE-3"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["slipped", "never slipped"]
    bar_sets = [c for c in ax.containers if isinstance(c, BarContainer)]
    segments = bar_sets[1].errorbar.lines[2][0].get_segments()  # never slipped: lower to upper
    spans = np.array([(seg[0][1], seg[1][1]) for seg in segments])
    np.testing.assert_allclose(spans, frame[["lower_never", "upper_never"]].to_numpy())
    # owners without a slipped deal say n/a instead of showing a zero rate as a fact
    assert sum(t.get_text() == "n/a" for t in ax.texts) == int(frame["slipped"].eq(0).sum())
    assert ax.get_xlabel() == "owner"


def test_slip_win_rates_overall(deal_source):
    ax = plots.plot_slip_win_rates(pipeline.slip_analysis(deal_source))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["all deals"]
    assert [b.get_height() for b in _bars(ax)] == pytest.approx([0.0, 0.8])
