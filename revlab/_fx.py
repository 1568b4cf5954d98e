"""Money in the reporting currency: the dated ``fx_rates`` applied once, where tables are read.

:meth:`revlab.sources.Source.table` converts every money column (:data:`revlab._tables.MONEY`)
with an Ibis as-of join on ``fx_rates``: each row takes the latest rate valid from on or before
its conversion date, so the query runs in the engine like the rest. The dates:

- ``opportunities``: a deal closed by the as-of date at ``closed_at`` (``close_date`` where
  that is missing), an open deal at ``created_at``: what was known at the date;
- ``stage_history``: at its deal's date in the same view, so a deal's recorded amounts and its
  amount agree and a rate change never reads as a change to the deal; without ``opportunities``
  at ``entered_at``. A row without its own ``currency`` is in its deal's;
- ``subscriptions`` at ``start_date``; ``marketing_spend`` at ``period_start``.

A row without a currency is in the reporting currency. ``fx_rates.rate`` is units of the base
currency (the one the rates are quoted in) per unit of ``currency``; a reporting currency other
than the base converts through it: ``amount * rate(currency) / rate(reporting)``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def deal_date(deals: ir.Table) -> ir.Value:
    """The date a deal's money converts at: its close when closed, else its creation."""
    closed = [deals[c] for c in ("closed_at", "close_date") if c in deals.columns]
    when = ibis.coalesce(*closed, deals.created_at) if closed else deals.created_at
    return ibis.cases((deals.is_closed.fill_null(False), when), else_=deals.created_at)


def with_deal_date(history: ir.Table, deals: ir.Table | None) -> ir.Table:
    """``stage_history`` with its deal's conversion date and currency as ``_fx_date``/``_fx_d``."""
    if deals is None:
        return history.mutate(_fx_date=history.entered_at, _fx_d=ibis.null("string"))
    cur = deals.currency if "currency" in deals.columns else ibis.null("string")
    keys = deals.select(_fx_id=deals.opportunity_id, _fx_dd=deal_date(deals), _fx_dc=cur)
    joined = history.left_join(keys, history.opportunity_id == keys._fx_id)
    return joined.mutate(
        _fx_date=joined._fx_dd.coalesce(joined.entered_at), _fx_d=joined._fx_dc
    ).drop("_fx_id", "_fx_dd", "_fx_dc")


#: Backends whose SQL has no as-of join (Ibis cannot emulate it on Spark): rates are looked
#: up there by an interval join on each rate's validity instead, which gives the same rows.
NO_ASOF = frozenset({"pyspark"})


def _backend_name(table: ir.Table) -> str:
    try:
        return ibis.get_backend(table).name
    except Exception:  # noqa: BLE001 - an unbound table: the as-of join
        return ""


def _rate_at(t: ir.Table, rates: ir.Table, *, asof: bool, on_currency: bool = True) -> ir.Table:
    """``t`` with ``_fx_rate``: the rate of ``rates`` valid at ``t._fx_at`` (null when none).

    ``rates`` has ``_fx_c``, ``_fx_from`` and ``_fx_rate``; ``on_currency`` matches them to
    ``t._fx_cur`` (else ``rates`` holds one currency).
    """
    if asof:
        same = [t._fx_cur == rates._fx_c] if on_currency else []
        j = t.asof_join(rates, on=t._fx_at >= rates._fx_from, predicates=same)
        return j.select(*t.columns, "_fx_rate")
    window = ibis.window(group_by=rates._fx_c, order_by=rates._fx_from)
    spans = rates.mutate(_fx_to=rates._fx_from.lead().over(window))
    cond = [t._fx_at >= spans._fx_from, spans._fx_to.isnull() | (t._fx_at < spans._fx_to)]
    if on_currency:
        cond.append(t._fx_cur == spans._fx_c)
    return t.left_join(spans, cond).select(*t.columns, "_fx_rate")


def convert(
    table: ir.Table,
    fx: ir.Table,
    *,
    date: str,
    money: tuple[str, ...],
    reporting: str,
    base: str | None,
    fallback: str | None = None,
    asof: bool | None = None,
) -> ir.Table:
    """``table`` with its ``money`` columns in ``reporting``, converted at column ``date``.

    The row's currency is its ``currency`` column, else column ``fallback`` (a deal's), else
    the reporting currency. An amount without a rate at its date becomes null (unknown), which
    validation reports before any analysis runs. Helper columns (``_fx_*``) are dropped.
    ``asof`` chooses the as-of join (default: unless the backend is in :data:`NO_ASOF`).
    """
    asof = _backend_name(table) not in NO_ASOF if asof is None else asof
    cols = [c for c in table.columns if not c.startswith("_fx_")]
    own = table.currency if "currency" in table.columns else ibis.null("string")
    other = table[fallback] if fallback else ibis.null("string")
    t = table.mutate(_fx_cur=own.coalesce(other, ibis.literal(reporting)), _fx_at=table[date])
    rates = fx.select(_fx_c=fx.currency, _fx_from=fx.valid_from, _fx_rate=fx.rate)
    j = _rate_at(t, rates, asof=asof)
    to_base = ibis.cases((j._fx_cur == (base or reporting), 1.0), else_=j._fx_rate)
    factor = ibis.cases((j._fx_cur == reporting, 1.0), else_=to_base)
    if base is not None and reporting != base:
        mine = rates.filter(rates._fx_c == reporting)
        k = _rate_at(j.rename(_fx_own="_fx_rate"), mine, asof=asof, on_currency=False)
        j = k.rename(_fx_rrate="_fx_rate", _fx_rate="_fx_own")
        to_base = ibis.cases((j._fx_cur == base, 1.0), else_=j._fx_rate)
        factor = ibis.cases((j._fx_cur == reporting, 1.0), else_=to_base / j._fx_rrate)
    out = j.mutate(**{c: (j[c] * factor) for c in money if c in j.columns})
    return out.select(*cols)
