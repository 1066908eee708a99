"""Public figures about access requests, overall or for one city, counted from the rows.

Definitions (also on the request log page and in docs/api.md):

- received: every request filed (a request naming two cities counts in each city).
- decided: requests with a first decision standing (decided_on set; a remand clears it).
- granted_full, granted_part, denied, no_records, referred: the decided requests by that
  decision. An appeal does not change which decision a request had, so these five add up
  to `decided` (AccessRequest.decision, kept through an appeal).
- withdrawn: withdrawn by the requester.
- appealed: requests whose decision was appealed (pending or decided appeals).
- median_working_days: median of working_days_taken over decided requests (None if none).
- overdue: pending requests past their due date today (AccessRequest.objects.overdue).
- backlog: pending requests, first decisions and appeals (AccessRequest.objects.pending).

Only counts leave the database; no requester data is read.
"""

import datetime
from dataclasses import asdict, dataclass

from django.db.models import Count, Q, QuerySet

from releases.access import clock
from releases.models import AccessRequest, City

Status = AccessRequest.Status
OUTCOMES = ("granted_full", "granted_part", "denied", "no_records", "referred")


@dataclass(frozen=True)
class RequestFigures:
    received: int
    decided: int
    granted_full: int
    granted_part: int
    denied: int
    no_records: int
    referred: int
    withdrawn: int
    appealed: int
    median_working_days: float | None
    overdue: int
    backlog: int

    def as_dict(self) -> dict:
        return asdict(self)


def request_figures(city: City | None = None, *, today: datetime.date | None = None) -> RequestFigures:
    """The figures for one city (or every request when city is None), as of `today`."""
    today = today or clock.today()
    requests: QuerySet[AccessRequest] = AccessRequest.objects.all()
    if city is not None:
        requests = requests.filter(cities=city)
    requests = requests.order_by()

    decided = Q(decided_on__isnull=False)
    # One query for the counts (pages show these figures, so they stay cheap); the pending
    # and overdue rules are the QuerySet's own, as subqueries.
    counts = requests.aggregate(
        received=Count("pk"),
        decided=Count("pk", filter=decided),
        **{outcome: Count("pk", filter=decided & Q(decision=outcome)) for outcome in OUTCOMES},
        withdrawn=Count("pk", filter=Q(status=Status.WITHDRAWN)),
        appealed=Count("pk", filter=Q(appealed_on__isnull=False)),
        with_days=Count("working_days_taken", filter=decided),
        overdue=Count("pk", filter=Q(pk__in=AccessRequest.objects.overdue(today).values("pk"))),
        backlog=Count("pk", filter=Q(pk__in=AccessRequest.objects.pending().values("pk"))),
    )
    with_days = counts.pop("with_days")
    return RequestFigures(
        **counts,
        median_working_days=_median(requests.decided().filter(working_days_taken__isnull=False), with_days),
    )


def _median(requests: QuerySet[AccessRequest], n: int) -> float | None:
    """The median of the n values of working_days_taken, reading at most two of them."""
    if not n:
        return None
    ordered = requests.order_by("working_days_taken").values_list("working_days_taken", flat=True)
    if n % 2:
        return float(ordered[n // 2])
    low, high = ordered[n // 2 - 1 : n // 2 + 1]
    return (low + high) / 2
