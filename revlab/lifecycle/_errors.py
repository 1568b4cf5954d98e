"""The error a lifecycle analysis raises when the data cannot answer the question as asked."""

from __future__ import annotations

from revlab.errors import DataError


class LifecycleError(DataError):
    """The data cannot support this lifecycle estimate; the message says why and what to do."""
