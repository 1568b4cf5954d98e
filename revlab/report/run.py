"""Run the quarterly report: check inputs, execute every notebook, render, swap in atomically.

The run writes into a temporary folder beside the quarter's folder and replaces it only when
every notebook succeeded; a failure keeps the previous report untouched and leaves the failed
executed notebook in ``<out>/<quarter>.failed/`` for debugging.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from revlab.periods import CALENDAR, FiscalCalendar, Quarter
from revlab.report import html as pages
from revlab.report import params as nbparams
from revlab.report import scorecard


class ReportError(RuntimeError):
    """The report could not be produced; the message says why and what to do."""


class NotebookFailed(ReportError):
    """A notebook raised while running; the previous report is untouched."""


class SectionsSkipped(NotebookFailed):
    """``strict`` was asked for and some sections were skipped; the previous report is kept."""


@dataclass
class ReportResult:
    """Where the report went and how long each notebook took."""

    quarter: Quarter
    folder: Path
    index: Path
    seconds: dict[str, float] = field(default_factory=dict)
    #: Sections skipped because the data fell short: (notebook, title, reason), in order.
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


#: Rows (all tables together) up to which the report validates a source in full, in memory.
#: The demo company has about half a million; ten million activities would need several GB.
FULL_CHECK_MAX_ROWS = 5_000_000


def default_notebooks() -> Path:
    """The report's notebooks: ``notebooks/`` of a source checkout, else the installed ones.

    A wheel carries the repository's ``notebooks/*.ipynb`` as ``revlab/notebooks/`` (copied
    at build time by ``setup.py``), so ``revlab report`` runs from any folder.
    """
    package = Path(__file__).resolve().parents[1]
    checkout = package.parent / "notebooks"
    if (package.parent / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return package / "notebooks"


def find_notebooks(folder: Path) -> list[Path]:
    """The report's notebooks, in file-name order (01_funnel, 02_propensity, ...)."""
    found = sorted(p for p in Path(folder).glob("*.ipynb") if not p.name.startswith("."))
    if not found:
        raise ReportError(f"no notebooks in {folder}; the report runs every *.ipynb there.")
    return found


def prepare(
    *,
    source: Any,
    quarter: str,
    as_of: str,
    notebooks: Sequence[Path],
    log: Callable[[str], None] = print,
    full_check_max_rows: int | None = None,
    calendar: FiscalCalendar = CALENDAR,
    currency: str = "",
) -> tuple[Any, Quarter, str]:
    """Check the source and the quarter before anything runs; return them resolved.

    A source of up to ``full_check_max_rows`` rows in all (default
    :data:`FULL_CHECK_MAX_ROWS`) is validated in full, which reads every row into memory; a
    larger one only for what its schema and row counts show (no table empty, no required
    column missing), and the log says so and how to run the full check. The quarter is read
    on ``calendar`` (``FY2027Q1`` on a fiscal one), and the targets' labels must match it.
    """
    from revlab.present import data_end
    from revlab.sources import (
        DEFAULT_SOURCE,
        SourceError,
        connect,
        resolve_path,
        unrecognised_files,
    )

    text = DEFAULT_SOURCE if source in (None, "") else str(source)
    if "://" not in text:
        text = str(resolve_path(text).resolve())
    src = connect(text, reporting_currency=currency or None)
    if "://" not in text and Path(text).is_dir() and (ignored := unrecognised_files(text)):
        log(
            f"{src.label}: ignored {', '.join(ignored)}: not a canonical table file (names are "
            f"the table's, like leads.csv or opportunities.parquet)."
        )
    limit = FULL_CHECK_MAX_ROWS if full_check_max_rows is None else full_check_max_rows
    counts = src.row_counts()
    if sum(counts.values()) <= limit:
        src.validate(as_of=pd.Timestamp.now())
    else:
        src.validate_shape(counts)
        log(
            f"{src.label}: {sum(counts.values()):,} rows, more than the {limit:,} the report "
            "checks row by row; checked its tables' columns and counts only. For the full "
            f"check (types, keys, references, dates) run: revlab validate --source {text}"
        )
    if not any(src.has(name) for name in ("leads", "opportunities", "subscriptions")):
        raise SourceError(
            f"{src.label} has no leads, opportunities or subscriptions table; the report needs "
            "at least one of them."
        )
    src.reporting_currency  # noqa: B018 - a currency the data cannot report in fails here
    end = data_end(src)
    src = src.on_calendar(calendar)
    src.check_calendar()
    if quarter in ("", "latest"):
        q = Quarter.latest_covered(end, calendar)
    else:
        q = Quarter.parse(quarter, calendar)
        _check_in_range(src, q, end)
    if as_of:
        try:
            pd.Timestamp(as_of)  # a bad date fails here, before any notebook runs
        except ValueError:
            raise ReportError(
                f"--as-of {as_of!r} is not a date; give one like 2026-09-30."
            ) from None
    return text, q, src.label


def _check_in_range(src, q: Quarter, end: pd.Timestamp | None) -> None:
    """Refuse a quarter the data do not reach, naming the range they cover."""
    from revlab._tables import CREATED
    from revlab.sources import SourceError

    starts = []
    for name in ("leads", "opportunities", "subscriptions"):
        if src.has(name):
            value = src.table(name)[CREATED[name]].min().execute()
            if value is not None and not pd.isna(value):
                starts.append(pd.Timestamp(value))
    if end is None or not starts:
        return
    start = min(starts)
    if q.start > end or q.end <= start:
        first, last = Quarter.containing(start, q.cal), Quarter.containing(end, q.cal)
        raise SourceError(
            f"quarter {q} is outside the data, which cover {start:%Y-%m-%d} to {end:%Y-%m-%d} "
            f"({first} to {last}); pick a quarter in that range, or --quarter latest."
        )


def execute(
    notebook: Path, target: Path, parameters: Mapping[str, Any], *, progress: bool
) -> None:
    """Run one notebook with papermill into ``target``."""
    import papermill

    papermill.execute_notebook(
        str(notebook),
        str(target),
        parameters=dict(parameters),
        kernel_name="python3",
        cwd=str(notebook.parent),
        progress_bar=progress,
        request_save_on_cell_execute=True,
    )


def build(
    *,
    quarter: str = "latest",
    source: Any = None,
    out: Path | str = "reports",
    as_of: str = "",
    parameters: Sequence[tuple[str, str]] = (),
    notebooks_dir: Path | str | None = None,
    progress: bool = True,
    strict: bool = False,
    log: Callable[[str], None] = print,
    fiscal_year_start: int = 1,
    fiscal_year_named_by: str = "end",
    currency: str = "",
) -> ReportResult:
    """Produce ``<out>/<quarter>/`` (HTML per notebook, scorecard) and ``<out>/index.html``.

    ``notebooks_dir`` defaults to :func:`default_notebooks`. A section whose data fall short
    is skipped in its page, listed on the scorecard and in the log, and the report goes on;
    with ``strict`` any such skip fails the run instead (:class:`SectionsSkipped`), keeping the
    previous report. ``fiscal_year_start`` (month 1-12; 1 is calendar quarters) and
    ``fiscal_year_named_by`` set the quarters of every notebook, and the folder's name.
    """
    from revlab.sources import resolve_path

    calendar = FiscalCalendar(fiscal_year_start, fiscal_year_named_by)

    folder = default_notebooks() if notebooks_dir is None else resolve_path(notebooks_dir)
    notebooks = find_notebooks(folder)
    specs = {nb: nbparams.declared(nb) for nb in notebooks}
    user = nbparams.resolve(specs, parameters)
    from revlab.present import source_name

    currency = _checked_currency(currency)
    source_text, q, label = prepare(
        source=source, quarter=quarter, as_of=as_of, notebooks=notebooks, log=log,
        calendar=calendar,
        currency=currency,
    )  # fmt: skip
    label = source_name(label)  # pages name the source; the full path is in the log and code
    out = Path(out).resolve()  # notebooks run in their own folder: hand them absolute paths
    out.mkdir(parents=True, exist_ok=True)
    if currency:
        user = {**user, "reporting_currency": currency}
    with _out_lock(out):
        return _build_locked(out, q, notebooks, specs, user, source_text, as_of, label, progress,
                             strict, log)  # fmt: skip


def _checked_currency(code: str) -> str:
    """``--currency`` as an ISO 4217 code (empty: the data's), or a ParameterError."""
    from revlab._currency import CurrencyError, check_code

    try:
        return check_code(code) if code else ""
    except CurrencyError as exc:
        raise nbparams.ParameterError(f"--currency: {exc}") from None


def _build_locked(
    out, q, notebooks, specs, user, source_text, as_of, label, progress, strict, log
):
    """The run proper, with ``out`` locked: notebooks, pages, scorecard, the atomic swap."""
    for stale in out.glob(f".{q}.partial*"):  # a crashed run's folder; no run holds it now
        shutil.rmtree(stale, ignore_errors=True)
    final = out / str(q)
    work = out / f".{q}.partial-{os.getpid()}-{secrets.token_hex(4)}"  # this run's own folder
    work.mkdir()
    shared = {
        "source": source_text,
        "quarter": str(q),
        "as_of": as_of,
        "output_dir": str(work),
        "journal_dir": str(out / JOURNAL_NAME),  # kept across runs, beside the quarters
    }
    if not q.cal.is_calendar:  # calendar quarters are the notebooks' default
        shared.update(fiscal_year_start=q.cal.start_month, fiscal_year_named_by=q.cal.named_by)
    seconds = _run_all(
        notebooks, specs, {**shared, **user}, work, out / f"{q}.failed", progress, log
    )
    skipped = _skipped_sections(notebooks, work, log)
    if strict and skipped:
        _keep_failed(None, out / f"{q}.failed", work)
        raise SectionsSkipped(
            f"{len(skipped)} section(s) skipped and --strict was given; the previous report is "
            "untouched. Skipped: "
            + "; ".join(f"{nb}: {title} ({reason})" for nb, title, reason in skipped)
        )
    run_date = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
    shown_as_of = as_of or f"{q.last_day:%Y-%m-%d}"
    sections = _render_all(notebooks, work, q, shown_as_of, label, run_date, final=final)
    info = pages.PageInfo(f"Revenue scorecard {q}", str(q), shown_as_of, label, run_date)
    earlier = scorecard.earlier_reports(out, before=str(q))  # their figures: trend lines
    page = scorecard.quarter_page(sections, info, earlier)
    (work / "index.html").write_text(page, encoding="utf-8")
    _swap_in(work, final)
    shutil.rmtree(out / f"{q}.failed", ignore_errors=True)
    (out / "index.html").write_text(scorecard.reports_page(out), encoding="utf-8")
    return ReportResult(q, final, final / "index.html", seconds, skipped)


LOCK_NAME = ".revlab-report.lock"
#: The forecast journal's folder in ``--out`` (see :mod:`revlab.forecast.journal`).
JOURNAL_NAME = ".journal"


@contextlib.contextmanager
def _out_lock(out: Path):
    """Hold ``out``'s lock for the run, or refuse: two runs must never write one report.

    The lock is an ``flock`` on ``<out>/.revlab-report.lock``, released by the system when the
    holder exits, even on a crash or SIGKILL; while held, the file names the holder for the
    message, and it is emptied on release.
    """
    import fcntl

    path = out / LOCK_NAME
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ReportError(
                f"another revlab report is writing into {out} ({holder}); wait for it to "
                "finish, or give this run another --out."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"pid {os.getpid()}, started {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M:%S} UTC"
        )
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)  # released: the file names no holder
    finally:
        handle.close()


def _skipped_sections(notebooks, work: Path, log) -> list[tuple[str, str, str]]:
    """Every section the notebooks skipped for want of data (not optional ones), logged."""
    found = []
    for nb in notebooks:
        for skip in scorecard.read_section(work / nb.name, nb.stem).skipped:
            if skip.get("optional"):
                continue
            reason = skip.get("reason", "")
            if skip.get("because"):
                reason = f"needs {skip['because']}, skipped above"
            elif skip.get("same_as"):
                reason = f"as {skip['same_as']}: {reason}"
            found.append((nb.stem, skip["analysis"], reason))
    for nb, title, reason in found:
        log(f"  skipped in {nb}: {title}: {reason}")
    return found


def _run_all(notebooks, specs, params, work: Path, failed_dir: Path, progress, log):
    import papermill

    seconds = {}
    for i, nb in enumerate(notebooks, 1):
        log(f"[{i}/{len(notebooks)}] {nb.name} …")
        start = time.perf_counter()
        target = work / nb.name
        try:
            execute(nb, target, nbparams.for_notebook(params, specs[nb]), progress=progress)
        except papermill.PapermillExecutionError as exc:
            _keep_failed(target, failed_dir, work)
            raise NotebookFailed(
                f"{nb.name} failed in cell {exc.cell_index + 1} ({exc.ename}: {exc.evalue}).\n"
                f"The executed notebook is kept at {failed_dir / nb.name}; the previous report "
                "is untouched."
            ) from None
        seconds[nb.stem] = time.perf_counter() - start
        log(f"[{i}/{len(notebooks)}] {nb.name} done in {seconds[nb.stem]:.1f} s")
        _log_stderr(nb, target, log)
    return seconds


def _log_stderr(nb: Path, executed: Path, log) -> None:
    """What the notebook wrote to stderr (warnings, progress bars): the log's, not the page's."""
    import nbformat

    lines: list[str] = []
    for text in pages.stderr_of(nbformat.read(executed, as_version=4)):
        for line in text.replace("\r", "\n").splitlines():
            line = line.strip()
            if line and line not in lines:
                lines.append(line)
    for line in lines[:20]:
        log(f"  {nb.stem} stderr: {line[:300]}")
    if len(lines) > 20:
        log(f"  {nb.stem} stderr: … {len(lines) - 20} more lines, in the page with code")


def _keep_failed(target: Path | None, failed_dir: Path, work: Path) -> None:
    """Keep the failed notebook (or, with ``target`` None, every executed one) for debugging."""
    shutil.rmtree(failed_dir, ignore_errors=True)
    failed_dir.mkdir(parents=True)
    kept = [target] if target is not None else sorted(work.glob("*.ipynb"))
    for path in kept:
        if path.exists():
            shutil.copy2(path, failed_dir / path.name)
    shutil.rmtree(work, ignore_errors=True)


def _render_all(
    notebooks, work: Path, q: Quarter, as_of: str, label: str, run_date: str, final=None
):
    """Both pages of every executed notebook; its sections for the scorecard.

    The analyst's page names the report's folder as it will be (``final``), not the run's
    temporary one that the notebooks were given (``output_dir``), which is gone afterwards.
    """
    import nbformat

    moved = (lambda text: text.replace(str(work), str(final))) if final else (lambda text: text)

    sections = []
    for nb in notebooks:
        executed = work / nb.name
        title = pages.notebook_title(nbformat.read(executed, as_version=4))
        info = pages.PageInfo(title, str(q), as_of, label, run_date)
        figures = work / "figures"  # both pages link the same files
        (work / f"{nb.stem}.html").write_text(
            pages.render(executed, info, with_code=False, figures=figures), encoding="utf-8"
        )
        (work / f"{nb.stem}.code.html").write_text(
            moved(pages.render(executed, info, with_code=True, figures=figures)), encoding="utf-8"
        )
        sections.append(scorecard.read_section(executed, title))
    return sections


def _swap_in(work: Path, final: Path) -> None:
    """Replace ``final`` by ``work`` with renames only, so a reader never sees half a report."""
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    work.rename(final)
    shutil.rmtree(old, ignore_errors=True)
