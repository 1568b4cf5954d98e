"""Exit codes of the ``revlab`` command and its subcommands (``report``, ``import``).

They live here, importing nothing from revlab, so that :mod:`revlab.cli`, :mod:`revlab.report`
and :mod:`revlab.crm.command` share them without importing each other.
"""

from __future__ import annotations

#: 0 success; 1 a notebook failed or sections were skipped under --strict; 2 bad arguments or
#: parameters; 3 the data source is unreachable or its data is invalid.
EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE, EXIT_DATA = 0, 1, 2, 3

__all__ = ["EXIT_DATA", "EXIT_OK", "EXIT_RUN_FAILED", "EXIT_USAGE"]
