"""A tiny hand-built deal history whose 2024Q2 waterfall is worked out by hand in the tests.

Target quarter 2024Q2 (Apr 1 - Jul 1), window Apr 1 -> Jul 1. Amounts in thousands.

======  ========================================================  ==============  ==========
deal    story                                                     movement        value
======  ========================================================  ==============  ==========
A       in Q2 at Apr 1 (10), won May 20 at 12                     won             -10
B       in Q2 (20), lost Jun 10                                   lost            -20
C       in Q2 (30), pushed Jun 15 to Sep 30 and Jun 25 to Dec 31  slipped_out     -30
D       in Q2 (40), amount to 45 on May 1, still open             amount_change   +5
E       in Q2 (50), to proposal Apr 10 at the same amount         unchanged       0
F       created Apr 15 (60), close Jun 30                         new             +60
G       created Mar 20 expecting Aug 31, pulled to Jun 30 May 5   pulled_in       +70
H       created Apr 20 and won Jun 1 (in and out: no movement)    -               -
I       expected Mar 31, overdue at Apr 1, pushed Apr 2 to Jun 30 pulled_in       +90
J       won Mar 15, before the window                             -               -
K       created Jul 5, after the window                           -               -
L       open all along, expected Sep 30                           -               -
M       in Q2 (15), pushed Jun 2 to Aug 31, then lost Jun 20      lost            -15
P       created May 1 (25), amount to 35 Jun 1                    new             +35
Q       in Q2 (5) expecting Apr 30, won May 3 (close after date)  won             -5
======  ========================================================  ==============  ==========

opening 170 (7 deals) + new 95 (2) + pulled in 160 (2) - slipped 30 (1) - lost 35 (2)
- won 15 (2) + amount changes 5 (1) = closing 350 (6 deals: D, E, F, G, I, P).
"""

from __future__ import annotations

import pandas as pd
import pytest

T = pd.Timestamp
# deal: (segment, owner, [(entered_at, stage, amount, close_date), ...]); the last row is final.
DEALS: dict[str, tuple[str, str, list[tuple]]] = {
    "A": ("smb", "AE-1", [("2024-03-01", "discovery", 10, "2024-05-31"),
                          ("2024-05-20", "closed_won", 12, "2024-05-20")]),
    "B": ("smb", "AE-1", [("2024-03-05", "discovery", 20, "2024-06-30"),
                          ("2024-06-10", "closed_lost", 20, "2024-06-10")]),
    "C": ("smb", "AE-2", [("2024-02-01", "discovery", 30, "2024-06-30"),
                          ("2024-06-15", "discovery", 30, "2024-09-30"),
                          ("2024-06-25", "discovery", 30, "2024-12-31")]),
    "D": ("smb", "AE-2", [("2024-03-10", "discovery", 40, "2024-06-30"),
                          ("2024-05-01", "demo", 45, "2024-06-30")]),
    "E": ("smb", "AE-1", [("2024-03-15", "discovery", 50, "2024-06-15"),
                          ("2024-04-10", "proposal", 50, "2024-06-15")]),
    "F": ("smb", "AE-2", [("2024-04-15", "discovery", 60, "2024-06-30")]),
    "G": ("enterprise", "AE-3", [("2024-03-20", "discovery", 70, "2024-08-31"),
                                 ("2024-05-05", "discovery", 70, "2024-06-30")]),
    "H": ("enterprise", "AE-3", [("2024-04-20", "discovery", 80, "2024-06-30"),
                                 ("2024-06-01", "closed_won", 80, "2024-06-01")]),
    "I": ("enterprise", "AE-3", [("2024-01-10", "discovery", 90, "2024-03-31"),
                                 ("2024-04-02", "discovery", 90, "2024-06-30")]),
    "J": ("enterprise", "AE-1", [("2024-01-05", "discovery", 100, "2024-03-31"),
                                 ("2024-02-01", "proposal", 100, "2024-03-31"),
                                 ("2024-03-15", "closed_won", 100, "2024-03-15")]),
    "K": ("enterprise", "AE-2", [("2024-07-05", "discovery", 110, "2024-06-30")]),
    "L": ("enterprise", "AE-2", [("2024-03-01", "discovery", 120, "2024-09-30")]),
    "M": ("enterprise", "AE-1", [("2024-03-02", "discovery", 15, "2024-05-31"),
                                 ("2024-06-02", "discovery", 15, "2024-08-31"),
                                 ("2024-06-20", "closed_lost", 15, "2024-06-20")]),
    "P": ("enterprise", "AE-3", [("2024-05-01", "discovery", 25, "2024-06-30"),
                                 ("2024-06-01", "discovery", 35, "2024-06-30")]),
    "Q": ("smb", "AE-2", [("2024-03-01", "discovery", 5, "2024-04-30"),
                          ("2024-05-03", "closed_won", 5, "2024-05-03")]),
}  # fmt: skip

#: The movement of each deal in the 2024Q2 waterfall from Apr 1 to Jul 1, and its value.
EXPECTED = {
    "A": ("won", -10), "B": ("lost", -20), "C": ("slipped_out", -30),
    "D": ("amount_change", 5), "E": ("unchanged", 0), "F": ("new", 60), "G": ("pulled_in", 70),
    "I": ("pulled_in", 90), "M": ("lost", -15), "P": ("new", 35), "Q": ("won", -5),
}  # fmt: skip


def build(deals: dict = DEALS) -> dict[str, pd.DataFrame]:
    """``opportunities`` and ``stage_history`` from the deal stories (final state = last row)."""
    history, opps = [], []
    for deal, (segment, owner, rows) in deals.items():
        for at, stage, amount, close in rows:
            history.append((deal, stage, T(at), float(amount), T(close)))
        at, stage, amount, close = rows[-1]
        closed = stage.startswith("closed")
        opps.append({
            "opportunity_id": deal, "created_at": T(rows[0][0]), "amount": float(amount),
            "is_closed": closed, "is_won": stage == "closed_won", "stage": stage,
            "close_date": T(close), "closed_at": T(at) if closed else pd.NaT,
            "segment": segment, "owner": owner,
        })  # fmt: skip
    h = pd.DataFrame(
        history, columns=["opportunity_id", "stage", "entered_at", "amount", "close_date"]
    )
    o = pd.DataFrame(opps)
    for frame in (h, o):
        for col in frame.columns:
            if frame[col].dtype.kind == "M":
                frame[col] = frame[col].astype("datetime64[us]")
    return {"opportunities": o, "stage_history": h}


@pytest.fixture
def expected_movements() -> dict[str, tuple[str, float]]:
    """Each deal's movement in the 2024Q2 waterfall from Apr 1 to Jul 1, worked out by hand."""
    return dict(EXPECTED)


@pytest.fixture
def deal_tables() -> dict[str, pd.DataFrame]:
    """The hand-built opportunities and stage_history of the module docstring."""
    return build()


@pytest.fixture
def deal_source(deal_tables):
    """A source over the hand-built deals, cut at 2024-07-10."""
    from revlab.sources import connect

    return connect(deal_tables, as_of="2024-07-10")
