"""The base of revlab's data errors: what a report section can skip instead of failing the run.

Every error revlab raises about the data (``SchemaError``, ``SourceError``, ``ForecastError``,
``PropensityError``, ``LifecycleError`` …) is a :class:`DataError`: its message names the
table, the column, the measured shortfall and the fix. A notebook section that meets one is
skipped with that message and the report goes on; any other exception is a bug and fails the
run. :class:`Shortfall` is the error of valid data that are too thin for an analysis.

This module imports nothing from revlab, so every other module can import it.
"""

from __future__ import annotations


class DataError(ValueError):
    """The data cannot support what was asked; the message says what, measured, and the fix."""


class Shortfall(DataError):
    """Valid data too thin for an analysis: a missing table or column, or too little history.

    ``reason`` is a plain sentence with the measured shortfall ("9 months of closed deals; the
    seasonal model needs 24"); ``enable`` says what would enable the analysis.
    """

    def __init__(self, analysis: str, reason: str, *, enable: str = ""):
        self.analysis = analysis
        self.reason = reason
        self.enable = enable
        text = f"{analysis}: {reason}"
        if enable:
            text += ("" if text.endswith((".", ";", ":")) else ".") + f" {enable}"
        super().__init__(text)


class NotRequested(Shortfall):
    """An optional section the run did not ask for (its parameter left empty).

    Not a shortfall of the data: the page notes it in a line, the scorecard does not list it
    and ``revlab report --strict`` does not fail on it.
    """


class SectionSkipped(DataError):
    """A section used a result whose own section was skipped earlier in the notebook."""

    def __init__(self, title: str, reason: str):
        self.title = title
        self.reason = reason
        super().__init__(f"it needs {title}, which was skipped: {reason}")
