"""Deadlines derived from clock events on the real 2026 calendar: §32's five days and deemed acceptance,
§42's decision period and extension, §45's pauses (over holidays, repeated, open), the promised limit
driving the light, the year end into a year chinesecalendar lacks, and event sequences that cannot be."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from itertools import combinations

import pytest

from assistant.cases.calendar import WorkCalendar
from assistant.cases.deadlines import ClockError, ClockEvent, Deadlines, compute_deadlines
from assistant.cases.item_rules import ItemRules


def rules(legal: str = "20(工作日)", promised: str = "10(工作日)", matter_type: str = "行政许可") -> ItemRules:
    """Rules as the catalogue states them (handle_time, handle_time_limit)."""
    fields = {
        "item_id": "11440100MB2C9165XL4442111001000",
        "dept": "广州市市场监督管理局",
        "matter_type": matter_type,
        "legal_time_limit": legal,
        "promised_time_limit": promised,
    }
    return ItemRules.from_fields(fields, "食品经营许可（新办）")


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def ev(kind: str, day: date, days: int = 0) -> ClockEvent:
    return ClockEvent(kind, day, days)  # type: ignore[arg-type]


def accepted_on(day: date, *more: ClockEvent) -> list[ClockEvent]:
    return [ev("received", day), ev("accepted", day), *more]


def run(item: ItemRules, events: list[ClockEvent], today: date, cal: WorkCalendar) -> Deadlines:
    return compute_deadlines(item, events, today, cal)


# --- the decision period and the light ---


def test_promised_limit_drives_the_light_and_the_legal_one_is_beside_it(cal: WorkCalendar) -> None:
    events = [ev("received", date(2026, 3, 2)), ev("accepted", date(2026, 3, 3))]
    d = run(rules(), events, date(2026, 3, 10), cal)
    assert (d.phase, d.accepted, d.deemed_accepted) == ("running", date(2026, 3, 3), False)
    assert d.promised_due == date(2026, 3, 17)  # 10 working days after Tuesday 3 March
    assert d.decision_due == date(2026, 3, 31)  # 20
    assert d.target_due == d.next_due == d.promised_due
    assert (d.days_left, d.light) == (5, "green")


@pytest.mark.parametrize(
    ("today", "days_left", "light"),
    [
        (date(2026, 3, 12), 3, "green"),
        (date(2026, 3, 13), 2, "yellow"),
        (date(2026, 3, 14), 2, "yellow"),  # a Saturday: Monday and Tuesday are left
        (date(2026, 3, 17), 0, "yellow"),  # due today
        (date(2026, 3, 18), -1, "red"),
        (date(2026, 3, 21), -3, "red"),
    ],
)
def test_days_left_and_light_count_working_days(cal: WorkCalendar, today: date, days_left: int, light: str) -> None:
    d = run(rules(), accepted_on(date(2026, 3, 3)), today, cal)
    assert (d.days_left, d.light) == (days_left, light)


def test_the_day_after_a_friday_deadline_is_already_overdue(cal: WorkCalendar) -> None:
    # promised 4 days from Monday 2 March: Friday 6 March; on Saturday no working day has passed, but it is late
    d = run(rules(promised="4(工作日)"), accepted_on(date(2026, 3, 2)), date(2026, 3, 7), cal)
    assert d.promised_due == date(2026, 3, 6)
    assert (d.days_left, d.light) == (-1, "red")


def test_without_a_promised_limit_the_legal_one_drives_the_light(cal: WorkCalendar) -> None:
    d = run(rules(promised="无"), accepted_on(date(2026, 3, 3)), date(2026, 3, 10), cal)
    assert d.promised_due is None and d.target_due == d.decision_due == date(2026, 3, 31)
    assert (d.days_left, d.light) == (15, "green")


def test_a_licensing_item_without_limits_gets_the_20_days_of_section_42(cal: WorkCalendar) -> None:
    d = run(rules(legal="", promised=""), accepted_on(date(2026, 3, 3)), date(2026, 3, 10), cal)
    assert d.decision_due == d.target_due == date(2026, 3, 31)


def test_an_item_with_no_limit_at_all_has_no_light(cal: WorkCalendar) -> None:
    d = run(
        rules(legal="无", promised="无", matter_type="公共服务"), accepted_on(date(2026, 3, 3)), date(2026, 3, 9), cal
    )
    assert d.decision_due is d.promised_due is d.target_due is d.days_left is None
    assert d.light == "none" and d.phase == "running"


def test_tiaoxiu_saturday_and_spring_festival_in_the_period(cal: WorkCalendar) -> None:
    # Accepted Friday 13 February 2026: day 1 is the working Saturday 14th, then the festival (15th-23rd),
    # 24th-27th (5), Saturday 28th worked (6), 2-6 March (11), 9-13 (16), 16-19 (20).
    d = run(rules(promised="1(工作日)"), accepted_on(date(2026, 2, 13)), date(2026, 2, 13), cal)
    assert d.promised_due == date(2026, 2, 14)
    assert d.decision_due == date(2026, 3, 19)


# --- §32: the correction notice and deemed acceptance ---


def test_before_acceptance_the_five_days_of_section_32_drive_the_light(cal: WorkCalendar) -> None:
    events = [ev("received", date(2026, 3, 2))]
    d = run(rules(), events, date(2026, 3, 4), cal)
    assert d.phase == "awaiting_acceptance" and d.accepted is None
    assert d.correction_notice_due == d.next_due == date(2026, 3, 9)
    assert (d.days_left, d.light) == (3, "green")
    assert d.decision_due is None and d.target_due is None
    assert run(rules(), events, date(2026, 3, 5), cal).light == "yellow"
    assert run(rules(), events, date(2026, 3, 9), cal).days_left == 0


def test_no_notice_in_five_days_means_accepted_from_receipt(cal: WorkCalendar) -> None:
    d = run(rules(), [ev("received", date(2026, 3, 2))], date(2026, 3, 10), cal)
    assert d.deemed_accepted and d.phase == "running"
    assert d.accepted == date(2026, 3, 2)  # from receipt, not from the day the five days ran out
    assert d.promised_due == date(2026, 3, 16) and d.decision_due == date(2026, 3, 30)
    assert d.next_due == d.promised_due and (d.days_left, d.light) == (4, "green")
    assert any("第三十二条" in note and "2026年3月2日" in note for note in d.notes)


def test_a_late_acceptance_or_notice_does_not_undo_deemed_acceptance(cal: WorkCalendar) -> None:
    late_accept = [ev("received", date(2026, 3, 2)), ev("accepted", date(2026, 3, 12))]
    late_notice = [ev("received", date(2026, 3, 2)), ev("correction_requested", date(2026, 3, 10))]
    for events in (late_accept, late_notice):
        d = run(rules(), events, date(2026, 3, 12), cal)
        assert d.deemed_accepted and d.accepted == date(2026, 3, 2) and d.phase == "running"


def test_a_notice_on_the_fifth_day_is_in_time(cal: WorkCalendar) -> None:
    events = [ev("received", date(2026, 3, 2)), ev("correction_requested", date(2026, 3, 9))]
    d = run(rules(), events, date(2026, 3, 30), cal)
    assert not d.deemed_accepted
    assert d.phase == "awaiting_applicant" and d.next_due is None and d.days_left is None and d.light == "none"


def test_a_resubmission_restarts_the_five_days_and_acceptance_starts_the_period(cal: WorkCalendar) -> None:
    events = [
        ev("received", date(2026, 3, 2)),
        ev("correction_requested", date(2026, 3, 4)),
        ev("received", date(2026, 3, 20)),  # Friday
    ]
    d = run(rules(), events, date(2026, 3, 23), cal)
    assert d.phase == "awaiting_acceptance" and d.received == date(2026, 3, 20)
    assert d.correction_notice_due == date(2026, 3, 27)
    d = run(rules(), [*events, ev("accepted", date(2026, 3, 24))], date(2026, 3, 24), cal)
    assert d.accepted == date(2026, 3, 24) and not d.deemed_accepted
    assert d.promised_due == date(2026, 4, 8)  # 10 working days; 4-6 April is Qingming


def test_papers_added_before_the_acceptance_decision_do_not_restart_the_five_days(cal: WorkCalendar) -> None:
    events = [ev("received", date(2026, 3, 2)), ev("received", date(2026, 3, 6))]
    d = run(rules(), events, date(2026, 3, 10), cal)
    assert d.received == date(2026, 3, 2) and d.correction_notice_due == date(2026, 3, 9)
    assert d.deemed_accepted and d.accepted == date(2026, 3, 2)


def test_receipt_on_a_holiday_counts_from_the_first_working_day_after_it(cal: WorkCalendar) -> None:
    d = run(rules(), [ev("received", date(2026, 10, 3))], date(2026, 10, 5), cal)
    # 8, 9, 10 (the working Saturday), 12, 13 October
    assert d.correction_notice_due == date(2026, 10, 13)
    assert d.days_left == 5 and d.light == "green"  # on a holiday, all five days are still ahead
    deemed = run(rules(), [ev("received", date(2026, 10, 3))], date(2026, 10, 14), cal)
    assert deemed.deemed_accepted and deemed.accepted == date(2026, 10, 3)
    assert deemed.promised_due == date(2026, 10, 20)  # 8, 9, 10, 12-16, 19, 20


def test_receipt_on_a_weekend(cal: WorkCalendar) -> None:
    d = run(rules(), [ev("received", date(2026, 3, 7))], date(2026, 3, 7), cal)
    assert d.correction_notice_due == date(2026, 3, 13)


# --- §45: pauses ---


def test_a_pause_over_holidays_pushes_back_by_its_working_days_only(cal: WorkCalendar) -> None:
    # Accepted Monday 21 September; paused Thursday 24th, resumed Friday 9 October. In between: Mid-Autumn
    # (25-27 Sep) and National Day (1-7 Oct); the working days after the 24th up to the 9th are
    # 28, 29, 30 September and 8, 9 October: five.
    events = accepted_on(date(2026, 9, 21), ev("paused", date(2026, 9, 24)), ev("resumed", date(2026, 10, 9)))
    d = run(rules(promised="无"), events, date(2026, 10, 9), cal)
    assert d.paused_days == 5 and not d.paused
    unpaused = run(rules(promised="无"), accepted_on(date(2026, 9, 21)), date(2026, 9, 21), cal)
    assert unpaused.decision_due == date(2026, 10, 26)
    assert d.decision_due == date(2026, 11, 2) == cal.add_working_days(unpaused.decision_due, 5)


def test_repeated_pauses_add_up(cal: WorkCalendar) -> None:
    events = accepted_on(
        date(2026, 3, 2),
        ev("paused", date(2026, 3, 3)),
        ev("resumed", date(2026, 3, 5)),  # 4, 5 March
        ev("paused", date(2026, 3, 9)),
        ev("resumed", date(2026, 3, 16)),  # 10-13, 16 March
    )
    d = run(rules(), events, date(2026, 3, 16), cal)
    assert d.paused_days == 7
    assert d.promised_due == cal.add_working_days(date(2026, 3, 2), 17) == date(2026, 3, 25)
    assert d.decision_due == cal.add_working_days(date(2026, 3, 2), 27) == date(2026, 4, 9)


def test_a_pause_and_resume_on_the_same_day_costs_nothing(cal: WorkCalendar) -> None:
    events = accepted_on(date(2026, 3, 2), ev("paused", date(2026, 3, 4)), ev("resumed", date(2026, 3, 4)))
    d = run(rules(), events, date(2026, 3, 5), cal)
    assert d.paused_days == 0 and d.promised_due == date(2026, 3, 16)


def test_days_left_stay_frozen_while_a_pause_lasts(cal: WorkCalendar) -> None:
    events = accepted_on(date(2026, 3, 2), ev("paused", date(2026, 3, 5)))  # 3 of 10 days used
    seen = []
    for today in (date(2026, 3, 5), date(2026, 3, 9), date(2026, 3, 20), date(2026, 4, 10)):
        d = run(rules(), events, today, cal)
        assert d.paused
        assert d.paused_days == cal.working_days_between(date(2026, 3, 5), today)
        seen.append((d.days_left, d.light))
    assert seen == [(7, "green")] * 4
    resumed = run(rules(), [*events, ev("resumed", date(2026, 4, 10))], date(2026, 4, 13), cal)
    assert not resumed.paused and resumed.days_left == 6


def test_a_pause_begun_after_the_due_date_does_not_move_it(cal: WorkCalendar) -> None:
    events = accepted_on(date(2026, 3, 2), ev("paused", date(2026, 3, 18)))  # promised due 16 March
    d = run(rules(), events, date(2026, 3, 25), cal)
    assert d.promised_due == date(2026, 3, 16) and d.light == "red" and d.days_left == -7
    # the legal date (30 March) was still ahead when the pause began: it moves by 19, 20, 23, 24, 25 March
    assert d.decision_due == cal.add_working_days(date(2026, 3, 30), 5) == date(2026, 4, 7)
    on_due = run(rules(), accepted_on(date(2026, 3, 2), ev("paused", date(2026, 3, 16))), date(2026, 3, 20), cal)
    assert on_due.promised_due == date(2026, 3, 16)  # the day of the pause still counts


def counted_days(cal: WorkCalendar, accepted: date, due: date, pauses: list[tuple[date, date]]) -> int:
    """Reference count: working days after acceptance up to ``due`` that no pause (P, Q] covers."""
    day, n = accepted, 0
    while day < due:
        day += timedelta(days=1)
        if cal.is_working_day(day) and not any(p < day <= q for p, q in pauses):
            n += 1
    return n


def test_every_due_date_is_the_last_counted_day_of_its_period(cal: WorkCalendar) -> None:
    """Against a day-by-day count, for many pause layouts around the Qingming and Labour Day holidays."""
    accepted = date(2026, 3, 30)
    marks = [accepted + timedelta(days=k) for k in (1, 4, 6, 9, 15, 22, 30, 37)]
    checked = 0
    for p1, q1, p2, q2 in combinations(marks, 4):
        pauses = [(p1, q1), (p2, q2)]
        events = accepted_on(accepted, *(ev(k, day) for p, q in pauses for k, day in (("paused", p), ("resumed", q))))
        for days in (1, 5, 10, 20):
            d = run(rules(legal=f"{days}(工作日)", promised="无"), events, q2, cal)
            due = d.decision_due
            assert due is not None and cal.is_working_day(due)
            assert counted_days(cal, accepted, due, pauses) == days
            assert counted_days(cal, accepted, due - timedelta(days=1), pauses) == days - 1
            checked += 1
    assert checked == 70 * 4


# --- §42: extension ---


def test_an_extension_moves_both_limits_by_its_days(cal: WorkCalendar) -> None:
    base = accepted_on(date(2026, 3, 2))
    d = run(rules(), [*base, ev("extended", date(2026, 3, 20), 10)], date(2026, 3, 20), cal)
    assert d.extended_days == 10
    assert d.decision_due == cal.add_working_days(date(2026, 3, 30), 10) == date(2026, 4, 14)
    assert d.promised_due == date(2026, 3, 30)  # 16 March + 10 working days
    assert not any("第四十二条" in n for n in d.notes)


def test_an_extension_past_ten_days_is_counted_and_noted(cal: WorkCalendar) -> None:
    events = accepted_on(date(2026, 3, 2), ev("extended", date(2026, 3, 20), 10), ev("extended", date(2026, 4, 1), 5))
    d = run(rules(), events, date(2026, 4, 1), cal)
    assert d.extended_days == 15
    assert d.decision_due == cal.add_working_days(date(2026, 3, 2), 35)
    assert any("第四十二条" in n and "15" in n for n in d.notes)


# --- the year end ---


def test_a_period_running_into_an_unknown_year_is_counted_by_weekends_and_noted(cal: WorkCalendar) -> None:
    assert 2027 not in cal.known_years
    d = run(rules(promised="无"), accepted_on(date(2026, 12, 21)), date(2026, 12, 21), cal)
    # 22-25, 28-31 December (8), Friday 1 January counted (9), 4-8 (14), 11-15 (19), Monday 18 January
    assert d.decision_due == date(2027, 1, 18)
    assert d.notes == ("2027 年的法定节假日安排尚未收录，按周末计算工作日",)
    inside = run(rules(promised="无"), accepted_on(date(2026, 11, 2)), date(2026, 11, 2), cal)
    assert inside.decision_due == date(2026, 11, 30) and inside.notes == ()


# --- the end of the clock, and sequences that cannot be ---


def test_a_decided_case_has_no_light(cal: WorkCalendar) -> None:
    events = accepted_on(date(2026, 3, 2), ev("paused", date(2026, 3, 5)), ev("decided", date(2026, 3, 10)))
    d = run(rules(), events, date(2026, 6, 1), cal)
    assert (d.phase, d.decided, d.light, d.days_left, d.next_due) == ("finished", date(2026, 3, 10), "none", None, None)
    assert not d.paused and d.paused_days == 3  # the pause ended with the decision
    assert d.promised_due == date(2026, 3, 19)  # kept, to tell whether it was decided in time


def test_refused_before_acceptance_is_finished_too(cal: WorkCalendar) -> None:
    d = run(rules(), [ev("received", date(2026, 3, 2)), ev("decided", date(2026, 3, 3))], date(2026, 3, 20), cal)
    assert d.phase == "finished" and d.accepted is None and not d.deemed_accepted and d.light == "none"


def test_events_are_taken_in_date_order_and_datetimes_by_their_day(cal: WorkCalendar) -> None:
    # sorted by day; two events of one day keep the order they were given in (the history's order)
    events = [
        ev("resumed", datetime(2026, 3, 5, 9, 30)),
        ev("received", datetime(2026, 3, 2, 10, 0)),
        ev("paused", datetime(2026, 3, 3, 11, 0)),
        ev("accepted", datetime(2026, 3, 2, 16, 0)),
    ]
    d = run(rules(), events, datetime(2026, 3, 6, 8, 0), cal)
    assert d.accepted == date(2026, 3, 2) and d.paused_days == 2 and d.promised_due == date(2026, 3, 18)


def test_deadlines_serialise_to_json(cal: WorkCalendar) -> None:
    d = run(rules(), [ev("received", date(2026, 12, 28))], date(2027, 1, 6), cal)
    data = json.loads(json.dumps(d.as_dict(), ensure_ascii=False))
    assert data["accepted"] == "2026-12-28" and data["deemed_accepted"] is True
    assert data["light"] in ("green", "yellow") and len(data["notes"]) == 2


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([ev("received", date(2026, 3, 2)), ev("paused", date(2026, 3, 3))], "paused on 2026-03-03 while"),
        (accepted_on(date(2026, 3, 2), ev("resumed", date(2026, 3, 3))), "without a pause"),
        (
            accepted_on(date(2026, 3, 2), ev("paused", date(2026, 3, 3)), ev("paused", date(2026, 3, 4))),
            "already paused since 2026-03-03",
        ),
        (accepted_on(date(2026, 3, 2), ev("accepted", date(2026, 3, 3))), "accepted on 2026-03-03 while"),
        (accepted_on(date(2026, 3, 2), ev("decided", date(2026, 3, 3)), ev("extended", date(2026, 3, 4), 5)), "closed"),
        ([ev("accepted", date(2026, 3, 2))], "not yet received"),
    ],
)
def test_impossible_sequences_are_refused_with_what_was_wrong(
    cal: WorkCalendar, events: list[ClockEvent], message: str
) -> None:
    with pytest.raises(ClockError, match=message):
        run(rules(), events, date(2026, 3, 10), cal)


def test_malformed_events_are_refused() -> None:
    with pytest.raises(ClockError, match="unknown clock event 'suspended'"):
        ClockEvent("suspended", date(2026, 3, 2))  # type: ignore[arg-type]
    with pytest.raises(ClockError, match="positive number"):
        ClockEvent("extended", date(2026, 3, 2), 0)
    with pytest.raises(ClockError, match="only an extension carries days"):
        ClockEvent("paused", date(2026, 3, 2), 3)
