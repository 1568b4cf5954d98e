"""The pipeline at any date, how it moved between two dates, which deals slip, and its worth.

Everything is rebuilt from each deal's recorded changes (``stage_history``: stage, amount and
expected close date after each change) and computed in the engine through Ibis; only small
frames come back.

- :func:`pipeline_at` / :func:`open_pipeline`: the deals open at a date, with their values then.
- :func:`waterfall` / :func:`movements`: opening pipeline of a target quarter, + new, + pulled
  in, − slipped out, − lost, − won, ± amount changes, = closing; every deal in one movement.
  :func:`closed_in_window`: what was won and lost in the window, including deals that entered
  the quarter's pipeline after the start (which the bridge leaves out).
- :func:`slip_analysis` / :func:`close_date_pushes`: how often close dates are pushed, and the
  win rate of slipped vs never-slipped deals (Wilson intervals), by segment or owner.
- :func:`expected_value` / :func:`calibrated_win_rates`: stage-weighted and history-calibrated
  expected value of the open pipeline, with no look-ahead.
- :func:`check_history` / :func:`validate_history`: history rows before a deal's creation,
  changes out of time order, histories that contradict the deal's final state.
"""

from revlab.pipeline.checks import check_history, validate_history
from revlab.pipeline.expected import DEFAULT_STAGE_WEIGHTS, calibrated_win_rates, expected_value
from revlab.pipeline.slips import close_date_pushes, slip_analysis
from revlab.pipeline.snapshot import open_pipeline, pipeline_at
from revlab.pipeline.waterfall import MOVEMENTS, closed_in_window, movements, waterfall

__all__ = [
    "DEFAULT_STAGE_WEIGHTS",
    "MOVEMENTS",
    "calibrated_win_rates",
    "check_history",
    "closed_in_window",
    "close_date_pushes",
    "expected_value",
    "movements",
    "open_pipeline",
    "pipeline_at",
    "slip_analysis",
    "validate_history",
    "waterfall",
]
