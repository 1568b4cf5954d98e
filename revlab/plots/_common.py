"""Helpers every plots module shares (private: not figures, so not reachable as plots.x)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def axes(ax: Axes | None) -> Axes:
    """The Axes to draw on: ``ax`` itself, or a new figure's when it is None."""
    if ax is None:
        import matplotlib.pyplot as plt  # here, so that importing a plots module stays light

        _, ax = plt.subplots()
    return ax
