"""An access request's statutory clock, computed from its rows with releases.deadlines."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from releases import deadlines
from releases.models import AccessRequest

APPEAL_DECISION_WORKING_DAYS = 20  # 5 U.S.C. 552(a)(6)(A)(ii)


def today() -> datetime.date:
    """Today in the agency's time zone (TIME_ZONE)."""
    return timezone.localdate()


def pauses(req: AccessRequest, *, until: datetime.date | None = None) -> list[deadlines.Pause]:
    """The request's pauses; an open pause is treated as running to `until` (or today)."""
    end = until or today()
    return [deadlines.Pause(p.start, p.end or end) for p in req.pauses.all()]


def received_on(req: AccessRequest) -> datetime.date:
    return deadlines.received_on(req.received_at, settings.TIME_ZONE)


def due_on(req: AccessRequest) -> datetime.date | None:
    """When the decision is due: 20 working days (plus any extension) from the clock's
    start, not counting paused days. None while the clock is paused."""
    if req.status == AccessRequest.Status.AWAITING_REQUESTER:
        return None
    closed = [deadlines.Pause(p.start, p.end) for p in req.pauses.all() if p.end is not None]
    return deadlines.decision_due(req.clock_started_on, extension_days=req.extension_days, pauses=closed)


def due(req: AccessRequest) -> datetime.date | None:
    """The due date of whatever the agency owes now: an appeal decision 20 working days after
    the appeal was filed (clock_started_on), otherwise the decision (due_on above)."""
    if req.status == AccessRequest.Status.APPEALED:
        return deadlines.add_working_days(req.clock_started_on, APPEAL_DECISION_WORKING_DAYS)
    return due_on(req)


def working_days_taken(req: AccessRequest, decided: datetime.date) -> int:
    """Working days the clock ran from receipt to `decided`, paused days excluded."""
    return deadlines.working_days_between(received_on(req), decided, pauses=pauses(req, until=decided))


@dataclass(frozen=True)
class ClockState:
    """How the clock stands today, for pages and the digest."""

    due_on: datetime.date | None
    paused: bool
    open: bool
    days_left: int | None  # working days; negative when overdue
    overdue: bool
    expedite_due_on: datetime.date | None
    expedite_overdue: bool
    appeal_due_on: datetime.date | None
    can_appeal: bool

    @property
    def days_late(self) -> int:
        return -self.days_left if self.overdue and self.days_left is not None else 0


def state(req: AccessRequest, *, on: datetime.date | None = None) -> ClockState:
    day = on or today()
    left = None
    pending = req.status in AccessRequest.PENDING_STATUSES
    if pending and req.due_on is not None:
        left = deadlines.working_days_between(day, req.due_on)
    expedite_pending = req.expedite_requested and req.expedite_decision == AccessRequest.Decision.PENDING
    return ClockState(
        due_on=req.due_on,
        paused=req.is_paused,
        open=pending,
        days_left=left,
        overdue=left is not None and req.due_on < day,
        expedite_due_on=req.expedite_due_on if expedite_pending else None,
        expedite_overdue=bool(expedite_pending and pending and req.expedite_due_on and req.expedite_due_on < day),
        appeal_due_on=req.appeal_due_on,
        can_appeal=can_appeal(req, on=day),
    )


def can_appeal(req: AccessRequest, *, on: datetime.date | None = None) -> bool:
    day = on or today()
    return req.status in AccessRequest.DECISIONS and req.appeal_due_on is not None and day <= req.appeal_due_on
