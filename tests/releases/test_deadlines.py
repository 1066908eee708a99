"""The statutory clock, checked against an independent calculation.

The oracle is OPM's published federal holiday schedule for 2026-2028, typed in here from
the schedule (the module itself reads the `holidays` library), and a plain day-by-day count.
"""

import datetime

import pytest

from releases import deadlines

D = datetime.date

# OPM's federal holidays as observed. Holidays falling on a weekend: 4 July 2026 (Sat, observed
# Fri 3 July), 19 June 2027 (Sat, Fri 18 June), 4 July 2027 (Sun, Mon 5 July), 25 December
# 2027 (Sat, Fri 24 December), 1 January 2028 (Sat, Fri 31 December 2027), 11 November
# 2028 (Sat, Fri 10 November).
OPM = {
    D(2026, 1, 1), D(2026, 1, 19), D(2026, 2, 16), D(2026, 5, 25), D(2026, 6, 19), D(2026, 7, 3),
    D(2026, 9, 7), D(2026, 10, 12), D(2026, 11, 11), D(2026, 11, 26), D(2026, 12, 25),
    D(2027, 1, 1), D(2027, 1, 18), D(2027, 2, 15), D(2027, 5, 31), D(2027, 6, 18), D(2027, 7, 5),
    D(2027, 9, 6), D(2027, 10, 11), D(2027, 11, 11), D(2027, 11, 25), D(2027, 12, 24), D(2027, 12, 31),
    D(2028, 1, 17), D(2028, 2, 21), D(2028, 5, 29), D(2028, 6, 19), D(2028, 7, 4), D(2028, 9, 4),
    D(2028, 10, 9), D(2028, 11, 10), D(2028, 11, 23), D(2028, 12, 25),
}  # fmt: skip


def _oracle_working(day: D) -> bool:
    return day.weekday() < 5 and day not in OPM


def _oracle_due(received: D, n: int) -> D:
    day, counted = received, 0
    while counted < n:
        day += datetime.timedelta(days=1)
        counted += _oracle_working(day)
    return day


def _every_day(first: D, last: D):
    day = first
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


def test_working_days_match_opm_for_2026_to_2028():
    for day in _every_day(D(2026, 1, 1), D(2028, 12, 31)):
        assert deadlines.is_working_day(day) == _oracle_working(day), day


def test_the_due_date_matches_the_oracle_for_every_receipt_day_of_two_years():
    for received in _every_day(D(2026, 1, 1), D(2027, 12, 31)):
        assert deadlines.decision_due(received) == _oracle_due(received, 20), received


@pytest.mark.parametrize("extension", [1, 5, 10])
def test_an_extension_adds_working_days(extension):
    for received in _every_day(D(2026, 11, 1), D(2027, 1, 31)):
        assert deadlines.decision_due(received, extension_days=extension) == _oracle_due(received, 20 + extension)


@pytest.mark.parametrize("extension", [-1, 11])
def test_an_extension_beyond_ten_working_days_is_refused(extension):
    with pytest.raises(ValueError, match="0 to 10"):
        deadlines.decision_due(D(2026, 3, 2), extension_days=extension)


def test_known_due_dates_around_holidays():
    # Received Friday 20 November 2026: Thanksgiving (26 Nov) and Christmas (25 Dec) are skipped.
    assert deadlines.decision_due(D(2026, 11, 20)) == D(2026, 12, 21)
    # Received Wednesday 16 December 2026: Christmas and New Year's Day are skipped.
    assert deadlines.decision_due(D(2026, 12, 16)) == D(2027, 1, 15)
    # Received Saturday 14 March 2026: day 1 is Monday 16 March.
    assert deadlines.decision_due(D(2026, 3, 14)) == D(2026, 4, 10)
    # New Year's Day 2028 falls on a Saturday: Friday 31 December 2027 is the holiday.
    assert not deadlines.is_working_day(D(2027, 12, 31))


def test_a_pause_stops_the_clock_and_it_resumes_after():
    received = D(2026, 3, 2)  # Monday
    assert deadlines.decision_due(received) == D(2026, 3, 30)
    # Waiting for the requester from Monday 9 March to Friday 13 March: five working days.
    pause = deadlines.Pause(D(2026, 3, 9), D(2026, 3, 13))
    assert deadlines.decision_due(received, pauses=[pause]) == D(2026, 4, 6)
    assert deadlines.working_days_between(received, D(2026, 4, 6), pauses=[pause]) == 20


def test_pauses_over_weekends_and_holidays_cost_only_the_working_days_inside_them():
    received = D(2026, 6, 15)
    pauses = [deadlines.Pause(D(2026, 6, 19), D(2026, 6, 21))]  # Juneteenth (Fri) and a weekend
    assert deadlines.decision_due(received, pauses=pauses) == deadlines.decision_due(received)
    two = [deadlines.Pause(D(2026, 6, 22), D(2026, 6, 22)), deadlines.Pause(D(2026, 6, 24), D(2026, 6, 25))]
    assert deadlines.decision_due(received, pauses=two) == _oracle_due(received, 23)


def test_an_open_pause_has_no_due_date():
    with pytest.raises(ValueError, match="paused"):
        deadlines.decision_due(D(2026, 3, 2), pauses=[deadlines.Pause(D(2026, 3, 9))])


def test_days_taken_and_days_left_count_working_days():
    assert deadlines.working_days_between(D(2026, 12, 23), D(2026, 12, 28)) == 2  # Thu 24, Mon 28
    assert deadlines.working_days_between(D(2026, 12, 28), D(2026, 12, 23)) == -2
    assert deadlines.working_days_between(D(2026, 5, 1), D(2026, 5, 1)) == 0


def test_the_receipt_day_is_taken_in_the_agencys_time_zone():
    late_evening_in_new_york = datetime.datetime(2026, 3, 3, 3, 30, tzinfo=datetime.UTC)  # 22:30 on 2 March, EST
    assert deadlines.received_on(late_evening_in_new_york, "America/New_York") == D(2026, 3, 2)
    assert deadlines.received_on(late_evening_in_new_york, "UTC") == D(2026, 3, 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        deadlines.received_on(datetime.datetime(2026, 3, 3, 3, 30), "America/New_York")


def test_expedited_decisions_are_due_in_ten_calendar_days_and_appeals_in_ninety_working_days():
    assert deadlines.expedite_decision_due(D(2026, 12, 24)) == D(2027, 1, 3)
    for decided in _every_day(D(2026, 1, 1), D(2026, 12, 31)):
        assert deadlines.appeal_due(decided) == _oracle_due(decided, 90), decided


def _oracle_between(start: D, end: D, pauses) -> int:
    """Day by day, as the statute reads: working days after start through end, not paused."""
    if end < start:
        return -_oracle_between(end, start, pauses)
    day, counted = start, 0
    while day < end:
        day += datetime.timedelta(days=1)
        if _oracle_working(day) and not any(p.start <= day <= (p.end or end) for p in pauses):
            counted += 1
    return counted


def test_working_days_between_matches_a_day_by_day_count_with_overlapping_pauses():
    import random

    rng = random.Random(20261130)
    first = D(2026, 1, 1)  # the OPM list above covers 2026-2028
    for _ in range(800):
        start = first + datetime.timedelta(days=rng.randint(0, 1000))
        end = first + datetime.timedelta(days=rng.randint(0, 1000))
        pauses = []
        for _ in range(rng.randint(0, 3)):
            p_start = min(start, end) + datetime.timedelta(days=rng.randint(-20, 200))
            p_end = None if rng.random() < 0.1 else p_start + datetime.timedelta(days=rng.randint(0, 40))
            pauses.append(deadlines.Pause(p_start, p_end))
        assert deadlines.working_days_between(start, end, pauses=pauses) == _oracle_between(start, end, pauses), (
            start,
            end,
            pauses,
        )
