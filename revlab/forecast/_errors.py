"""Errors and warnings of the forecast: what is wrong and what to do about it."""

from __future__ import annotations

from revlab.errors import DataError


class ForecastError(DataError):
    """The data cannot support the forecast asked for; the message says why and the fix."""


class ForecastWarning(UserWarning):
    """The forecast ran, but something about it deserves a look before trusting it."""


class ConvergenceWarning(ForecastWarning):
    """The sampler failed its diagnostics: the numbers of this fit are not to be trusted."""
