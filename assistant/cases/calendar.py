"""Working days for statutory periods (行政许可法 §82: periods count working days, statutory holidays excluded).

Holidays and the 调休 working weekends come from the ``chinesecalendar`` package, offline. The State
Council publishes each year's arrangement late in the year before, so the package knows a range of
years only; for a year outside it the calendar counts Monday to Friday as working days and says so:
each such year gets a plain note (``note_for``), a warning in the log the first time it is used, and
the case shows the note, so nobody mistakes a weekend-only count for the official one.

Counting follows the 民法典 §201 rule the 行政许可法 periods are read with: the day of the event (a
receipt, an acceptance) does not count; the period starts on the next working day, and a period of
*n* days ends at the end of the *n*-th working day after the event. A receipt on a weekend or holiday
therefore has the first working day after it as day 1.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import chinese_calendar
from chinese_calendar.constants import holidays as _HOLIDAYS

log = logging.getLogger(__name__)
_DAY = timedelta(days=1)


def unknown_year_note(year: int) -> str:
    """What a case says when ``year``'s holidays are not known and only weekends are excluded."""
    return f"{year} 年的法定节假日安排尚未收录，按周末计算工作日"


class WorkCalendar:
    """Working days: chinesecalendar's for the years it knows, Monday to Friday for the others.

    One instance can serve every case; ``notes`` gathers the notes of every unknown year it has been
    asked about (for the log and the status page), while ``notes_between(a, b)`` gives those of one
    span (for one case).
    """

    def __init__(self) -> None:
        years = {day.year for day in _HOLIDAYS}
        self.known_years: range = range(min(years), max(years) + 1)
        self._fallback_years: set[int] = set()

    def is_working_day(self, day: date) -> bool:
        day = as_date(day)
        if day.year in self.known_years:
            return bool(chinese_calendar.is_workday(day))
        self._fallback(day.year)
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The *n*-th working day after ``start`` (``start`` itself never counts); ``start`` when n is 0."""
        if n < 0:
            raise ValueError(f"a period counts forward: {n} working days")
        day = as_date(start)
        while n:
            day += _DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``; negative, counted the same way, when b < a.

        The inverse of ``add_working_days``: ``add_working_days(a, working_days_between(a, b)) == b``
        whenever b is a working day after a.
        """
        a, b = as_date(a), as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += _DAY
            count += self.is_working_day(day)
        return count

    def note_for(self, year: int) -> str | None:
        """The note for ``year`` if its holidays are not known, else None."""
        return None if year in self.known_years else unknown_year_note(year)

    def notes_between(self, a: date, b: date) -> tuple[str, ...]:
        """Notes for the unknown years a span touches, in order (empty when every year is known)."""
        first, last = sorted((as_date(a).year, as_date(b).year))
        return tuple(note for year in range(first, last + 1) if (note := self.note_for(year)))

    @property
    def notes(self) -> tuple[str, ...]:
        """Notes for every unknown year this calendar has counted with so far."""
        return tuple(unknown_year_note(year) for year in sorted(self._fallback_years))

    def _fallback(self, year: int) -> None:
        if year not in self._fallback_years:
            self._fallback_years.add(year)
            log.warning(
                "chinesecalendar %s knows %d-%d only: %s",
                getattr(chinese_calendar, "__version__", "?"),
                self.known_years.start,
                self.known_years.stop - 1,
                unknown_year_note(year),
            )


def as_date(value: date) -> date:
    """A datetime's date (a datetime is a date too, but compares badly with one)."""
    return value.date() if isinstance(value, datetime) else value
