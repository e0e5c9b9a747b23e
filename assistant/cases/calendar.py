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
from bisect import bisect_left
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
        # year -> running count of working days from 1 January through each day of the year
        self._running: dict[int, list[int]] = {}

    def is_working_day(self, day: date) -> bool:
        day = as_date(day)
        table, i = self._table(day.year), _day_index(day)
        return table[i] > (table[i - 1] if i else 0)

    def add_working_days(self, start: date, n: int) -> date:
        """The *n*-th working day after ``start`` (``start`` itself never counts); ``start`` when n is 0."""
        if n < 0:
            raise ValueError(f"a period counts forward: {n} working days")
        day = as_date(start)
        if n == 0:
            return day
        year, target = day.year, self._through(day) + n
        while target > (table := self._table(year))[-1]:
            target -= table[-1]
            year += 1
        return date(year, 1, 1) + timedelta(days=bisect_left(table, target))

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``; negative, counted the same way, when b < a.

        The inverse of ``add_working_days``: ``add_working_days(a, working_days_between(a, b)) == b``
        whenever b is a working day after a.
        """
        a, b = as_date(a), as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        whole_years = sum(self._table(year)[-1] for year in range(a.year, b.year))
        return whole_years + self._through(b) - self._through(a)

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

    def _through(self, day: date) -> int:
        """Working days from 1 January of ``day``'s year through ``day``."""
        return self._table(day.year)[_day_index(day)]

    def _table(self, year: int) -> list[int]:
        table = self._running.get(year)
        if table is None:
            official = year in self.known_years
            if not official:
                self._fallback(year)
            table, count, day = [], 0, date(year, 1, 1)
            while day.year == year:
                count += bool(chinese_calendar.is_workday(day)) if official else day.weekday() < 5
                table.append(count)
                day += _DAY
            self._running[year] = table
        return table

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


def _day_index(day: date) -> int:
    """0 for 1 January."""
    return day.toordinal() - date(day.year, 1, 1).toordinal()


def as_date(value: date) -> date:
    """A datetime's date (a datetime is a date too, but compares badly with one)."""
    return value.date() if isinstance(value, datetime) else value
