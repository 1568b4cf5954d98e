"""Remember the heavy intermediate frames of one data cut, so related metrics share them.

The inventory event log and the open-prospect snapshot feed several metrics (flows, Little's
law, aging, the headline figures). A :class:`~revlab.sources.Source` with an as-of date is a
fixed cut of the data, so the same query on it gives the same frame: the frame is kept, per
backend connection, for the next metric that needs it. Sources without an as-of date are
never memoised (their data may grow). Call :func:`clear_cache` after changing the data behind
a live connection.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pandas as pd

from revlab.sources import Source

MAX_ENTRIES = 32
# id(backend) -> (weak reference to it, frames). Backends are told apart by identity: Ibis
# backends compare equal by connection string, so two in-memory connections would collide.
_STORE: dict[int, tuple[weakref.ref, OrderedDict]] = {}


def clear_cache() -> None:
    """Forget every remembered frame."""
    _STORE.clear()


def memoised(
    src: Source, name: str, args: Hashable, compute: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """``compute()`` for this cut of the data, remembered; callers get their own copy."""
    if src.as_of is None:
        return compute()
    store = _store_of(src.backend)
    if store is None:
        return compute()
    cut = (src.label, pd.Timestamp(src.as_of), tuple(sorted(src.names.items())), src.database)
    cut = (*cut, src.calendar)  # quarters are labelled by it
    key = (name, cut, args)
    if key not in store:
        store[key] = compute()
        while len(store) > MAX_ENTRIES:
            store.popitem(last=False)
    store.move_to_end(key)
    return store[key].copy()


def _store_of(backend: object) -> OrderedDict | None:
    key = id(backend)
    held = _STORE.get(key)
    if held is not None and held[0]() is backend:
        return held[1]
    try:
        ref = weakref.ref(backend, lambda _, key=key: _STORE.pop(key, None))
    except TypeError:  # a backend that cannot be weakly referenced: no memo
        return None
    _STORE[key] = (ref, OrderedDict())
    return _STORE[key][1]
