"""Fiscal quarters: bounds, naming, arithmetic, parsing, and pandas labels agree."""

import pandas as pd
import pytest

from revlab.periods import (
    CALENDAR,
    FiscalCalendar,
    PeriodError,
    Quarter,
    quarter_label,
    quarters_between,
)

FEB = FiscalCalendar(2)
FEB_START = FiscalCalendar(2, "start")


def test_feb_start_named_by_end():
    q = Quarter.parse("FY2027Q1", FEB)
    assert (q.start, q.end) == (pd.Timestamp("2026-02-01"), pd.Timestamp("2026-05-01"))
    assert str(q) == "FY2027Q1"


def test_feb_start_named_by_start():
    q = Quarter.containing("2026-02-01", FEB_START)
    assert str(q) == "FY2026Q1"
    assert q.start == pd.Timestamp("2026-02-01")


def test_shift_across_years_keeps_calendar():
    q = Quarter.parse("FY2027Q4", FEB)
    assert q.start == pd.Timestamp("2026-11-01") and q.end == pd.Timestamp("2027-02-01")
    nxt = q.shift(1)
    assert str(nxt) == "FY2028Q1" and nxt.cal == FEB
    assert str(q.year_ago) == "FY2026Q4" and str(q.previous) == "FY2027Q3"


def test_containing_january_is_last_quarter_of_fiscal_year():
    assert str(Quarter.containing("2027-01-31", FEB)) == "FY2027Q4"
    assert str(Quarter.containing("2026-01-31", FEB)) == "FY2026Q4"


@pytest.mark.parametrize("cal", [CALENDAR, FEB, FEB_START, FiscalCalendar(7), FiscalCalendar(12)])
def test_parse_round_trip_and_contiguous(cal):
    quarters = quarters_between(
        Quarter.containing("2024-03-15", cal), Quarter.containing("2027-11-02", cal)
    )
    for a, b in zip(quarters, quarters[1:], strict=False):
        assert a.end == b.start
        assert Quarter.parse(str(a), cal) == a
        assert Quarter.containing(a.start, cal) == a and a.contains(a.last_day)


def test_calendar_default_unchanged():
    q = Quarter.parse("2026Q3")
    assert str(q) == "2026Q3" and q.start == pd.Timestamp("2026-07-01")
    assert q.end == pd.Timestamp("2026-10-01") and q.cal == CALENDAR
    assert Quarter(2026, 3) == q


def test_fiscal_label_refused_on_calendar():
    with pytest.raises(PeriodError, match="fiscal year start"):
        Quarter.parse("FY2027Q1")


@pytest.mark.parametrize("month", [0, 13])
def test_out_of_range_start_month(month):
    with pytest.raises(PeriodError, match="1 to 12"):
        FiscalCalendar(month)


@pytest.mark.parametrize("cal", [CALENDAR, FEB, FEB_START, FiscalCalendar(10)])
def test_pandas_labels_match_quarter(cal):
    days = pd.Series(pd.date_range("2025-01-01", "2027-12-31", freq="7D"))
    expected = [str(Quarter.containing(d, cal)) for d in days]
    assert quarter_label(days, cal).tolist() == expected


def test_setup_on_a_fiscal_calendar(demo_company):
    from revlab import present

    untargeted = {k: v for k, v in demo_company.tables.items() if k != "targets"}
    run = present.setup(source=untargeted, quarter="latest", fiscal_year_start=2, show=False)
    assert run.quarter.cal == FEB and str(run.quarter).startswith("FY")
    assert run.as_of == run.quarter.end and run.as_of.month in (2, 5, 8, 11)
    assert run.parameters["fiscal_year_start"] == 2
    with pytest.raises(PeriodError, match="1 to 12"):
        present.setup(source=untargeted, fiscal_year_start=13, show=False)


def test_demo_quarter_bounds_accept_fiscal_quarters():
    from revlab.demo._calendar import Calendar

    cal = Calendar("2025-01-01", "2026-12-31")
    start, end = cal.quarter_bounds("FY2027Q1", FEB)
    assert (start, end) == (
        cal.to_days(pd.Timestamp("2026-02-01")),
        cal.to_days(pd.Timestamp("2026-05-01")),
    )
    assert cal.quarter_bounds(Quarter.parse("FY2027Q1", FEB)) == (start, end)


@pytest.mark.parametrize("month", [1, 2, 3, 4, 11, 12])
def test_truncate_quarter_in_the_engine_matches_pandas(month):
    import ibis

    from revlab.periods import to_quarter_period, truncate_quarter

    cal = FiscalCalendar(month)
    when = pd.Series(pd.date_range("2024-12-30", "2027-03-02", freq="37h"), name="t")
    table = ibis.memtable(when.to_frame())
    got = table.select(q=truncate_quarter(table.t, cal)).to_pandas()["q"]
    want = to_quarter_period(when, cal).dt.start_time
    assert (pd.to_datetime(got).to_numpy() == want.to_numpy()).all()


def test_period_labels():
    from revlab.periods import period_labels

    periods = pd.period_range("2026-02-01", "2026-11-30", freq=FEB.freq)
    assert list(period_labels(periods, FEB)) == ["FY2027Q1", "FY2027Q2", "FY2027Q3", "FY2027Q4"]
    assert list(period_labels(pd.period_range("2026Q3", "2026Q4", freq="Q"))) == [
        "2026Q3",
        "2026Q4",
    ]


def test_targets_on_another_calendar_are_refused_naming_rows_and_fix(tiny_tables):
    from revlab.schema import SchemaError
    from revlab.sources import connect

    src = connect(tiny_tables)
    src.check_calendar()  # calendar labels on a calendar run
    with pytest.raises(SchemaError, match=r"targets\.quarter: 1 row names calendar quarters") as e:
        src.on_calendar(FEB).check_calendar()
    assert "starts in February" in str(e.value) and "(quarter 2024Q1)" in str(e.value)
    assert "FY2027Q1" in str(e.value)
    fiscal = {**tiny_tables, "targets": pd.DataFrame({"quarter": ["FY2024Q4"],
                                                      "bookings_target": [1.0]})}  # fmt: skip
    connect(fiscal).validate()  # an FY label is a well-formed quarter
    connect(fiscal).on_calendar(FEB).check_calendar()
    with pytest.raises(SchemaError, match=r"names fiscal quarters .*--fiscal-year-start"):
        connect(fiscal).check_calendar()


def test_a_fiscal_run_looks_targets_up_by_fiscal_label(tiny_tables):
    from revlab import forecast, funnel
    from revlab.sources import connect

    fiscal = {**tiny_tables, "targets": pd.DataFrame({"quarter": ["FY2024Q1"],
                                                      "bookings_target": [7.0]})}  # fmt: skip
    src = connect(fiscal).on_calendar(FEB)
    assert forecast.quarter_target(src, "FY2024Q1")[0] == 7.0
    assert funnel.pipeline_coverage(src, quarter="FY2024Q1")["bookings_target"].iloc[0] == 7.0
