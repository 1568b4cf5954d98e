"""Library notices that say nothing about the run, ignored at their source by exact message.

Two libraries write to stderr when they load, for reasons unrelated to revlab's work, and the
text lands in a report's run log on every fresh machine: ArviZ warns once a day that it is being
refactored (on every CI machine, whose cache is new), and ``tqdm.auto``, which pymc-marketing
imports for progress bars revlab switches off, warns in a Jupyter kernel without ipywidgets.
Each is matched by its own message; every other warning still shows.
"""

from __future__ import annotations

import warnings

#: (category, start of the message as a regular expression) of each notice ignored.
IGNORED = (
    (FutureWarning, r"\s*ArviZ is undergoing a major refactor"),
    (Warning, r"IProgress not found"),  # tqdm's TqdmWarning, without importing tqdm here
)


def quiet() -> None:
    """Ignore the notices in :data:`IGNORED` from here on (before the libraries load)."""
    for category, message in IGNORED:
        warnings.filterwarnings("ignore", message=message, category=category)
