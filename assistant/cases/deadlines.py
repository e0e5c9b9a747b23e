"""A case's statutory deadlines, derived from the events of its clock, never stored as an edited due date.

The case layer records what happened (``ClockEvent``: received, correction_requested, accepted,
paused, resumed, extended, decided) and this module derives every date from those events, the item's
rules (``ItemRules``) and the working-day calendar, so a pause, an extension or a late correction
notice is always counted the same way and can be re-derived from the history.

The rules of the 行政许可法 as counted here:

- §32: a correction notice (补正告知, "correction_requested") is due within 5 working days of the
  receipt of the application. If neither it nor the acceptance comes by then, the case counts as
  accepted from the receipt (``deemed_accepted``), and a later correction notice or acceptance does
  not move that date. A resubmission after a correction notice is a new receipt and starts §32's 5
  days again; papers added while the 5 days run do not restart them. The case layer applies this
  discipline to every item (the reform's 一次告知 promise), not only to 行政许可 ones.
- §42: the decision is due within the item's 法定 days (``ItemRules.decision_days``: its own limit,
  else 20 for a 行政许可 item) of acceptance; an ``extended`` event adds its ``days`` (§42 allows 10
  with the approver's recorded reason; more is counted but noted). The 承诺 limit
  (``ItemRules.promised_days``) is counted from the same acceptance with the same extensions and
  pauses; it drives the light and the days left where the item has one, the 法定 date is shown beside.
- §45: special procedures (听证, 检验, 检测, 鉴定, 专家评审) do not count. A pause from day P to day Q
  takes the working days after P up to and including Q out of the period (P itself counted, as the
  clock ran that day; the day of resumption, like the day of a receipt, does not). A pause still open
  today is counted up to today, so the days left stay frozen while it lasts. A pause that begins after
  a due date does not move it.

Counting itself (the day of the event does not count; day 1 is the next working day) is
``WorkCalendar``'s; see assistant/cases/calendar.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

from assistant.cases.calendar import WorkCalendar, as_date
from assistant.cases.item_rules import ItemRules
from assistant.drafting.draft import date_text
from assistant.errors import AssistantError

ClockKind = Literal["received", "correction_requested", "accepted", "paused", "resumed", "extended", "decided"]
Light = Literal["green", "yellow", "red", "none"]
# Where the clock stands: nothing received; §32's 5 days running; waiting for the applicant's correction
# (no clock); the decision period running; decided, refused, withdrawn or otherwise closed.
Phase = Literal["not_received", "awaiting_acceptance", "awaiting_applicant", "running", "finished"]

CORRECTION_NOTICE_DAYS = 5  # 行政许可法 §32
LICENSING_EXTENSION_DAYS = 10  # 行政许可法 §42
YELLOW_DAYS = 2  # a light turns yellow with this many working days left or fewer


class ClockError(AssistantError):
    """Clock events that cannot have happened in this order (a resume without a pause, two acceptances …)."""


@dataclass(frozen=True)
class ClockEvent:
    """One thing that happened to a case's clock, on a day.

    ``kind``: ``received`` (the application or a resubmission reached the department), ``correction_requested``
    (the 补正告知书 went out), ``accepted`` (受理), ``paused`` and ``resumed`` (a special procedure of §45
    began and ended), ``extended`` (an approved extension by ``days`` working days), ``decided`` (the case
    left the clock for good: 准予 or 不予许可, 不予受理, 撤回). ``at`` may be a datetime; its date is kept.
    Events of one day are taken in the order given.
    """

    kind: ClockKind
    at: date
    days: int = 0

    def __post_init__(self) -> None:
        if self.kind not in get_args(ClockKind):
            raise ClockError(f"unknown clock event {self.kind!r}; the kinds are {', '.join(get_args(ClockKind))}")
        if self.kind == "extended" and self.days <= 0:
            raise ClockError(f"an extension needs a positive number of working days, not {self.days}")
        if self.kind != "extended" and self.days:
            raise ClockError(f"only an extension carries days; {self.kind} carries {self.days}")
        object.__setattr__(self, "at", as_date(self.at))


@dataclass(frozen=True)
class Deadlines:
    """Every date of a case's clock as of ``today``. Dates are None where they do not (yet) apply."""

    phase: Phase
    received: date | None  # the latest receipt
    correction_notice_due: date | None  # §32: last day for the correction notice after the latest receipt
    accepted: date | None  # the day the decision period counts from (the receipt when deemed accepted)
    deemed_accepted: bool  # §32: accepted from receipt because no correction notice came in time
    decision_due: date | None  # 法定: decision_days + extensions, pushed back by pauses
    promised_due: date | None  # 承诺: promised_days + extensions, pushed back by pauses
    target_due: date | None  # the promised date where the item has one, else the legal one
    next_due: date | None  # what days_left and the light count toward: §32's date before acceptance, else target_due
    days_left: int | None  # working days to next_due (0 = due today); negative, at most -1, once it has passed
    light: Light
    paused: bool
    paused_days: int  # working days taken out of the period by pauses, an open one counted to today
    extended_days: int
    decided: date | None
    notes: tuple[str, ...]  # plain sentences for the case page: unknown years, deemed acceptance, long extensions

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings."""
        return {
            key: (value.isoformat() if isinstance(value, date) else list(value) if isinstance(value, tuple) else value)
            for key, value in self.__dict__.items()
        }


@dataclass
class _Clock:
    """The state reached by replaying the events in order."""

    calendar: WorkCalendar
    phase: Phase = "not_received"
    received: date | None = None
    accepted: date | None = None
    deemed: bool = False
    pause_start: date | None = None
    decided: date | None = None
    extended_days: int = 0

    def __post_init__(self) -> None:
        self.pauses: list[tuple[date, date]] = []

    notice_due: date | None = None  # §32's last day for the correction notice after the latest receipt

    def deem_if_late(self, day: date) -> None:
        """§32: once the 5 days have passed by ``day`` with neither acceptance nor notice, accept from receipt."""
        due = self.notice_due
        if self.phase == "awaiting_acceptance" and due is not None and day > due:
            self.phase, self.accepted, self.deemed = "running", self.received, True

    def apply(self, event: ClockEvent) -> None:
        self.deem_if_late(event.at)
        kind, at = event.kind, event.at
        if self.phase == "finished":
            raise ClockError(f"{kind} on {at} after the case was closed on {self.decided}")
        if kind == "decided":
            if self.pause_start is not None:
                self.pauses.append((self.pause_start, at))
                self.pause_start = None
            self.phase, self.decided = "finished", at
        elif self.phase == "running":
            self._running(kind, at, event.days)
        elif kind == "received" and self.phase == "awaiting_acceptance":
            pass  # more papers before the acceptance decision: §32's 5 days still run from the first receipt
        elif kind == "received":
            self.phase, self.received = "awaiting_acceptance", at
            self.notice_due = self.calendar.add_working_days(at, CORRECTION_NOTICE_DAYS)
        elif kind == "accepted" and self.phase != "not_received":
            self.phase, self.accepted = "running", at
        elif kind == "correction_requested" and self.phase == "awaiting_acceptance":
            self.phase = "awaiting_applicant"
        else:
            raise ClockError(f"{kind} on {at} while the case is {_PHASE_TEXT[self.phase]}")

    def _running(self, kind: ClockKind, at: date, days: int) -> None:
        if kind == "paused":
            if self.pause_start is not None:
                raise ClockError(f"paused on {at} while already paused since {self.pause_start}")
            self.pause_start = at
        elif kind == "resumed":
            if self.pause_start is None:
                raise ClockError(f"resumed on {at} without a pause")
            self.pauses.append((self.pause_start, at))
            self.pause_start = None
        elif kind == "extended":
            self.extended_days += days
        elif self.deemed and kind in ("received", "correction_requested", "accepted"):
            pass  # too late to matter: the case has counted as accepted since its receipt (§32)
        else:
            raise ClockError(f"{kind} on {at} while the case is {_PHASE_TEXT[self.phase]}")

    def due(self, days: int | None, pauses: list[tuple[date, date]]) -> date | None:
        """The ``days``-th counted working day after acceptance, skipping the working days of the pauses."""
        if days is None or self.accepted is None:
            return None
        day, remaining = self.accepted, days
        for start, end in pauses:
            if end <= day:
                continue
            running = self.calendar.working_days_between(day, max(start, day))
            if remaining <= running:
                break
            remaining -= running
            day = end
        return self.calendar.add_working_days(day, remaining)


_PHASE_TEXT: dict[Phase, str] = {
    "not_received": "not yet received",
    "awaiting_acceptance": "awaiting acceptance",
    "awaiting_applicant": "waiting for the applicant's correction",
    "running": "accepted",
    "finished": "closed",
}


def compute_deadlines(rules: ItemRules, events: Iterable[ClockEvent], today: date, calendar: WorkCalendar) -> Deadlines:
    """The case's deadlines as of ``today`` from its clock events (any order; sorted by day, stable)."""
    today = as_date(today)
    clock = _Clock(calendar)
    for event in sorted(events, key=lambda e: e.at):
        clock.apply(event)
    clock.deem_if_late(today)
    pauses = list(clock.pauses)
    if clock.pause_start is not None:
        pauses.append((clock.pause_start, max(today, clock.pause_start)))
    extra = clock.extended_days
    decision_due = clock.due(_plus(rules.decision_days, extra), pauses)
    promised_due = clock.due(_plus(rules.promised_days, extra), pauses)
    target_due = promised_due or decision_due
    next_due = {"awaiting_acceptance": clock.notice_due, "running": target_due}.get(clock.phase)
    days_left, light = _light(next_due, today, calendar)
    paused_days = sum(calendar.working_days_between(s, max(e, s)) for s, e in pauses if clock.accepted)
    return Deadlines(
        phase=clock.phase,
        received=clock.received,
        correction_notice_due=clock.notice_due,
        accepted=clock.accepted,
        deemed_accepted=clock.deemed,
        decision_due=decision_due,
        promised_due=promised_due,
        target_due=target_due,
        next_due=next_due,
        days_left=days_left,
        light=light,
        paused=clock.pause_start is not None,
        paused_days=paused_days,
        extended_days=extra,
        decided=clock.decided,
        notes=_notes(rules, clock, today, (decision_due, promised_due, clock.notice_due), calendar),
    )


def _plus(days: int | None, extra: int) -> int | None:
    return None if days is None else days + extra


def _light(due: date | None, today: date, calendar: WorkCalendar) -> tuple[int | None, Light]:
    if due is None:
        return None, "none"
    if today > due:
        return min(-1, -calendar.working_days_between(due, today)), "red"
    left = calendar.working_days_between(today, due)
    return left, "yellow" if left <= YELLOW_DAYS else "green"


def _notes(
    rules: ItemRules, clock: _Clock, today: date, dues: tuple[date | None, ...], calendar: WorkCalendar
) -> tuple[str, ...]:
    notes: list[str] = []
    if clock.received is not None:
        last = max([today, *(d for d in dues if d is not None)])
        notes += calendar.notes_between(min(clock.received, today), last)
    if clock.deemed and clock.received is not None:
        notes.append(
            f"未在收到申请材料之日起{CORRECTION_NOTICE_DAYS}个工作日内受理或一次性告知补正，"
            f"依《中华人民共和国行政许可法》第三十二条，自收到申请材料之日（{date_text(clock.received)}）起即为受理"
        )
    if rules.is_licensing and clock.extended_days > LICENSING_EXTENSION_DAYS:
        notes.append(
            f"已延长{clock.extended_days}个工作日，超过《中华人民共和国行政许可法》第四十二条规定的"
            f"{LICENSING_EXTENSION_DAYS}个工作日，须有法律、法规的另行规定"
        )
    return tuple(notes)
