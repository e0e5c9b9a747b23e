"""Working days from chinesecalendar's 2026 arrangement (国办发明电〔2025〕7号): holidays, 调休 working
weekends, the day of an event not counted, and the weekend-only fallback for a year the package lacks,
which is noted and logged, never silent."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest

from assistant.cases.calendar import WorkCalendar, unknown_year_note


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_2026_holidays_are_not_working_days(cal: WorkCalendar) -> None:
    for day in (date(2026, 1, 1), date(2026, 2, 17), date(2026, 4, 6), date(2026, 5, 5), date(2026, 10, 7)):
        assert day.weekday() < 5 and not cal.is_working_day(day), day


def test_2026_tiaoxiu_weekends_are_working_days(cal: WorkCalendar) -> None:
    for day in (date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20)):
        assert day.weekday() >= 5 and cal.is_working_day(day), day
    assert cal.is_working_day(date(2026, 10, 10))  # a Saturday after National Day
    assert not cal.is_working_day(date(2026, 10, 17))  # the Saturday after that is an ordinary one
    assert cal.is_working_day(date(2026, 3, 2)) and not cal.is_working_day(date(2026, 3, 7))


def test_the_day_of_the_event_does_not_count(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2026, 3, 2), 5) == date(2026, 3, 9)  # Monday: Tue..Fri, Mon
    assert cal.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)
    assert cal.add_working_days(date(2026, 3, 2), 0) == date(2026, 3, 2)
    # Received on a Saturday: Monday is day 1.
    assert cal.add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    assert cal.add_working_days(date(2026, 3, 7), 5) == date(2026, 3, 13)


def test_periods_step_over_holidays_and_onto_tiaoxiu_saturdays(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Friday, then the working Saturday
    assert cal.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)  # over the Spring Festival
    assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)  # over National Day
    # Received on a holiday (Saturday 3 October): 8, 9, 10 (Saturday, worked), 12, 13 October.
    assert cal.add_working_days(date(2026, 10, 3), 5) == date(2026, 10, 13)


def test_working_days_between_counts_after_the_first_day_up_to_the_last(cal: WorkCalendar) -> None:
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3  # 8, 9 and 10 October
    assert cal.working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == -3
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert cal.working_days_between(date(2026, 3, 6), date(2026, 3, 8)) == 0  # Friday to Sunday


def test_add_and_between_are_inverse_over_the_whole_year(cal: WorkCalendar) -> None:
    start = date(2026, 1, 1)
    for offset in range(0, 365, 3):
        a = start + timedelta(days=offset)
        for n in (0, 1, 5, 20):
            b = cal.add_working_days(a, n)
            assert cal.working_days_between(a, b) == n
            assert n == 0 or cal.is_working_day(b)
            # nothing between a and b is skipped: the day before b is at most n - 1 working days after a
            assert n == 0 or cal.working_days_between(a, b - timedelta(days=1)) == n - 1


def test_a_negative_period_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="-1 working days"):
        cal.add_working_days(date(2026, 3, 2), -1)


def test_datetimes_count_by_their_day(cal: WorkCalendar) -> None:
    at = datetime(2026, 3, 2, 17, 45)
    assert cal.add_working_days(at, 5) == date(2026, 3, 9)
    assert cal.working_days_between(at, datetime(2026, 3, 9, 8, 0)) == 5
    assert cal.is_working_day(datetime(2026, 2, 14, 9, 0))


def test_a_year_the_package_lacks_counts_weekends_only_and_says_so(
    cal: WorkCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    assert 2027 not in cal.known_years and 2026 in cal.known_years
    assert cal.notes == () and cal.notes_between(date(2026, 1, 1), date(2026, 12, 31)) == ()
    with caplog.at_level(logging.WARNING, logger="assistant.cases.calendar"):
        # 1 January 2027 is a Friday: without the year's arrangement it counts as a working day.
        assert cal.is_working_day(date(2027, 1, 1))
        assert not cal.is_working_day(date(2027, 1, 2))
        # Over the year end: 31 December, 1 January (counted), Monday 4 January.
        assert cal.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 4)
    note = "2027 年的法定节假日安排尚未收录，按周末计算工作日"
    assert unknown_year_note(2027) == note
    assert cal.notes == (note,)
    assert cal.notes_between(date(2026, 12, 30), date(2027, 1, 4)) == (note,)
    assert cal.note_for(2027) == note and cal.note_for(2026) is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and note in warnings[0].getMessage()  # logged once per year, not per day


def test_years_before_the_package_are_noted_too(cal: WorkCalendar) -> None:
    first = cal.known_years.start
    assert cal.notes_between(date(first - 1, 12, 1), date(first, 1, 31)) == (unknown_year_note(first - 1),)
    assert cal.notes_between(date(2027, 6, 1), date(2028, 6, 1)) == (unknown_year_note(2027), unknown_year_note(2028))
