"""Which deal amounts are known: one rule for every analysis that sums or models them.

A deal amount of 0 or missing is *unknown*, not a deal worth nothing: CRMs leave the field at
0 until someone fills it in, and many capture amounts only from some date. Sums over deals
(bookings, pipeline) count only known amounts and say how many were unknown; deal-size
estimates fit only the known ones. :func:`known` works on an Ibis column and on pandas.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def known(amount: Any) -> Any:
    """Whether each amount is known (positive): an Ibis boolean expression or a pandas Series."""
    if isinstance(amount, pd.Series):
        return amount.gt(0)
    return (amount > 0).fill_null(False)
