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


def convert(
    table: ir.Table,
    fx: ir.Table,
    *,
    date: str,
    money: tuple[str, ...],
    reporting: str,
    base: str | None,
    fallback: str | None = None,
) -> ir.Table:
    """``table`` with its ``money`` columns in ``reporting``, converted at column ``date``.

    The row's currency is its ``currency`` column, else column ``fallback`` (a deal's), else
    the reporting currency. An amount without a rate at its date becomes null (unknown), which
    validation reports before any analysis runs. Helper columns (``_fx_*``) are dropped.
    """
    cols = [c for c in table.columns if not c.startswith("_fx_")]
    own = table.currency if "currency" in table.columns else ibis.null("string")
    other = table[fallback] if fallback else ibis.null("string")
    t = table.mutate(_fx_cur=own.coalesce(other, ibis.literal(reporting)), _fx_at=table[date])
    rates = fx.select(_fx_c=fx.currency, _fx_from=fx.valid_from, _fx_rate=fx.rate)
    j = t.asof_join(rates, on=t._fx_at >= rates._fx_from, predicates=[t._fx_cur == rates._fx_c])
    j = j.select(*t.columns, "_fx_rate")
    to_base = ibis.cases((j._fx_cur == (base or reporting), 1.0), else_=j._fx_rate)
    factor = ibis.cases((j._fx_cur == reporting, 1.0), else_=to_base)
    if base is not None and reporting != base:
        mine = rates.filter(rates._fx_c == reporting).select(
            _fx_rfrom=rates._fx_from, _fx_rrate=rates._fx_rate
        )
        j = j.asof_join(mine, on=j._fx_at >= mine._fx_rfrom).select(*j.columns, "_fx_rrate")
        to_base = ibis.cases((j._fx_cur == base, 1.0), else_=j._fx_rate)
        factor = ibis.cases((j._fx_cur == reporting, 1.0), else_=to_base / j._fx_rrate)
    out = j.mutate(**{c: (j[c] * factor) for c in money if c in j.columns})
    return out.select(*cols)
