"""Notebook sections that skip themselves, in plain words, when the data fall short.

A section is one notebook cell::

    with run.section("Cost per name"):
        cost = funnel.cost_per_name(src, quarter=q)  # checks its needs first
        plots.plot_cost_per_name(cost)
        present.say(...)

When revlab raises one of its data errors inside (:class:`~revlab.errors.DataError`: a missing
table, too little history, no positive outcome in a training window …), the section shows a
short box saying what was skipped and why, records the skip for the report's scorecard and log,
and the notebook goes on. Any other exception is a bug and fails the run.

A result that several sections use is computed once with :meth:`Sections.attempt`: when it
falls short, the box is shown there and a :class:`Skipped` stand-in is returned, which raises
:class:`~revlab.errors.SectionSkipped` at its first use, so every section built on it is
skipped too, with a one-line note instead of the same box again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from revlab.errors import DataError, NotRequested, SectionSkipped, Shortfall

#: MIME type of a skipped section's record: invisible in HTML, read by revlab.report.
SKIP_MIME = "application/vnd.revlab.skip+json"


@dataclass(frozen=True)
class Skip:
    """One skipped section: its title, the reason in plain words, what would enable it."""

    title: str
    reason: str
    enable: str = ""
    because: str = ""  # title of the earlier skipped result it depended on, if any
    optional: bool = False  # not asked for by the run (not a shortfall of the data)
    same_as: str = ""  # title of an earlier section skipped for the same reason, if any

    def record(self) -> dict[str, str | bool]:
        """The record the report reads from the executed notebook."""
        return {
            "analysis": self.title,
            "reason": self.reason,
            "enable": self.enable,
            "because": self.because,
            "optional": self.optional,
            "same_as": self.same_as,
        }


def describe(exc: DataError) -> tuple[str, str]:
    """A data error as (reason, enable) for a reader: the measured shortfall and the fix."""
    if isinstance(exc, Shortfall):
        return exc.reason, exc.enable
    if isinstance(exc, SectionSkipped):
        return exc.reason, ""
    return str(exc).strip(), ""


#: Stand-ins used since the notebook started; a section that used one and then failed in a
#: library that swallowed the SectionSkipped (numpy, pandas) is skipped as depending on it.
_TOUCHED: list[Skipped] = []


class Skipped:
    """Stands for a result that could not be computed.

    Like NaN, it propagates: an attribute, an item or a call of it is the same stand-in, so
    ``now = scorecard.set_index("metric")["current"]`` stays skipped. Any use that needs a
    value (formatting, truth, iteration, numbers, comparisons) raises SectionSkipped, which
    skips the section it happens in.
    """

    __slots__ = ("_title", "_reason")

    def __init__(self, title: str, reason: str):
        object.__setattr__(self, "_title", title)
        object.__setattr__(self, "_reason", reason)

    def _fail(self, *_: Any, **__: Any):
        _TOUCHED.append(self)
        raise SectionSkipped(self._title, self._reason)

    def _same(self, *_: Any, **__: Any) -> Skipped:
        _TOUCHED.append(self)
        return self

    def __getattr__(self, name: str) -> Skipped:
        if name.startswith("_"):  # IPython and copy probe dunder names: plain "no such attribute"
            raise AttributeError(name)
        _TOUCHED.append(self)
        return self

    def __repr__(self) -> str:
        return f"<skipped: {self._title}>"

    __getitem__ = __call__ = _same
    __iter__ = __len__ = __bool__ = __format__ = __str__ = __float__ = __int__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _fail
    __rtruediv__ = __neg__ = __abs__ = __lt__ = __le__ = __gt__ = __ge__ = __contains__ = _fail


@dataclass
class Sections:
    """The sections of one notebook run and what they skipped (see the module docs)."""

    show: Callable[[Skip], None]
    skips: list[Skip] = field(default_factory=list)
    #: Called with a section's title as it starts (the report names its figures by it).
    mark: Callable[[str], None] | None = None

    def section(self, title: str, *, quiet: bool = False) -> Section:
        """A context manager for one section of the notebook (see the module docs).

        A ``quiet`` section (the notebook's check cell) skips without a box or a record.
        """
        return Section(self, title, quiet=quiet)

    def attempt(self, title: str, fn: Callable, /, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, or a :class:`Skipped` stand-in when the data fall short."""
        with self.section(title) as sec:
            return fn(*args, **kwargs)
        return Skipped(title, sec.skip.reason if sec.skip else "")

    def _skipped(self, title: str, exc: DataError) -> Skip:
        reason, enable = describe(exc)
        because = exc.title if isinstance(exc, SectionSkipped) else ""
        first = next((s.title for s in self.skips if s.reason == reason and not s.same_as), "")
        skip = Skip(
            title,
            reason,
            enable,
            because,
            optional=isinstance(exc, NotRequested),
            same_as="" if because else first,
        )
        self.skips.append(skip)
        self.show(skip)
        return skip


class Section:
    """One section: runs its body, or shows why it was skipped when revlab's data fall short."""

    def __init__(self, owner: Sections, title: str, *, quiet: bool = False):
        self.owner = owner
        self.title = title
        self.quiet = quiet
        self.skip: Skip | None = None
        self._figures: set[int] = set()
        self._touched = 0

    def __bool__(self) -> bool:
        return self.skip is None

    def __enter__(self) -> Section:
        if self.owner.mark is not None and not self.quiet:
            self.owner.mark(self.title)
        self._figures = _open_figures()
        self._touched = len(_TOUCHED)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        used = _TOUCHED[self._touched :]
        del _TOUCHED[self._touched :]
        if exc is not None and not isinstance(exc, DataError) and used:
            exc = SectionSkipped(used[0]._title, used[0]._reason)  # a library hid the skip
        if exc is None or not isinstance(exc, DataError):
            return False  # success, or a bug: let it fail the run
        _close_figures_since(self._figures)  # half-drawn figures of a skipped section
        if self.quiet or (isinstance(exc, SectionSkipped) and exc.title == self.title):
            self.skip = Skip(self.title, describe(exc)[0])  # silent, or shown once already
        else:
            self.skip = self.owner._skipped(self.title, exc)
        return True


def _open_figures() -> set[int]:
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return set()
    import matplotlib.pyplot as plt

    return set(plt.get_fignums())


def _close_figures_since(before: set[int]) -> None:
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return
    import matplotlib.pyplot as plt

    for num in set(plt.get_fignums()) - before:
        plt.close(num)
