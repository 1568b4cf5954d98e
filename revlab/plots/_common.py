"""Helpers every plots module shares (private: not figures, so not reachable as plots.x)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: The colours of seaborn's colorblind palette (``plots.PALETTE``), reordered so that the
#: first six groups get six clearly different colours (its orange and vermillion read alike
#: side by side, so the vermillion comes seventh).
COLOURS = ("#0173b2", "#de8f05", "#029e73", "#cc78bc", "#56b4e9", "#ca9161", "#d55e00",
           "#949494", "#fbafe4", "#ece133")  # fmt: skip
#: The colour of a total ("all") beside its groups.
ALL_COLOUR = "#4d4d4d"


def axes(ax: Axes | None) -> Axes:
    """The Axes to draw on: ``ax`` itself, or a new figure's when it is None."""
    if ax is None:
        import matplotlib.pyplot as plt  # here, so that importing a plots module stays light

        _, ax = plt.subplots()
    return ax


def group_colours(names: Iterable) -> dict[str, str]:
    """One colour per group (channel, segment), the same in every figure of a report.

    Groups take the palette in the order of their sorted names, so a figure showing the
    channels of a source colours each as every other figure of that source does; ``all`` is
    dark grey. Past ten groups the palette repeats.
    """
    groups = sorted({str(n) for n in names} - {"all"})
    colours = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(groups)}
    return {**colours, "all": ALL_COLOUR}
