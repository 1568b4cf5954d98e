"""Currencies: ISO 4217 codes, how money is written in each, and which one a source reports in.

Money in the canonical tables may carry a ``currency`` (see :mod:`revlab._fx` for the
conversion); everything downstream sees one *reporting currency*. This module holds the rules
that need no engine: the code format, the symbol and digits of a currency (``$1.2M``, ``€1.2M``,
``¥120M``, ``CHF 1.2M``), the choice of the reporting currency and of the currency ``fx_rates``
is quoted in, and the currency money is shown in, which :func:`revlab.present.setup` sets once
per notebook run (as :func:`revlab.plots.use_style` sets the figure style).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

#: How a currency code is written: three upper-case letters (ISO 4217), like EUR.
CODE = re.compile(r"^[A-Z]{3}$")
#: Money when the data carry no currency: today's behaviour, US dollars.
DEFAULT = "USD"
#: Currencies written with a symbol before the number; any other is written ``CHF 1.2M``.
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
#: Currencies whose small amounts have no decimals in prose (all of revlab's have none today).
NO_DECIMALS = frozenset({"JPY"})

_shown = DEFAULT


class CurrencyError(ValueError):
    """A currency setting that cannot be used: a bad code, or a choice the data cannot make."""


def check_code(code: str) -> str:
    """``code`` upper-cased and stripped, or a CurrencyError saying how to write one."""
    text = str(code).strip().upper()
    if not CODE.match(text):
        raise CurrencyError(
            f"currency {code!r} is not an ISO 4217 code; write three letters, like USD or EUR."
        )
    return text


def prefix(code: str) -> str:
    """What goes before a number: ``$``, ``€``, ``£``, ``¥``, or ``CHF `` for the rest."""
    return SYMBOLS.get(code, f"{code} ")


def short(x: float, code: str | None = None, *, digits: int = 1) -> str:
    """``$1.2M``, ``€45.6k``, ``¥950``, ``CHF 1.2B`` (``-`` before the symbol when negative).

    ``digits`` applies to the scaled forms (k, M, B); below a thousand the amount is whole.
    JPY keeps no decimals at any scale, as yen amounts are written.
    """
    code = code or _shown
    head = prefix(code)
    minus, v = ("-" if x < 0 else ""), abs(float(x))
    digits = 0 if code in NO_DECIMALS else digits
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= size:
            return f"{minus}{head}{v / size:,.{digits}f}{suffix}"
    return f"{minus}{head}{v:,.0f}"


def show_in(code: str) -> str:
    """Write money in ``code`` from now on (prose, tables, figure axes); returns the code."""
    global _shown
    _shown = check_code(code)
    return _shown


@contextmanager
def showing(code: str) -> Iterator[str]:
    """Write money in ``code`` inside the block (a report page), as before after it."""
    before = _shown
    try:
        yield show_in(code)
    finally:
        show_in(before)


def shown() -> str:
    """The currency money is written in now (``USD`` until :func:`show_in` is called)."""
    return _shown


def choose(
    data: Iterable[str], quoted: Iterable[str], requested: str | None = None
) -> tuple[str, str | None]:
    """The reporting currency and the currency ``fx_rates`` converts into (its *base*).

    ``data`` are the currencies money is stored in, ``quoted`` those ``fx_rates`` has rates
    other than 1 for (a currency at 1 throughout, as Salesforce lists the corporate one, is
    the base). The base is the one data currency without rates (a rate of 1 by definition); the
    reporting currency is ``requested``, else the base, else USD when the data name none. A
    reporting currency other than the base needs its own rates (amounts convert through the
    base). Raises CurrencyError when the data cannot say which currency to report in.
    """
    data, quoted = set(data), set(quoted)
    requested = check_code(requested) if requested else None
    outside = sorted(data - quoted)
    if len(outside) > 1 and requested in outside:
        outside = [requested]
    if len(outside) > 1:
        raise CurrencyError(
            f"money is stored in {', '.join(outside)}, which have no fx_rates rates; one "
            "currency may go without (the one rates are quoted in): add fx_rates rows (currency, "
            "valid_from, rate in the reporting currency) for every currency but the one the "
            "rates are quoted in."
        )
    base = outside[0] if outside else (requested if requested not in quoted else None)
    if not data:
        return requested or DEFAULT, requested or DEFAULT
    reporting = requested or base
    if reporting is None:
        raise CurrencyError(
            f"every currency in the data ({', '.join(sorted(data))}) has fx_rates rates, so "
            "the currency they convert into is not in the data; set the reporting currency "
            "(present.setup(reporting_currency=...), revlab report --currency)."
        )
    if reporting != base and reporting not in quoted:
        have = f"its rates are quoted in {base}" if base else "it has no rates"
        raise CurrencyError(
            f"the reporting currency {reporting} has no fx_rates rows and {have}; add fx_rates "
            f"rows for {reporting}, or report in {base or 'a currency with rates'}."
        )
    return reporting, base
