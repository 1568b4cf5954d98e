"""Time-based evaluation: train on earlier snapshots, test on later ones, H days apart.

A snapshot's label looks ``horizon_days`` (H) into the future, so a training snapshot taken less
than H days before the test period would have seen test-period outcomes. :func:`time_split`
leaves a gap of at least H between the last training snapshot and the first test snapshot, and
keeps only snapshots whose label window is complete. Dated data get no random split: a random
split mixes the future into training and flatters any model.

:func:`ordered_split` and :func:`random_split` serve undated tables (see
:mod:`revlab.propensity.generic`), where row order may be the only clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revlab.errors import DataError


class SplitError(DataError):
    """The data cannot be split as asked (too little history, an empty side, a random split)."""


@dataclass(frozen=True)
class TimeSplit:
    """Training and test snapshots, with the dates that separate them."""

    train: pd.DataFrame
    test: pd.DataFrame
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    gap_days: int

    def describe(self, *, time_col: str = "snapshot_at", label: str = "label") -> pd.DataFrame:
        """One row per side: first and last snapshot, snapshots, rows, positives and rate."""
        rows = []
        for part, frame in (("train", self.train), ("test", self.test)):
            rows.append(
                {
                    "part": part,
                    "first": frame[time_col].min(),
                    "last": frame[time_col].max(),
                    "snapshots": frame[time_col].nunique(),
                    "prospects": len(frame),
                    "buyers": int(frame[label].sum()),
                    "rate": float(frame[label].mean()) if len(frame) else np.nan,
                }
            )
        return pd.DataFrame(rows)


def time_split(
    frame: pd.DataFrame,
    *,
    horizon_days: int = 90,
    test_days: int = 91,
    test_start: str | pd.Timestamp | None = None,
    time_col: str = "snapshot_at",
) -> TimeSplit:
    """Split label-complete snapshots by date, leaving ``horizon_days`` between the sides.

    Parameters
    ----------
    frame
        A snapshot frame (:func:`revlab.propensity.build_snapshots`).
    horizon_days
        The label window H; the gap between the last training and first test snapshot.
    test_days
        Length of the test period, ending at the last label-complete snapshot.
    test_start
        First test date, instead of deriving it from ``test_days``.
    """
    done = frame[frame["label_complete"]] if "label_complete" in frame else frame
    if done.empty:
        raise SplitError(
            "no snapshot has a complete label window yet: every snapshot is less than "
            f"{horizon_days} days before the data cut. Use more history or a shorter horizon."
        )
    last = done[time_col].max()
    start = (
        pd.Timestamp(test_start)
        if test_start is not None
        else last - pd.Timedelta(days=test_days - 1)
    )
    train_end = start - pd.Timedelta(days=horizon_days)
    train = done[done[time_col] <= train_end]
    test = done[(done[time_col] >= start) & (done[time_col] <= last)]
    if train.empty or test.empty:
        side = "training" if train.empty else "test"
        raise SplitError(
            f"the {side} side is empty: test from {start:%Y-%m-%d}, training up to "
            f"{train_end:%Y-%m-%d} ({horizon_days}-day gap); snapshots run "
            f"{done[time_col].min():%Y-%m-%d} to {last:%Y-%m-%d}. Use more history, a shorter "
            "test period or a shorter horizon."
        )
    return TimeSplit(
        train.reset_index(drop=True),
        test.reset_index(drop=True),
        train[time_col].max(),
        test[time_col].min(),
        last,
        horizon_days,
    )


def ordered_split(
    frame: pd.DataFrame, *, test_share: float = 0.2, time_col: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First ``1 - test_share`` of the rows (by ``time_col``, else row order) vs the rest."""
    _check_share(test_share, len(frame))
    ordered = frame.sort_values(time_col, kind="stable") if time_col else frame
    cut = int(round(len(frame) * (1 - test_share)))
    return ordered.iloc[:cut], ordered.iloc[cut:]


def random_split(
    frame: pd.DataFrame,
    *,
    test_share: float = 0.2,
    seed: int = 0,
    stratify: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded random split, for undated tables only (it ignores any drift over time).

    With ``stratify`` (a column, usually the outcome) each of its values is split in the same
    proportion, so both sides keep the buyer rate. Both sides come back in shuffled order, so
    nothing downstream mistakes row order for time.
    """
    _check_share(test_share, len(frame))
    rng = np.random.default_rng(seed)
    if stratify is None:
        order = rng.permutation(len(frame))
        cut = int(round(len(frame) * (1 - test_share)))
        return frame.iloc[order[:cut]], frame.iloc[order[cut:]]
    train, test = [], []
    for _, rows in sorted(frame.groupby(stratify, sort=True).indices.items()):
        rows = rng.permutation(rows)
        cut = int(round(len(rows) * (1 - test_share)))
        train.append(rows[:cut])
        test.append(rows[cut:])
    train_rows, test_rows = (
        rng.permutation(np.concatenate(train)),
        rng.permutation(np.concatenate(test)),
    )
    return frame.iloc[train_rows], frame.iloc[test_rows]


def _check_share(test_share: float, n: int) -> None:
    if not 0 < test_share < 1:
        raise SplitError(f"test_share must lie between 0 and 1, got {test_share}.")
    if n < 10:
        raise SplitError(f"only {n} rows: too few to hold out a test set; provide more data.")
