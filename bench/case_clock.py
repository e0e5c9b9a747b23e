"""Case deadlines per second: ``WorkCalendar``'s running totals vs a plain day-by-day walk over chinesecalendar.

    .venv/bin/python -m bench.case_clock [--cases 2000] [--seed 7]

Synthetic clock histories over 2026 (receipt, acceptance or a correction round, up to two pauses,
sometimes an extension, ending near the year end so some periods run into 2027) are derived by
``compute_deadlines`` twice in one run: with ``WorkCalendar`` and with a calendar that walks day by
day asking ``chinese_calendar.is_workday`` (the obvious way to write it). Both must give the same
deadlines for every case; the figure is the ratio of their rates. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date, timedelta

import chinese_calendar

from assistant.cases.calendar import WorkCalendar, as_date
from assistant.cases.deadlines import ClockEvent, Deadlines, compute_deadlines
from assistant.cases.item_rules import ItemRules

_DAY = timedelta(days=1)


class DayWalkCalendar(WorkCalendar):
    """The baseline: every question answered by walking the days and asking chinesecalendar about each."""

    def is_working_day(self, day: date) -> bool:
        day = as_date(day)
        if day.year in self.known_years:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        day = as_date(start)
        while n:
            day += _DAY
            n -= self.is_working_day(day)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        a, b = as_date(a), as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += _DAY
            count += self.is_working_day(day)
        return count


def histories(count: int, seed: int) -> list[tuple[ItemRules, list[ClockEvent], date]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        rules = ItemRules("bench", "bench", "bench", "行政许可", rng.choice([20, 30, None]), rng.choice([5, 10, None]))
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(350))
        events = [ClockEvent("received", day)]
        if rng.random() < 0.3:
            day += timedelta(days=rng.randrange(1, 5))
            events.append(ClockEvent("correction_requested", day))
            day += timedelta(days=rng.randrange(1, 20))
            events.append(ClockEvent("received", day))
        day += timedelta(days=rng.randrange(0, 4))
        events.append(ClockEvent("accepted", day))
        for _ in range(rng.choice([0, 0, 1, 2])):
            day += timedelta(days=rng.randrange(1, 10))
            events.append(ClockEvent("paused", day))
            day += timedelta(days=rng.randrange(0, 20))
            events.append(ClockEvent("resumed", day))
        if rng.random() < 0.2:
            day += timedelta(days=rng.randrange(1, 5))
            events.append(ClockEvent("extended", day, 10))
        out.append((rules, events, day + timedelta(days=rng.randrange(0, 30))))
    return out


def timed(
    cases: list[tuple[ItemRules, list[ClockEvent], date]], calendar: WorkCalendar
) -> tuple[float, list[Deadlines]]:
    started = time.perf_counter()
    results = [compute_deadlines(rules, events, today, calendar) for rules, events, today in cases]
    return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    cases = histories(args.cases, args.seed)
    ours_s, ours = timed(cases, WorkCalendar())
    plain_s, plain = timed(cases, DayWalkCalendar())
    if ours != plain:
        raise SystemExit("the two calendars disagree on some deadlines")
    result = {
        "cases": len(cases),
        "ours_cases_per_s": round(len(cases) / ours_s),
        "day_walk_cases_per_s": round(len(cases) / plain_s),
        "speedup": round(plain_s / ours_s, 1),
        "into_2027": sum(1 for d in ours if d.notes and any("2027" in n for n in d.notes)),
    }
    print(f"{'calendar':<28}{'cases/s':>10}")
    print(f"{'WorkCalendar (running totals)':<28}{result['ours_cases_per_s']:>10}")
    print(f"{'day walk over chinesecalendar':<28}{result['day_walk_cases_per_s']:>10}")
    print(f"speedup: {result['speedup']}x; {result['into_2027']} of {len(cases)} cases run into 2027 (noted)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
