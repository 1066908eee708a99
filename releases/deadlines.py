"""The statutory clock for access requests (FOIA, 5 U.S.C. 552(a)(6)): pure date arithmetic.

* A decision is due on the 20th working day after the day the request was received, in the
  agency's time zone. Working days exclude weekends and US federal holidays as observed
  (a holiday on a Saturday is observed the Friday before, on a Sunday the Monday after),
  taken from the maintained `holidays` library rather than a list kept by hand.
* An extension for unusual circumstances adds up to 10 working days.
* Tolling: working days inside a pause (the agency waiting for the requester to clarify or
  agree to fees) do not count; the clock resumes the working day after the pause ends.
* A request for expedited processing must be decided within 10 calendar days.
* An appeal is due within 90 working days of the decision (DHS, 6 CFR 5.8).

Access requests (issue 5) use these functions; nothing here touches the database.
"""

import bisect
import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays

DECISION_WORKING_DAYS = 20
MAX_EXTENSION_WORKING_DAYS = 10
EXPEDITE_DECISION_CALENDAR_DAYS = 10
APPEAL_WORKING_DAYS = 90


@dataclass(frozen=True)
class Pause:
    """The clock stood still from `start` to `end`, both days included (end None: still paused)."""

    start: datetime.date
    end: datetime.date | None = None

    def covers(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@functools.cache
def _holidays_of(year: int) -> frozenset[datetime.date]:
    # Observed dates can fall in the neighbouring year (New Year's Day 2028, a Saturday, is
    # observed on Friday 31 December 2027), so each year is read with its neighbours.
    calendar = holidays.country_holidays("US", years=[year - 1, year, year + 1], observed=True)
    return frozenset(day for day in calendar if day.year == year)


def is_holiday(day: datetime.date) -> bool:
    return day in _holidays_of(day.year)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def received_on(received_at: datetime.datetime, time_zone: str) -> datetime.date:
    """The receipt date in the agency's time zone (a request filed at 11 pm in New York is
    received that day, even though it is already the next day in UTC)."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    return received_at.astimezone(ZoneInfo(time_zone)).date()


def add_working_days(start: datetime.date, days: int, *, pauses: Iterable[Pause] = ()) -> datetime.date:
    """The `days`-th working day after `start`, skipping days inside any pause."""
    if days < 0:
        raise ValueError("days must not be negative")
    pauses = list(pauses)
    if any(p.end is None for p in pauses):
        raise ValueError("the clock is paused: no due date until the pause ends")
    day, counted = start, 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_working_day(day) and not any(p.covers(day) for p in pauses):
            counted += 1
    return day


def working_days_between(start: datetime.date, end: datetime.date, *, pauses: Iterable[Pause] = ()) -> int:
    """Working days after `start` up to and including `end` that the clock ran
    (negative when `end` is before `start`): days taken, or days left until a due date.

    Counted by arithmetic (weekdays by ordinal, holidays by bisection, pauses merged and
    clipped), not day by day: the queue and the log compute this for every row, and an old
    request is hundreds of days overdue."""
    pauses = list(pauses)
    if end < start:
        return -working_days_between(end, start, pauses=pauses)
    # A pause still open runs through `end`.
    pauses = [Pause(p.start, p.end or end) for p in pauses]
    total = _working_days_in(start + datetime.timedelta(days=1), end)
    for first, last in _merged(pauses):
        first, last = max(first, start + datetime.timedelta(days=1)), min(last, end)
        if first <= last:
            total -= _working_days_in(first, last)
    return total


def _weekdays_through(day: datetime.date) -> int:
    """Monday to Friday days from 1 January of year 1 (a Monday) through `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


@functools.cache
def _weekday_holidays(year: int) -> tuple[datetime.date, ...]:
    return tuple(sorted(d for d in _holidays_of(year) if d.weekday() < 5))


def _working_days_in(first: datetime.date, last: datetime.date) -> int:
    """Working days from `first` through `last`, both included (0 when last < first)."""
    if last < first:
        return 0
    weekdays = _weekdays_through(last) - _weekdays_through(first - datetime.timedelta(days=1))
    holidays_inside = 0
    for year in range(first.year, last.year + 1):
        days = _weekday_holidays(year)
        holidays_inside += bisect.bisect_right(days, last) - bisect.bisect_left(days, first)
    return weekdays - holidays_inside


def _merged(pauses: list[Pause]) -> list[tuple[datetime.date, datetime.date]]:
    """Pauses as disjoint (first, last) day ranges: a day inside two pauses counts once."""
    merged: list[list[datetime.date]] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        if merged and pause.start <= merged[-1][1] + datetime.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], pause.end)
        else:
            merged.append([pause.start, pause.end])
    return [(first, last) for first, last in merged]


def decision_due(received: datetime.date, *, extension_days: int = 0, pauses: Iterable[Pause] = ()) -> datetime.date:
    """When a decision is due: 20 working days after receipt, plus any extension, with
    paused days not counted."""
    if not 0 <= extension_days <= MAX_EXTENSION_WORKING_DAYS:
        raise ValueError(f"an extension is 0 to {MAX_EXTENSION_WORKING_DAYS} working days")
    return add_working_days(received, DECISION_WORKING_DAYS + extension_days, pauses=pauses)


def expedite_decision_due(received: datetime.date) -> datetime.date:
    """When the decision on a request for expedited processing is due (calendar days)."""
    return received + datetime.timedelta(days=EXPEDITE_DECISION_CALENDAR_DAYS)


def appeal_due(decided: datetime.date) -> datetime.date:
    """The last day a requester may appeal a decision."""
    return add_working_days(decided, APPEAL_WORKING_DAYS)
