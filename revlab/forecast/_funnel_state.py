"""The funnel model's inputs as plain frames and back, so a saved fit can still predict."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd

from revlab.forecast.funnel_data import FunnelData, Rows
from revlab.periods import FiscalCalendar, Quarter

_META = ("as_of", "quarter", "channels", "segments", "stages", "booked", "has_dq", "notes",
         "leads_are_deals")  # fmt: skip


def to_frames(data: FunnelData) -> dict[str, pd.DataFrame]:
    """Every field of ``data`` as a frame: arrays flattened with their shapes in ``meta``."""
    shapes = {}
    frames: dict[str, pd.DataFrame] = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if f.name in _META:
            continue
        if isinstance(value, Rows):
            cols = {k: getattr(value, k) for k in ("cell", "lo", "hi", "n")}
            if value.key is not None:
                cols["key"] = value.key
                keys = {"key_cell": value.key_cell, "key_age": value.key_age}
                frames[f"keys_{f.name}"] = pd.DataFrame(keys)
            frames[f"rows_{f.name}"] = pd.DataFrame(cols)
        elif isinstance(value, pd.DataFrame):
            frames[f"frame_{f.name}"] = value.reset_index(drop=True)
        else:
            arr = np.asarray(value, dtype=float)
            shapes[f.name] = list(arr.shape)
            frames[f"arr_{f.name}"] = pd.DataFrame({"v": arr.ravel()})
    meta = {
        "as_of": str(data.as_of),
        "quarter": str(data.quarter),
        "channels": list(data.channels),
        "segments": list(data.segments),
        "stages": list(data.stages),
        "booked": float(data.booked),
        "has_dq": bool(data.has_dq),
        "notes": list(data.notes),
        "leads_are_deals": bool(data.leads_are_deals),
        "shapes": shapes,
    }
    if not data.quarter.cal.is_calendar:  # a fiscal quarter's label needs its calendar back
        meta["fiscal"] = [data.quarter.cal.start_month, data.quarter.cal.named_by]
    frames["meta"] = pd.DataFrame({"json": [json.dumps(meta)]})
    return frames


def from_frames(frames: dict[str, pd.DataFrame]) -> FunnelData:
    """Inverse of :func:`to_frames`."""
    meta = json.loads(str(frames["meta"]["json"].iloc[0]))
    kwargs: dict = {
        "as_of": pd.Timestamp(meta["as_of"]),
        "quarter": Quarter.parse(meta["quarter"], FiscalCalendar(*meta.get("fiscal", [1, "end"]))),
        "channels": tuple(meta["channels"]),
        "segments": tuple(meta["segments"]),
        "stages": tuple(meta["stages"]),
        "booked": meta["booked"],
        "has_dq": meta["has_dq"],
        "notes": meta["notes"],
        "leads_are_deals": meta.get("leads_are_deals", False),
    }
    for name, shape in meta["shapes"].items():
        kwargs[name] = frames[f"arr_{name}"]["v"].to_numpy(float).reshape(shape)
    for key, frame in frames.items():
        if key.startswith("rows_"):
            name = key[5:]
            extra = {}
            if "key" in frame.columns:
                k = frames[f"keys_{name}"]
                extra = {
                    "key": frame["key"].to_numpy(np.int64),
                    "key_cell": k["key_cell"].to_numpy(np.int64),
                    "key_age": k["key_age"].to_numpy(float),
                }
            kwargs[name] = Rows(
                frame["cell"].to_numpy(np.int64),
                frame["lo"].to_numpy(float),
                frame["hi"].to_numpy(float),
                frame["n"].to_numpy(float),
                **extra,
            )
        elif key.startswith("frame_"):
            kwargs[key[6:]] = frame
    return FunnelData(**kwargs)
